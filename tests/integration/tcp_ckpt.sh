#!/bin/bash
# tcp-ckpt and tcp-run together: launch through tcp-run, checkpoint with
# tcp-ckpt (it prints the image), stop with tcp-ckpt --stop (exit 85), resume
# with the same tcp-run line, and finish with the uninterrupted output.
# tcp-ckpt must fail clearly for a refused checkpoint and a non-tcp process.
# usage: tcp_ckpt.sh SCRIPTS_DIR BUILD_DIR OBSTACLE_PROG
set -u
SCRIPTS=$1 BUILD=$2 PROG=$3
export TCP_LIB=$BUILD/libtcp.so TCP_RESTORE=$BUILD/tcp-restore
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-ckpt.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }

"$PROG" plain >ref.txt

"$SCRIPTS/tcp-run" --dir ckpt --log 0 -- "$PROG" plain >out.txt 2>err.txt &
pid=$!
sleep 0.5
img=$("$SCRIPTS/tcp-ckpt" --timeout 60 "$pid") || die "tcp-ckpt failed"
[ -f "$img" ] && [ "$img" = "$WORK/ckpt/$(readlink ckpt/latest)" ] || die "tcp-ckpt printed '$img', latest is $(readlink ckpt/latest)"
echo "ok: tcp-ckpt printed $img"
img2=$("$SCRIPTS/tcp-ckpt" --stop --timeout 60 "$pid") || die "tcp-ckpt --stop failed"
wait "$pid"
rc=$?
[ "$rc" = 85 ] || die "the program exited $rc after --stop, expected 85"
[ -d "/proc/$pid" ] && die "tcp-ckpt --stop returned while the program still runs"
echo "ok: tcp-ckpt --stop printed $img2, program exited 85"

"$SCRIPTS/tcp-run" --dir ckpt --log 0 -- "$PROG" plain >/dev/null 2>resume.err
rc=$?
[ "$rc" = 0 ] || die "the resumed run exited $rc: $(cat resume.err)"
cmp -s ref.txt out.txt || die "the resumed run's output differs from the uninterrupted run"
echo "ok: tcp-run resumed the run to the uninterrupted output"

# That run has finished: the same line starts the program anew instead of
# resuming (and rolling out.txt back to) an image of a run that is over.
[ -f ckpt/finished ] || die "no ckpt/finished after the run ended"
"$SCRIPTS/tcp-run" --dir ckpt --log 0 -- "$PROG" plain >again.txt 2>again.err
rc=$?
[ "$rc" = 0 ] && cmp -s ref.txt again.txt && grep -q "has finished.*starting the program anew" again.err ||
	die "after a finished run, tcp-run did not start afresh: status $rc, $(cat again.err)"
cmp -s ref.txt out.txt || die "starting afresh changed the earlier run's output"
echo "ok: a finished run is started afresh: $(cat again.err)"

# A program that ends while its forked writer still writes a checkpoint:
# `finished` must come after that image, or tcp-run would resume it.
if [ -x /usr/bin/python3 ]; then
	rm -rf fin && mkdir fin
	LD_PRELOAD=$BUILD/libtcp.so TCP_DIR=$WORK/fin TCP_LOG=0 /usr/bin/python3 -c '
import os, signal
heap = bytearray(os.urandom(1 << 20)) * 192
os.kill(os.getpid(), signal.SIGUSR1)' || die "the python program under libtcp failed"
	[ -f fin/finished ] && [ -e fin/latest ] || die "when the program had ended, fin/ held: $(ls fin | tr '\n' ' ')(an image and 'finished' expected)"
	[ fin/finished -nt "fin/$(readlink fin/latest)" ] ||
		die "fin/finished is older than the image written while the program ended"
	echo "ok: a program that ends during a checkpoint writes 'finished' after the image"
fi

# tcp-run's huge pages: by default the malloc heap has MADV_HUGEPAGE (glibc
# does it where the kernel's THP mode is 'madvise'), and the resumed program
# still has it; --no-thp, or the user's own glibc.malloc.hugetlb=0, leave it
# without.
if [ -x /usr/bin/python3 ] && grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	cat >thp.py <<'EOF'
import os, time
def hg():
    return any(l.startswith("VmFlags:") and " hg" in l for l in open("/proc/self/smaps"))
heap = bytearray(64 << 20)
print("huge pages before:", hg(), flush=True)
while not os.path.exists("thp.go"):
    time.sleep(0.02)
print("huge pages after:", hg(), flush=True)
EOF
	for mode in default no-thp tunable; do
		rm -rf "ck-$mode" thp.go
		opt=() envs=()
		[ "$mode" = no-thp ] && opt=(--no-thp)
		[ "$mode" = tunable ] && envs=(GLIBC_TUNABLES=glibc.malloc.hugetlb=0)
		env ${envs[@]+"${envs[@]}"} "$SCRIPTS/tcp-run" ${opt[@]+"${opt[@]}"} --dir "ck-$mode" --log 0 -- /usr/bin/python3 thp.py >"thp-$mode.txt" 2>&1 &
		pid=$!
		for _ in $(seq 500); do grep -q before "thp-$mode.txt" && break; sleep 0.02; done
		"$SCRIPTS/tcp-ckpt" --stop --timeout 60 "$pid" >/dev/null || die "tcp-ckpt --stop of thp.py ($mode) failed"
		wait "$pid"
		touch thp.go
		"$SCRIPTS/tcp-run" --dir "ck-$mode" --log 0 -- /usr/bin/python3 thp.py >>"thp-$mode.txt" 2>&1 ||
			die "thp.py ($mode) did not resume: $(cat "thp-$mode.txt")"
	done
	[ "$(cat thp-default.txt)" = $'huge pages before: True\nhuge pages after: True' ] || die "tcp-run by default: $(cat thp-default.txt)"
	[ "$(cat thp-no-thp.txt)" = $'huge pages before: False\nhuge pages after: False' ] || die "with --no-thp: $(cat thp-no-thp.txt)"
	[ "$(cat thp-tunable.txt)" = $'huge pages before: False\nhuge pages after: False' ] || die "with GLIBC_TUNABLES=glibc.malloc.hugetlb=0: $(cat thp-tunable.txt)"
	echo "ok: tcp-run gives the heap MADV_HUGEPAGE by default, kept across the restore; not with --no-thp or the user's hugetlb=0"
fi

# A pipe to another process on fd 3 (cat, the script's child, not the program's).
exec 3> >(cat >/dev/null)
LD_PRELOAD=$BUILD/libtcp.so TCP_LOG=0 "$PROG" pipe >/dev/null 2>&1 &
pid=$!
exec 3>&-
sleep 0.5
msg=$("$SCRIPTS/tcp-ckpt" --timeout 30 "$pid" 2>&1)
rc=$?
kill -9 "$pid"
[ "$rc" = 1 ] && grep -q "failed: cannot checkpoint fd" <<<"$msg" || die "refused checkpoint: status $rc, '$msg'"
echo "ok: $msg"

sleep 30 &
msg=$("$SCRIPTS/tcp-ckpt" $! 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "does not run under libtcp" <<<"$msg" || die "non-tcp process: status $rc, '$msg'"
echo "ok: $msg"
echo PASS
rm -rf "$WORK"
