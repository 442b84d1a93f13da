#!/bin/bash
# Multi-threaded stress: TRIGGERS checkpoint signals (SIGUSR1) at random
# moments into a program whose threads hammer mutexes, condvars, barriers,
# rwlocks and semaphores (tests/progs/thr_sync), keeping every image
# (TCP_KEEP), then kill -9 of the program (and of an image writer still
# running).  Every image under a final name must pass `tcp-restore --check`;
# then RESTORES images picked at random are restored one after the other,
# each run to its end: each must exit 0 with stdout identical to an
# uninterrupted run.
# usage: thread_stress.sh LIBTCP TCP_RESTORE PROG [TRIGGERS [RESTORES [PROG_ARGS...]]]
# TCP_STRESS_SEED=N replays the random choices of an earlier run.
# Exit status: 0 pass, 1 fail.
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
TRIGGERS=${4:-100} RESTORES=${5:-5}
shift 3
shift $(($# < 2 ? $# : 2))
ARGS=("$@")
SEED=${TCP_STRESS_SEED:-$$}
RANDOM=$SEED
MIN_IMAGES=5

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-thrstress.XXXXXX") || exit 1
PID=''
cleanup() {
	[[ -n $PID ]] && kill -9 $(cat /proc/"$PID"/task/*/children 2>/dev/null) "$PID" 2>/dev/null
}
trap cleanup EXIT
cd "$WORK" || exit 1
log() { printf 'thread_stress [%5ds] %s\n' "$SECONDS" "$*"; }
die() {
	echo "thread_stress: FAIL: $*"
	for f in err.txt restore_err.*.txt; do
		[[ -s $f ]] && { echo "---- $f (last 15 lines) ----"; tail -n 15 "$f"; }
	done
	echo "thread_stress: seed $SEED (TCP_STRESS_SEED=$SEED replays it); work dir kept: $WORK"
	exit 1
}
# Runs "$@" with only fds 0-2 open: an inherited pipe (CI harness, shell
# wrapper) would make every checkpoint refuse.
clean_exec() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		((fd > 2)) && eval "exec $fd>&-"
	done
	exec "$@"
}
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t / 1000)); }
[[ -f $LIBTCP && -x $RESTORE && -x $PROG ]] || die "usage: thread_stress.sh LIBTCP TCP_RESTORE PROG [TRIGGERS [RESTORES [ARGS...]]]"
log "seed $SEED; program: $PROG ${ARGS[*]}; $TRIGGERS triggers, $RESTORES restores"

# ---- reference run ----------------------------------------------------------
t0=$(now_ms)
(clean_exec timeout 300 "$PROG" "${ARGS[@]}") </dev/null >ref.txt 2>ref_err.txt ||
	die "the reference run failed (status $?): $(tail -3 ref_err.txt)"
ref_ms=$(($(now_ms) - t0))
log "reference run: $ref_ms ms, $(wc -l <ref.txt) lines"

# Spread the triggers over ~60% of the reference run time (the program runs
# slower while it is being checkpointed), at most 30 ms apart on average.
mean_ms=$((ref_ms * 6 / 10 / TRIGGERS))
((mean_ms > 30)) && mean_ms=30
((mean_ms < 2)) && mean_ms=2

# ---- checkpointed run: random triggers, then kill -9 -------------------------
mkdir img
(clean_exec env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" TCP_KEEP=$((TRIGGERS + 10)) \
	"$PROG" "${ARGS[@]}") </dev/null >out.txt 2>err.txt &
PID=$!
# The trigger loop forks nothing (kill and read are builtins; read -t on a
# pipe nobody writes to sleeps): busy threads would delay every fork.
exec {tick}<> <(:)
sleep 0.2
for ((i = 1; i <= TRIGGERS; i++)); do
	kill -0 "$PID" 2>/dev/null ||
		die "the program ended after $((i - 1)) of $TRIGGERS triggers: make it run longer (arguments)"
	kill -USR1 "$PID"
	ms=$((RANDOM % (2 * mean_ms + 1)))
	printf -v frac '%03d' $((ms % 1000))
	read -r -t "$((ms / 1000)).$frac" -u "$tick" _
done
exec {tick}>&-
sleep 0.3   # the last image, usually
kill -0 "$PID" 2>/dev/null ||
	die "the program ended before it was killed: make it run longer (arguments)"
kill -9 $(cat /proc/"$PID"/task/*/children 2>/dev/null) "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
PID=''
written=$(grep -c 'checkpoint [0-9]* written' err.txt)
failed=$(grep -c 'checkpoint failed\|checkpoint skipped' err.txt)
log "killed after $TRIGGERS triggers (every ~$mean_ms ms): $written checkpoints written, $failed refused/skipped"
# The output files as the kill left them: each restore starts from these (a
# restore refuses an output file shorter than at its checkpoint, and a
# finished run from an early image leaves a shorter stderr).
cp out.txt out.killed && cp err.txt err.killed || die "cannot copy the output files"

# ---- every image under a final name is complete --------------------------------
images=()
for f in img/*.tcp; do
	[[ -f $f ]] || continue
	"$RESTORE" --check "$f" >/dev/null 2>check.err ||
		die "$f has a final name but does not pass --check: $(cat check.err)"
	images+=("$f")
done
((${#images[@]} >= MIN_IMAGES)) ||
	die "only ${#images[@]} images for $TRIGGERS triggers (at least $MIN_IMAGES expected): $(grep -m3 'checkpoint failed\|checkpoint skipped' err.txt)"
log "${#images[@]} images, all pass tcp-restore --check"

# ---- restore random images, one after the other, each to its end --------------
for ((r = 1; r <= RESTORES; r++)); do
	# Distinct images while there are enough of them.
	for _ in 1 2 3 4 5 6 7 8; do
		img=${images[RANDOM % ${#images[@]}]}
		[[ " ${used-} " != *" $img "* ]] && break
	done
	used="${used-} $img"
	log "restore $r/$RESTORES from $img"
	cp out.killed out.txt && cp err.killed err.txt || die "cannot put the output files back"
	(clean_exec timeout -k 5 120 "$RESTORE" "$img") </dev/null >/dev/null 2>"restore_err.$r.txt"
	status=$?
	((status == 124)) && die "restore $r from $img: still running after 120 s (hang?)"
	((status == 0)) || die "restore $r from $img: exit status $status"
	if ! cmp -s ref.txt out.txt; then
		echo "---- diff ref.txt out.txt (first 20 lines) ----"
		diff ref.txt out.txt | head -n 20
		die "restore $r from $img: output differs from the uninterrupted run"
	fi
done
log "PASS: $RESTORES restores from random images of ${#images[@]}, output identical each time"
rm -rf "$WORK"
exit 0
