#!/bin/bash
# TCP_RETRY: a checkpoint refused because the program had a live child
# process is asked for again until the child is gone (the SIGUSR1 case is
# integration-child_retry, through cycle.sh). Here:
#   stop      SIGTERM (twice) while the child lives: one retry timer; exit 85
#             once the child has ended; the image restores to the reference
#             output
#   tcp-ckpt  the same through tcp-ckpt --stop, which waits for the retries
#   upgrade   a pending SIGUSR1 retry, then SIGTERM: the stop signal takes it
#             over (still one timer), exit 85, the image restores
#   tree      the stop signal with a child with libtcp beside the one
#             without: the retry waits for the latter only (the former comes
#             along in the image), exit 85, the tree restores
#   give-up   TCP_RETRY=1 and a child that outlives it, for SIGUSR1 and for
#             SIGTERM: a message saying so, no image, the program runs to its
#             normal end (the stop signal did not stop it, and the program's
#             SIGTERM handler ran then, once; in the other cases never)
# (TCP_RETRY=0, today's plain refusal, is in ckpt_failures.sh.)
# usage: retry.sh LIBTCP TCP_RESTORE CHILD_RETRY_PROG
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-retry.XXXXXX")
failed=0
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$(dirname "$0")/../lib/refused.sh"
TCP_CKPT=$(cd "$(dirname "$0")/../../scripts" && pwd)/tcp-ckpt
cd "$WORK" || exit 1

# wait_child PID: until the program's child process runs sleep (before its
# exec, it is a copy of the program that carries libtcp).
wait_child() {
	local c
	for _ in $(seq 1 500); do
		for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = sleep ] && return 0
		done
		sleep 0.01
	done
	return 1
}

# timers PID: how many POSIX timers the process has (ours included).
timers() { grep -c '^ID:' "/proc/$1/timers" 2>/dev/null; }

# expect_stopped NAME STATUS REF: exit 85 after a retry, image restorable to REF.
expect_stopped() {
	local name=$1 rc=$2 ref=$3
	if [ "$rc" != 85 ]; then
		fail "$name: exit status $rc, expected 85; stderr: $(cat "$name.err")"
		return
	fi
	if ! grep -Eq 'stop-signal checkpoint .*will be tried again every second for up to [0-9]+ s \(TCP_RETRY\)' "$name.err" ||
		! grep -Eq 'stop-signal checkpoint was taken after [0-9]+ retr' "$name.err"; then
		fail "$name: the retry and its success were not reported: $(cat "$name.err")"
		return
	fi
	# Whether the child was gone when the image was taken shows in the restore:
	# with a live child, the restored waitpid() fails (ECHILD), the program
	# ends without "child ended" and its output differs from REF. (The image
	# may be taken between the reaping and that line, so the line itself need
	# not be in NAME.out yet.)
	# The restore rolls NAME.err back to where it was at the checkpoint.
	local msg
	msg=$(grep -m1 'taken after' "$name.err")
	if ! (timeout 60 "$RESTORE" "$WORK/$name.img" >/dev/null 2>"$name.restore.err"); then
		fail "$name: tcp-restore failed: $(cat "$name.restore.err")"
	elif ! cmp -s "$ref" "$name.out"; then
		fail "$name: the restored run's output differs from the uninterrupted run's"
	else
		echo "ok: $name: $msg"
	fi
}

# start NAME ENV... -- ARGS...: the program under libtcp, images in NAME.img.
start() {
	local name=$1
	shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	mkdir -p "$WORK/$name.img"
	env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/$name.img" ${envs[@]+"${envs[@]}"} "$PROG" "$@" \
		>"$name.out" 2>"$name.err" &
	pid=$!
}

"$PROG" 2 x 60 >ref.txt || { echo "FAIL: reference run"; exit 1; }
"$PROG" 2 raise 60 >ref_raise.txt || { echo "FAIL: reference run (raise)"; exit 1; }
"$PROG" 3 raise >ref_giveup_raise.txt || { echo "FAIL: reference run (give-up)"; exit 1; }
"$PROG" 3 x >ref_giveup.txt || { echo "FAIL: reference run (give-up)"; exit 1; }
"$PROG" 2 x 60 0 worker >ref_tree.txt || { echo "FAIL: reference run (tree)"; exit 1; }

# stop: SIGTERM while the child lives, then again.
start stop -- 2 x 60
wait_child "$pid" || fail "stop: the program started no child"
kill -TERM "$pid"
for _ in $(seq 1 200); do grep -q 'tried again' stop.err && break; sleep 0.01; done
kill -TERM "$pid"
for _ in $(seq 1 200); do grep -q 'already pending' stop.err && break; sleep 0.01; done
n=$(timers "$pid")
[ "$n" = 1 ] || fail "stop: $n POSIX timers while the retry is pending, expected 1"
wait "$pid"
expect_stopped stop $? ref.txt

# tcp-ckpt --stop waits through the retries for the image (the SLURM script
# uses it).
start tcp-ckpt -- 2 x 60
wait_child "$pid" || fail "tcp-ckpt: the program started no child"
if img=$("$TCP_CKPT" --stop --timeout 60 "$pid" 2>tcp-ckpt.msg); then
	[ -f "$img" ] || fail "tcp-ckpt: it printed '$img', which is no image"
else
	fail "tcp-ckpt: it failed: $(cat tcp-ckpt.msg)"
fi
wait "$pid"
expect_stopped tcp-ckpt $? ref.txt
# libtcp leaves the status after the exit 85 for tcp-ckpt, which removes it.
st=/tmp/tcp-$(id -u)/$pid
[ ! -e "$st.status" ] && [ ! -e "$st.progress" ] ||
	fail "tcp-ckpt: $st.status or .progress is left after the program ended: $(ls "$st".* 2>&1)"

# upgrade: the program's own SIGUSR1 is refused (retry pending), then SIGTERM.
start upgrade -- 2 raise 60
for _ in $(seq 1 500); do grep -q 'tried again' upgrade.err && break; sleep 0.01; done
kill -TERM "$pid"
for _ in $(seq 1 200); do grep -q 'replaces the pending checkpoint' upgrade.err && break; sleep 0.01; done
n=$(timers "$pid")
[ "$n" = 1 ] || fail "upgrade: $n POSIX timers after the stop signal replaced the retry, expected 1"
wait "$pid"
expect_stopped upgrade $? ref_raise.txt

# tree: a worker with libtcp lives to the end; sleep (without) for 2 s.
start tree -- 2 x 60 0 worker
wait_child "$pid" || fail "tree: the program started no child"
kill -TERM "$pid"
wait "$pid"
expect_stopped tree $? ref_tree.txt

# give-up: the child (3 s) outlives TCP_RETRY=1.
start giveup-usr1 TCP_RETRY=1 -- 3 raise
wait "$pid"
judge_refused giveup-usr1 $? ref_giveup_raise.txt \
	'gave up the checkpoint after [0-9]+ s of retries: the process still has a live child process.*raise TCP_RETRY' \
	"$WORK/giveup-usr1.img"
start giveup-stop TCP_RETRY=1 -- 3 x
wait_child "$pid" || fail "giveup-stop: the program started no child"
kill -TERM "$pid"
wait "$pid"
rc=$?
# Then the program's own SIGTERM handler runs, once (it prints a line).
n=$(grep -c 'term handler called' giveup-stop.out)
[ "$n" = 1 ] || fail "giveup-stop: the program's SIGTERM handler ran $n times after the retries gave up, expected once"
sed -i '/term handler called/d' giveup-stop.out
judge_refused giveup-stop $rc ref_giveup.txt \
	'gave up the stop-signal checkpoint after [0-9]+ s of retries' "$WORK/giveup-stop.img"
grep -q 'the stop signal did not stop the program' giveup-stop.err ||
	fail "giveup-stop: no message that the stop signal did not stop the program: $(cat giveup-stop.err)"
n=$(grep -c 'handler called' giveup-usr1.out)
[ "$n" = 1 ] || fail "giveup-usr1: the program's SIGUSR1 handler ran $n times, expected once"

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
