#!/bin/bash
# Progress for long work (issue 22, item 6): on a terminal, tcp-ckpt shows
# the bytes written of the expected total (rewritten in place with \r) and
# tcp-restore -v the bytes read; into a file (a job log) neither writes a
# progress line, only one summary line each. The terminal is a
# pseudo-terminal from util-linux's script. Nothing here depends on how
# long anything takes: the writer publishes its figures at its start and
# its end, and the blob shows its line at the start, so a terminal always
# gets at least one progress line.
# usage: progress.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-progress.XXXXXX")
failed=0
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	[ -s "$WORK/rpid" ] && kill -9 "$(cat "$WORK/rpid")" 2>/dev/null
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
command -v script >/dev/null || { echo "FAIL: script (util-linux) is missing"; exit 1; }
cd "$WORK" || exit 1
mkdir ck
# waits (at most 60 s) until grep -a finds $1 in file $2
wait_grep() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -aq -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
show() { cat -v "$1" | tr -d '\n'; } # a terminal's output, readably
CR=$'\r' ESC=$'\033'
SIZE='[0-9.]+ (B|KiB|MiB|GiB)'

# 48 MiB of random bytes, then 60 s of 0.1 s steps (killed long before).
env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/ck" "$PROG" idle 48 600 >out.txt 2>err.txt &
pid=$!
wait_grep step out.txt || { echo "FAIL: the program did not start: $(cat err.txt)"; exit 1; }

# 1. tcp-ckpt on a terminal: at least one progress line (the writer's last
#    figures: all of it, 100%), then the summary and the image.
script -qec "'$SCRIPTS/tcp-ckpt' --timeout 60 $pid" tty-ckpt.txt >/dev/null || fail "tcp-ckpt on a terminal failed: $(show tty-ckpt.txt)"
if grep -aEq "${CR}${ESC}\[Ktcp-ckpt: writing the image: $SIZE of $SIZE of memory \(100%\)" tty-ckpt.txt &&
	grep -aEq "^tcp-ckpt: image of $SIZE written in [0-9]+\.[0-9] s" tty-ckpt.txt &&
	grep -aq "$WORK/ck/obstacle.000001.tcp" tty-ckpt.txt; then
	echo "ok: tcp-ckpt on a terminal: $(grep -a 'writing the image' tty-ckpt.txt | tr "$CR" '\n' | grep -a . | tail -1)"
else
	fail "tcp-ckpt on a terminal showed no progress or summary: $(show tty-ckpt.txt)"
fi
# The writer's figures: about the 48 MiB of the program's memory and more.
read -r seq done total ms <"/tmp/tcp-$(id -u)/$pid.progress" || true
if [ "${seq:-0}" = 1 ] && [ "${done:-0}" -ge $((48 << 20)) ] && [ "${total:-0}" = "$done" ]; then
	echo "ok: the writer's last figures: attempt $seq, $done bytes of $total in $ms ms"
else
	fail "the writer's progress file says '$(cat "/tmp/tcp-$(id -u)/$pid.progress" 2>&1)'"
fi

# 2. tcp-ckpt into a file: one summary line, no progress line.
img=$("$SCRIPTS/tcp-ckpt" --timeout 60 "$pid" 2>log-ckpt.txt) || fail "tcp-ckpt into a file failed: $(cat log-ckpt.txt)"
if [ "$img" = "$WORK/ck/obstacle.000002.tcp" ] && [ "$(wc -l <log-ckpt.txt)" = 1 ] &&
	grep -Eq "^tcp-ckpt: image of $SIZE written in [0-9]+\.[0-9] s( \($SIZE/s written\))?$" log-ckpt.txt &&
	! grep -q "$CR" log-ckpt.txt; then
	echo "ok: tcp-ckpt into a file: $(cat log-ckpt.txt)"
else
	fail "tcp-ckpt into a file printed '$img' and: $(show log-ckpt.txt)"
fi
kill -9 "$pid"
wait "$pid" 2>/dev/null

# 3. tcp-restore -v on a terminal: the progress line of the page reads,
#    then the summary. It runs the program on; killed once the pages are in.
script -qfec "echo \$\$ >rpid; exec '$RESTORE' -v ck" tty-restore.txt >/dev/null &
spid=$!
if wait_grep "of page data in" tty-restore.txt &&
	grep -aEq "${CR}${ESC}\[Ktcp-restore: reading pages: $SIZE of $SIZE \([0-9]+%\)" tty-restore.txt &&
	grep -aEq "${CR}${ESC}\[Ktcp-restore: read $SIZE of page data in [0-9]+\.[0-9] s" tty-restore.txt; then
	echo "ok: tcp-restore -v on a terminal: $(grep -a 'reading pages' tty-restore.txt | tr "$CR" '\n' | grep -a 'reading pages' | head -1)"
else
	fail "tcp-restore -v on a terminal showed no progress: $(show tty-restore.txt)"
fi
kill -9 "$(cat rpid)" 2>/dev/null
wait "$spid" 2>/dev/null
: >rpid

# 4. tcp-restore -v into a file: one summary line, no progress line.
"$RESTORE" -v ck >/dev/null 2>log-restore.txt &
rpid=$!
if wait_grep "of page data in" log-restore.txt &&
	[ "$(grep -c 'page data' log-restore.txt)" = 1 ] &&
	grep -Eq "^tcp-restore: read $SIZE of page data in [0-9]+\.[0-9] s( \($SIZE/s\))?$" log-restore.txt &&
	! grep -q "reading pages" log-restore.txt && ! grep -q "$CR" log-restore.txt; then
	echo "ok: tcp-restore -v into a file: $(grep 'page data' log-restore.txt)"
else
	fail "tcp-restore -v into a file: $(show log-restore.txt)"
fi
kill -9 "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null

[ $failed = 0 ] && rm -rf "$WORK"
exit $failed
