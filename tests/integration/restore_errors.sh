#!/bin/bash
# Every way a restore can be refused must give a clear message, exit 1, and
# run nothing: bad arguments, missing/truncated/corrupted images, a changed
# executable, a shortened output file, a changed input file.
# usage: restore_errors.sh LIBTCP TCP_RESTORE HOLD_FILES_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-errors.XXXXXX")
failed=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT

fail() { echo "FAIL: $*"; failed=1; }

# expect_refusal NAME PATTERN ARGS...: tcp-restore must exit 1 (2 for usage)
# and print a message matching PATTERN, within 30 s.
expect_refusal() {
	local name=$1 pattern=$2 want=${WANT:-1}
	shift 2
	local out
	out=$(cd "$WORK/run" && timeout 30 "$RESTORE" "$@" 2>&1 >/dev/null)
	local rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: exit status $rc, expected $want; output: $out"
	elif ! grep -Eq "$pattern" <<<"$out"; then
		fail "$name: message does not match /$pattern/: $out"
	else
		echo "ok: $name: $out"
	fi
}

mkdir -p "$WORK/run/img"
cp "$PROG" "$WORK/run/prog"
seq 1 1000 >"$WORK/run/input.txt"
cd "$WORK/run" || exit 1

# One good checkpoint to derive the bad cases from.
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/run/img TCP_LOG=0 ./prog input.txt output.txt >stdout.txt 2>stderr.txt &
pid=$!
pids+=("$pid")
sleep 1
kill -USR1 "$pid"
for _ in $(seq 1 500); do [ -L img/latest ] && break; sleep 0.02; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ ! -L img/latest ]; then
	echo "FAIL: no image was written"; cat stderr.txt; exit 1
fi
IMG=$WORK/run/img/$(readlink img/latest)
size=$(stat -c %s "$IMG")

WANT=2 expect_refusal "no argument" "usage"
expect_refusal "missing image" "cannot find" "$WORK/nothing.tcp"
mkdir -p "$WORK/empty"
expect_refusal "directory without image" "no complete image" "$WORK/empty"

head -c $((size / 2)) "$IMG" >"$WORK/truncated.tcp"
expect_refusal "truncated image" "truncated|incomplete|past the end" "$WORK/truncated.tcp"
head -c 40 "$IMG" >"$WORK/tiny.tcp"
expect_refusal "tiny image" "too short|truncated|incomplete" "$WORK/tiny.tcp"

cp "$IMG" "$WORK/flipped.tcp"
printf '\xff' | dd of="$WORK/flipped.tcp" bs=1 seek=$((size - 5000)) conv=notrunc status=none
expect_refusal "corrupted byte" "corrupted|checksum" "$WORK/flipped.tcp"

cp "$IMG" "$WORK/magic.tcp"
printf 'XXXX' | dd of="$WORK/magic.tcp" bs=1 seek=0 conv=notrunc status=none
expect_refusal "wrong magic" "not a tcp image" "$WORK/magic.tcp"

# Output file now shorter than at checkpoint time.
cp output.txt output.saved
: >output.txt
expect_refusal "shortened output file" "shorter" "$IMG"
cp output.saved output.txt

# Input file changed.
cp -p input.txt input.saved
echo extra >>input.txt
expect_refusal "changed input file" "input file .* changed" "$IMG"
cp -p input.saved input.txt

# Executable changed (mtime) or missing.
cp -p prog prog.saved
touch prog
expect_refusal "modified executable" "prog.*modified" "$IMG"
rm prog
expect_refusal "missing executable" "prog.*missing" "$IMG"
cp -p prog.saved prog

# With everything put back, the same image restores and the run completes.
if (cd "$WORK/run" && timeout 60 "$RESTORE" "$IMG" 2>/dev/null); then
	echo "ok: restore after repairs"
else
	fail "the image did not restore once the files were put back"
fi

# An explicit option accepts a changed input file.
cp output.saved output.txt
echo extra >>input.txt
if (cd "$WORK/run" && timeout 60 "$RESTORE" --allow-changed-inputs "$IMG" 2>/dev/null); then
	echo "ok: --allow-changed-inputs restores despite the changed input"
else
	fail "--allow-changed-inputs did not restore"
fi

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
