#!/bin/bash
# A lock the program held at checkpoint time that another process holds at
# restore time: tcp-restore must refuse, name the file and the holder, run
# nothing; once the other process lets go, the same image restores.
# usage: lock_conflict.sh LIBTCP TCP_RESTORE FD_LOCKS_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-locks.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

cd "$WORK" || exit 1
mkdir img
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img TCP_LOG=0 "$PROG" >out.txt 2>err.txt </dev/null &
pid=$!
pids+=("$pid")
sleep 1
kill -USR1 "$pid"
for _ in $(seq 1 500); do [ -L img/latest ] && break; sleep 0.02; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -L img/latest ] || { cat err.txt; fail "no image was written"; }

# hold KIND FILE: another process takes a conflicting lock and keeps it.
hold() {
	python3 -c '
import fcntl, sys, time
f = open(sys.argv[2], "r+")
if sys.argv[1] == "flock":
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
else:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 12)
print("held", flush=True)
time.sleep(60)' "$1" "$2" >holder.txt &
	holder=$!
	pids+=("$holder")
	for _ in $(seq 1 100); do grep -q held holder.txt 2>/dev/null && return; sleep 0.05; done
	fail "the lock holder did not start"
}

# expect_refused WHAT PATTERN: the restore exits 1 and its message on its
# own stderr matches PATTERN; the program's files are left alone.
expect_refused() {
	local before msg rc
	before=$(md5sum out.txt err.txt)
	msg=$(timeout 30 "$RESTORE" img 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 1 ] || fail "$1: exit $rc, expected 1: $msg"
	grep -Eq "$2" <<<"$msg" || fail "$1: message does not match /$2/: $msg"
	[ "$before" = "$(md5sum out.txt err.txt)" ] || fail "$1: the program's output files were changed"
	echo "ok: $1: $msg"
}

hold flock locks.dat
expect_refused "flock taken" "fd 3: .* lock on $WORK/locks.dat .* exclusive flock lock"
kill "$holder"; wait "$holder" 2>/dev/null

hold fcntl locks2.dat
expect_refused "fcntl range taken" "fd 4: .* lock on $WORK/locks2.dat .* exclusive fcntl lock"
kill "$holder"; wait "$holder" 2>/dev/null

timeout 120 "$RESTORE" img >>out.txt 2>>err.txt
rc=$?
[ "$rc" = 0 ] || { cat err.txt; fail "restore after the holders left: exit $rc"; }
grep -q "round 29: probe 4c" out.txt && tail -1 out.txt | grep -q "after unlock: probe 7f" ||
	fail "the restored program did not hold its locks to the end: $(tail -2 out.txt)"
echo "ok: restored once the locks were free"
