#!/bin/bash
# TCP_COMPRESS=zstd end to end: the image holds compressed pages (tcp-inspect
# shows them and their ratio), it restores, and a damaged compressed image
# is refused without the program running: a damaged zstd frame, and a
# damaged block table entry that only the section checksum catches (the
# decompressor must hold the last block back until it is checked).
# usage: zstd.sh LIBTCP TCP_RESTORE TCP_INSPECT ZSTD_MIX_PROG
set -u
LIBTCP=$1 RESTORE=$2 INSPECT=$3 PROG=$4
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-zstd.XXXXXX")
failed=0
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }

mkdir -p "$WORK/img"
cd "$WORK" || exit 1
"$PROG" >plain.txt || { echo "FAIL: $PROG does not run"; exit 1; }
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img TCP_COMPRESS=zstd TCP_LOG=0 "$PROG" >ref.txt 2>err.txt &
pid=$!
sleep 1
kill -USR1 "$pid"
for _ in $(seq 1 1500); do [ -L img/latest ] && break; sleep 0.02; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
if [ ! -L img/latest ]; then
	echo "FAIL: no image was written"; cat err.txt; exit 1
fi
IMG=$WORK/img/$(readlink img/latest)

# The pages are compressed, with a ratio above 1 (random data and text).
line=$("$INSPECT" "$IMG" | grep 'compressed (zstd)')
echo "inspect: $line"
ratio=$(sed -n 's/.*ratio \([0-9.]*\).*/\1/p' <<<"$line")
if [ -z "$ratio" ] || ! awk -v r="$ratio" 'BEGIN { exit !(r > 1.2 && r < 50) }'; then
	fail "tcp-inspect shows no plausible compression ratio: '$line'"
fi

# refused NAME FILE PATTERN [ARGS]: tcp-restore fails with a message that
# matches, the program prints nothing, and no process keeps the image open
# (the decompressor ended).
refused() {
	local name=$1 file=$2 pattern=$3
	shift 3
	local out rc
	out=$(timeout 60 "$RESTORE" "$@" "$file" 2>&1 >"$WORK/$name.out")
	rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 124 ]; then
		fail "$name: tcp-restore exit status $rc; output: $out"
	elif ! grep -Eq "$pattern" <<<"$out"; then
		fail "$name: message does not match /$pattern/: $out"
	elif [ -s "$WORK/$name.out" ]; then
		fail "$name: the program ran: $(head -3 "$WORK/$name.out")"
	else
		echo "ok: $name: $out"
	fi
	sleep 0.5
	for fd in /proc/[0-9]*/fd/*; do
		if [ "$(readlink "$fd" 2>/dev/null)" = "$file" ]; then
			fail "$name: a process still holds the image: $fd"
			break
		fi
	done
}

off=$(/usr/bin/python3 "$HERE/zstd_zpages.py" "$IMG" frame) || exit 1
cp "$IMG" "$WORK/frame.tcp"
printf '\x5a' | dd of="$WORK/frame.tcp" bs=1 seek="$off" conv=notrunc status=none
refused frame "$WORK/frame.tcp" "ZPAGES section at offset [0-9]+: .*corrupted"
refused frame-check "$WORK/frame.tcp" "ZPAGES.*checksum mismatch" --check

off=$(/usr/bin/python3 "$HERE/zstd_zpages.py" "$IMG" table) || exit 1
cp "$IMG" "$WORK/table.tcp"
printf '\x01' | dd of="$WORK/table.tcp" bs=1 seek="$off" conv=notrunc status=none
refused table "$WORK/table.tcp" "ZPAGES section at offset [0-9]+: checksum mismatch"

if out=$(timeout 60 "$RESTORE" --check "$IMG" 2>&1); then
	echo "ok: --check of the intact image: $out"
else
	fail "--check refused the intact image: $out"
fi

# The intact image restores and finishes as an uninterrupted run (its stdout is ref.txt again,
# rolled back to its size at the checkpoint).
timeout 120 "$RESTORE" "$IMG" >/dev/null 2>restore_err.txt
rc=$?
if [ "$rc" != 0 ] || ! cmp -s ref.txt plain.txt; then
	fail "the intact compressed image did not restore to the same output (status $rc): $(tail -3 restore_err.txt)
$(diff plain.txt ref.txt | head -5)"
else
	echo "ok: intact image restored: $(tail -1 ref.txt)"
fi
# The stop signal with TCP_FORK=0: the paused program writes the image
# itself (its workers are clones of it), exits 85, and the image restores.
mkdir -p "$WORK/img2"
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img2 TCP_COMPRESS=zstd TCP_FORK=0 TCP_LOG=0 "$PROG" >stop.txt 2>stop_err.txt &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ "$rc" != 85 ] || [ ! -L img2/latest ]; then
	fail "stop signal: exit status $rc, image: $(ls img2); $(tail -2 stop_err.txt)"
else
	timeout 120 "$RESTORE" img2 >/dev/null 2>restore_err.txt
	rc=$?
	if [ "$rc" != 0 ] || ! cmp -s stop.txt plain.txt; then
		fail "stop signal: the image did not restore to the same output (status $rc): $(tail -3 restore_err.txt)"
	else
		echo "ok: stop signal without fork: restored"
	fi
fi
exit $failed
