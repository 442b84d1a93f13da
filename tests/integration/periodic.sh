#!/bin/bash
# TCP_INTERVAL=1: images appear with no signal sent; after kill -9 and a
# restore the periodic checkpoints go on (the timer is created again), and
# the run ends with the uninterrupted output.
# usage: periodic.sh LIBTCP TCP_RESTORE OBSTACLE_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-periodic.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }
gen() { readlink img/latest 2>/dev/null | sed 's/.*\.\([0-9]*\)\.tcp/\1/;s/^0*//'; }

"$PROG" heap 1 150 >ref.txt
mkdir img
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img TCP_INTERVAL=1 TCP_KEEP=3 "$PROG" heap 1 150 >out.txt 2>err.txt &
pid=$!
for _ in $(seq 1 300); do [ "$(gen)" -ge 2 ] 2>/dev/null && break; sleep 0.02; done
[ "$(gen)" -ge 2 ] 2>/dev/null || die "no second periodic image after 6 s: $(cat err.txt)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
before=$(gen)
echo "ok: $before periodic checkpoints without a signal"

"$RESTORE" img >/dev/null 2>restore.err &
pid=$!
for _ in $(seq 1 300); do [ "$(gen)" -gt "$before" ] && break; sleep 0.02; done
[ "$(gen)" -gt "$before" ] || die "no periodic checkpoint after the restore: $(cat restore.err err.txt)"
echo "ok: the restored process checkpointed itself again (generation $(gen))"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || die "the restored run exited $rc"
cmp -s ref.txt out.txt || die "output differs from the uninterrupted run"
echo PASS
rm -rf "$WORK"
