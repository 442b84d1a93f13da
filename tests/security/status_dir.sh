#!/bin/bash
# Issue 19, items 3 and 10: the status directory /tmp/tcp-UID and tcp-ckpt.
#  - user B made /tmp/tcp-A (A's uid) before A's image is restored on this
#    node, and planted symlinks to A's file as A's status files there: the
#    restored program writes nothing into B's directory, follows nothing,
#    and says once that it cannot report;
#  - tcp-ckpt refuses a status directory of B's (which B fills with a status
#    naming B's file) instead of printing B's path;
#  - tcp-ckpt on a program whose libtcp turned itself off (TCP_KEEP=0)
#    refuses without a signal: the program runs on untouched.
# usage: status_dir.sh LIBTCP TCP_RESTORE OBSTACLE SCRIPTS_DIR ...
LIBTCP=$1 RESTORE=$2 PROG=$3 SCRIPTS=$4
source "$(dirname "${BASH_SOURCE[0]}")/shared_places_lib.sh"
SA=/tmp/tcp-$UID_A

# A checkpoint of A's program, made on a clean node.
mkdir_of $UID_A a
echo "A's own data" >"$WORK/a/victim"
chown $UID_A:$UID_A "$WORK/a/victim"
victim_sum=$(md5sum <"$WORK/a/victim")
"${A[@]}" sh -c "cd '$WORK/a' && LD_PRELOAD='$LIBTCP' TCP_LOG=1 exec '$WORK/obstacle' heap 1 4000 >out.txt 2>err.txt" &
pid=$!
wait_for "A's program starts" grep -q step "$WORK/a/out.txt"
kill -USR1 "$pid"
wait_for "A's first image" test -L "$WORK/a/latest"
kill -9 "$pid"
wait "$pid" 2>/dev/null

# The image travels to a node where B made /tmp/tcp-A first.
rm -rf "$SA"
"${B[@]}" mkdir -m 777 "$SA"
# (The restored program's stderr is its own err.txt again.)
"${A[@]}" "$WORK/tcp-restore" "$WORK/a" >/dev/null 2>"$WORK/a/restore.err" &
rpid=$!
wait_for "the restored program runs" grep -q "restored; the program continues" "$WORK/a/err.txt"
for f in "$rpid.status.tmp" "$rpid.status"; do
	"${B[@]}" ln -s "$WORK/a/victim" "$SA/$f"
done
for n in 2 3; do
	kill -USR1 "$rpid"
	wait_for "checkpoint $n after the restore" grep -q "checkpoint $n written" "$WORK/a/err.txt"
done
[ "$(md5sum <"$WORK/a/victim")" = "$victim_sum" ] && echo "ok: A's file behind B's symlinks is unchanged" ||
	fail "the restored program wrote through B's symlink into A's file: $(head -c 200 "$WORK/a/victim")"
mine=$(find "$SA" -user $UID_A 2>/dev/null)
[ -z "$mine" ] && echo "ok: nothing of A's in B's $SA" || fail "the restored program wrote into B's $SA: $mine"
said=$(grep -c "cannot report checkpoint outcomes in $SA" "$WORK/a/err.txt")
[ "$said" = 1 ] && echo "ok: said once: $(grep "cannot report" "$WORK/a/err.txt")" ||
	fail "'cannot report' said $said times after the restore, expected once: $(cat "$WORK/a/err.txt")"

# tcp-ckpt must not trust B's directory: B keeps a status there that names
# a file of B's as the newest image.
echo "B's fake image" >"$WORK/fake.tcp"
chown $UID_B:$UID_B "$WORK/fake.tcp"
"${B[@]}" bash -c "n=100; while :; do n=\$((n+1)); echo \"\$n ok $WORK/fake.tcp\" >$SA/.x && mv -f $SA/.x $SA/$rpid.status; sleep 0.05; done" &
planter=$!
out=$("${A[@]}" "$SCRIPTS/tcp-ckpt" --timeout 20 "$rpid" 2>"$WORK/ckpt.err")
rc=$?
kill "$planter"
wait "$planter" 2>/dev/null
if [ "$rc" = 1 ] && grep -q "status directory $SA is not a private directory of uid $UID_A" "$WORK/ckpt.err" && [ -z "$out" ]; then
	echo "ok: tcp-ckpt refuses B's status directory: $(cat "$WORK/ckpt.err")"
else
	fail "tcp-ckpt with B's status directory: status $rc, printed '$out': $(cat "$WORK/ckpt.err")"
fi
kill -9 "$rpid"
wait "$rpid" 2>/dev/null

# Once the directory is A's again, the same restored program reports.
rm -rf "$SA"
"${A[@]}" "$WORK/tcp-restore" "$WORK/a" >/dev/null 2>"$WORK/a/restore2.err" &
rpid=$!
restored_twice() { [ "$(grep -c "restored; the program continues" "$WORK/a/err.txt")" = 2 ]; }
wait_for "the second restore runs" restored_twice
img=$("${A[@]}" "$SCRIPTS/tcp-ckpt" --timeout 60 "$rpid" 2>"$WORK/ckpt.err")
[ $? = 0 ] && [ "$img" = "$WORK/a/$(latest_of "$WORK/a")" ] && echo "ok: tcp-ckpt after the restore: $img" ||
	fail "tcp-ckpt on a restored program with A's own status directory: '$img' $(cat "$WORK/ckpt.err")"
[ "$(stat -c '%u %a' "$SA")" = "$UID_A 700" ] || fail "$SA is $(stat -c '%u %a' "$SA"), not A's 0700"
kill -9 "$rpid"
wait "$rpid" 2>/dev/null

# libtcp turned off (TCP_KEEP=0): tcp-ckpt refuses, the program lives on.
"${A[@]}" sh -c "cd '$WORK/a' && LD_PRELOAD='$LIBTCP' TCP_KEEP=0 exec '$WORK/obstacle' heap 1 4000 >off.txt 2>off.err" &
pid=$!
wait_for "the program without checkpoints starts" grep -q step "$WORK/a/off.txt"
expect "tcp-ckpt on a disabled libtcp" 1 "checkpointing is off in process $pid: TCP_KEEP='0'.*no signal was sent" \
	"${A[@]}" "$SCRIPTS/tcp-ckpt" --timeout 20 "$pid"
expect "tcp-ckpt --stop on a disabled libtcp" 1 "checkpointing is off" "${A[@]}" "$SCRIPTS/tcp-ckpt" --stop --timeout 20 "$pid"
state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
case $state in
[RSD]) echo "ok: the program runs on (state $state)" ;;
*) fail "the program with libtcp turned off is '${state:-gone}' after tcp-ckpt" ;;
esac
kill -9 "$pid"
wait "$pid" 2>/dev/null
finish
