#!/bin/bash
# Shared memory that cannot be checkpointed must be refused with a message
# (the program goes on); and objects that are gone or in the way at restore
# time; tcp-inspect lists the objects of an image.
# usage: shm_cases.sh LIBTCP TCP_RESTORE SHM_OBSTACLE TCP_INSPECT
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 INSPECT=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-shm.XXXXXX")
failed=0
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$(dirname "$0")/../../lib/refused.sh"
cd "$WORK" || exit 1

# refuse NAME PATTERN ARGS...: a checkpoint after 1 s must fail with
# PATTERN on stderr; the program runs to its normal end.
refuse() {
	local name=$1 pattern=$2
	shift 2
	# (the reference run must not hand its segment to the other process)
	"$PROG" "${@//sysv.id/ref.id}" >"$name.ref" 2>/dev/null
	LD_PRELOAD=$LIBTCP TCP_DIR=$WORK "$PROG" "$@" >"$name.out" 2>"$name.err" &
	local pid=$!
	sleep 1
	kill -USR1 "$pid"
	wait "$pid"
	judge_refused "$name" $? "$name.ref" "$pattern"
}

# checkpoint ARGS...: runs the program under libtcp in $WORK/img, takes one
# image after 1 s and kills it; sets PID.
checkpoint() {
	rm -rf img && mkdir img
	LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img "$PROG" "$@" >ck.out 2>ck.err &
	PID=$!
	sleep 1
	kill -USR1 "$PID"
	for _ in $(seq 1 250); do [ -L img/latest ] && break; sleep 0.02; done
	kill -9 "$PID"
	wait "$PID" 2>/dev/null
}

# The other process attaches once the segment exists; its id is in sysv.id.
rm -f sysv.id
(
	for _ in $(seq 1 1000); do [ -s sysv.id ] && break; sleep 0.01; done
	exec "$PROG" attach "$(cat sysv.id)"
) &
refuse sysv-shared "checkpoint failed: cannot checkpoint the shared memory System V segment [0-9]+: another process has this System V segment attached" sysv-shared "$WORK/sysv.id"
# The same where a child has it too: the tree's processes are counted while
# they are stopped, the other process is not one of them.
rm -f sysv.id
(
	for _ in $(seq 1 1000); do [ -s sysv.id ] && break; sleep 0.01; done
	exec "$PROG" attach "$(cat sysv.id)"
) &
refuse sysv-tree "checkpoint failed: .*System V segment [0-9]+: a process outside the tree has this System V segment attached too; .* \(3 attachments, 2 by the tree; " sysv-tree "$WORK/sysv.id"
refuse many "checkpoint failed: cannot checkpoint the shared memory .*more than 256 shared memory objects" many

# A /dev/shm file gone at restore (another node, a reboot) is made again
# with its content; one still there (the killed run's) is rolled back.
"$PROG" posix >posix.ref
for how in gone stale; do
	checkpoint posix
	name=/dev/shm/tcp-test-$PID-obstacle
	if [ ! -f "$name" ]; then
		fail "posix-$how: $name was not there after the checkpointed run"
		continue
	fi
	if [ $how = gone ]; then
		"$INSPECT" img >posix.inspect 2>&1
		if grep -Eq "^  posix +8192 +[0-9]+  $name  \[mode 600\]$" posix.inspect; then
			echo "ok: inspect lists $name"
		else
			fail "tcp-inspect does not list $name as an 8 KiB posix object: $(grep -A3 'shared memory' posix.inspect)"
		fi
		rm -f "$name"
	else head -c 8192 /dev/urandom >"$name"; fi
	# ck.out is the program's stdout: rolled back to the checkpoint and
	# written on by the restored run.
	if ! timeout 60 "$RESTORE" img >posix.out 2>posix.err; then
		fail "posix-$how: restore failed: $(cat posix.err)"
	elif ! cmp -s posix.ref ck.out; then
		fail "posix-$how: output after restore differs: $(diff posix.ref ck.out | head -5)"
	elif [ -e "$name" ]; then
		fail "posix-$how: $name is left behind"
	else
		echo "ok: posix-$how"
	fi
done

# A System V key that is taken where the restore happens (here: the killed
# run's segment, restored without a new IPC namespace) is refused.
checkpoint keyed
key=$(printf '0x%08x' $((0x7c000000 | (PID & 0xffffff))))
if "$INSPECT" --json img | grep -q '"type": *"sysv"'; then
	"$INSPECT" img | grep -Eq "^  sysv .*  key $key, id [0-9]+  \[mode" && echo "ok: inspect lists segment $key" ||
		fail "tcp-inspect does not show segment $key: $("$INSPECT" img | grep -A3 'shared memory')"
else
	fail "tcp-inspect --json has no sysv object: $("$INSPECT" --json img | grep -A12 shared_memory)"
fi
if timeout 60 "$RESTORE" --no-namespace img >keyed.out 2>keyed.err; then
	fail "keyed: restore over an existing key succeeded"
elif ! grep -q "a segment of key $key exists here already" keyed.err; then
	fail "keyed: unexpected message: $(cat keyed.err)"
else
	echo "ok: keyed: $(cat keyed.err)"
fi
ipcrm -M "$key" 2>/dev/null
exit $failed
