#!/bin/bash
# The tree's stop signal sent from outside to members only, not to the root
# (a user's `kill` of one worker): no stop checkpoint comes, and each member
# takes SIGTERM as it would without libtcp, only after libtcp's grace (it
# waits that long for the root's stop checkpoint, tree/member_stop.c): the
# default action kills it (its parent's waitpid sees signal 15), its own
# handler runs, SIG_IGN ignores it; the same in a program a member executed.
# The output must be that of the same run without libtcp, no image written,
# nothing said. Before the signals, /proc shows that libtcp holds SIGTERM
# in the members that do not ignore it (it is caught: SigCgt).
# usage: term_members.sh LIBTCP TERM_MEMBERS
set -u
LIBTCP=$1 PROG=$2
exec 251>&-
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-term-members.XXXXXX")
R='' PIDS=''
# shellcheck disable=SC2317  # called through the trap
cleanup() {
	# shellcheck disable=SC2086  # a list of pids
	[ -n "$PIDS" ] && kill -9 $PIDS 2>/dev/null
	[ -n "$R" ] && kill -9 "$R" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$WORK"/*.out "$WORK"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }
cd "$WORK" || exit 1
mkdir img

# PID FIELD: whether SIGTERM (15) is in that mask of /proc/PID/status.
has_term() {
	local v
	v=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$v" ] && (((16#$v >> 14) & 1))
}

# run NAME [ENV...]: the program, SIGTERM to its members once they are ready.
run() {
	local name=$1
	shift
	rm -f ready
	env "$@" "$PROG" "$WORK/ready" >"$name.out" 2>"$name.err" &
	R=$!
	for _ in $(seq 1 1500); do [ -s ready ] && break; sleep 0.02; done
	[ -s ready ] || fail "$name: the program did not get ready"
	read -r A B D E <ready
	PIDS="$A $B $D $E"
	if [ "$name" = tcp ]; then
		for p in "A $A" "B $B" "E $E"; do
			for _ in $(seq 1 500); do has_term "${p#* }" SigCgt && break; sleep 0.02; done
			has_term "${p#* }" SigCgt || fail "member ${p% *} does not catch SIGTERM: libtcp does not hold it"
		done
		has_term "$D" SigIgn || fail "member D does not ignore SIGTERM, as its program asked"
	fi
	kill -TERM "$A" "$B" "$D" "$E" || fail "$name: cannot signal the members"
	wait "$R"
	rc=$?
	R='' PIDS=''
	[ "$rc" = 0 ] || fail "$name: the program ended with status $rc"
}

run ref -u LD_PRELOAD
printf '%s\n' "B: its SIGTERM handler ran" "B: exit 3" "A: killed by signal 15" "E: killed by signal 15" "D: exit 4" >want.out
cmp -s want.out ref.out || fail "the reference run (without libtcp) is not as this test expects"
run tcp LD_PRELOAD="$LIBTCP" TCP_DIR="$WORK/img"
cmp -s ref.out tcp.out || { diff ref.out tcp.out; fail "the members ended differently under libtcp"; }
[ -s tcp.err ] && fail "messages under libtcp"
extra=''
for f in img/* img/.[!.]*; do
	[ -e "$f" ] || continue
	case ${f#img/} in finished | .tcp-lock) ;; *) extra="$extra ${f#img/}" ;; esac
done
[ -z "$extra" ] || fail "images written:$extra"
echo "PASS: $(tr '\n' ';' <tcp.out)"
