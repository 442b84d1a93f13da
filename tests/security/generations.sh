#!/bin/bash
# Issue 19, item 5: generations past 999999. Names and counting agree for
# every generation, and files that are not the program's own images do not
# steer the numbering or get deleted:
#  - B plants obstacle.999999.tcp in a shared sticky directory: A's images
#    start at 000001, TCP_KEEP=2 keeps A's two newest, B's file stays;
#  - near the boundary (A's own obstacle.999998.tcp, not an image of this
#    run): 999999, 1000000, 1000001, 1000002 follow, TCP_KEEP=2 deletes
#    999999 then 1000000 and nothing else, `latest` follows.
# usage: generations.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR ...
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
source "$(dirname "${BASH_SOURCE[0]}")/shared_places_lib.sh"

# Checkpoints A's program in $1 ($2 times, with TCP_KEEP=2), waiting for
# each image; then lists the directory's images.
checkpoints() {
	local dir=$1 n=$2 i before
	"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$dir" TCP_KEEP=2 TCP_LOG=1 "$WORK/obstacle" heap 1 4000 \
		>"$WORK/gen.out" 2>"$WORK/gen.err" &
	local pid=$!
	wait_for "the program starts" grep -q step "$WORK/gen.out"
	for i in $(seq 1 "$n"); do
		kill -USR1 "$pid"
		count_written() { [ "$(grep -c "checkpoint [0-9]* written" "$WORK/gen.err")" -ge "$i" ]; }
		wait_for "checkpoint $i in $dir" count_written || break
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
}
images_in() { (cd "$1" && ls obstacle.*.tcp 2>/dev/null | tr '\n' ' '); }

mkdir -p "$WORK/shared"
chmod 1777 "$WORK/shared"
echo "B's" >"$WORK/shared/obstacle.999999.tcp"
chown $UID_B:$UID_B "$WORK/shared/obstacle.999999.tcp"
checkpoints "$WORK/shared" 3
got=$(images_in "$WORK/shared")
if [ "$got" = "obstacle.000002.tcp obstacle.000003.tcp obstacle.999999.tcp " ] && [ "$(latest_of "$WORK/shared")" = obstacle.000003.tcp ]; then
	echo "ok: B's obstacle.999999.tcp did not count: $got"
else
	fail "with B's obstacle.999999.tcp: images $got, latest -> $(latest_of "$WORK/shared"): $(cat "$WORK/gen.err")"
fi

mkdir_of $UID_A near
"${A[@]}" touch "$WORK/near/obstacle.999998.tcp"
checkpoints "$WORK/near" 3
got=$(images_in "$WORK/near")
if [ "$got" = "obstacle.1000000.tcp obstacle.1000001.tcp obstacle.999998.tcp " ] && [ "$(latest_of "$WORK/near")" = obstacle.1000001.tcp ]; then
	echo "ok: across the boundary: $got"
else
	fail "across 999999: images $got, latest -> $(latest_of "$WORK/near"): $(cat "$WORK/gen.err")"
fi
# Another run (the first was killed) goes on from there.
checkpoints "$WORK/near" 3
got=$(images_in "$WORK/near")
if [ "$got" = "obstacle.1000000.tcp obstacle.1000001.tcp obstacle.1000003.tcp obstacle.1000004.tcp obstacle.999998.tcp " ] &&
	[ "$(latest_of "$WORK/near")" = obstacle.1000004.tcp ]; then
	echo "ok: a second run numbers on and keeps only its own: $got"
else
	fail "a second run past 999999: images $got, latest -> $(latest_of "$WORK/near"): $(cat "$WORK/gen.err")"
fi
finish
