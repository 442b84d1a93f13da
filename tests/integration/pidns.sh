#!/bin/bash
# tcp-restore runs the program in a new PID namespace, as the pid it had:
#  (a) after a restore the program's getpid(), gettid(), /proc/self/stat and
#      /proc/self/task show the pid it had before the checkpoint;
#  (b) tcp-ckpt on the tcp-restore pid writes an image and reports it, also
#      with --stop (tcp-restore then exits 85), and kill -USR1 of the
#      tcp-restore pid (forwarded) writes one too;
#  (c) kill -9 of the tcp-restore pid leaves no process of the run behind;
#  (d) --no-namespace restores a single-threaded program in the tcp-restore
#      process itself (its pid is then tcp-restore's);
#  (e) so does tcp-restore where no PID namespace can be made (as root).
# Run as root, then as uid 65534 (a user namespace) when setpriv is there.
# usage: pidns.sh LIBTCP TCP_RESTORE SCRIPTS_DIR SAME_PID_PROG
set -u
LIBTCP=$1 RESTORE=$2 SCRIPTS=$3 PROG=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-pidns.XXXXXX")
chmod 755 "$WORK"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
die() { echo "FAIL ($mode): $*"; echo "work dir kept: $WORK"; exit 1; }

# Running, or at least not yet dead (a zombie counts as gone).
alive() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# Every descendant of process $1.
descendants() {
	local c
	# shellcheck disable=SC2013  # one pid per word
	for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# wait_for WHAT CMD...: up to 20 s until CMD succeeds.
wait_for() {
	local what=$1 _
	shift
	for _ in $(seq 1 1000); do
		"$@" && return 0
		sleep 0.02
	done
	die "timeout waiting for $what"
}

latest() { readlink "$D/img/latest" 2>/dev/null; }
latest_is_not() { local l; l=$(latest) && [ "$l" != "$1" ]; }
has_line() { grep -q "$1" "$D/out.txt"; }

# start_restore [OPTIONS]: tcp-restore img in $D, in the background; sets Q.
n=0
start_restore() {
	n=$((n + 1))
	(cd "$D" && exec "${AS[@]}" "$RESTORE" "$@" img) </dev/null >"$D/restore_out.$n" 2>>"$D/restore.err" &
	Q=$!
	pids+=("$Q")
}

# The program restored under tcp-restore $1: the descendant mapping libtcp.
app_of() {
	local p
	for p in $(descendants "$1"); do
		grep -q '/libtcp\.so' "/proc/$p/maps" 2>/dev/null && { echo "$p"; return 0; }
	done
	return 1
}
has_app() { app_of "$1" >/dev/null; }

# The last "end pid" line must show pid $1 everywhere.
check_end() {
	local want=$1 line
	line=$(grep '^end pid' "$D/out.txt" | tail -1)
	[ "$line" = "end pid $want tid $want stat $want task $want" ] ||
		die "expected 'end pid $want tid $want stat $want task $want', the program printed '$line'"
}

run_mode() {
	mode=$1
	D=$WORK/$mode
	mkdir -p "$D/img"
	: >"$D/out.txt"
	: >"$D/err.txt"
	: >"$D/restore.err"
	[ "$mode" = nobody ] && chown -R 65534:65534 "$D"

	# The original run, checkpointed once and killed.
	(cd "$D" && exec "${AS[@]}" env LD_PRELOAD="$LIBTCP" TCP_DIR="$D/img" "$PROG") </dev/null >"$D/out.txt" 2>"$D/err.txt" &
	local p=$!
	pids+=("$p")
	wait_for "the program to start" has_line '^start pid'
	local orig
	orig=$(sed -n 's/^start pid //p' "$D/out.txt")
	[ "$orig" = "$p" ] || die "the program says it is pid $orig, the shell started pid $p"
	"${AS[@]}" kill -USR1 "$p"
	wait_for "the first image" latest_is_not ""
	kill -9 "$p"
	wait "$p" 2>/dev/null
	echo "ok ($mode): program pid $orig checkpointed and killed"

	# (a), (b): restore, checkpoint through the tcp-restore pid.
	start_restore
	local a
	wait_for "the restored program" has_app "$Q"
	a=$(app_of "$Q")
	local nspid
	nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$a/status")
	[ "$nspid" = "$orig" ] || die "the restored program (pid $a here) has pid '$nspid' in its namespace, not $orig"
	local img out before
	before=$(latest)
	out=$("${AS[@]}" "$SCRIPTS/tcp-ckpt" --timeout 30 "$Q" 2>"$D/ckpt.err") ||
		die "tcp-ckpt $Q (tcp-restore): $out $(cat "$D/ckpt.err"); $(cat "$D/restore.err" "$D/err.txt")"
	img=$out
	[ -f "$img" ] && [ "$img" = "$D/img/$(latest)" ] && [ "$(latest)" != "$before" ] ||
		die "tcp-ckpt $Q printed '$img', latest is $(latest) (was $before)"
	echo "ok ($mode): tcp-ckpt on the tcp-restore pid $Q wrote $img"
	before=$(latest)
	"${AS[@]}" kill -USR1 "$Q" || die "cannot signal tcp-restore $Q"
	wait_for "an image after kill -USR1 of tcp-restore" latest_is_not "$before"
	echo "ok ($mode): kill -USR1 $Q (tcp-restore) was forwarded: $(latest)"
	before=$(latest)
	out=$("${AS[@]}" "$SCRIPTS/tcp-ckpt" --stop --timeout 30 "$Q" 2>"$D/ckpt.err") ||
		die "tcp-ckpt --stop $Q: $out $(cat "$D/ckpt.err")"
	wait "$Q"
	local rc=$?
	[ "$rc" = 85 ] || die "tcp-restore exited $rc after tcp-ckpt --stop, expected 85"
	[ "$out" = "$D/img/$(latest)" ] && [ "$(latest)" != "$before" ] ||
		die "tcp-ckpt --stop printed '$out', latest is $(latest)"
	alive "$a" && die "the program (pid $a) still runs after tcp-restore exited"
	echo "ok ($mode): tcp-ckpt --stop $Q wrote $out, tcp-restore exited 85"

	# (c): kill -9 of tcp-restore takes everything with it.
	start_restore
	wait_for "the restored program" has_app "$Q"
	local left
	left=$(descendants "$Q")
	[ -n "$left" ] || die "tcp-restore $Q has no child"
	"${AS[@]}" kill -9 "$Q"
	wait "$Q" 2>/dev/null
	gone() {
		local x
		for x in $left; do alive "$x" && return 1; done
		return 0
	}
	wait_for "the processes of tcp-restore $Q ($left) to end after kill -9" gone
	echo "ok ($mode): kill -9 $Q (tcp-restore) left nothing behind (was: ${left//$'\n'/ })"

	# (a): the run ends as the pid it started as.
	start_restore
	wait_for "the restored program" has_app "$Q"
	touch "$D/done"
	wait "$Q"
	rc=$?
	[ "$rc" = 0 ] || die "the restored run exited $rc: $(cat "$D/restore.err")"
	check_end "$orig"
	echo "ok ($mode): the restored program ended as pid $orig ($(grep '^end pid' "$D/out.txt" | tail -1))"

	# (d): --no-namespace, in the tcp-restore process itself.
	rm -f "$D/done"
	start_restore --no-namespace
	wait_for "the program in tcp-restore $Q" grep -q '/libtcp\.so' "/proc/$Q/maps"
	[ -z "$(descendants "$Q")" ] || die "--no-namespace: tcp-restore $Q has children: $(descendants "$Q")"
	touch "$D/done"
	wait "$Q"
	rc=$?
	[ "$rc" = 0 ] || die "the --no-namespace run exited $rc: $(cat "$D/restore.err")"
	check_end "$Q"
	echo "ok ($mode): --no-namespace restored the program as pid $Q (tcp-restore's own)"

	# (e): where no PID namespace may be made (here: a user namespace whose
	# user.max_pid_namespaces is 0), a single-threaded program is restored
	# in place, with -v saying why.
	[ "$mode" = root ] && command -v unshare >/dev/null || return 0
	if ! unshare -U -r sh -c 'echo 0 >/proc/sys/user/max_pid_namespaces' 2>/dev/null; then
		echo "skip ($mode): cannot make a user namespace without PID namespaces to try the fallback"
		return 0
	fi
	rm -f "$D/done"
	# shellcheck disable=SC2016  # expanded by that sh
	(cd "$D" && exec unshare -U -r sh -c 'echo 0 >/proc/sys/user/max_pid_namespaces && exec "$0" -v img' "$RESTORE") \
		</dev/null >"$D/restore_out.fallback" 2>"$D/fallback.err" &
	Q=$!
	pids+=("$Q")
	wait_for "the program restored in place" grep -q '/libtcp\.so' "/proc/$Q/maps"
	touch "$D/done"
	wait "$Q"
	rc=$?
	[ "$rc" = 0 ] || die "the fallback run exited $rc: $(cat "$D/fallback.err")"
	grep -q "cannot make a new PID namespace.*restoring in this process instead" "$D/fallback.err" ||
		die "tcp-restore -v did not say why it restored in place: $(cat "$D/fallback.err")"
	check_end "$Q"
	echo "ok ($mode): without PID namespaces the program was restored in place as pid $Q"
}

AS=()
if [ "$(id -u)" = 0 ]; then run_mode root; else run_mode "uid$(id -u)"; fi
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	if "${AS[@]}" test -x "$RESTORE" -a -r "$LIBTCP" -a -x "$PROG" -a -x "$SCRIPTS/tcp-ckpt"; then
		run_mode nobody
	else
		echo "skip (nobody): tcp-restore, libtcp or the program not accessible to uid 65534"
	fi
fi
echo PASS
rm -rf "$WORK"
