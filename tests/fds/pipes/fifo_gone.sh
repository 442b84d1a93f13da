#!/bin/bash
# A FIFO whose name is gone at restore time is made again (the program holds
# its ends; the name is only where they met), with a note, and the program
# finishes as an uninterrupted run does. A name that is now something else
# than a FIFO stops the restore with a message.
# usage: fifo_gone.sh LIBTCP TCP_RESTORE PIPE_STATE
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-fifogone.XXXXXX")
failed=0
trap 'jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; failed=1; }
mkdir -p "$WORK/ref" "$WORK/run" "$WORK/img"
(cd "$WORK/ref" && "$PROG" >out.txt) || { echo "FAIL: reference run"; exit 1; }

# checkpoint RUN_DIR: run under libtcp there, checkpoint after 1 s, kill -9.
checkpoint() {
	rm -rf "$WORK/img"/*
	(cd "$1" && LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img exec "$PROG" >out.txt 2>err.txt) &
	local pid=$!
	sleep 1
	kill -USR1 "$pid"
	for _ in $(seq 1 200); do [ -L "$WORK/img/latest" ] && break; sleep 0.02; done
	sleep 0.2
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	[ -L "$WORK/img/latest" ] || fail "no image: $(cat "$1/err.txt")"
}

checkpoint "$WORK/run"
rm -f "$WORK/run/fifo1"
"$RESTORE" "$WORK/img" >>"$WORK/run/out.txt" 2>"$WORK/restore.err"
rc=$?
if [ $rc != 0 ]; then
	fail "restore with the FIFO gone: status $rc: $(cat "$WORK/restore.err")"
elif ! cmp -s "$WORK/ref/out.txt" "$WORK/run/out.txt"; then
	fail "restore with the FIFO gone: output differs: $(diff "$WORK/ref/out.txt" "$WORK/run/out.txt" | head -5)"
elif ! grep -q "note: fd [0-9]*: the FIFO $WORK/run/fifo1 was gone; made it again" "$WORK/restore.err"; then
	fail "restore with the FIFO gone: no note: $(cat "$WORK/restore.err")"
else
	echo "ok: FIFO gone: $(head -1 "$WORK/restore.err")"
fi

checkpoint "$WORK/run"
rm -f "$WORK/run/fifo1"
mkdir "$WORK/run/fifo1"
"$RESTORE" "$WORK/img" >/dev/null 2>"$WORK/restore.err"
rc=$?
if [ $rc = 0 ]; then
	fail "restore with a directory in the FIFO's place succeeded"
elif ! grep -q "fd [0-9]*: $WORK/run/fifo1 was a FIFO at checkpoint time and now is something else; move it away" "$WORK/restore.err"; then
	fail "restore with a directory in the FIFO's place: message: $(cat "$WORK/restore.err")"
else
	echo "ok: FIFO replaced: $(grep 'was a FIFO' "$WORK/restore.err")"
fi
exit $failed
