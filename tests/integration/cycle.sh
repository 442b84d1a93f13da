#!/bin/bash
# cycle.sh: checkpoint/kill/restore integration driver for tcp.
#
# Runs a program once uninterrupted (the reference), once under libtcp.so
# where it is checkpointed and then killed with SIGKILL, restores it with
# tcp-restore (optionally checkpointing and killing the restored process
# again: --chain), then compares stdout, extra output files and the exit
# status with the reference.  Exit status: 0 pass, 1 fail, 77 skip.
set -u

usage() {
    cat >&2 <<'EOF'
usage: cycle.sh --libtcp ABS_PATH --restore ABS_PATH [options] -- prog [args...]
  --trigger-after SEC   delay before each SIGUSR1 trigger (default 1.0)
  --self-trigger        the program raises SIGUSR1 itself; wait for its image
  --checkpoints N       number of checkpoints of the first run (default 1)
  --restore-from WHICH  latest|oldest image (default latest)
  --chain N             checkpoint+kill+restore the restored process N times
  --chain-checkpoints N checkpoints of each restored process (default 1)
  --files "a b"         output files (relative to the work dir) to compare
  --input FILE          copy FILE into the work dirs before running
  --as-nobody           run program, signals and tcp-restore as uid 65534
  --kill-delay SEC      run on after the image is complete (default 0.3)
  --timeout SEC         overall time limit (default 120)
  --env NAME=VALUE      also set in the checkpointed run (repeatable)
  --restore-arg ARG     also pass ARG to every tcp-restore (repeatable)
  --stop                the last checkpoint of the first run is the stop signal
                        (SIGTERM): the program exits 85 by itself, and every
                        process of its tree ends with it
  --stop-tree           as --stop, but SIGTERM goes to every process of the tree
                        at once, the others a moment before the root (SLURM's
                        time limit, scancel, kill to a process group), then
                        once more to the others (it waits while they stop)
  --openmpi             an Open MPI job: its session directories go under the
                        work dir (TMPDIR), and the shared memory segments of
                        its jobs (/dev/shm/vader_segment.*, which a job killed
                        with -9 leaves) are removed at the end
EOF
    exit 1
}

EXTRA_ENV=() RESTORE_ARGS=()
LIBTCP='' RESTORE='' TRIGGER=1.0 SELF=0 NCK=1 FROM=latest CHAIN=0 CHAIN_NCK=1 FILES=''
INPUT='' NOBODY=0 KILL_DELAY=0.3 TIMEOUT=120 STOP=0 STOP_TREE=0 OPENMPI=0
while (($#)); do
    case $1 in
    --libtcp) LIBTCP=${2-}; shift 2 || usage ;;
    --restore) RESTORE=${2-}; shift 2 || usage ;;
    --trigger-after) TRIGGER=${2-}; shift 2 || usage ;;
    --self-trigger) SELF=1; shift ;;
    --checkpoints) NCK=${2-}; shift 2 || usage ;;
    --restore-from) FROM=${2-}; shift 2 || usage ;;
    --chain) CHAIN=${2-}; shift 2 || usage ;;
    --chain-checkpoints) CHAIN_NCK=${2-}; shift 2 || usage ;;
    --files) FILES=${2-}; shift 2 || usage ;;
    --input) INPUT=${2-}; shift 2 || usage ;;
    --as-nobody) NOBODY=1; shift ;;
    --kill-delay) KILL_DELAY=${2-}; shift 2 || usage ;;
    --timeout) TIMEOUT=${2-}; shift 2 || usage ;;
    --env) EXTRA_ENV+=("${2-}"); shift 2 || usage ;;
    --restore-arg) RESTORE_ARGS+=("${2-}"); shift 2 || usage ;;
    --stop) STOP=1; shift ;;
    --stop-tree) STOP=1; STOP_TREE=1; shift ;;
    --openmpi) OPENMPI=1; shift ;;
    --) shift; break ;;
    *) echo "cycle.sh: unknown option '$1'" >&2; usage ;;
    esac
done
(($#)) || usage
num='^[0-9]+([.][0-9]+)?$'
[[ $TRIGGER =~ $num && $KILL_DELAY =~ $num && $TIMEOUT =~ $num ]] || usage
[[ $NCK =~ ^[1-9][0-9]*$ && $CHAIN_NCK =~ ^[1-9][0-9]*$ && $CHAIN =~ ^[0-9]+$ ]] || usage
[[ $FROM == latest || $FROM == oldest ]] || usage

# ---- state, logging, cleanup ------------------------------------------------

WORK='' CHILD='' RESULT=1 NOW=0
tick() { local t=${EPOCHREALTIME/[.,]/}; NOW=$((10#$t / 1000)); }
tick; T0=$NOW
DEADLINE=$((T0 + $(awk -v s="$TIMEOUT" 'BEGIN { printf "%d", s * 1000 }')))

log() { tick; printf 'cycle [%6d ms] %s\n' $((NOW - T0)) "$*"; }

show_stderr() {
    local f
    [[ -n $WORK ]] || return
    for f in "$WORK"/ref/err.txt "$WORK"/ck/err.txt "$WORK"/ck/restore_err.*.txt; do
        [[ -s $f ]] || continue
        echo "---- ${f#"$WORK"/} (last 30 lines) ----"
        tail -n 30 "$f"
    done
    [[ -d $WORK/ck/img ]] && { echo "---- ck/img ----"; ls -l "$WORK/ck/img"; }
}

fail() {
    echo "cycle: FAIL: $*"
    show_stderr
    RESULT=1
    exit 1
}

skip() {
    echo "cycle: SKIP: $*"
    RESULT=77
    exit 77
}

# ompi_leftovers: the /dev/shm segments of the Open MPI jobs of this test
# (--openmpi), and only those: other tests' jobs run beside it. Open MPI
# names a rank's segment vader_segment.NODE.UID.JOBID.RANK (JOBID in hex,
# the job family in its upper 16 bits); each mpirun of this test left its
# session directory TMPDIR/ompi.NODE.UID/pid.PID/ under the work dir, whose
# contact.txt starts with mpirun's own jobid (decimal: family << 16).
# shellcheck disable=SC2317  # invoked through the EXIT trap
ompi_leftovers() {
    local contact id uid family f
    for contact in "$WORK"/tmp/ompi.*/pid.*/contact.txt; do
        [[ -f $contact ]] || continue
        IFS='.;' read -r id _ < "$contact"
        [[ $id =~ ^[0-9]+$ ]] || continue
        uid=${contact#"$WORK"/tmp/ompi.}
        uid=${uid%%/*}
        uid=${uid##*.}
        family=$(printf '%x' $((id >> 16)))
        for f in /dev/shm/vader_segment.*."$uid"."$family"[0-9a-f][0-9a-f][0-9a-f][0-9a-f].*; do
            [[ -f $f ]] && rm -f "$f"
        done
    done
}

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
    # Only the one child we started can be left over (runs are sequential).
    if [[ -n $CHILD ]] && alive "$CHILD"; then
        kill -9 "$CHILD" 2>/dev/null
    fi
    ((OPENMPI)) && [[ -n $WORK ]] && ompi_leftovers
    if [[ -n $WORK ]]; then
        if ((RESULT == 0 || RESULT == 77)); then
            rm -rf "$WORK"
        else
            echo "cycle: work dir kept: $WORK"
        fi
    fi
}
trap cleanup EXIT
trap 'fail "interrupted by a signal"' INT TERM HUP

# alive PID: true while the process exists and is not a zombie.
alive() {
    local stat
    { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

check_deadline() {
    tick
    ((NOW < DEADLINE)) || fail "timeout (${TIMEOUT}s) while $1"
}

# descendants PID: the pids of every descendant of PID (for tcp-restore: the
# namespace's init and the program), from /proc/*/stat.
descendants() {
    local f stat pid ppid all=() found=("$1") n=0
    for f in /proc/[0-9]*/stat; do
        { read -r stat < "$f"; } 2>/dev/null || continue
        pid=${f#/proc/}; pid=${pid%/stat}
        stat=${stat##*) }
        read -r _ ppid _ <<<"$stat"
        all+=("$pid:$ppid")
    done
    while ((n < ${#found[@]})); do
        for f in "${all[@]}"; do
            [[ ${f#*:} == "${found[n]}" ]] && found+=("${f%:*}")
        done
        n=$((n + 1))
    done
    echo "${found[@]:1}"
}

# wait_gone PID... : kill -9 of tcp-restore ends the processes of its PID
# namespace a moment later; the next restore must not meet them (their
# files, ports and locks).
wait_gone() {
    local p
    for p in "$@"; do
        while alive "$p"; do
            check_deadline "waiting for process $p of the killed restore to end"
            sleep 0.02
        done
    done
}

# wait_exit PID WHAT: wait (with the deadline) for a child; sets STATUS.
wait_exit() {
    while alive "$1"; do
        check_deadline "waiting for $2 to exit"
        sleep 0.02
    done
    wait "$1"
    STATUS=$?
    CHILD=
}

# The file the latest link points to, as a path (empty if no link yet).
latest_image() {
    local t
    t=$(readlink "$IMG/latest" 2>/dev/null) || return 0
    [[ $t == /* ]] && echo "$t" || echo "$IMG/$t"
}

# oldest_image: the image file with the smallest generation number.
oldest_image() {
    local f gen best='' bestgen=''
    for f in "$IMG"/*.tcp; do
        [[ -f $f ]] || continue
        gen=${f%.tcp}
        gen=${gen##*.}
        [[ $gen =~ ^[0-9]+$ ]] || continue
        if [[ -z $best ]] || ((10#$gen < 10#$bestgen)); then
            best=$f bestgen=$gen
        fi
    done
    echo "$best"
}

# How many checkpoints libtcp refused because the program had a child
# process at that moment (a documented limit, not what these tests check),
# not counting those it said it asks for again itself (TCP_RETRY). libtcp
# writes that note right after the refusal, in a write of its own: a refusal
# on the last line counts only once the file has been quiet for 0.5 s.
child_refusals() {
    local age mtime
    mtime=$(stat -c %.3Y "$CK/err.txt" 2>/dev/null | tr -d .)
    age=$(($(date +%s%3N) - ${mtime:-0}))
    awk -v quiet=$((age > 500)) '
        /checkpoint failed: the process has a live child/ { n++; last = 1; next }
        /will be tried again every second|a retry is already pending/ { r++ }
        { last = 0 }
        END { print (n - r) - (last && !quiet ? 1 : 0) }' "$CK/err.txt" 2>/dev/null || echo 0
}

# wait_image PREV PID [REFUSALS]: wait until latest points to a complete
# image other than PREV; sets NEWIMG. Fails if PID exits first. REFUSALS is
# child_refusals from before the trigger (the refusal may be written before
# this starts to look).
wait_image() {
    local prev=$1 pid=$2 cur seen=${3:-$(child_refusals)}
    while :; do
        cur=$(latest_image)
        if [[ -n $cur && $cur != "$prev" && -f $cur ]]; then
            NEWIMG=$cur
            return 0
        fi
        # The trigger landed while a short-lived child of the program ran
        # (fd_locks probes its locks from one each round): ask again.
        if (($(child_refusals) > seen)); then
            seen=$(child_refusals)
            log "checkpoint refused while the program had a child process: SIGUSR1 again"
            "${AS[@]}" kill -USR1 "$pid" 2>/dev/null || true
        fi
        if ! alive "$pid"; then
            # The image may have been completed right before the exit.
            cur=$(latest_image)
            if [[ -n $cur && $cur != "$prev" && -f $cur ]]; then
                NEWIMG=$cur
                return 0
            fi
            wait_exit "$pid" "process $pid"
            fail "process $pid exited (status $STATUS) before its" \
                "checkpoint completed (no new image in ${IMG#"$WORK"/})"
        fi
        check_deadline "waiting for a checkpoint image"
        sleep 0.02
    done
}

# checkpoint_and_kill PID N SELF WHAT: take N checkpoints of PID (the first
# one raised by the program itself if SELF=1), let it run --kill-delay more
# seconds, then SIGKILL it. With --stop (the first run only), the last
# checkpoint is the stop signal's, and PID exits 85 by itself instead.
checkpoint_and_kill() {
    local pid=$1 n=$2 self=$3 what=$4 i prev refused stop=0 tree=''
    [[ $STOP == 1 && $what == "the checkpointed run" ]] && stop=1
    prev=$(latest_image)
    for ((i = 1; i <= n; i++)); do
        refused=$(child_refusals)
        if ((i == 1 && self)); then
            log "$what: waiting for the self-triggered checkpoint"
        else
            sleep "$TRIGGER"
            if ! alive "$pid"; then
                wait_exit "$pid" "$what"
                fail "$what exited (status $STATUS) before checkpoint $i" \
                    "was triggered"
            fi
            if ((stop && i == n)); then
                tree=$(descendants "$pid")
                if ((STOP_TREE)); then
                    # One that ended since (a short-lived child) is no error.
                    log "$what: SIGTERM to every process of its tree: $tree, then $pid"
                    # shellcheck disable=SC2086  # a list of pids
                    "${AS[@]}" kill -TERM $tree 2>/dev/null
                else
                    log "$what: SIGTERM, the stop signal (checkpoint $i of $n)"
                fi
                "${AS[@]}" kill -TERM "$pid" || fail "could not signal $what"
                # shellcheck disable=SC2086  # a list of pids
                ((STOP_TREE)) && "${AS[@]}" kill -TERM $tree 2>/dev/null
            else
                log "$what: SIGUSR1 (checkpoint $i of $n)"
                "${AS[@]}" kill -USR1 "$pid" || fail "could not signal $what"
            fi
        fi
        wait_image "$prev" "$pid" "$refused"
        prev=$NEWIMG
        log "$what: image complete: ${NEWIMG#"$WORK"/}"
    done
    if ((stop)); then
        wait_exit "$pid" "$what"
        ((STATUS == 85)) || fail "$what exited with status $STATUS after the stop signal, expected 85"
        # shellcheck disable=SC2086  # a list of pids
        wait_gone $tree
        # shellcheck disable=SC2086  # a list of pids
        log "$what: stopped (status 85); the $(wc -w <<<"$tree") other processes of its tree ended too"
        return
    fi
    sleep "$KILL_DELAY"
    if alive "$pid"; then
        local inside
        inside=$(descendants "$pid")
        "${AS[@]}" kill -9 "$pid" 2>/dev/null || kill -9 "$pid"
        # The program's child processes die with it, as in a job that is
        # killed (a restored one's die with tcp-restore's PID namespace).
        if [[ $what == "the checkpointed run" && -n $inside ]]; then
            # shellcheck disable=SC2086  # a list of pids
            kill -9 $inside 2>/dev/null
        fi
        wait_exit "$pid" "$what"
        # shellcheck disable=SC2086  # a list of pids
        wait_gone $inside
        log "$what: killed (status $STATUS)"
    else
        wait_exit "$pid" "$what"
        log "WARNING: $what exited on its own (status $STATUS) before the" \
            "kill; its image was complete, continuing"
    fi
}

NRESTORE=0
# start_restore SRC: start tcp-restore on SRC in the ck dir; sets CHILD.
start_restore() {
    NRESTORE=$((NRESTORE + 1))
    log "restore #$NRESTORE from ${1#"$WORK"/}"
    (cd "$CK" && exec "${AS[@]}" "$RESTORE" ${RESTORE_ARGS[@]+"${RESTORE_ARGS[@]}"} "$1") < /dev/null \
        > "$CK/restore_out.$NRESTORE.txt" 2> "$CK/restore_err.$NRESTORE.txt" &
    CHILD=$!
}

# ---- setup ------------------------------------------------------------------

[[ -f $LIBTCP ]] || fail "libtcp not found: '$LIBTCP'"
[[ -x $RESTORE ]] || fail "tcp-restore not found: '$RESTORE'"
[[ $LIBTCP == /* && $RESTORE == /* ]] || fail "--libtcp and --restore must be absolute"
[[ -z $INPUT || -f $INPUT ]] || fail "input file not found: '$INPUT'"

# The program is run from other directories: make its path absolute.
prog=$1
shift
if [[ $prog != */* ]]; then
    prog=$(command -v "$prog") || fail "program not found: '$prog'"
elif [[ $prog != /* ]]; then
    prog=$PWD/$prog
fi
[[ -x $prog ]] || fail "program not executable: '$prog'"
set -- "$prog" "$@"

AS=()
if ((NOBODY)); then
    command -v setpriv > /dev/null || skip "setpriv not available"
    AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-cycle.XXXXXX") || fail "mktemp failed"
REF=$WORK/ref CK=$WORK/ck IMG=$WORK/ck/img
mkdir -p "$REF" "$IMG" || fail "cannot create work dirs"
if ((OPENMPI)); then
    # The runs' session directories, where ompi_leftovers finds their jobs.
    mkdir "$WORK/tmp" || fail "cannot create work dirs"
    export TMPDIR=$WORK/tmp
fi
# Pre-created so that they belong to the run user in --as-nobody mode.
touch "$REF/out.txt" "$REF/err.txt" "$CK/out.txt" "$CK/err.txt"
if [[ -n $INPUT ]]; then
    cp "$INPUT" "$REF/" || fail "cannot copy input"
    cp "$INPUT" "$CK/" || fail "cannot copy input"
fi
if ((NOBODY)); then
    chown -R 65534:65534 "$WORK" || fail "chown of the work dir failed"
    "${AS[@]}" test -w "$CK" -a -x "$prog" -a -r "$LIBTCP" -a -x "$RESTORE" ||
        skip "work dir, program, libtcp or tcp-restore not accessible to uid 65534"
fi
log "work dir $WORK; program: $*"

# ---- 1. reference run ------------------------------------------------------

(cd "$REF" && exec "${AS[@]}" env -u LD_PRELOAD -u TCP_DIR "$@") \
    < /dev/null > "$REF/out.txt" 2> "$REF/err.txt" &
CHILD=$!
wait_exit "$CHILD" "the reference run"
REF_STATUS=$STATUS
log "reference run exited with status $REF_STATUS"
((REF_STATUS == 77)) && skip "the program asked to be skipped (status 77)"
((REF_STATUS >= 126)) && fail "the reference run itself failed (status $REF_STATUS)"

# ---- 2. checkpointed run ---------------------------------------------------

(cd "$CK" && exec "${AS[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$IMG" ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"} "$@") \
    < /dev/null > "$CK/out.txt" 2> "$CK/err.txt" &
CHILD=$!
log "checkpointed run started"
checkpoint_and_kill "$CHILD" "$NCK" "$SELF" "the checkpointed run"

# ---- 3. restore (and chain) -------------------------------------------------

if [[ $FROM == oldest ]]; then
    src=$(oldest_image)
    [[ -n $src ]] || fail "no image file found in ${IMG#"$WORK"/}"
    if ((NCK > 1)) && [[ $src == "$(latest_image)" ]]; then
        fail "only one image left after $NCK checkpoints (TCP_KEEP?)"
    fi
else
    src=$IMG   # tcp-restore resolves DIR/latest itself
fi
for ((c = 1; c <= CHAIN; c++)); do
    start_restore "$src"
    checkpoint_and_kill "$CHILD" "$CHAIN_NCK" 0 "restored process #$NRESTORE"
    src=$IMG
done
start_restore "$src"
wait_exit "$CHILD" "the restored process"
log "restored process exited with status $STATUS"
((STATUS == REF_STATUS)) ||
    fail "exit status $STATUS after restore, $REF_STATUS in the reference run"

# ---- 4. compare outputs -----------------------------------------------------

for f in out.txt $FILES; do
    [[ -f $REF/$f ]] || fail "reference run produced no $f"
    [[ -f $CK/$f ]] || fail "restored run produced no $f"
    if ! cmp "$REF/$f" "$CK/$f"; then
        echo "---- diff ref/$f ck/$f (first 40 lines) ----"
        diff "$REF/$f" "$CK/$f" | head -n 40
        fail "$f differs from the reference run"
    fi
done
log "PASS: out.txt ${FILES:+and $FILES }identical, status $STATUS"
RESULT=0
exit 0
