#!/bin/bash
# CPU affinity and scheduling at restore (issue 19, item 17), beyond the
# threads-affinity cycles: tcp-inspect shows each thread's CPUs, policy and
# nice value; restored under `taskset -c 0` (a node, or an allocation,
# without the CPU a thread was pinned to), the program says which threads
# lack which CPUs, runs them where it may, keeps their nice values and
# policy, and ends normally.
# usage: sched_restore.sh LIBTCP TCP_RESTORE TCP_INSPECT THR_AFFINITY SCRIPTS_DIR
set -u
LIBTCP=$1 RESTORE=$2 INSPECT=$3 PROG=$4 SCRIPTS=$5
if [ "$(nproc)" -lt 2 ]; then
	echo "skip: one CPU (nothing to pin apart)"
	exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-sched.XXXXXX")
failed=0
cleanup() { jobs -p | xargs -r kill -9 2>/dev/null; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
cd "$WORK" || exit 1
mkdir img

env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" "$PROG" 200 >out.txt 2>err.txt &
pid=$!
sleep 1
"$SCRIPTS/tcp-ckpt" --timeout 60 "$pid" >/dev/null || fail "checkpoint: $(cat err.txt)"
kill -9 "$pid"
wait "$pid" 2>/dev/null

# The image: the main thread pinned to the first CPU with nice 2, worker 1
# (on the first CPU too, with two CPUs) SCHED_BATCH nice 5.
"$INSPECT" img >inspect.txt 2>&1 || fail "tcp-inspect: $(cat inspect.txt)"
"$INSPECT" --json img >inspect.json 2>&1 || fail "tcp-inspect --json: $(cat inspect.json)"
grep -Eq '^    CPUs [0-9]+ \(set by the program\)  SCHED_OTHER nice 2 \(set by the program\)' inspect.txt ||
	fail "tcp-inspect does not show the main thread's CPU and nice value: $(grep -A1 '  thread ' inspect.txt)"
grep -q 'SCHED_BATCH nice 5 (set by the program)' inspect.txt || fail "tcp-inspect does not show SCHED_BATCH nice 5"
python3 - inspect.json <<'PY' || fail "tcp-inspect --json: the threads' scheduling fields"
import json, sys
t = json.load(open(sys.argv[1]))["threads"]
nice = sorted(x["nice"] for x in t)
assert nice == [2, 4, 5], nice
assert all(x["cpus_set_by_program"] and x["sched_set_by_program"] and len(x["cpus"]) == 1 for x in t), t
assert sorted(x["sched_policy"] for x in t) == ["SCHED_BATCH", "SCHED_OTHER", "SCHED_OTHER"], t
PY

# Restored on the first CPU only: worker 0's CPU is missing here.
first=$(grep -m1 '^    CPUs' inspect.txt | awk '{print $2}')
first=${first:-0}
taskset -c "$first" "$RESTORE" img >/dev/null 2>restore.err
rc=$?
worker0=$(grep '^worker 0' out.txt)
if [ $rc != 0 ]; then
	fail "restore under taskset -c $first: status $rc: $(cat restore.err) $(tail -3 err.txt)"
elif ! grep -Eq "warning: the CPUs some threads were pinned to are not all available here: thread [0-9]+ \(CPUs [0-9]+: none here, it runs on $first\); the program continues" err.txt; then
	fail "no warning naming the thread and its CPUs: $(cat err.txt)"
elif ! grep -Eq "^worker 0 .*: cpus $first policy other nice 4$" <<<"$worker0"; then
	fail "worker 0 after the restore: '$worker0' (expected CPU $first, nice 4)"
elif ! grep -Eq "^worker 1 .*: cpus $first policy batch nice 5$" out.txt || ! grep -Eq "^main: cpus $first policy other nice 2$" out.txt; then
	fail "the other threads after the restore: $(tail -3 out.txt)"
else
	echo "ok: $(grep 'warning: the CPUs' err.txt)"
	echo "ok: $(tail -3 out.txt | tr '\n' ';')"
fi

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
