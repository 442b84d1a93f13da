#!/bin/bash
# A checkpoint that cannot be taken must say why, keep the earlier images,
# and leave the program running to its normal end, even when the trigger
# was the stop signal (exiting would lose the work).
# usage: ckpt_failures.sh LIBTCP TCP_RESTORE OBSTACLE_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-ckfail.XXXXXX")
failed=0
mounted=
cleanup() {
	for m in $mounted; do umount "$m" 2>/dev/null; done
	jobs -p | xargs -r kill -9 2>/dev/null
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$(dirname "$0")/../lib/refused.sh"

cd "$WORK" || exit 1
"$PROG" plain >ref.txt || { echo "FAIL: reference run"; exit 1; }

# run_case NAME SIGNAL PATTERN TCP_DIR ARGS...: trigger once after 1 s; the
# program must end with status 0, complete output, and PATTERN on stderr.
run_case() {
	local name=$1 sig=$2 pattern=$3 dir=$4
	shift 4
	LD_PRELOAD=$LIBTCP TCP_DIR=$dir "$PROG" "$@" >"$name.out" 2>"$name.err" &
	local pid=$!
	sleep 1
	kill -"$sig" "$pid"
	wait "$pid"
	judge_refused "$name" $? ref.txt "$pattern"
}

run_case missing-dir TERM "checkpoint failed: cannot open the image directory $WORK/nope.*create it" "$WORK/nope" plain
# A pipe whose other end is another process (here on fd 3, to cat).
exec 3> >(cat >/dev/null)
run_case pipe-fd USR1 "checkpoint failed: cannot checkpoint fd 3 \\(pipe:" "$WORK" pipe
exec 3>&-
# TCP_RETRY=0: a child refuses the checkpoint for good, as before retries
# (retry.sh tests the retries). The assignment reaches the program through
# the function's environment.
mkdir -p "$WORK/child.img"
TCP_RETRY=0 run_case child TERM "checkpoint failed: the process has a live child process" "$WORK/child.img" child
if grep -Eq 'tried again|gave up' child.err; then
	fail "child: TCP_RETRY=0 still tried the checkpoint again: $(cat child.err)"
elif ! grep -q 'the stop signal did not stop the program' child.err; then
	fail "child: no message that the stop signal did not stop the program: $(cat child.err)"
elif ls "$WORK/child.img" | grep -q '\.tcp$'; then
	fail "child: an image was written with TCP_RETRY=0"
fi
# More queued signals than libtcp keeps with their siginfo: refused, and the
# program still gets every one, in order (obstacle checks; its queue needs
# a RLIMIT_SIGPENDING above 5000).
if [ "$(ulimit -i)" = unlimited ] || [ "$(ulimit -i)" -gt 5100 ]; then
	mkdir -p "$WORK/flood.img"
	run_case sigflood USR1 "checkpoint failed: more signals are queued .* than the 4096 libtcp can keep" \
		"$WORK/flood.img" sigflood
	ls "$WORK/flood.img" | grep -q '\.tcp$' && fail "sigflood: an image was written"
else
	echo "skip: sigflood: ulimit -i is $(ulimit -i), below 5100"
fi
# A forked child is not the process libtcp checkpoints: its SIGUSR1 (after
# it created a POSIX timer, whose id equals that of the parent's
# TCP_INTERVAL timer) has its default action, as without libtcp: the child
# dies of it, with no checkpoint, message or image (child_signals.sh has
# the other cases).
mkdir -p "$WORK/ftimer.img"
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/ftimer.img TCP_INTERVAL=3600 "$PROG" forked_timer >ftimer.out 2>ftimer.err
st=$?
if [ $st != 0 ] || ! cmp -s ftimer.out ref.txt; then
	fail "forked-timer: status $st or output differs: $(cat ftimer.err)"
elif [ -s ftimer.err ]; then
	fail "forked-timer: the child took its SIGUSR1 as a checkpoint request: $(cat ftimer.err)"
elif ls "$WORK/ftimer.img" | grep -q '\.tcp$'; then
	fail "forked-timer: the child wrote an image"
fi
# ulimit -f below the image's size: the write fails (EFBIG) and the SIGXFSZ
# it causes must not kill a program that writes its image itself
# (TCP_FORK=0, as with shared memory), also after the stop signal; a forked
# writer says the same. obstacle heap 8 prints what plain does.
fsize_case() {
	local name=$1 sig=$2 fork=$3
	mkdir -p "$WORK/$name.img"
	(
		ulimit -f 1024
		exec env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/$name.img" TCP_FORK="$fork" "$PROG" heap 8
	) >"$name.out" 2>"$name.err" &
	local pid=$!
	sleep 1
	kill -"$sig" "$pid"
	wait "$pid"
	judge_refused "$name" $? ref.txt "checkpoint failed: .*file too large \\(the image is larger than the program's file size limit, ulimit -f: 1048576 bytes" "$WORK/$name.img"
	ls -A "$WORK/$name.img" | grep -q '\.tmp$' && fail "$name: a temporary file was left behind"
}
fsize_case fsize-nofork USR1 0
fsize_case fsize-nofork-stop TERM 0
fsize_case fsize-fork USR1 1
mkdir -p "$WORK/ro"
chmod 555 "$WORK/ro"
if [ "$(id -u)" != 0 ]; then
	run_case no-permission TERM "checkpoint failed: cannot create .*permission denied" "$WORK/ro" plain
fi

# Disk full: a 12 MiB tmpfs holds one image of a 7 MiB heap, not two; with
# the page-cache writer (TCP_DIRECT=0, the default) and with O_DIRECT and AIO
# (tmpfs takes O_DIRECT since Linux 6.6; before, that case writes buffered).
disk_full() {
	local direct=$1 small=$WORK/small-$1 name=disk-full-direct$1
	mkdir -p "$small"
	if ! mount -t tmpfs -o size=12m tcp-test "$small" 2>/dev/null; then
		echo "skip: $name (cannot mount a tmpfs here)"
		return
	fi
	mounted="$mounted $small"
	LD_PRELOAD=$LIBTCP TCP_DIR=$small TCP_DIRECT=$direct "$PROG" heap 7 >full.out 2>full.err &
	pid=$!
	sleep 1
	kill -USR1 "$pid"
	for _ in $(seq 1 250); do [ -L "$small/latest" ] && break; sleep 0.02; done
	first=$(readlink "$small/latest")
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$name: exit status $rc, expected 0; stderr: $(cat full.err)"
	elif ! grep -q "no space left on device" full.err; then
		fail "$name: no 'no space left on device' message: $(cat full.err)"
	elif [ "$(readlink "$small/latest")" != "$first" ] || [ -z "$first" ]; then
		fail "$name: latest changed from '$first' to '$(readlink "$small/latest")'"
	elif ls -A "$small" | grep -q '\.tmp$'; then
		fail "$name: a temporary file was left behind: $(ls -A "$small")"
	else
		# The earlier image must still restore and finish the run (which
		# rolls full.err back, so keep its message first).
		msg=$(grep -m1 'no space' full.err)
		"$PROG" heap 7 >full.ref
		if ! (timeout 60 "$RESTORE" "$small" >/dev/null 2>restore.err) || ! cmp -s full.ref full.out; then
			fail "$name: the earlier image did not restore to the right output: $(cat restore.err)"
		else
			echo "ok: $name: $msg"
		fi
	fi
}
disk_full 0
disk_full 1

for m in $mounted; do umount "$m"; done
mounted=
if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
