#!/bin/bash
# TCP_KEEP=2 keeps the two newest generations, `latest` names the newest,
# and a third checkpoint removes the first.
# usage: keep.sh LIBTCP OBSTACLE_PROG
set -u
LIBTCP=$1 PROG=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-keep.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }

LD_PRELOAD=$LIBTCP TCP_KEEP=2 TCP_LOG=0 "$PROG" heap 1 400 >out.txt 2>err.txt &
pid=$!
sleep 0.3
# `latest` moves before the previous writer has exited: a trigger that
# comes meanwhile is skipped (and says so); then it is sent again.
skipped() { grep -c 'checkpoint skipped: the previous one is still being written' err.txt; }
for gen in 1 2 3; do
	before=$(skipped)
	kill -USR1 "$pid"
	want=$(printf 'obstacle.%06d.tcp' "$gen")
	for _ in $(seq 1 500); do
		[ "$(readlink latest 2>/dev/null)" = "$want" ] && break
		if [ "$(skipped)" != "$before" ]; then
			before=$(skipped)
			kill -USR1 "$pid"
		fi
		sleep 0.02
	done
	[ "$(readlink latest)" = "$want" ] || die "latest is '$(readlink latest)', expected $want: $(cat err.txt)"
done
kill -9 "$pid"
images=$(ls obstacle.*.tcp | tr '\n' ' ')
[ "$images" = "obstacle.000002.tcp obstacle.000003.tcp " ] || die "images kept: $images"
[ -z "$(ls -A | grep '\.tmp$')" ] || die "temporary files left: $(ls -A)"
echo "PASS: kept $images; latest -> $(readlink latest)"
rm -rf "$WORK"
