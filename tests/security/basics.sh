#!/bin/bash
# Images are private (0600); tcp-restore refuses images others could have
# forged (writable by others, owned by someone else), refuses to run
# setuid, and root restores another user's image only when told to;
# libtcp does nothing inside a setuid program. Needs root (to switch users).
# usage: basics.sh LIBTCP TCP_RESTORE OBSTACLE_PROG ...
LIBTCP=$1 RESTORE=$2 PROG=$3
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NOBODY=(setpriv --reuid=$UID_A --regid=$UID_A --clear-groups)
as_nobody() { as_a "$@"; }

cp "$PROG" "$WORK/prog"
cp "$RESTORE" "$WORK/tcp-restore"
chmod 755 "$WORK/prog" "$WORK/tcp-restore"

# An image written by nobody, in nobody's directory.
mkdir "$WORK/nobody"
chown 65534:65534 "$WORK/nobody"
# (not through the function: its subshell would get the signal)
"${NOBODY[@]}" sh -c "cd '$WORK/nobody' && LD_PRELOAD='$LIBTCP' TCP_LOG=0 exec '$WORK/prog' plain >out.txt 2>err.txt" &
pid=$!
sleep 1
kill -USR1 "$pid"
for _ in $(seq 1 250); do [ -L "$WORK/nobody/latest" ] && break; sleep 0.02; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
IMG=$WORK/nobody/$(readlink "$WORK/nobody/latest")
if [ ! -f "$IMG" ]; then
	echo "FAIL: no image written as nobody: $(cat "$WORK/nobody/err.txt")"
	exit 1
fi
mode=$(stat -c %a "$IMG")
[ "$mode" = 600 ] && echo "ok: image mode 0600" || fail "image mode is $mode, not 600"

expect "owner can check it" 0 "can be restored" as_nobody "$RESTORE" --check "$IMG"
expect "root refuses another user's image" 1 "belongs to uid 65534.*--allow-other-owner" "$RESTORE" --check "$IMG"
expect "root with --allow-other-owner" 0 "can be restored" "$RESTORE" --check --allow-other-owner "$IMG"
chmod 620 "$IMG"
expect "group-writable image refused" 1 "writable by other users" as_nobody "$RESTORE" --check "$IMG"
chmod 602 "$IMG"
expect "world-writable image refused" 1 "writable by other users" as_nobody "$RESTORE" --check "$IMG"
chmod 600 "$IMG"
cp "$IMG" "$WORK/root-owned.tcp"
chmod 644 "$WORK/root-owned.tcp"
chmod 755 "$WORK"
expect "user refuses root's image" 1 "belongs to uid 0, not to you" as_nobody "$RESTORE" --check "$WORK/root-owned.tcp"

# A setuid tcp-restore refuses to work.
chmod u+s "$WORK/tcp-restore"
expect "setuid tcp-restore refuses" 1 "setuid" as_nobody "$WORK/tcp-restore" --check "$IMG"

# libtcp stays inert in a setuid program: SIGUSR1 keeps its default action
# (termination) and no image appears.
chmod u+s "$WORK/prog"
mkdir "$WORK/suid-img"
chmod 777 "$WORK/suid-img"
"${NOBODY[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/suid-img" "$WORK/prog" plain >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -USR1 "$pid"
wait "$pid"
rc=$?
if [ "$rc" = 138 ] && [ -z "$(ls -A "$WORK/suid-img")" ]; then
	echo "ok: setuid program: not checkpointed, SIGUSR1 kept its default action"
else
	fail "setuid program: status $rc, image dir: $(ls -A "$WORK/suid-img")"
fi

finish
