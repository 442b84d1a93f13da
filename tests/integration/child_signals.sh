#!/bin/bash
# libtcp checkpoints the process started under it, not its children (issue
# 19, item 15): in a child it forks or a program a child executes, SIGTERM,
# SIGUSR1 and signal 62 do exactly what they do without libtcp (default
# action, the program's handler with its mask, SIG_IGN, blocked), no
# child writes an image or says anything; `timeout` stops a child of a
# program under libtcp; Python's multiprocessing.Pool, which stops its
# workers with SIGTERM, never hangs at shutdown.
# usage: child_signals.sh LIBTCP CHILD_SIGNALS
set -u
LIBTCP=$1 PROG=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-childsig.XXXXXX")
failed=0
fail() { echo "FAIL: $*"; failed=1; }
cd "$WORK" || exit 1
mkdir img

# No image but the root's `finished` mark, or a message naming the case.
no_images() {
	local extra
	extra=$(ls -A img | grep -Ev '^(finished|\.tcp-lock)$')
	[ -z "$extra" ] || fail "$1: the children wrote into TCP_DIR: $extra"
	rm -f img/*
}

timeout -s KILL 120 "$PROG" >ref.txt 2>ref.err || fail "reference run: status $?: $(cat ref.err)"
timeout -s KILL 120 env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" "$PROG" >tcp.txt 2>tcp.err
rc=$?
if [ $rc != 0 ]; then
	fail "under libtcp: status $rc (137: a child did not end; it took its signal as a checkpoint request)"
fi
if ! cmp -s ref.txt tcp.txt; then
	fail "the children ended differently under libtcp:"
	diff ref.txt tcp.txt
fi
[ -s tcp.err ] && fail "messages under libtcp (a child took its signal as a checkpoint request): $(cat tcp.err)"
no_images "cases"
[ $failed = 0 ] && echo "ok: every case as without libtcp: $(tr '\n' ';' <tcp.txt)"

# timeout sends SIGTERM to the program and its process group: the child
# (which executed a program, so libtcp is loaded in it too) must die of it.
timeout -s KILL 60 timeout 1 env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" TCP_STOP_SIGNAL=none "$PROG" timeout >timeout.txt 2>timeout.err
if ! grep -q 'child of a program stopped by timeout: killed by signal 15' timeout.txt; then
	fail "timeout: $(cat timeout.txt) $(cat timeout.err)"
else
	echo "ok: timeout: $(cat timeout.txt)"
fi
no_images "timeout"

# multiprocessing.Pool: `with Pool` ends with terminate(), SIGTERM to each
# worker, then joins them; a worker that survives hangs the program.
if command -v python3 >/dev/null; then
	cat >pool.py <<'PY'
from multiprocessing import Pool
with Pool(2) as p:
    print(sum(p.map(abs, range(100))))
PY
	hangs=0
	for i in $(seq 1 20); do
		timeout -s KILL 60 env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img" python3 pool.py >pool.out 2>pool.err
		rc=$?
		if [ $rc = 137 ]; then
			hangs=$((hangs + 1))
		elif [ $rc != 0 ] || [ "$(cat pool.out)" != 4950 ]; then
			fail "Pool run $i: status $rc, output '$(cat pool.out)': $(cat pool.err)"
		fi
		[ -s pool.err ] && fail "Pool run $i: messages: $(cat pool.err)"
	done
	[ $hangs = 0 ] || fail "multiprocessing.Pool hung at shutdown in $hangs of 20 runs"
	[ $hangs = 0 ] && echo "ok: multiprocessing.Pool: 20 runs, none hung"
	no_images "Pool"
else
	echo "skip: Pool (no python3)"
fi

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
