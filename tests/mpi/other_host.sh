#!/bin/bash
# other_host.sh: a job restored on a host of another name (issue 21 item 3:
# a SLURM requeue usually lands on another node). The job runs in a UTS
# namespace named tcp-node-a and is stopped with SIGTERM (images written,
# exit 85); tcp-restore runs here, under this host's name, and must give
# the job its own name back (MPI runtimes put it in session paths and shared
# memory names). For the MPI job, the session directory and /dev/shm files
# of "node a" are removed before the restore, as on a node that never had
# them. The output must match a run that was never interrupted.
#
#   other_host.sh LIBTCP TCP_RESTORE hostname      a shell loop whose
#       children print the host name before and after the restore
#   other_host.sh LIBTCP TCP_RESTORE mpi MPIRUN PROG   an MPI job
# Root only (unshare --uts); exit 77 (skip) otherwise.
set -u
libtcp=$1 restore=$2 mode=$3
shift 3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a UTS namespace)"; exit 77; }
unshare --uts true 2>/dev/null || { echo "SKIP: unshare --uts is not allowed here"; exit 77; }
[ "$(hostname)" != tcp-node-a ] || { echo "SKIP: this host is named tcp-node-a"; exit 77; }
exec 251>&- 2>/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/tcp-other-host.XXXXXX") || exit 1
ok=0
trap '[ $ok = 1 ] && rm -rf "$work" || echo "work dir kept: $work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err; do [ -s "$f" ] && { echo "---- $f"; tail -20 "$f"; }; done; exit 1; }

if [ "$mode" = hostname ]; then
	job=(bash -c 'for i in $(seq 1 30); do echo "step $i on $(hostname)"; sleep 0.2; done')
else
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	job=("$1" -np 2 "$2" 60)
fi
# as_node_a CMD...: CMD in a new UTS namespace named tcp-node-a (unshare
# and sh exec it: the same pid)
as_node_a=(unshare --uts -- sh -c 'hostname tcp-node-a && exec "$@"' sh)

(cd "$work" && exec "${as_node_a[@]}" "${job[@]}" >ref.out 2>ref.err) || fail "the reference run failed"
mkdir "$work/ck" "$work/run"
(cd "$work/run" && exec "${as_node_a[@]}" env LD_PRELOAD="$libtcp" TCP_DIR="$work/ck" "${job[@]}" >"$work/job.out" 2>"$work/job.err") &
pid=$!
sleep 3
kill -TERM "$pid" 2>/dev/null
wait "$pid"
st=$?
[ "$st" = 85 ] || fail "the stopped job exited with $st, not 85"
[ -L "$work/ck/latest" ] || fail "no image"
if [ "$mode" = mpi ]; then
	# Nothing of the old node: its session directory and shared memory
	# files go (the restore must make them again, with their content).
	ls -d "${TMPDIR:-/tmp}"/ompi.tcp-node-a.* >/dev/null 2>&1 || fail "no Open MPI session directory to remove"
	rm -rf "${TMPDIR:-/tmp}"/ompi.tcp-node-a.* /dev/shm/vader_segment.tcp-node-a.*
fi
(cd "$work/run" && "$restore" -v "$work/ck" >>"$work/job.out" 2>"$work/restore.err")
st=$?
[ "$st" = 0 ] || fail "the restored job exited with $st"
grep -q "host name tcp-node-a" "$work/restore.err" || fail "tcp-restore did not say it gave the host name back"
cmp "$work/ref.out" "$work/job.out" || { diff "$work/ref.out" "$work/job.out" | head; fail "the output differs"; }
echo "PASS: restored under the host name it had ($(hostname) here), output identical"
ok=1
