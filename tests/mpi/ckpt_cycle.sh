#!/bin/bash
# ckpt_cycle.sh REF CKDIR T1 T2 -- MPIRUN ARGS...  (issue 21, by hand for now)
# Runs the MPI job under tcp-run, SIGUSR1 (checkpoint, continue) after T1 s,
# SIGTERM (checkpoint, exit 85) T2 s later, resumes with the same command
# appending to the same output, and compares with REF (an uninterrupted run).
# Output goes to CKDIR.out, tcp's messages to CKDIR.err1 / CKDIR.err2.
# Example (from the build's parent directory):
#   mpicc.mpich -O2 -o mix tests/mpi/mpi_mix.c -lm
#   mpiexec.mpich -np 2 ./mix 120 > ref.txt
#   tests/mpi/ckpt_cycle.sh ref.txt ck 4 3 -- mpiexec.mpich -genv UCX_TLS self,tcp -np 2 ./mix 120
set -u
exec 251>&- # a stray pipe there makes every checkpoint refused
[ $# -ge 6 ] && [ "$5" = -- ] || { echo "usage: $0 REF CKDIR T1 T2 -- CMD..." >&2; exit 2; }
ref=$1 ck=$2 t1=$3 t2=$4
shift 5
tr=$(dirname "$0")/../../scripts/tcp-run
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$ck" "$ck.out"
timeout 120 "$tr" --log 2 --dir "$ck" -- "$@" > "$ck.out" 2> "$ck.err1" &
tpid=$!
sleep 0.5
pid=$(cat /proc/$tpid/task/*/children | awk '{print $1}') # tcp-run under timeout
sleep "$t1"; kill -USR1 "$pid"
sleep "$t2"; kill -TERM "$pid"
wait $tpid; echo "first run: exit $? (85 expected)"
timeout 120 "$tr" --log 2 --dir "$ck" -- "$@" >> "$ck.out" 2> "$ck.err2"
echo "resumed run: exit $?"
cmp "$ck.out" "$ref" && echo "same output as $ref"
