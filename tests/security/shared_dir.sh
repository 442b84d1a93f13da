#!/bin/bash
# Issue 19, item 6: two runs in one image directory, and one image restored
# twice at once (user A alone: the careless case).
#  - a second tcp-run on a directory a running program uses (a job array
#    whose script uses one directory) is refused and says what to do;
#  - a second program started with LD_PRELOAD into that directory: its
#    checkpoints fail and say why; the first one's `latest` stays its own;
#  - TCP_KEEP deletes only images of its own run (an earlier run's stay);
#  - the same image restored a second time while the first copy runs is
#    refused before anything changes (the output files stay as they are).
# usage: shared_dir.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR ...
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
source "$(dirname "${BASH_SOURCE[0]}")/shared_places_lib.sh"
mkdir_of $UID_A job
D=$WORK/job
written() { [ "$(grep -c "checkpoint [0-9]* written" "$1")" -ge "$2" ]; }

# An earlier run left two images (killed after its checkpoints).
"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$D" TCP_KEEP=2 "$WORK/obstacle" heap 1 4000 >"$WORK/old.out" 2>"$WORK/old.err" &
pid=$!
wait_for "the earlier run starts" grep -q step "$WORK/old.out"
for n in 1 2; do
	kill -USR1 "$pid"
	wait_for "the earlier run's checkpoint $n" written "$WORK/old.err" $n
done
kill -9 "$pid"
wait "$pid" 2>/dev/null

# Job 1 of an array: tcp-run in D.
a_files "$WORK/job1.out" "$WORK/job1.err"
"${A[@]}" "$SCRIPTS/tcp-run" --dir "$D" --fresh --keep 2 -- "$WORK/obstacle" heap 1 4000 >"$WORK/job1.out" 2>"$WORK/job1.err" &
job1=$!
wait_for "job 1 starts" grep -q step "$WORK/job1.out"
# Job 2, same script, same directory.
expect "a second tcp-run in the directory" 1 "$D is in use by a running program \(pid $job1 on .*\).*--dir ckpt-\\\$SLURM_ARRAY_TASK_ID" \
	"${A[@]}" "$SCRIPTS/tcp-run" --dir "$D" -- "$WORK/obstacle" heap 1 4000

# Job 1 checkpoints three times: TCP_KEEP=2 keeps its two newest, and the
# earlier run's images stay.
for n in 1 2 3; do
	kill -USR1 "$job1"
	wait_for "job 1's checkpoint $n" written "$WORK/job1.err" $n
done
got=$(cd "$D" && ls obstacle.*.tcp | tr '\n' ' ')
[ "$got" = "obstacle.000001.tcp obstacle.000002.tcp obstacle.000004.tcp obstacle.000005.tcp " ] &&
	[ "$(latest_of "$D")" = obstacle.000005.tcp ] && echo "ok: TCP_KEEP kept the earlier run's images: $got" ||
	fail "TCP_KEEP with an earlier run's images: $got, latest -> $(latest_of "$D"); $(cat "$WORK/job1.err")"

# A second program in D anyway (LD_PRELOAD, no tcp-run).
"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$D" "$WORK/obstacle" heap 1 4000 >"$WORK/job2.out" 2>"$WORK/job2.err" &
job2=$!
wait_for "job 2 starts" grep -q step "$WORK/job2.out"
expect "a checkpoint of a second program in the directory" 1 "in use by another running program \(pid $job1 .*give each its own TCP_DIR" \
	"${A[@]}" "$SCRIPTS/tcp-ckpt" --timeout 60 "$job2"
[ "$(latest_of "$D")" = obstacle.000005.tcp ] && echo "ok: latest is still job 1's" ||
	fail "job 2 moved latest to $(latest_of "$D")"
kill -9 "$job2"
wait "$job2" 2>/dev/null

# Job 1 stops with a checkpoint; restored once, then a second time.
"${A[@]}" "$SCRIPTS/tcp-ckpt" --stop --timeout 60 "$job1" >/dev/null || fail "tcp-ckpt --stop of job 1 failed"
wait "$job1"
"${A[@]}" "$WORK/tcp-restore" "$D" >/dev/null 2>"$WORK/r1.err" &
r1=$!
restored() { grep -q "restored; the program continues" "$WORK/job1.err"; }
wait_for "the first restore runs" restored
prog=$(pid_of_prog "$r1")
kill -STOP "$prog" # so that its output stands still while the second restore tries
sum=$(md5sum "$WORK/job1.out" "$WORK/job1.err")
expect "the same image restored twice" 1 "its run is running already \(pid $r1 on .*nothing was changed" \
	"${A[@]}" "$WORK/tcp-restore" "$D"
[ "$(md5sum "$WORK/job1.out" "$WORK/job1.err")" = "$sum" ] && echo "ok: the refused restore changed no output file" ||
	fail "the refused second restore changed the output files"
expect "tcp-run while the restored copy runs" 1 "is in use by a running program \(pid $r1 " \
	"${A[@]}" "$SCRIPTS/tcp-run" --dir "$D" -- "$WORK/obstacle" heap 1 4000
kill -CONT "$prog"
kill -9 "$r1"
wait "$r1" 2>/dev/null
finish
