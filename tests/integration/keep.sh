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
for gen in 1 2 3; do
	kill -USR1 "$pid"
	want=$(printf 'obstacle.%06d.tcp' "$gen")
	for _ in $(seq 1 500); do [ "$(readlink latest 2>/dev/null)" = "$want" ] && break; sleep 0.02; done
	[ "$(readlink latest)" = "$want" ] || die "latest is '$(readlink latest)', expected $want: $(cat err.txt)"
done
kill -9 "$pid"
images=$(ls obstacle.*.tcp | tr '\n' ' ')
[ "$images" = "obstacle.000002.tcp obstacle.000003.tcp " ] || die "images kept: $images"
[ -z "$(ls -A | grep '\.tmp$')" ] || die "temporary files left: $(ls -A)"
echo "PASS: kept $images; latest -> $(readlink latest)"
rm -rf "$WORK"
