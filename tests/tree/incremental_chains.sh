#!/bin/bash
# TCP_INCREMENTAL on a process tree (issue 20 item 5): every process's
# image continues that process's own image of the previous generation
# (NAME.GEN.pPID.tcp takes its unchanged pages from NAME.GEN-1.pPID.tcp),
# and the generation restores. The output comparison across checkpoints,
# kills and TCP_KEEP is cycle.sh's (tree-incremental-* in meson.build);
# this checks that the images are really incremental, and what
# tcp-inspect --list says of them.
# usage: incremental_chains.sh LIBTCP TCP_RESTORE TCP_INSPECT TREE_SHARE
set -u
LIBTCP=$1 RESTORE=$2 INSPECT=$3 PROG=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-tree-incr.XXXXXX")
failed=0
fail() { echo "FAIL: $*"; failed=1; }
for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && [ "$n" != 255 ] && eval "exec $n>&-"; done 2>/dev/null

mkdir "$WORK/ck"
(cd "$WORK" && exec env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/ck" TCP_INCREMENTAL=1 TCP_LOG=1 "$PROG" 100000 \
	>out.txt 2>err.txt) &
pid=$!
image_of() { [ "$(readlink "$WORK/ck/latest" 2>/dev/null)" = "tree_share.00000$1.tcp" ]; }
for g in 1 2; do
	sleep 0.3
	kill -USR1 "$pid"
	for _ in $(seq 200); do image_of "$g" && break; sleep 0.05; done
	image_of "$g" || fail "no image $g: $(cat "$WORK/err.txt")"
done
pkill -9 -P "$pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null
cat "$WORK/err.txt"

members=("$WORK"/ck/tree_share.000002.p*.tcp)
[ -f "${members[0]}" ] || fail "generation 2 has no image of the child process"
for m in "${members[@]}"; do
	parent=$(basename "$m" | sed 's/\.000002\./.000001./')
	json=$("$INSPECT" --json "$m") || fail "tcp-inspect $m"
	python3 - "$parent" 3<<<"$json" <<'PY' || fail "$(basename "$m") does not take its pages from $parent"
import json, sys
d = json.load(open(3))
names = [p.get("name") for p in d["parents"]]
inherited = d["totals"].get("inherited_bytes", 0)
print(f"{sys.argv[1]}: parents {names}, {inherited} bytes inherited")
sys.exit(0 if names == [sys.argv[1]] and inherited > 0 else 1)
PY
done
"$RESTORE" --check "$WORK/ck" || fail "tcp-restore --check of the incremental tree"

# tcp-inspect --list: a generation per line, every process's image in it;
# a member image gone makes its generation, and the next one whose chain
# needs it, incomplete.
list=$("$INSPECT" --list "$WORK/ck")
echo "$list"
grep -q ': 2 images, 2 complete;' <<<"$list" || fail "--list does not show 2 complete generations"
[ "$(grep -c 'complete, a tree of 2 processes' <<<"$list")" = 2 ] || fail "--list does not show the trees"
rm -f "$WORK"/ck/tree_share.000001.p*.tcp
list=$("$INSPECT" --list "$WORK/ck")
echo "$list"
grep -q ': 2 images, 0 complete;' <<<"$list" || fail "--list takes a generation without its member image for complete"
grep -q 'tree_share.000001.tcp .*incomplete: the image of one of its processes, tree_share.000001.p[0-9]*.tcp, is missing' \
	<<<"$list" || fail "--list does not name the missing member image"

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
	exit 0
fi
echo "work dir kept: $WORK"
exit 1
