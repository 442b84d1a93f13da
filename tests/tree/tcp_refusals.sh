#!/bin/bash
# TCP connections of a tree that cannot be kept: the checkpoint says why,
# writes no image, and the tree runs on to its normal end.
#   - a connection to a process outside the tree;
#   - bytes stuck in a send queue because the other end's buffer is full;
#   - urgent data (MSG_OOB) waiting.
# usage: tcp_refusals.sh LIBTCP TCP_REFUSE_PROG
set -u
LIBTCP=$1 PROG=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-tree-tcp-refusals.XXXXXX")
failed=0
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$(dirname "$0")/../lib/refused.sh"
exec 251>&-
cd "$WORK" || exit 1
printf 'ready\nend\n' >ref.txt

# run_case NAME PATTERN ARGS...: checkpoint once the program is ready.
run_case() {
	local name=$1 pattern=$2
	shift 2
	mkdir -p "$WORK/$name.img"
	LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/$name.img TCP_RETRY=0 "$PROG" "$@" >"$name.out" 2>"$name.err" &
	local pid=$! i
	for i in $(seq 100); do
		grep -q ready "$name.err" 2>/dev/null && break
		sleep 0.1
	done
	kill -USR1 "$pid"
	wait "$pid"
	judge_refused "$name" $? ref.txt "$pattern" "$WORK/$name.img"
}

"$PROG" serve >port.txt &
for i in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
run_case outside "cannot checkpoint fd [0-9]+ .*a TCP connection to a process outside the tree .* to 127\\.0\\.0\\.1:$(cat port.txt)" \
	outside "$(cat port.txt)"
run_case full "bytes the program wrote to this TCP connection between processes of the tree are still in its send queue" full
run_case urgent "urgent data \\(MSG_OOB\\) was sent on this TCP connection between processes of the tree" urgent
exit $failed
