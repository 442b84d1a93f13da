#!/bin/bash
# mlock'd memory is locked again at restore, under the program's own
# RLIMIT_MEMLOCK. Where tcp-restore cannot give the program that limit back
# (its hard limit is lower, and an unprivileged user may not raise it), each
# locked region stays unlocked, tcp-restore says so (and that the limit
# stays lower), and the program still runs to its normal end. Needs root (to become nobody; root itself may lock
# past any limit) and an RLIMIT_MEMLOCK of at least 8 MiB to start with.
# usage: mlock_limit.sh LIBTCP TCP_RESTORE MADVISE_FLAGS_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip: needs root and setpriv"
	exit 77
fi
limit=$(ulimit -l)
if [ "$limit" != unlimited ] && [ "$limit" -lt 8192 ]; then
	echo "skip: RLIMIT_MEMLOCK is $limit KiB, the program locks 8 MiB"
	exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-mlock.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
fail() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }
AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
chmod 755 "$WORK"
mkdir "$WORK/run" "$WORK/img"
chown 65534:65534 "$WORK/run" "$WORK/img"
cd "$WORK/run" || exit 1

# The program locks two 4 MiB regions (one MLOCK_ONFAULT), within the limit.
"${AS[@]}" "$PROG" >ref.txt || fail "reference run"
grep -q '^locked: 0 bytes differ; flags: lo$' ref.txt || fail "the reference run did not lock its region: $(cat ref.txt)"
# The restored program (nobody) opens its output files again: nobody's.
: >out.txt && : >err.txt && chown 65534:65534 out.txt err.txt
(exec "${AS[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" "$PROG") >out.txt 2>err.txt &
pid=$!
sleep 1 # within the program's 2.5 s of sleep, after it locked its memory
kill -USR1 "$pid"
for _ in $(seq 1 500); do [ -L "$WORK/img/latest" ] && break; sleep 0.01; done
[ -L "$WORK/img/latest" ] || fail "no image: $(cat err.txt)"
kill -9 "$pid"
wait "$pid" 2>/dev/null

# Restored as nobody under a hard limit of 1 MiB: the image's limit cannot be
# set again (only a privileged process raises a hard limit), and neither
# region can be locked.
(ulimit -l 1024 && exec "${AS[@]}" timeout 60 "$RESTORE" "$WORK/img") >/dev/null 2>restore.err
rc=$?
[ "$rc" = 0 ] || fail "tcp-restore exited $rc: $(cat restore.err)"
grep -q "warning: cannot set RLIMIT_MEMLOCK back to its value at the checkpoint (EPERM, operation not permitted, errno 1; tcp-restore's own hard limit is lower" restore.err ||
	fail "no warning that RLIMIT_MEMLOCK stays lower: $(cat restore.err)"
grep -q 'warning: cannot lock 2 of the 2 locked regions in memory again (the first at 0x[0-9a-f]*: mlock, [A-Z]*, [a-z ]*, errno [0-9]*; raise `ulimit -l`' restore.err ||
	fail "no warning that both locked regions stay unlocked: $(cat restore.err)"
# The run went on to its end, with everything but the lock as before.
grep -q '^locked: 0 bytes differ; flags:$' out.txt && grep -q '^lockonfault: 0 bytes differ; flags:$' out.txt ||
	fail "the locked regions are not as expected: $(cat out.txt)"
diff <(grep -v '^lock' ref.txt) <(grep -v '^lock' out.txt) >/dev/null || fail "the output differs beyond the locks: $(diff ref.txt out.txt)"
while read -r line; do echo "ok: $line"; done <restore.err
rm -rf "$WORK"
echo PASS
