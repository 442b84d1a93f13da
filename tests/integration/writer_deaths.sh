#!/bin/bash
# Checkpoints whose writer dies are reported (issue 19, item 16), and
# compressed checkpoints work on one CPU after a restore:
#  - a program checkpointed with TCP_COMPRESS=zstd on one CPU, restored on
#    one CPU (taskset -c 0, as GROMACS pins), checkpoints again (the image
#    writer used to die of SIGSEGV silently: the state of the earlier
#    writer's compression was in the image), with TCP_FORK=1 and 0, and the
#    new image restores to the right output;
#  - a writer, or a compression worker, that dies (here: SIGKILL at its CPU
#    time limit, ulimit -t 1, which the idle program itself never reaches)
#    is a failed checkpoint: tcp-ckpt exits 1 with the reason, no temporary
#    file is left, and the program runs to its normal end, also after the
#    stop signal.
# usage: writer_deaths.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-writer-deaths.XXXXXX")
failed=0
cleanup() { jobs -p | xargs -r kill -9 2>/dev/null; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
cd "$WORK" || exit 1
# The references (output never depends on timing), beside the pinned
# cycles: they mostly sleep.
"$PROG" idle 8 100 >ref.txt &
ref_pid=$!
# ref_ready: ref.txt is complete (waits for its run once).
ref_ready() {
	[ -z "$ref_pid" ] && return 0
	wait "$ref_pid" || { echo "FAIL: reference run (idle 8 100)"; exit 1; }
	ref_pid=
}
"$PROG" idle 64 100 >killed.ref &
killed_ref_pid=$!

leftovers() { ls -A "$1" | grep -E '\.tmp$'; }

# The restored program's pid for tcp-ckpt: tcp-restore's (it passes the
# signal on and the status file is named after it).
pinned_cycle() {
	local fork=$1 img=$WORK/pinned$1
	mkdir -p "$img"
	taskset -c 0 env LD_PRELOAD="$LIBTCP" TCP_DIR="$img" TCP_COMPRESS=zstd TCP_FORK="$fork" \
		"$PROG" idle 8 100 >"pinned$fork.out" 2>"pinned$fork.err" &
	local pid=$!
	sleep 1
	"$SCRIPTS/tcp-ckpt" --timeout 60 "$pid" >/dev/null || fail "pinned, TCP_FORK=$fork: first checkpoint"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	taskset -c 0 "$RESTORE" "$img" >/dev/null 2>"pinned$fork.restore.err" &
	local rpid=$!
	sleep 1
	local out
	out=$("$SCRIPTS/tcp-ckpt" --timeout 30 "$rpid" 2>&1)
	local rc=$?
	kill -9 "$rpid"
	wait "$rpid" 2>/dev/null
	if [ $rc != 0 ]; then
		fail "pinned, TCP_FORK=$fork: the restored program's checkpoint: $out; $(cat "pinned$fork.err")"
		return
	fi
	[ -n "$(leftovers "$img")" ] && fail "pinned, TCP_FORK=$fork: left behind: $(leftovers "$img")"
	# The second image resumes the run to its end.
	ref_ready
	if ! timeout 120 taskset -c 0 "$RESTORE" "$img" >/dev/null 2>>"pinned$fork.restore.err" ||
		! cmp -s ref.txt "pinned$fork.out"; then
		fail "pinned, TCP_FORK=$fork: the image written after the restore did not resume right: $(cat "pinned$fork.restore.err")"
	else
		echo "ok: pinned to one CPU, TCP_FORK=$fork: $out restores to the right output"
	fi
}
pinned_cycle 1
pinned_cycle 0

# killed NAME PATTERN [taskset -c 0] -- [tcp-ckpt options]: a checkpoint
# whose writer or worker reaches a CPU time limit of 1 s (zstd level 19 on
# 64 MiB of random bytes takes far longer) and is killed.
killed() {
	local name=$1 pattern=$2 pin=() opt=()
	shift 2
	while [ "$1" != -- ]; do pin+=("$1"); shift; done
	shift
	opt=("$@")
	local img=$WORK/$name
	mkdir -p "$img"
	(
		ulimit -t 1
		exec ${pin[@]+"${pin[@]}"} env LD_PRELOAD="$LIBTCP" TCP_DIR="$img" TCP_COMPRESS=zstd:19 \
			"$PROG" idle 64 100 >"$name.out" 2>"$name.err"
	) &
	local pid=$!
	sleep 1
	local out
	out=$("$SCRIPTS/tcp-ckpt" --timeout 120 ${opt[@]+"${opt[@]}"} "$pid" 2>&1)
	local rc=$?
	wait "$pid"
	local st=$?
	if [ $rc != 1 ] || ! grep -Eq "$pattern" <<<"$out"; then
		fail "$name: tcp-ckpt exited $rc, expected 1 with /$pattern/: $out"
	elif ! grep -Eq "checkpoint failed: .*$pattern" "$name.err"; then
		fail "$name: the program's stderr lacks /$pattern/: $(cat "$name.err")"
	elif [ $st != 0 ] || ! cmp -s killed.ref "$name.out"; then
		fail "$name: the program did not run to its normal end (status $st): $(cat "$name.err")"
	elif [ -n "$(ls -A "$img" | grep -Ev '^(finished|\.tcp-lock)$')" ]; then
		fail "$name: left in TCP_DIR: $(ls -A "$img")"
	else
		echo "ok: $name: $out"
	fi
}
wait "$killed_ref_pid" || { echo "FAIL: reference run (idle 64 100)"; exit 1; }
killed writer-killed 'the image writer \(pid [0-9]+\) died of SIGKILL' taskset -c 0 --
killed writer-killed-stop 'the image writer \(pid [0-9]+\) died of SIGKILL' taskset -c 0 -- --stop
if [ "$(nproc)" -ge 2 ]; then
	killed worker-killed 'the compression worker \(pid [0-9]+\) died of SIGKILL' --
else
	echo "skip: worker-killed (one CPU: no compression workers)"
fi

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
