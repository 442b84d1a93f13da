#!/bin/bash
# Issue 20 (PyTorch's DataLoader workers): the directory a program's UNIX
# socket was bound in (multiprocessing's /tmp/pymp-XXXX) may be gone by the
# restore. tcp-restore makes it again, with its mode, as the last step with
# the other visible changes, only if it was the restoring user's; never
# through a symbolic link planted at its name, never in place of something
# else, never another user's. A refused restore makes nothing.
# User A (65534) runs and restores the program; user B (65533) plants things.
# usage: socket_dir.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR BUILD_DIR ...
LIBTCP=$1 RESTORE=$2 BUILD=$5
PROG=$BUILD/tests/security/restore_files_prog
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S=$WORK/shared
mkdir -p "$S" "$WORK/b"
chmod 777 "$S"
chown $UID_B:$UID_B "$WORK/b"
cd "$S" || exit 1

# run DIR_OWNER DIR_MODE: the program as A, listening on $S/d/sock (d made
# by DIR_OWNER with DIR_MODE), checkpointed after its second step and
# killed 0.5 s after its image is complete; IMG is the image.
run() {
	rm -rf "$S/img" "$S/d" "$S"/out1 "$S"/out2 "$S"/stdout
	as_a mkdir "$S/img"
	as_a touch "$S/stdout" "$S/stderr"
	setpriv --reuid="$1" --regid="$1" --clear-groups mkdir -m "$2" "$S/d"
	setpriv --reuid=$UID_A --regid=$UID_A --clear-groups \
		env LD_PRELOAD="$LIBTCP" TCP_DIR="$S/img" TCP_LOG=0 "$PROG" socket out1 out2 "$S/d/sock" \
		>"$S/stdout" 2>"$S/stderr" &
	local pid=$!
	for _ in $(seq 1 500); do grep -q "step 1" "$S/stdout" && break; sleep 0.02; done
	kill -USR1 "$pid"
	for _ in $(seq 1 500); do [ -L "$S/img/latest" ] && break; sleep 0.02; done
	sleep 0.5
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	IMG=$S/img/$(readlink "$S/img/latest")
	[ -f "$IMG" ] || { fail "no image written: $(cat "$S/stderr")"; finish; }
}
restore_a() { as_a "$RESTORE" "$@" >>"$S/stdout"; }

# 1. A's directory (mode 0710) gone: made again with its mode and owner;
# the program runs to its end, its outputs as an uninterrupted run's.
as_a "$PROG" plain "$S/ref1" "$S/ref2" >/dev/null 2>&1 || fail "reference run failed"
run $UID_A 0710
rm -rf "$S/d"
if restore_a "$IMG" 2>"$WORK/err"; then
	if [ "$(stat -c %a:%u:%F "$S/d")" != "710:$UID_A:directory" ]; then
		fail "the socket's directory came back as $(stat -c %a:%u:%F "$S/d" 2>&1)"
	elif ! cmp -s out1 "$S/ref1" || ! cmp -s out2 "$S/ref2"; then
		fail "outputs differ from an uninterrupted run's"
	else
		echo "ok: the socket's directory made again (mode 0710), outputs identical"
	fi
else
	fail "restore with the socket's directory gone failed: $(cat "$WORK/err")"
fi

# 2. The directory was B's (open to all): not made again by A.
run $UID_B 0777
rm -rf "$S/d"
expect "socket directory of another user gone" 1 \
	"cannot re-create the socket at $S/d/sock: its directory $S/d is gone, and it belonged to uid $UID_B" \
	restore_a "$IMG"
[ -e "$S/d" ] && fail "the refused restore made $S/d"

# 3. A's directory gone, and B planted a symbolic link to a directory of
# B's at its name: refused, nothing made in B's directory.
run $UID_A 0700
rm -rf "$S/d"
as_b chmod 777 "$WORK/b"
as_b ln -s "$WORK/b" "$S/d"
expect "symbolic link at the socket directory's name" 1 \
	"cannot re-create the socket at $S/d/sock: $S/d is now a symbolic link of uid $UID_B" restore_a "$IMG"
[ -z "$(ls -A "$WORK/b")" ] || fail "the refused restore made something in B's directory: $(ls -A "$WORK/b")"
rm -f "$S/d"

# 4. A directory of B's made at the name: refused, left as it is.
as_b mkdir -m 777 "$S/d"
expect "directory of another user at the socket directory's name" 1 \
	"cannot re-create the socket at $S/d/sock: $S/d is now a directory of uid $UID_B" restore_a "$IMG"
[ -z "$(ls -A "$S/d")" ] || fail "the refused restore made something in B's directory"
rm -rf "$S/d"

finish
