#!/bin/bash
# Issue 19, item 4: the files libtcp keeps in TCP_DIR, and which image
# directories libtcp and tcp-run accept.
#  - `finished` as a symlink to another file of A's: the file stays as it
#    was, `finished` becomes a plain file; one planted by B in a shared
#    sticky directory is not followed, and the failure is said;
#  - a `latest` that cannot be replaced (a directory of that name; one
#    planted by B in a shared sticky directory) fails the checkpoint, which
#    tcp-ckpt reports, and leaves no new image behind;
#  - tcp-run refuses a directory of B's and a world-writable one that is not
#    sticky; libtcp turns itself off for the latter (and tcp-ckpt says so);
#    a sticky shared directory is accepted; tcp-restore refuses an image in
#    a world-writable directory that is not sticky.
# usage: image_dir.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR ...
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
source "$(dirname "${BASH_SOURCE[0]}")/shared_places_lib.sh"

# Runs the short program as A with TCP_DIR=$1 to its end.
run_to_end() {
	"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$1" TCP_LOG=0 "$WORK/obstacle" plain >/dev/null 2>"$2"
}

# `finished` as a symlink to another file of A's, in A's own directory.
mkdir_of $UID_A fin
echo "A's results" >"$WORK/fin/results.txt"
chown $UID_A:$UID_A "$WORK/fin/results.txt"
"${A[@]}" ln -s results.txt "$WORK/fin/finished"
run_to_end "$WORK/fin" "$WORK/fin.err"
if [ "$(cat "$WORK/fin/results.txt")" = "A's results" ] && [ -f "$WORK/fin/finished" ] && [ ! -L "$WORK/fin/finished" ]; then
	echo "ok: finished replaced the symlink, A's other file is intact: $(cat "$WORK/fin/finished")"
else
	fail "finished written through a symlink: results.txt holds '$(head -c 100 "$WORK/fin/results.txt")', finished: $(ls -l "$WORK/fin/finished")"
fi

# In a shared sticky directory B plants `finished`: not followed, and said.
mkdir -p "$WORK/shared"
chmod 1777 "$WORK/shared"
"${B[@]}" ln -s "$WORK/fin/results.txt" "$WORK/shared/finished"
run_to_end "$WORK/shared" "$WORK/shared-fin.err"
grep -q "cannot write $WORK/shared/finished" "$WORK/shared-fin.err" && [ "$(cat "$WORK/fin/results.txt")" = "A's results" ] &&
	echo "ok: B's planted finished: $(cat "$WORK/shared-fin.err")" ||
	fail "B's planted finished in a sticky directory: results.txt '$(head -c 100 "$WORK/fin/results.txt")', stderr: $(cat "$WORK/shared-fin.err")"
rm -f "$WORK/shared/finished"

# A `latest` that cannot be replaced fails the checkpoint.
# $1: the directory; the program runs as A and tcp-ckpt checkpoints it.
latest_blocked() {
	local dir=$1 what=$2 pattern=$3
	"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$dir" TCP_LOG=1 "$WORK/obstacle" heap 1 400 >"$WORK/lb.out" 2>"$WORK/lb.err" &
	local pid=$!
	wait_for "the program starts" grep -q step "$WORK/lb.out"
	local out rc
	out=$("${A[@]}" "$SCRIPTS/tcp-ckpt" --timeout 60 "$pid" 2>"$WORK/lb.ckpt")
	rc=$?
	if [ "$rc" = 1 ] && grep -Eq "$pattern" "$WORK/lb.ckpt" && grep -q "checkpoint failed: .*latest" "$WORK/lb.err" &&
		[ -z "$(find "$dir" -name 'obstacle.*.tcp' -user $UID_A)" ] && kill -0 "$pid" 2>/dev/null; then
		echo "ok: $what: $(cat "$WORK/lb.ckpt")"
	else
		fail "$what: tcp-ckpt status $rc, printed '$out': $(cat "$WORK/lb.ckpt"); program: $(cat "$WORK/lb.err"); images: $(ls "$dir")"
	fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
}
mkdir_of $UID_A dirlatest
"${A[@]}" mkdir "$WORK/dirlatest/latest"
latest_blocked "$WORK/dirlatest" "a directory named latest" "latest cannot point at it: a directory"
mkdir_of $UID_A b-img
"${B[@]}" ln -s obstacle.000007.tcp "$WORK/shared/latest"
latest_blocked "$WORK/shared" "B's latest in a sticky directory" "latest cannot point at it: it was made by uid $UID_B"
rm -f "$WORK/shared/latest" "$WORK/shared/.tcp-lock"

# Directories tcp-run refuses, and one it accepts.
mkdir_of $UID_B bdir
chmod 777 "$WORK/bdir"
expect "tcp-run with B's directory" 1 "refusing the image directory $WORK/bdir: it belongs to uid $UID_B" \
	"${A[@]}" "$SCRIPTS/tcp-run" --dir "$WORK/bdir" -- "$WORK/obstacle" plain
mkdir_of $UID_A open
chmod 777 "$WORK/open"
expect "tcp-run with a world-writable directory" 1 "other users may write it \(mode 0777\) and it is not sticky" \
	"${A[@]}" "$SCRIPTS/tcp-run" --dir "$WORK/open" -- "$WORK/obstacle" plain
[ -z "$(ls -A "$WORK/open")" ] || fail "tcp-run left something in the refused directory: $(ls -A "$WORK/open")"
# libtcp alone turns itself off there, and tcp-ckpt says why.
"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/open" "$WORK/obstacle" heap 1 400 >"$WORK/open.out" 2>"$WORK/open.err" &
pid=$!
wait_for "the program starts" grep -q step "$WORK/open.out"
grep -q "TCP_DIR $WORK/open: other users may write it.*checkpointing is disabled" "$WORK/open.err" &&
	echo "ok: libtcp: $(cat "$WORK/open.err")" || fail "libtcp with a world-writable TCP_DIR: $(cat "$WORK/open.err")"
expect "tcp-ckpt where TCP_DIR is world-writable" 1 "checkpointing is off in process $pid: TCP_DIR" \
	"${A[@]}" "$SCRIPTS/tcp-ckpt" --timeout 20 "$pid"
kill -0 "$pid" 2>/dev/null && echo "ok: the program runs on" || fail "the program died after tcp-ckpt"
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect "tcp-run with a sticky shared directory" 0 "" "${A[@]}" "$SCRIPTS/tcp-run" --dir "$WORK/shared" --log 0 -- "$WORK/obstacle" plain
# tcp-restore refuses an image in a directory others may write (they could
# have swapped 'latest' or the image for another of A's).
a_files "$WORK/img.out"
"${A[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/shared" "$WORK/obstacle" heap 1 4000 >"$WORK/img.out" 2>/dev/null &
pid=$!
wait_for "the program starts" grep -q step "$WORK/img.out"
img=$("${A[@]}" "$SCRIPTS/tcp-ckpt" --stop --timeout 60 "$pid") || fail "no image to restore: $img"
wait "$pid"
expect "tcp-restore from a sticky shared directory" 0 "can be restored" "${A[@]}" "$WORK/tcp-restore" --check "$img"
cp -p "$img" "$WORK/open/"
expect "tcp-restore from a world-writable directory" 1 "other users may write its directory $WORK/open \(mode 0777\)" \
	"${A[@]}" "$WORK/tcp-restore" --check "$WORK/open/${img##*/}"
finish
