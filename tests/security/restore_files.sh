#!/bin/bash
# Issue 19 items 1, 2, 11: a restore opens only the very files the program
# had (no symbolic link followed, never another user's file in their place,
# a copy accepted only when it passes the documented check), and a refused
# restore changes nothing: no output file cut back, no /dev/shm object
# written, whatever fails (page data, a later fd, a full filesystem).
# User A (65534) runs and restores the program; user B (65533) plants things.
# usage: restore_files.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR BUILD_DIR ...
LIBTCP=$1 RESTORE=$2 BUILD=$5
PROG=$BUILD/tests/security/restore_files_prog
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SMALL=$WORK/small
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	mountpoint -q "$SMALL" && umount "$SMALL"
	rm -f /dev/shm/tcp-sec-files-*
}
trap cleanup EXIT

# The program's directory is writable by both users (a shared project
# directory); A's and B's own files live in directories of their own.
S=$WORK/shared
mkdir -p "$S" "$WORK/a" "$WORK/b"
chmod 777 "$S"
chown $UID_A:$UID_A "$WORK/a"
chown $UID_B:$UID_B "$WORK/b"
cd "$S" || exit 1

# run MODE [ARG]: the program as A, checkpointed 0.5 s after its second
# step and killed 0.5 s after its image is complete (its outputs have grown past their size at
# checkpoint time); IMG is the image. Then `before` records every output.
run() {
	rm -rf "$S/img" "$S"/out1 "$S"/out2 "$S"/stdout
	as_a mkdir "$S/img"
	as_a touch "$S/stdout" "$S/stderr" # the program's, as if it had made them
	setpriv --reuid=$UID_A --regid=$UID_A --clear-groups \
		env LD_PRELOAD="$LIBTCP" TCP_DIR="$S/img" TCP_LOG=0 "$PROG" "$@" >"$S/stdout" 2>"$S/stderr" &
	local pid=$! rc=killed
	# (its first line: libtcp is set up, the outputs are open)
	for _ in $(seq 1 500); do grep -q "step 1" "$S/stdout" && break; sleep 0.02; done
	sleep 0.5
	kill -USR1 "$pid"
	for _ in $(seq 1 500); do [ -L "$S/img/latest" ] && break; sleep 0.02; done
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; }
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	IMG=$S/img/$(readlink "$S/img/latest")
	[ -f "$IMG" ] || { fail "no image written (program: $rc): $(cat "$S/stderr"; ls -la "$S")"; finish; }
}
before() { md5sum "$@" >"$WORK/before.md5"; }
unchanged() { # NAME: every file recorded by `before` is byte-identical
	if md5sum --quiet -c "$WORK/before.md5" >/dev/null 2>&1; then
		echo "ok: $1: nothing changed"
	else
		fail "$1: files changed by a refused restore: $(md5sum -c "$WORK/before.md5" 2>&1 | grep -v ': OK')"
	fi
}
restore_a() { as_a "$RESTORE" "$@" >>"$S/stdout"; }

# Reference outputs of an uninterrupted run.
as_a "$PROG" plain "$WORK/a/ref1" "$WORK/a/ref2" >"$WORK/ref.stdout" 2>/dev/null ||
	fail "reference run failed"

# 1. The output replaced by a symbolic link to a larger file of the
# restoring user, and to a larger file of another user that A may write.
seq 1 100000 >"$WORK/a/precious"
chown $UID_A:$UID_A "$WORK/a/precious"
seq 1 100000 >"$WORK/b/open-to-all"
chown $UID_B:$UID_B "$WORK/b/open-to-all"
chmod 666 "$WORK/b/open-to-all"
for target in "$WORK/a/precious" "$WORK/b/open-to-all"; do
	run plain out1 out2
	as_b rm -f "$S/out1"
	as_b ln -s "$target" "$S/out1"
	before "$target" out2 stdout
	expect "output replaced by a symlink to $target" 1 "fd 3: $S/out1 is now a symbolic link .* does not follow it" \
		restore_a "$IMG"
	unchanged "symlink to $target"
done

# 2. A byte of page data flipped: found where the blob checks it, after
# every fd is open; the outputs (and stdout, a file) stay as they are.
run plain out1 out2
python3 - "$IMG" <<'PY' || fail "no PAGES section found in $IMG"
import struct, sys
f = open(sys.argv[1], 'r+b')
data = f.read()
off = struct.unpack_from('<I', data, 12)[0]          # header_size
while off + 32 <= len(data):
    magic, typ, length = struct.unpack_from('<IIQ', data, off)
    if typ == 3:                                      # PAGES
        payload = off + 32
        data_offset = struct.unpack_from('<Q', data, payload + 16)[0]
        if length > data_offset + 200:
            at = payload + data_offset + 100
            f.seek(at); f.write(bytes([data[at] ^ 0x55])); sys.exit(0)
    off += 32 + length
sys.exit(1)
PY
before out1 out2 stdout
expect "flipped page data" 1 "page data of .* is corrupted.*nothing was changed" restore_a "$IMG"
unchanged "flipped page data"

# 3. A later fd fails: out2 (fd 4) is now shorter than at checkpoint time;
# out1 (fd 3) and stdout (fd 1), opened before it, keep every byte.
run plain out1 out2
: >out2
before out1 out2 stdout
expect "shorter output on a later fd" 1 "fd 4: output file .*out2 is now 0 bytes, shorter" restore_a "$IMG"
unchanged "shorter output on fd 4"

# 4. A deleted file re-created on a full filesystem: refused with a message
# that says so, before anything changed.
mkdir -p "$SMALL"
if mount -t tmpfs -o size=1m tcp-sec "$SMALL"; then
	chmod 777 "$SMALL"
	run deleted out1 out2 "$SMALL"
	dd if=/dev/zero of="$SMALL/filler" bs=64k count=16 status=none 2>/dev/null
	before out1 out2 stdout
	expect "deleted file on a full filesystem" 1 "fd 5: no space left on $SMALL .*262144 bytes of the deleted file $SMALL/scratch" \
		restore_a "$IMG"
	unchanged "full filesystem"
	rm -f "$SMALL/filler"
	umount "$SMALL"
else
	fail "cannot mount a small tmpfs at $SMALL"
fi

# 5. A /dev/shm object that is gone, its name taken by user B before A
# restores: refused, B's object untouched (item 11).
name=tcp-sec-files-$$
run shm out1 out2 "/$name"
rm -f "/dev/shm/$name"
as_b sh -c "seq 1 20000 >/dev/shm/$name; chmod 666 /dev/shm/$name"
before "/dev/shm/$name" out1 out2 stdout
expect "/dev/shm name taken by another user" 1 "/dev/shm/$name, shared memory of the program, is now an object of uid $UID_B" \
	restore_a "$IMG"
unchanged "/dev/shm name of another user"
rm -f "/dev/shm/$name"

# 5b. The program's FIFO gone, and one of B's (writable by all) at its name;
# the program's UNIX socket file replaced by one of B's: refused, B's left
# as they are (never opened, never removed).
run fifo out1 out2 "$S/fifo"
rm -f "$S/fifo"
as_b mkfifo -m 666 "$S/fifo"
ino=$(stat -c %i "$S/fifo")
before out1 out2 stdout
expect "FIFO of another user at the name" 1 "fd [0-9]+: $S/fifo belongs to uid $UID_B, but the program's FIFO belonged to uid $UID_A" \
	restore_a "$IMG"
unchanged "FIFO of another user"
[ "$(stat -c %i:%u "$S/fifo")" = "$ino:$UID_B" ] || fail "B's FIFO was replaced"
rm -f "$S/fifo"
run socket out1 out2 "$S/sock"
rm -f "$S/sock"
as_b "$PROG" socket /dev/null /dev/null "$S/sock" 2>/dev/null &
for _ in $(seq 1 500); do [ -S "$S/sock" ] && break; sleep 0.02; done
kill -9 $! # (its socket file stays)
wait $! 2>/dev/null
ino=$(stat -c %i "$S/sock")
before out1 out2 stdout
expect "UNIX socket of another user at the path" 1 "fd [0-9]+: cannot re-create the socket at $S/sock: a socket of uid $UID_B is there" \
	restore_a "$IMG"
unchanged "UNIX socket of another user"
[ "$(stat -c %i:%u "$S/sock" 2>/dev/null)" = "$ino:$UID_B" ] || fail "B's socket file was removed or replaced"
rm -f "$S/sock"

# 6. A legitimate copy (as after a move to another node: new inodes, same
# owner and content) is accepted, and the run ends as an uninterrupted one;
# a file of the same owner and size but another content is refused.
run plain out1 out2
for f in out1 out2 stdout; do
	as_a cp "$f" "$f.copy"
	as_a mv -f "$f.copy" "$f"
done
if as_a "$RESTORE" "$IMG" >>"$S/stdout" 2>"$WORK/restore.err"; then
	if cmp -s out1 "$WORK/a/ref1" && cmp -s out2 "$WORK/a/ref2" && cmp -s stdout "$WORK/ref.stdout"; then
		echo "ok: copies of the outputs accepted, the run ends as an uninterrupted one"
	else
		fail "restore onto copies: outputs differ from the reference: $(diff stdout "$WORK/ref.stdout" | head -3;
			diff out1 "$WORK/a/ref1" | head -3; cat "$WORK/restore.err")"
	fi
else
	fail "restore onto copies of the outputs refused: $(cat "$WORK/restore.err")"
fi
run plain out1 out2
as_a sh -c 'tr 0-9 a-j <out1 >out1.other && mv -f out1.other out1'
before out1 out2 stdout
expect "another file of the same owner and size" 1 "fd 3: $S/out1 is not the file the program had .*content differs" \
	restore_a "$IMG"
unchanged "another file in the output's place"

finish
