#!/bin/bash
# Issue 19 item 7: a tcp-restore given file capabilities (setcap, as CRIU
# documents for itself) refuses to run for a plain user, whose restored
# program would get them (and keep them with --no-namespace); root, who has
# them anyway, may run it. Needs setcap (libcap2-bin) and a filesystem with
# extended attributes; skips (77) without.
# usage: restore_file_caps.sh LIBTCP TCP_RESTORE OBSTACLE ...
LIBTCP=$1 RESTORE=$2 PROG=$3
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_A=(setpriv --reuid=$UID_A --regid=$UID_A --clear-groups)
if ! command -v setcap >/dev/null; then
	echo "skip: no setcap (apt-get install libcap2-bin)"
	rm -rf "$WORK"
	exit 77
fi
cp "$PROG" "$WORK/prog"
cp "$RESTORE" "$WORK/tcp-restore"
chmod 755 "$WORK/prog" "$WORK/tcp-restore"
if ! setcap cap_sys_admin+ep "$WORK/tcp-restore" 2>/dev/null; then
	echo "skip: setcap does not work on $WORK (no extended attributes?)"
	rm -rf "$WORK"
	exit 77
fi

D=$WORK/a
mkdir "$D"
chown $UID_A:$UID_A "$D"
"${RUN_A[@]}" sh -c "cd '$D' && LD_PRELOAD='$LIBTCP' TCP_LOG=0 exec '$WORK/prog' heap 1 400 >out.txt 2>err.txt" &
pid=$!
sleep 0.5
kill -USR1 "$pid"
for _ in $(seq 1 250); do [ -L "$D/latest" ] && break; sleep 0.02; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ -L "$D/latest" ] || { echo "FAIL: no image written: $(cat "$D/err.txt")"; exit 1; }

expect "plain user, file capabilities: --check" 1 \
	"refusing to run with privileges .*capabilities in its permitted or effective set.*setcap -r $WORK/tcp-restore" \
	as_a "$WORK/tcp-restore" --check "$D"
expect "plain user, file capabilities: --no-namespace" 1 "refusing to run with privileges" \
	as_a "$WORK/tcp-restore" --no-namespace "$D"
expect "plain user, without them" 0 "can be restored" as_a "$RESTORE" --check "$D"
expect "root, file capabilities" 0 "can be restored" "$WORK/tcp-restore" --check --allow-other-owner "$D"
finish
