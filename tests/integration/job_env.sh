#!/bin/bash
# A restored program sees its new job: SLURM_JOB_ID and SLURM_RESTART_COUNT
# from tcp-restore's environment replace or join the old ones, so do the
# variables TCP_RESTORE_ENV names; other variables stay as they were.
# usage: job_env.sh LIBTCP TCP_RESTORE PRINT_ENV_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-env.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }

env -u SLURM_RESTART_COUNT SLURM_JOB_ID=100 TCP_TEST_VAR=old TCP_KEPT_VAR=kept \
	LD_PRELOAD=$LIBTCP TCP_LOG=0 "$PROG" >out.txt 2>err.txt &
pid=$!
sleep 0.5
kill -USR1 "$pid"
for _ in $(seq 1 250); do [ -L latest ] && break; sleep 0.02; done
kill -9 "$pid"
[ -L latest ] || die "no image: $(cat err.txt)"
SLURM_JOB_ID=200 SLURM_RESTART_COUNT=1 TCP_TEST_VAR=new TCP_KEPT_VAR=changed TCP_RESTORE_ENV="TCP_TEST_VAR" \
	"$RESTORE" . 2>restore.err || die "restore failed: $(cat restore.err)"
want=$'SLURM_JOB_ID=200\nSLURM_RESTART_COUNT=1\nTCP_TEST_VAR=new\nTCP_KEPT_VAR=kept'
[ "$(cat out.txt)" = "$want" ] || die "the restored program saw: $(cat out.txt)"
echo "PASS: $(tr '\n' ' ' <out.txt)"
rm -rf "$WORK"
