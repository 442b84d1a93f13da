#!/bin/bash
# Issue 19 items 12, 13, 14: what tcp-restore and tcp-inspect accept as an
# image. A FIFO given as the image, planted as `latest` or as an older image
# of an incremental chain is refused at once (open must not block); a sparse
# image declaring a 2 GiB section is refused before anything is allocated
# (run under a 400 MB address-space limit); a section of another checkpoint
# spliced into an image is refused by --check, naming the section; an image
# caught mid-write is called incomplete. Images are user A's.
# usage: image_refusals.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR BUILD_DIR TCP_INSPECT
LIBTCP=$1 RESTORE=$2 PROG=$3 BUILD=$5 INSPECT=$6
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SURGERY=$BUILD/tests/security/image_surgery
# A command that would block in open() must not hang the suite: it is cut
# after 20 s (status 124), which fails the expectation.
RUN_A=(setpriv --reuid=$UID_A --regid=$UID_A --clear-groups) # as_a, for commands that take a command
bounded() { timeout -s KILL 20 "$@"; }

cp "$PROG" "$WORK/prog"
chmod 755 "$WORK/prog"
D=$WORK/a
mkdir "$D"
chown $UID_A:$UID_A "$D"

# Two checkpoints of one run of user A's program: image 1 full, image 2
# incremental (it takes pages from image 1).
# (not through as_a: the function's subshell would get the signals)
"${RUN_A[@]}" sh -c "cd '$D' && LD_PRELOAD='$LIBTCP' TCP_LOG=0 TCP_INCREMENTAL=3 exec '$WORK/prog' heap 4 400 >out.txt 2>err.txt" &
pid=$!
for gen in 1 2; do
	sleep 0.5
	kill -USR1 "$pid"
	for _ in $(seq 1 250); do [ -f "$D/prog.00000$gen.tcp" ] && break; sleep 0.02; done
done
sleep 0.2
kill -9 "$pid"
wait "$pid" 2>/dev/null
IMG1=$D/prog.000001.tcp IMG2=$D/prog.000002.tcp
if [ ! -f "$IMG1" ] || [ ! -f "$IMG2" ]; then
	echo "FAIL: two images were not written: $(cat "$D/err.txt")"
	exit 1
fi
expect "the images themselves are fine" 0 "can be restored" as_a "$RESTORE" --check "$IMG2"

# --- item 12: FIFOs -------------------------------------------------------
as_a mkfifo "$D/fifo.tcp"
expect "FIFO as the image: tcp-restore" 1 "fifo.tcp is a FIFO, not an image file" \
	bounded "${RUN_A[@]}" "$RESTORE" "$D/fifo.tcp"
expect "FIFO as the image: --check" 1 "fifo.tcp is a FIFO, not an image file" \
	bounded "${RUN_A[@]}" "$RESTORE" --check "$D/fifo.tcp"
expect "FIFO as the image: tcp-inspect" 1 "fifo.tcp is a FIFO, not an image file" \
	bounded "${RUN_A[@]}" "$INSPECT" "$D/fifo.tcp"
mkdir "$WORK/planted" "$WORK/linked"
chown $UID_A:$UID_A "$WORK/planted" "$WORK/linked"
as_a mkfifo "$WORK/planted/latest"
as_a mkfifo "$WORK/linked/fifo.tcp"
as_a ln -s fifo.tcp "$WORK/linked/latest"
for dir in planted linked; do
	expect "FIFO as $dir latest: tcp-restore" 1 "latest is a FIFO, not an image file" \
		bounded "${RUN_A[@]}" "$RESTORE" "$WORK/$dir"
	expect "FIFO as $dir latest: --check" 1 "latest is a FIFO, not an image file" \
		bounded "${RUN_A[@]}" "$RESTORE" --check "$WORK/$dir"
	expect "FIFO as $dir latest: tcp-inspect" 1 "latest is a FIFO, not an image file" \
		bounded "${RUN_A[@]}" "$INSPECT" "$WORK/$dir"
done
# An older image of the chain replaced by a FIFO.
mkdir "$WORK/chain"
chown $UID_A:$UID_A "$WORK/chain"
cp -p "$IMG2" "$WORK/chain/"
as_a mkfifo "$WORK/chain/prog.000001.tcp"
expect "FIFO as an older image of the chain" 1 "older image .*prog.000001.tcp.*is a FIFO" \
	bounded "${RUN_A[@]}" "$RESTORE" --check "$WORK/chain/prog.000002.tcp"

# --- item 12: a sparse image declaring a 2 GiB HASHES section --------------
"$SURGERY" sparse "$D/sparse.tcp" 2147483648 || fail "image_surgery sparse failed"
chown $UID_A:$UID_A "$D/sparse.tcp"
blocks=$(stat -c %b "$D/sparse.tcp")
[ "$blocks" -lt 4096 ] || fail "the sparse image holds $blocks blocks: not sparse here"
# (AddressSanitizer builds reserve terabytes of address space: no limit there)
limit="ulimit -v 400000;"
ldd "$RESTORE" 2>/dev/null | grep -q libasan && limit=
for tool in "$RESTORE --check" "$RESTORE" "$INSPECT"; do
	expect "sparse 2 GiB section: ${tool##*/}" 1 "89478485 page hashes, but the image stores only 0 pages" \
		bounded "${RUN_A[@]}" sh -c "$limit exec $tool '$D/sparse.tcp'"
done

# --- item 13: a section of another checkpoint -----------------------------
# Image 1 with the THREAD section of image 2 (same program, same length):
# every checksum of that section right, but for image 2.
"$SURGERY" splice "$IMG1" "$IMG2" 4 "$D/spliced.tcp" >"$WORK/spliced.off" || fail "image_surgery splice failed"
chown $UID_A:$UID_A "$D/spliced.tcp"
off=$(cat "$WORK/spliced.off")
expect "spliced THREAD section: --check" 1 "section #[0-9]+ \(THREAD\) at offset $off: .*comes from another image" \
	as_a "$RESTORE" --check "$D/spliced.tcp"
expect "spliced THREAD section: restore" 1 "\(THREAD\) at offset $off: .*comes from another image" \
	as_a "$RESTORE" "$D/spliced.tcp"
expect "spliced THREAD section: tcp-inspect" 1 "\(THREAD\) at offset $off: .*comes from another image" \
	as_a "$INSPECT" "$D/spliced.tcp"

# --- item 14: an image caught mid-write ------------------------------------
# The writer leaves a section's header zero until the section is complete:
# a copy taken then ends in the middle of that section.
fd_off=$("$SURGERY" find "$IMG1" 5)
head -c $((fd_off + 200)) "$IMG1" >"$D/midwrite.tcp"
dd if=/dev/zero of="$D/midwrite.tcp" bs=1 seek="$fd_off" count=32 conv=notrunc status=none
head -c $((fd_off + 200)) "$IMG1" >"$D/truncated.tcp"
chown $UID_A:$UID_A "$D/midwrite.tcp" "$D/truncated.tcp"
chmod 600 "$D/midwrite.tcp" "$D/truncated.tcp"
expect "section still being written" 1 "offset $fd_off: the image is incomplete: this section was still being written" \
	as_a "$RESTORE" --check "$D/midwrite.tcp"
expect "section cut short" 1 "\(FD\) at offset $fd_off: the image is incomplete: the section's [0-9]+ bytes run past the end" \
	as_a "$RESTORE" --check "$D/truncated.tcp"
expect "section cut short: tcp-inspect" 1 "the image is incomplete" as_a "$INSPECT" "$D/truncated.tcp"

finish
