#!/bin/bash
# Issue 19 item 14: after a plain user's restore, /proc/PID/exe names the
# program again, not tcp-restore (set from tcp-restore's own user namespace,
# where the restore may; only --no-namespace as a plain user keeps
# tcp-restore's, as docs/user-guide.md says). Checked from outside on the restored
# process, tcp-restore's grandchild (tcp-restore, the namespace's init, the
# program).
# usage: restored_exe.sh LIBTCP TCP_RESTORE OBSTACLE ...
LIBTCP=$1 RESTORE=$2 PROG=$3
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_A=(setpriv --reuid=$UID_A --regid=$UID_A --clear-groups)
cp "$PROG" "$WORK/prog"
chmod 755 "$WORK/prog"
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

children() { cat /proc/"$1"/task/*/children 2>/dev/null; }
"${RUN_A[@]}" sh -c "cd '$D' && exec '$RESTORE' '$D' >>out.txt 2>restore.err" &
q=$!
prog_pid=
for _ in $(seq 1 250); do
	for c in $(children "$q"); do
		for g in $(children "$c"); do prog_pid=$g; done
	done
	[ -n "$prog_pid" ] && [ "$(cat /proc/"$prog_pid"/comm 2>/dev/null)" = prog ] && break
	prog_pid=
	sleep 0.02
done
if [ -z "$prog_pid" ]; then
	fail "no restored program under tcp-restore $q: $(cat "$D/restore.err")"
else
	exe=$(readlink /proc/"$prog_pid"/exe)
	if [ "$exe" = "$WORK/prog" ]; then
		echo "ok: the restored program's /proc/PID/exe is $exe"
	else
		fail "the restored program's /proc/PID/exe is $exe, not $WORK/prog"
	fi
fi
kill -9 "$q" 2>/dev/null
wait "$q" 2>/dev/null
finish
