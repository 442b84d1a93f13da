#!/bin/bash
# The stress test (crash_cycles.sh) on a process tree (issue 20 items 5, 7):
# CYCLES times, restore the newest generation of a tree of 4 processes
# (tree_workers, HEAP_MIB of its own memory each), let it run, trigger a
# checkpoint and kill -9 the whole tree (tcp-restore, its PID namespace:
# every process and every image writer) at a random moment, mostly while
# the generation is being written. After every kill, `latest` must name a
# complete generation: its root image and every member image pass
# `tcp-restore --check`, and it is the one restored next. At the end the
# run is finished from the newest generation, checkpointed once more on the
# way (after which nothing the killed checkpoints left may remain); its
# output and log must equal an uninterrupted run's byte for byte.
# usage: tree_crash_cycles.sh LIBTCP TCP_RESTORE TREE_WORKERS [CYCLES] [HEAP_MIB]
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 CYCLES=${4:-30} MIB=${5:-32}
TASKS=$((CYCLES * 40 + 400))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-tree-crash.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }

"$PROG" 3 "$TASKS" "$MIB" >ref.txt || die "reference run"
mv tree_workers.log ref.log

wait_latest_change() { # OLD: waits until img/latest differs from OLD
	for _ in $(seq 1 3000); do
		[ -L img/latest ] && [ "$(readlink img/latest)" != "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# The first generation, of the run under libtcp; how long it takes to write
# sets the window of the random kills below.
mkdir img
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img TCP_LOG=0 "$PROG" 3 "$TASKS" "$MIB" >out.txt 2>err.txt &
pid=$!
sleep 0.5
t0=$(now_ms)
kill -USR1 "$pid"
wait_latest_change "" || die "the first checkpoint did not complete: $(cat err.txt)"
window=$(($(now_ms) - t0))
((window < 100)) && window=100
tree=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$pid" '$4 == p { print $1 }')
kill -9 "$pid" $tree
wait "$pid" 2>/dev/null
[ "$(ls img/*.p*.tcp | wc -l)" -ge 3 ] || die "the first image is not a tree's: $(ls img)"

mid_write=0 completed=0
tmps() { ls -A img | grep '\.tmp$'; }
for i in $(seq 1 "$CYCLES"); do
	before=$(readlink img/latest)
	tmps >tmp.before
	"$RESTORE" img >/dev/null 2>>restore.err &
	pid=$!
	sleep 0.$((RANDOM % 3 + 2))
	kill -0 "$pid" 2>/dev/null || die "cycle $i: the restored tree ($before) is gone before its checkpoint: $(tail -3 restore.err)"
	kill -USR1 "$pid"
	# A random moment within twice the time the first generation took.
	ms=$((RANDOM % (2 * window)))
	sleep "$((ms / 1000)).$(printf "%03d" $((ms % 1000)))"
	# tcp-restore's death takes its PID namespace with it: every process
	# of the tree and their image writers, as a node failure would.
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	now=$(readlink img/latest)
	if [ "$now" != "$before" ]; then
		completed=$((completed + 1))
	elif tmps | grep -qvxF -f tmp.before; then
		mid_write=$((mid_write + 1))
	fi
	"$RESTORE" --check img >/dev/null 2>check.err ||
		die "cycle $i: the newest generation (latest -> $now, was $before) does not pass --check: $(cat check.err)"
	for f in img/*.tcp; do
		case $f in *.p[0-9]*.tcp) continue ;; esac # members: checked with their root
		"$RESTORE" --check "$f" >/dev/null 2>check.err ||
			die "cycle $i: $f has a final name but is not a complete generation: $(cat check.err)"
	done
done

# The end, from the newest generation, with one more checkpoint on the way:
# once it is complete, nothing the killed ones left may remain (temporary
# files, member images of a generation whose root image was never written).
before=$(readlink img/latest)
"$RESTORE" img >/dev/null 2>>restore.err &
pid=$!
sleep 0.3
kill -USR1 "$pid"
wait_latest_change "$before" || die "the last checkpoint did not complete: $(tail -3 restore.err)"
wait "$pid" || die "final restore failed: $(tail -3 restore.err)"
left=$(tmps)
for f in img/*.p[0-9]*.tcp; do
	[ -e "$f" ] && [ ! -e "${f%.p[0-9]*.tcp}.tcp" ] && left+=" ${f#img/}"
done
[ -z "${left// /}" ] || die "left over after a complete checkpoint: $left"
cmp -s ref.txt out.txt || die "output differs from the uninterrupted run"
cmp -s ref.log tree_workers.log || die "the log differs from the uninterrupted run's"
echo "PASS: $CYCLES kill -9 cycles of a tree ($completed after the generation was complete, $mid_write with parts of it" \
	"written, window ${window} ms), output and log identical"
rm -rf "$WORK"
