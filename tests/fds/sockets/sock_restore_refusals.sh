#!/bin/bash
# Restoring listening sockets when their address is taken: a UNIX path now
# holding something that is not a socket (left alone), a TCP port another
# process listens on. tcp-restore must stop with a message naming the fd
# and the address, and succeed once the obstacle is gone.
# usage: sock_restore_refusals.sh LIBTCP TCP_RESTORE SOCK_LISTEN
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-sockrest.XXXXXX") || exit 1
BLOCKER=
cleanup() {
	[ -n "$BLOCKER" ] && kill "$BLOCKER" 2>/dev/null && wait "$BLOCKER" 2>/dev/null
	[ "$failed" = 0 ] && rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; failed=1; }
cd "$WORK" || exit 1
mkdir img

"$PROG" >ref.txt 2>/dev/null || { echo "FAIL: reference run"; exit 1; }
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img "$PROG" >out.txt 2>err.txt &
pid=$!
sleep 1
kill -USR1 $pid
for _ in $(seq 1 200); do [ -L img/latest ] && break; sleep 0.02; done
kill -9 $pid
wait $pid 2>/dev/null
[ -L img/latest ] || { echo "FAIL: no image: $(cat err.txt)"; exit 1; }
port=$(sed -n 's/^tcp4 port //p' err.txt)

# 1. A regular file where the UNIX socket was.
rm -f listen.sock
echo "not a socket" >listen.sock
if timeout 30 "$RESTORE" img >/dev/null 2>restore1.err; then
	fail "restore succeeded over a regular file at the socket's path"
elif ! grep -Eq "fd [0-9]+: cannot re-create the socket at $WORK/listen\.sock: something that is not a socket is there now" restore1.err; then
	fail "unexpected message: $(cat restore1.err)"
elif [ "$(cat listen.sock)" != "not a socket" ]; then
	fail "the file at the socket's path was changed"
else
	echo "ok: path taken: $(head -1 restore1.err)"
fi
rm -f listen.sock

# 2. Another process listens on the TCP port.
# (SO_REUSEADDR: connections of the checkpointed run are in TIME_WAIT there.)
python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(1); open('blocker.up', 'w').close(); time.sleep(60)" &
BLOCKER=$!
for _ in $(seq 1 100); do [ -e blocker.up ] && break; sleep 0.05; done
if [ ! -e blocker.up ]; then
	fail "could not take port $port for the test"
elif timeout 30 "$RESTORE" img >/dev/null 2>restore2.err; then
	fail "restore succeeded while port $port was taken"
elif ! grep -Eq "fd [0-9]+: cannot bind the socket to 127\.0\.0\.1:$port again: another program listens on port $port now" restore2.err; then
	fail "unexpected message: $(cat restore2.err)"
else
	echo "ok: port taken: $(head -1 restore2.err)"
fi
kill "$BLOCKER"
wait "$BLOCKER" 2>/dev/null
BLOCKER=

# 3. Nothing in the way any more: the restore finishes the run.
if ! timeout 60 "$RESTORE" img >/dev/null 2>restore3.err || ! cmp -s ref.txt out.txt; then
	fail "the restore after the obstacles were removed did not finish the run: $(cat restore3.err)"
else
	echo "ok: restored once the address was free"
fi
exit $failed
