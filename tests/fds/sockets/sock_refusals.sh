#!/bin/bash
# Sockets that cannot be checkpointed: the checkpoint must fail with a
# message naming the fd and what to do, and the program must go on to its
# normal end. With TCP_SOCKETS=close the connections to the outside and
# the accept queues are let go instead.
# usage: sock_refusals.sh LIBTCP SOCK_CLIENT SOCK_REFUSE
set -u
LIBTCP=$1 CLIENT=$2 REFUSE=$3
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-sockrefuse.XXXXXX") || exit 1
failed=0
SERVERS=()
cleanup() {
	for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$HERE/../../lib/refused.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is needed for the test server"; exit 77; }
cd "$WORK" || exit 1

python3 "$HERE/echo_server.py" tcp "$WORK/port" &
SERVERS+=($!)
python3 "$HERE/echo_server.py" unix "$WORK/server.sock" &
SERVERS+=($!)
for _ in $(seq 1 100); do [ -s port ] && [ -S server.sock ] && break; sleep 0.05; done
[ -s port ] && [ -S server.sock ] || { echo "FAIL: the test servers did not start"; exit 1; }
PORT=$(cat port)

declare -A REFS # reference output of each command line, run once

# run_case NAME PATTERN ENV PROG ARGS...: checkpoint after 1 s; the program
# must end with status 0 and the same output as without the checkpoint, and
# its stderr must match PATTERN.
run_case() {
	local name=$1 pattern=$2 env=$3
	shift 3
	local key="$*"
	if [ -z "${REFS[$key]+set}" ]; then
		"$@" >"$name.ref" 2>/dev/null
		REFS[$key]=$name.ref
	fi
	local ref=${REFS[$key]}
	mkdir -p "img-$name"
	env $env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img-$name" "$@" >"$name.out" 2>"$name.err" &
	local pid=$!
	sleep 1
	kill -USR1 "$pid"
	wait "$pid"
	judge_refused "$name" $? "$ref" "$pattern"
}

fd='cannot checkpoint fd [0-9]+ \(socket:\[[0-9]+\]\): '
run_case tcp-out "checkpoint failed: ${fd}a TCP connection to another process, from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$PORT;.*TCP_SOCKETS=close" \
	"" "$CLIENT" tcp "$PORT"
run_case unix-out "checkpoint failed: ${fd}a UNIX socket connected to another process, from an unnamed socket to $WORK/server\.sock;.*TCP_SOCKETS=close" \
	"" "$CLIENT" unix "$WORK/server.sock"
run_case tcp-self "checkpoint failed: ${fd}a TCP connection between two fds of this process, from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:[0-9]+;.*TCP_SOCKETS=close" \
	"" "$REFUSE" tcp-self
run_case accept-queue "checkpoint failed: ${fd}connections are waiting to be accepted.*TCP_SOCKETS=close" "" "$REFUSE" accept-queue
run_case unix-accept-queue "checkpoint failed: ${fd}connections are waiting to be accepted" "" "$REFUSE" unix-accept-queue
run_case scm-rights "checkpoint failed: ${fd}only UNIX, IPv4 and IPv6 sockets are supported.*It is not an fd of the program but one in flight: sent with SCM_RIGHTS and waiting, unread, in the receive queue of socket fd [0-9]+" \
	"" "$REFUSE" scm-rights
run_case udp-queue "checkpoint failed: ${fd}datagrams are waiting on this UDP socket" "" "$REFUSE" udp-queue
run_case netlink "checkpoint failed: ${fd}only UNIX, IPv4 and IPv6 sockets are supported" "" "$REFUSE" netlink

# TCP_SOCKETS=close: the same checkpoints succeed (accept queues dropped
# with a warning).
run_case accept-queue-close "fd [0-9]+: 1 connection\(s\) waiting to be accepted are not in the image \(TCP_SOCKETS=close\)" \
	TCP_SOCKETS=close "$REFUSE" accept-queue
for name in tcp-self-close tcp-out-close; do
	case $name in
	tcp-self-close) run_case $name "checkpoint [0-9]+ written|" TCP_SOCKETS=close "$REFUSE" tcp-self ;;
	tcp-out-close) run_case $name "checkpoint [0-9]+ written|" TCP_SOCKETS=close "$CLIENT" tcp "$PORT" ;;
	esac
	ls "img-$name"/*.tcp >/dev/null 2>&1 || fail "$name: no image with TCP_SOCKETS=close: $(cat "$name.err")"
	grep -q "checkpoint failed" "$name.err" && fail "$name: $(cat "$name.err")"
done
exit $failed
