#!/bin/bash
# Crash safety and repeated cycles on one long computation: CYCLES times,
# restore the newest image, let it run, trigger a checkpoint and kill -9 the
# process and its image writer at a random moment (often in the middle of
# writing the image).
# After every kill the newest complete image must pass `tcp-restore
# --check`, and no image file that fails it may exist under a final name.
# At the end the run is finished from the newest image and its output must
# equal an uninterrupted run byte for byte.
# usage: crash_cycles.sh LIBTCP TCP_RESTORE OBSTACLE_PROG [CYCLES] [HEAP_MIB]
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 CYCLES=${4:-100} MIB=${5:-160}
STEPS=$((CYCLES * 3 + 40))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-crash.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }

"$PROG" heap "$MIB" "$STEPS" >ref.txt || die "reference run"

wait_latest_change() { # OLD: waits until img/latest differs from OLD
	for _ in $(seq 1 1500); do
		[ -L img/latest ] && [ "$(readlink img/latest)" != "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

mkdir img
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img TCP_LOG=0 "$PROG" heap "$MIB" "$STEPS" >out.txt 2>err.txt &
pid=$!
sleep 0.5
kill -USR1 "$pid"
wait_latest_change "" || die "the first checkpoint did not complete: $(cat err.txt)"
kill -9 "$pid"
wait "$pid" 2>/dev/null

mid_write=0
for i in $(seq 1 "$CYCLES"); do
	before=$(readlink img/latest)
	"$RESTORE" img >/dev/null 2>>restore.err &
	pid=$!
	sleep 0.$((RANDOM % 3 + 2))
	kill -0 "$pid" 2>/dev/null || die "cycle $i: the restored program is gone before its checkpoint: $(tail -3 restore.err)"
	kill -USR1 "$pid"
	# A random moment within the time a checkpoint of this heap takes.
	ms=$((RANDOM % 1500))
	sleep "$((ms / 1000)).$(printf "%03d" $((ms % 1000)))"
	# The image is written by a forked child of the program (TCP_FORK):
	# kill it too, as a node failure would.
	kill -9 $(cat "/proc/$pid/task/$pid/children" 2>/dev/null) "$pid"
	wait "$pid" 2>/dev/null
	ls -A img | grep -q '\.tmp$' && mid_write=$((mid_write + 1))
	"$RESTORE" --check img >/dev/null 2>check.err ||
		die "cycle $i: the newest image (latest -> $(readlink img/latest), was $before) does not pass --check: $(cat check.err)"
	for f in img/*.tcp; do
		"$RESTORE" --check "$f" >/dev/null 2>check.err ||
			die "cycle $i: $f has a final name but is not a complete image: $(cat check.err)"
	done
done

timeout 300 "$RESTORE" img >/dev/null 2>>restore.err || die "final restore failed: $(tail -3 restore.err)"
cmp -s ref.txt out.txt || die "output differs from the uninterrupted run"
echo "PASS: $CYCLES kill -9 cycles ($mid_write of them during an image write), output identical"
rm -rf "$WORK"
