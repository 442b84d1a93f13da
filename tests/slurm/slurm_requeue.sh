#!/bin/bash
# slurm_requeue.sh: the HPC workflow against a real SLURM.
#
# A local single-node SLURM (scripts/slurm/local-slurm) runs
# scripts/slurm/tcp-job.sbatch, unchanged except for its CMD= line, with a
# time limit of one minute, for a program that needs about two: the job
# must complete after at least two requeues, and the program's stdout and
# output file must be byte-identical to an uninterrupted run (which runs
# meanwhile, outside SLURM).
#
# The modes run side by side (meson test --num-processes 3), each with a
# SLURM of its own: their programs sleep most of each step, so that three
# jobs and three references fit on two cores (beside the fuzzer in .ci/run)
# without stretching the runs much.
#
# usage: slurm_requeue.sh [LIBTCP TCP_RESTORE TCP_RUN TCP_CKPT LONG_COMPUTE [MODE [MPI_MIX MPIRUN]]]
#   Without arguments the tools are taken from the source tree (build/ for
#   libtcp.so and tcp-restore) and long_compute.c is compiled with cc.
#   MODE "plain" (the default): the job's command is
#   `long_compute result.dat 150 500 600` (150 steps, each about 0.15 s of
#   CPU and a sleep of 0.6 s).
#   "tree" (issue 20): the job's command is a process tree, a shell running
#   `long_compute result.dat 150 500 600 | tee progress.log` (bash,
#   long_compute and tee, a pipe between them), checkpointed and restored
#   whole; its progress.log must match too.
#   "mpi" (issue 21): the job's command is an MPI job,
#   `MPIRUN --oversubscribe --mca btl self,vader -np 2 MPI_MIX 550 200`
#   (Open MPI's mpirun, two ranks of tests/mpi/mpi_mix.c exchanging
#   messages with requests pending across the checkpoint, collectives and
#   one-sided, 550 steps of 0.2 s), checkpointed and restored whole
#   (launcher and ranks). --oversubscribe: the job asks SLURM for one task
#   (the template's --ntasks=1). Skipped when MPI_MIX or MPIRUN is empty or
#   missing (Open MPI not installed).
# Environment: SLURM_TEST_DEADLINE (seconds to wait for the job, default 840),
#   SLURM_TEST_KEEP=1 (keep the work directory even on success),
#   SLURM_TEST_REQUIRED=1 (fail instead of skipping when SLURM cannot start).
# Exit status: 0 pass, 1 fail, 77 skip (SLURM cannot be installed or started;
#   mode mpi without Open MPI).
set -u

here=$(cd "$(dirname -- "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
libtcp=${1:-$src/build/libtcp.so}
tcp_restore=${2:-$src/build/tcp-restore}
tcp_run=${3:-$src/scripts/tcp-run}
tcp_ckpt=${4:-$src/scripts/tcp-ckpt}
long_compute=${5:-}
mode=${6:-plain}
mpi_mix=${7:-}
mpirun=${8:-}
local_slurm=$src/scripts/slurm/local-slurm
template=$src/scripts/slurm/tcp-job.sbatch
deadline=${SLURM_TEST_DEADLINE:-840}

t0=$SECONDS
elapsed() { echo "$((SECONDS - t0))s"; }
say() { echo "[$(elapsed)] $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tcp-slurm.XXXXXX") || exit 1
# munged wants every directory above its socket searchable by all.
chmod 755 "$work"
ref_pid=''
ok=0
cleanup() {
	# The reference's processes too ("tree": bash's children would run on).
	[ -n "$ref_pid" ] && { pkill -9 -P "$ref_pid"; kill -9 "$ref_pid"; } 2>/dev/null
	"$local_slurm" stop "$work/slurm" >/dev/null 2>&1
	if [ "$ok" = 1 ] && [ "${SLURM_TEST_KEEP:-0}" != 1 ]; then
		rm -rf "$work"
	else
		echo "work directory kept: $work"
	fi
}
trap cleanup EXIT
# meson sends SIGTERM on timeout: still stop the daemons (via the EXIT trap).
trap 'exit 1' TERM INT

fail() {
	echo "FAIL: $*"
	show() { [ -s "$1" ] && { echo "---- $1 (last 40 lines)"; tail -n 40 "$1"; }; }
	show "$work/job/slurm.log"
	show "$work/job/result.err"
	show "$work/slurm/log/slurmctld.log"
	show "$work/slurm/log/slurmd.log"
	exit 1
}

case "$mode" in
plain | tree) ;;
mpi)
	if [ -z "$mpi_mix" ] || [ -z "$mpirun" ] || [ ! -x "$mpi_mix" ] || [ ! -x "$mpirun" ]; then
		echo "SKIP: mode mpi needs mpi_mix built against Open MPI and its mpirun" \
			"(got '$mpi_mix' and '$mpirun'; apt-get install openmpi-bin libopenmpi-dev, then reconfigure)"
		ok=1
		exit 77
	fi
	mpi_mix=$(readlink -f -- "$mpi_mix") mpirun=$(readlink -f -- "$mpirun")
	# Open MPI refuses to run as root without these (the job gets them too:
	# sbatch passes our environment on).
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	;;
*) fail "unknown mode '$mode' (plain, tree or mpi)" ;;
esac

for f in "$libtcp" "$tcp_restore" "$tcp_run" "$tcp_ckpt" "$local_slurm" "$template" ${long_compute:+"$long_compute"}; do
	[ -e "$f" ] || fail "$f does not exist (build first: meson setup build && meson compile -C build)"
done
# The job runs in another directory: absolute paths only.
libtcp=$(readlink -f -- "$libtcp") tcp_restore=$(readlink -f -- "$tcp_restore")
tcp_run=$(readlink -f -- "$tcp_run") tcp_ckpt=$(readlink -f -- "$tcp_ckpt")
[ -n "$long_compute" ] && long_compute=$(readlink -f -- "$long_compute")

if [ -z "$long_compute" ]; then
	long_compute=$work/long_compute
	cc -O2 -o "$long_compute" "$here/long_compute.c" || fail "cannot compile long_compute.c"
fi

# ---- SLURM ---------------------------------------------------------------------
say "starting a local SLURM in $work/slurm"
if ! "$local_slurm" start "$work/slurm" >"$work/local-slurm.out" 2>&1; then
	cat "$work/local-slurm.out"
	[ "${SLURM_TEST_REQUIRED:-0}" = 1 ] && fail "SLURM could not be installed or started (see above)"
	echo "SKIP: SLURM could not be installed or started here (see above)"
	ok=1 # nothing worth keeping
	exit 77
fi
export SLURM_CONF=$work/slurm/slurm.conf

# ---- the job: the template with our command on its CMD= line -------------------
mkdir -p "$work/job" "$work/ref"
# About 110 s of work in each mode: a leg of the job runs 25 to 40 s before
# its SIGUSR1, so that is two requeues at least, three to five usually (more
# on a busy machine).
case "$mode" in
tree)
	pipeline="$(printf '%q' "$long_compute") result.dat 150 500 600 | tee progress.log"
	printf -v cmd_line 'CMD=(bash -c %q)' "$pipeline"
	ref_cmd=(bash -c "$pipeline")
	;;
mpi)
	# --mca btl self,vader: the ranks talk through shared memory only.
	# Open MPI's TCP transport would listen in each rank on the first free
	# port from 1024, and an MPI job started elsewhere on the machine in
	# the seconds between a checkpoint and the resume could take that port
	# and make the restore refuse (docs/user-guide.md, MPI jobs; the mpi
	# suite restores those listeners).
	ref_cmd=("$mpirun" --oversubscribe --mca btl 'self,vader' -np 2 "$mpi_mix" 550 200)
	printf -v cmd_line 'CMD=(%s)' "$(printf '%q ' "${ref_cmd[@]}")"
	;;
*)
	ref_cmd=("$long_compute" result.dat 150 500 600)
	printf -v cmd_line 'CMD=(%s)' "$(printf '%q ' "${ref_cmd[@]}")"
	;;
esac
# (the replacement goes through awk, not sed: the path may hold sed specials)
awk -v line="$cmd_line" '/^CMD=\(/ { print line; n++; next } { print } END { exit n != 1 }' \
	"$template" >"$work/job/job.sbatch" || fail "the template has no single CMD=( line"

# What the template reads from the environment (sbatch passes ours on).
export TCP_RUN=$tcp_run TCP_CKPT=$tcp_ckpt TCP_LIB=$libtcp TCP_RESTORE=$tcp_restore
export CKPT_DIR=$work/job/ckpt PROGRAM_OUT=$work/job/result.out PROGRAM_ERR=$work/job/result.err
export TCP_CKPT_TIMEOUT=15

# --time=1 --signal=B:USR1@20 override the template's #SBATCH lines.
job=$(sbatch --parsable --job-name=tcp-requeue-test --time=1 --signal=B:USR1@20 \
	--chdir="$work/job" --output="$work/job/slurm.log" "$work/job/job.sbatch") ||
	fail "sbatch failed"
job=${job%%;*}
say "submitted job $job (time limit 1 min, SIGUSR1 20 s before)"

# ---- the reference, meanwhile, outside SLURM ----------------------------------
(cd "$work/ref" && exec "${ref_cmd[@]}" >result.out 2>result.err) &
ref_pid=$!

# ---- follow the job -------------------------------------------------------------
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$info"; }
last=''
state=''
while :; do
	info=$(scontrol -o show job "$job" 2>&1) || fail "scontrol show job $job: $info"
	state=$(field JobState)
	now="$state reason=$(field Reason) restarts=$(field Restarts)"
	[ "$now" != "$last" ] && say "job $job: $now"
	last=$now
	case "$state" in
	# SIGNALING: shown for a moment while SLURM sends the --signal one.
	PENDING | RUNNING | REQUEUED | COMPLETING | CONFIGURING | RESIZING | SUSPENDED | SIGNALING) ;;
	*) break ;;
	esac
	case "$(field Reason)" in
	*Held*) fail "the job is held: $info" ;;
	esac
	[ $((SECONDS - t0)) -lt "$deadline" ] || fail "the job did not end within ${deadline}s: $info"
	sleep 2
done
say "job $job ended: $state, exit code $(field ExitCode), restarts $(field Restarts)"

# ---- checks -----------------------------------------------------------------------
[ "$state" = COMPLETED ] || fail "job state $state, expected COMPLETED"
[ "$(field ExitCode)" = 0:0 ] || fail "job exit code $(field ExitCode), expected 0:0"
restarts=$(field Restarts)
requeues=$(grep -c '^tcp-job: .* requeueing job' "$work/job/slurm.log")
resumes=$(grep -c '^tcp-job: .* resuming from' "$work/job/slurm.log")
say "SLURM counted $restarts restarts; the job log shows $requeues requeues and $resumes resumes"
[ "${restarts:-0}" -ge 2 ] || fail "only ${restarts:-0} restarts, expected at least 2"
if [ "$requeues" -lt 2 ] || [ "$resumes" -lt 2 ]; then
	fail "expected at least 2 requeues and resumes in the job log"
fi

wait "$ref_pid"
rc=$?
ref_pid=''
[ "$rc" = 0 ] || fail "the uninterrupted reference run failed with status $rc"
cmp "$work/ref/result.out" "$work/job/result.out" || fail "stdout differs from the uninterrupted run"
case "$mode" in
plain | tree)
	cmp "$work/ref/result.dat" "$work/job/result.dat" || fail "the output file differs from the uninterrupted run"
	;;
esac
if [ "$mode" = tree ]; then
	cmp "$work/ref/progress.log" "$work/job/progress.log" || fail "tee's progress.log differs from the uninterrupted run"
fi
# stderr: the program writes nothing there; only tcp's own lines may be left.
grep -v '^tcp: ' "$work/job/result.err" | cmp - "$work/ref/result.err" ||
	fail "stderr holds more than tcp's messages"

ok=1
what='stdout and the output file'
[ "$mode" = mpi ] && what=stdout
say "PASS: $(wc -l <"$work/job/result.out") lines of $what identical after $restarts requeues"
