#!/bin/bash
# TCP_INCREMENTAL: what cycle.sh cannot see. The second image holds only the
# changed pages (a size check), the chain bound makes a full image,
# TCP_KEEP keeps what the kept images need, and a restore refuses an image
# whose older image is missing, replaced or damaged, naming it.
# usage: incremental.sh LIBTCP TCP_RESTORE INCR_REWRITE_PROG TCP_INSPECT
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 INSPECT=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-incr.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }
img() { printf 'incr_rewrite.%06d.tcp' "$1"; }

# run DIR NCHECKPOINTS ENV...: checkpoints the program N times in DIR, then kills it.
run() {
	local dir=$1 n=$2 gen pid
	shift 2
	mkdir -p "$dir"
	env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/$dir" TCP_LOG=1 "$@" "$PROG" 90 >"$dir/out.txt" 2>"$dir/err.txt" &
	pid=$!
	# The heap is filled before step 0 is printed: every image sees all of it.
	for _ in $(seq 1 500); do grep -q "^step  0" "$dir/out.txt" && break; sleep 0.02; done
	for gen in $(seq 1 "$n"); do
		sleep 0.5
		kill -USR1 "$pid"
		# The report comes after TCP_KEEP's deletions, which follow `latest`.
		for _ in $(seq 1 1000); do grep -q "checkpoint $gen written" "$dir/err.txt" && break; sleep 0.02; done
		[ "$(readlink "$dir/latest")" = "$(img "$gen")" ] || die "$dir: no checkpoint $gen: $(cat "$dir/err.txt")"
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
}

size() { stat -c %s "$1"; }

# ---- 1. three checkpoints: the later ones are small, and restore ----------
run a 3 TCP_INCREMENTAL=1
s1=$(size "a/$(img 1)") s2=$(size "a/$(img 2)")
echo "sizes: first $s1, second $s2, third $(size "a/$(img 3)")"
((s2 * 4 < s1)) || die "the second image ($s2 bytes) is not much smaller than the first ($s1 bytes)"
grep -q "incremental: .* taken from 1 older image" a/err.txt || die "no incremental log line: $(cat a/err.txt)"
"$RESTORE" --check a >check.txt 2>&1 || die "--check of the chain failed: $(cat check.txt)"
"$INSPECT" a >inspect.txt 2>&1 || die "tcp-inspect failed: $(cat inspect.txt)"
grep -Eq "incremental: [0-9]+ pages stored, [0-9]+ inherited .* from 2 older images" inspect.txt &&
	grep -q "$(img 1)  generation 1" inspect.txt || die "tcp-inspect does not show the chain: $(cat inspect.txt)"

# ---- 2. a missing, a replaced, a damaged older image: refused -------------
cp -a a b
rm "b/$(img 1)"
"$RESTORE" b >out.txt 2>err.txt && die "restored without its older image"
grep -q "$(img 1).*cannot be opened" err.txt || die "the refusal does not name the missing image: $(cat err.txt)"

rm -rf b && cp -a a b
cp "b/$(img 2)" "b/$(img 1)"
"$RESTORE" b >out.txt 2>err.txt && die "restored with a replaced older image"
grep -q "$(img 1).*not the one it was written against" err.txt || die "replaced image not named: $(cat err.txt)"

# One byte of page data in the first image, far from the pages rewritten
# since (the program rewrites its heap from the start): caught by the
# page hashes, by --check and by the restore itself.
rm -rf b && cp -a a b
off=$(( $(size "b/$(img 1)") - (8 << 20) ))
printf '\x5a' | dd of="b/$(img 1)" bs=1 seek=$off conv=notrunc status=none
"$RESTORE" --check b >out.txt 2>err.txt && die "--check accepted a damaged older image"
grep -q "does not match its hash" err.txt || die "--check: no hash mismatch reported: $(cat err.txt)"
"$RESTORE" b >out.txt 2>err.txt && die "restored from a damaged older image"
grep -q "does not match its hash" err.txt || die "restore: no hash mismatch reported: $(cat err.txt)"

# ---- 3. TCP_KEEP=1 keeps the chain; the bound (3) makes a full image -------
run k 3 TCP_INCREMENTAL=3 TCP_KEEP=1
images=$(cd k && ls ./*.tcp | tr '\n' ' ')
[ "$images" = "./$(img 1) ./$(img 2) ./$(img 3) " ] || die "TCP_KEEP=1 kept: $images (the chain needs all three)"
mkdir -p r && (cd r && "$RESTORE" ../k >out.txt 2>err.txt) || die "restore of a TCP_KEEP=1 chain failed: $(cat r/err.txt)"
"$PROG" 90 >ref.txt
cmp -s k/out.txt ref.txt || die "the run restored from a TCP_KEEP=1 chain printed other results than an uninterrupted one"
run k2 4 TCP_INCREMENTAL=3 TCP_KEEP=1
grep -q "a full image: the chain of incremental images reached its bound" k2/err.txt ||
	die "no full image at the chain bound: $(cat k2/err.txt)"
images=$(cd k2 && ls ./*.tcp | tr '\n' ' ')
[ "$images" = "./$(img 4) " ] || die "after a full image, TCP_KEEP=1 kept: $images"

echo "PASS"
rm -rf "$WORK"
