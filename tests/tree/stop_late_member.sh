#!/bin/bash
# The stop signal on a tree whose other process wakes late (a loaded
# machine): the root moves the tree to TREE_EXIT and, before the fix, exited
# at once; a process that woke only after the root was gone took that for
# an aborted checkpoint and resumed the program, although its image was
# complete and `latest` named it. It then went on writing the program's
# output past the checkpoint (in SLURM, as an orphan beside the requeued
# job's restore: slurm-requeue-tree's stdout got lines twice).
#
# Here the late wake is made certain: the child (perl, writing a line to
# `out` every 50 ms, with 100 MB of data so that its image takes a moment)
# is stopped with SIGSTOP while its image writer runs, and continued once
# the root has ended or 5 s have passed. Now the root waits for the tree's
# other processes to end before it exits (tcp-ckpt --stop and the job
# script take its end for the tree's), and a process that finds the root
# gone still follows the phase it set: either way the child must exit, and
# `out` must stop growing.
# usage: stop_late_member.sh TCP_RUN LIBTCP TCP_RESTORE
set -u
TCP_RUN=$1 LIBTCP=$2 RESTORE=$3
exec 251>&-
command -v perl >/dev/null || { echo "SKIP: no perl"; exit 77; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-stop-late.XXXXXX")
R='' P=''
# shellcheck disable=SC2317  # called through the trap
cleanup() {
	[ -n "$P" ] && kill -CONT "$P" 2>/dev/null && kill -9 "$P" 2>/dev/null
	[ -n "$R" ] && kill -9 "$R" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$WORK/err" 2>/dev/null; exit 1; }
ended() { # PID: gone, or a zombie
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -z "$s" ] || [ "$s" = Z ]
}
# shellcheck disable=SC2086  # (unquoted: trims the kernel's trailing space)
children() { local c; c=$(cat "/proc/$1/task/$1/children" 2>/dev/null); echo ${c}; }

attempt() {
	rm -rf "$WORK/ck" "$WORK/out" "$WORK/err"
	cd "$WORK" || exit 1
	# `; true`: bash forks perl (the tree: bash, the root, and perl).
	# shellcheck disable=SC2016  # perl's own variables
	"$TCP_RUN" --dir "$WORK/ck" --lib "$LIBTCP" --restore "$RESTORE" -- bash -c \
		'perl -e '\''$x = "a" x 1e8; $| = 1; while (1) { print ++$i, "\n"; select(undef, undef, undef, 0.05) }'\'' >out; true' \
		2>err &
	R=$!
	for _ in $(seq 1 500); do [ "$(wc -l <out 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.02; done
	P=$(children "$R")
	[[ $P =~ ^[0-9]+$ ]] || fail "bash has no single child (perl): '$P'"
	kill -TERM "$R"
	# The child is stopped while its writer runs: it has reported its
	# state taken and waits for the root's verdict.
	for _ in $(seq 1 1000); do [ -n "$(children "$P")" ] && break; sleep 0.01; done
	kill -STOP "$P"
	if [ -z "$(children "$P")" ]; then
		kill -CONT "$P"
		wait "$R"
		R='' P=''
		return 2 # the writer was done already: try again
	fi
	for _ in $(seq 1 250); do ended "$R" && break; sleep 0.02; done
	kill -CONT "$P"
	wait "$R"
	rc=$?
	R=''
	[ "$rc" = 85 ] || fail "the root (bash) ended with $rc, not 85"
	[ -L "$WORK/ck/latest" ] || fail "no image"
	for _ in $(seq 1 250); do ended "$P" && break; sleep 0.02; done
	ended "$P" || fail "perl, whose image was written, still runs after the root's checkpoint-and-exit (resumed)"
	n1=$(wc -l <"$WORK/out")
	sleep 0.5
	n2=$(wc -l <"$WORK/out")
	[ "$n1" = "$n2" ] || fail "out grew after the checkpoint-and-exit ($n1 -> $n2 lines)"
	P=''
	return 0
}

for try in 1 2 3; do
	attempt
	rc=$?
	[ $rc = 0 ] && { echo "PASS (attempt $try)"; exit 0; }
done
echo "SKIP: the child's image was always written before it could be stopped"
exit 77
