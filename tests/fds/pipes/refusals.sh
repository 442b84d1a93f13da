#!/bin/bash
# What a checkpoint must refuse about pipes and event fds, each with a
# message naming the fd and what to do; the program then runs on to its
# normal end (checkpoint failures never stop it).
# usage: refusals.sh LIBTCP TCP_RESTORE PIPE_REFUSE
set -u
LIBTCP=$1 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-piperef.XXXXXX")
failed=0
trap 'jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$(dirname "$0")/../../lib/refused.sh"
cd "$WORK" || exit 1
"$PROG" plain >ref.txt || { echo "FAIL: reference run"; exit 1; }

# run_case NAME PATTERN MODE: checkpoint after 0.8 s; status 0, the same
# output, PATTERN on stderr, and no image.
run_case() {
	local name=$1 pattern=$2 mode=$3
	mkdir -p "$name"
	LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/$name "$PROG" "$mode" >"$name.out" 2>"$name.err" &
	local pid=$!
	sleep 0.8
	kill -USR1 "$pid"
	wait "$pid"
	local rc=$?
	if [ "$rc" = 77 ]; then
		echo "skip: $name: $(cat "$name.err")"
	else
		judge_refused "$name" "$rc" ref.txt "$pattern" "$name"
	fi
}

run_case epoll-stale "cannot checkpoint fd [0-9]+ \\(epoll\\): it watches fd 7, which is no longer open under that number.*EPOLL_CTL_DEL" epoll-stale
run_case other-anon "cannot checkpoint fd [0-9]+ \\(anon_inode:\\[userfaultfd\\]\\): this kind of anonymous fd cannot be checkpointed" other-anon
# fd 3: the read end of a pipe whose writer (sleep) is another process.
exec 3< <(exec sleep 30 2>/dev/null)
sleeper=$!
run_case outside "cannot checkpoint fd 3 \\(pipe:\\[[0-9]+\\]\\): its write end is held by a process that is not this one nor a descendant.*close it before the checkpoint" plain
exec 3<&-
kill "$sleeper" 2>/dev/null
exit $failed
