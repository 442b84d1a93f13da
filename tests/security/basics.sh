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

# DIR/latest is followed only if the user made it, to a name in DIR: in a
# sticky shared directory another user's link, or one pointing elsewhere,
# is refused (it worked without these checks: docs/security.md).
mkdir "$WORK/shared"
chmod 1777 "$WORK/shared"
cp -p "$IMG" "$WORK/shared/prog.000001.tcp"
chown $UID_A:$UID_A "$WORK/shared/prog.000001.tcp"
as_b ln -s prog.000001.tcp "$WORK/shared/latest"
expect "latest made by another user refused" 1 "latest was made by uid $UID_B, not by you" \
	as_a "$RESTORE" --check "$WORK/shared"
rm -f "$WORK/shared/latest"
as_a ln -s ../nobody/latest "$WORK/shared/latest"
expect "latest pointing outside its directory refused" 1 "outside its directory" as_a "$RESTORE" --check "$WORK/shared"
rm -f "$WORK/shared/latest"
as_a ln -s prog.000001.tcp "$WORK/shared/latest"
expect "the user's own latest followed" 0 "can be restored" as_a "$RESTORE" --check "$WORK/shared"

# A directory of another user that the user may enter but not list (0711)
# is checked like any other: its owner could replace the images.
mkdir "$WORK/b-only"
cp -p "$IMG" "$WORK/b-only/prog.000001.tcp"
chown $UID_A:$UID_A "$WORK/b-only/prog.000001.tcp"
chown $UID_B:$UID_B "$WORK/b-only"
chmod 711 "$WORK/b-only"
expect "image in another user's 0711 directory refused" 1 "its directory .* belongs to uid $UID_B" \
	as_a "$RESTORE" --check "$WORK/b-only/prog.000001.tcp"

finish
