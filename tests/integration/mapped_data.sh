#!/bin/bash
# A data file the program keeps mapped shared and writable and keeps
# changing (the JVM's /tmp/hsperfdata_USER/PID) makes the image
# unrestorable; tcp-restore must say that it is the program's own data file
# and what to do, not blame "another version" of installed software
# (issue 19, item 18). Refused, it runs nothing.
# usage: mapped_data.sh LIBTCP TCP_RESTORE MAPPED_DATA SCRIPTS_DIR
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-mapped-data.XXXXXX")
failed=0
cleanup() { jobs -p | xargs -r kill -9 2>/dev/null; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
cd "$WORK" || exit 1
mkdir img hsperfdata_user

env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" "$PROG" "$WORK/hsperfdata_user/4242" 600 >out.txt 2>err.txt &
pid=$!
# wait_steps N: until the program has printed N lines (or has ended).
wait_steps() {
	while [ "$(wc -l <out.txt)" -lt "$1" ]; do
		kill -0 "$pid" 2>/dev/null || { echo "FAIL: the program ended: $(cat err.txt)"; exit 1; }
		sleep 0.1
	done
}
wait_steps 3
"$SCRIPTS/tcp-ckpt" --timeout 60 "$pid" >/dev/null || fail "checkpoint: $(cat err.txt)"
# Two more steps: the file changed after the checkpoint.
wait_steps $(($(wc -l <out.txt) + 2))
kill -9 "$pid"
wait "$pid" 2>/dev/null
cp out.txt out.before
msg=$(timeout 60 "$RESTORE" img 2>&1 >/dev/null)
rc=$?
if [ $rc != 1 ]; then
	fail "tcp-restore exited $rc, expected 1: $msg"
elif ! grep -q "hsperfdata_user/4242, the program's own data file (mapped shared and writable" <<<"$msg"; then
	fail "the message does not name the program's own data file: $msg"
elif ! grep -q -- '-XX:-UsePerfData' <<<"$msg"; then
	fail "the message does not say what to do for the JVM: $msg"
elif grep -q 'another version' <<<"$msg"; then
	fail "the message blames another version of installed software: $msg"
elif ! cmp -s out.before out.txt; then
	fail "the refused restore ran the program"
else
	echo "ok: $msg"
fi

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
