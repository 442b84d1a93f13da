#!/bin/bash
# with_server.sh KIND -- CYCLE_ARGS...: runs echo_server.py (KIND tcp,
# tcp6 or unix) for the duration of a cycle.sh run of sock_client; the program's
# arguments (tcp PORT / unix PATH) are appended to CYCLE_ARGS.
set -u
KIND=$1
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-sockets.XXXXXX") || exit 1
SERVER=
cleanup() {
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
command -v python3 >/dev/null || { echo "SKIP: python3 is needed for the test server"; exit 77; }
if [ "$KIND" != unix ]; then
	python3 "$HERE/echo_server.py" "$KIND" "$WORK/port" &
	SERVER=$!
	for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
	if [ ! -s "$WORK/port" ]; then
		[ "$KIND" = tcp6 ] && { echo "SKIP: no IPv6 loopback"; exit 77; }
		echo "FAIL: the test server did not start"
		exit 1
	fi
	ARG=$(cat "$WORK/port")
else
	ARG=$WORK/server.sock
	python3 "$HERE/echo_server.py" unix "$ARG" &
	SERVER=$!
	for _ in $(seq 1 100); do [ -S "$ARG" ] && break; sleep 0.05; done
	[ -S "$ARG" ] || { echo "FAIL: the test server did not start"; exit 1; }
fi
"$@" "$KIND" "$ARG"
