#!/bin/bash
# stdout and stderr on one pipe to another program (`app 2>&1 | cat`): both
# are taken from tcp-restore (fd 2 as well, though it shares fd 1's open file
# description), and the restored run, piped the same way, completes the
# output of the uninterrupted run.
# usage: stdio_pipes.sh LIBTCP TCP_RESTORE TCP_INSPECT EVENT_LOOP
set -u
LIBTCP=$1 RESTORE=$2 INSPECT=$3 PROG=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-stdiopipe.XXXXXX")
failed=0
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; failed=1; }
cd "$WORK" || exit 1
"$PROG" 2>&1 | cat >ref.txt

# The app's pid is the one whose image appears; the pipeline is its own job.
(LD_PRELOAD=$LIBTCP TCP_DIR=$WORK TCP_LOG=0 exec "$PROG" 2>&1 | cat >out.txt) &
pid=
for _ in $(seq 1 100); do
	for p in $(pgrep -P "$!"); do [ "$(readlink /proc/$p/exe)" = "$PROG" ] && pid=$p; done
	[ -n "$pid" ] && break
	sleep 0.02
done
[ -n "$pid" ] || { echo "FAIL: program not found"; exit 1; }
sleep 1
kill -USR1 "$pid"
for _ in $(seq 1 200); do [ -L latest ] && break; sleep 0.02; done
sleep 0.2
kill -9 "$pid"
wait
fds=$("$INSPECT" latest | awk '$1 ~ /^[0-9]+$/ && $1 <= 2 { print $1, $2 }' | tr '\n' ' ')
[ "$fds" = "0 device 1 inherited 2 inherited " ] || fail "fds 0-2 in the image: '$fds'"
"$RESTORE" latest 2>&1 | grep -v '^tcp' | cat >>out.txt
if cmp -s ref.txt out.txt; then
	echo "ok: app 2>&1 | cat: restored output identical; fds 0-2: $fds"
else
	fail "output differs: $(diff ref.txt out.txt | head -5)"
fi
exit $failed
