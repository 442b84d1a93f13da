# Sourced by the tests of issue 19 items 3-6 and 10 (what libtcp, tcp-run
# and tcp-ckpt trust in shared places), instead of lib.sh directly:
# re-runs the script in a mount namespace of its own with a private /tmp,
# so that the status directories /tmp/tcp-UID of the two users can be
# planted and checked without touching the node's; the work dir lives in
# /var/tmp (kept on failure). Then lib.sh, and:
#   A=(...) B=(...)     setpriv prefixes for users A and B (exec, so that $!
#                       of "${A[@]}" CMD & is CMD's pid)
#   wait_for DESC CMD...  polls CMD until it succeeds (fails after 60 s)
#   latest_of DIR       what DIR/latest names
#   pid_of_prog PARENT  the obstacle program under tcp-restore PARENT
#   a_files FILE...     empty files of A's (outputs that a restore reopens)
#   mkdir_of UID NAME   $WORK/NAME, of that user, mode 0755
# Copies of the test program and the tools every user may run: $WORK/obstacle,
# $WORK/tcp-restore. Sets TCP_LIB, TCP_RESTORE for tcp-run.
if [ -z "${TCP_SECURITY_PRIVATE_TMP:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	exec unshare --mount --propagation private env TCP_SECURITY_PRIVATE_TMP=1 "$0" "$@"
fi
if [ -z "${TCP_SECURITY_PRIVATE_TMP:-}" ] || ! mount -t tmpfs -o mode=1777 tmpfs /tmp; then
	echo "skip: needs root, unshare and a private /tmp (mount namespace)"
	exit 77
fi
export TMPDIR=/var/tmp
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
A=(setpriv --reuid=$UID_A --regid=$UID_A --clear-groups)
B=(setpriv --reuid=$UID_B --regid=$UID_B --clear-groups)
cp "$PROG" "$WORK/obstacle"
cp "$RESTORE" "$WORK/tcp-restore"
chmod 755 "$WORK/obstacle" "$WORK/tcp-restore"
export TCP_LIB=$LIBTCP TCP_RESTORE=$WORK/tcp-restore

wait_for() {
	local desc=$1 _wait_try
	shift
	for _wait_try in $(seq 1 600); do
		"$@" && return 0
		sleep 0.1
	done
	fail "$desc: not within 60 s"
	return 1
}
latest_of() { readlink "$1/latest" 2>/dev/null; }
pid_of_prog() {
	local c
	for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		grep -q '/libtcp\.so' "/proc/$c/maps" 2>/dev/null && { echo "$c"; return 0; }
		pid_of_prog "$c" && return 0
	done
	return 1
}
# Empty files of user A (outputs a restore as A must reopen).
a_files() {
	local f
	for f in "$@"; do
		: >"$f"
		chown $UID_A:$UID_A "$f"
	done
}
# A directory of user $1 (a or b) under $WORK.
mkdir_of() {
	mkdir -p "$WORK/$2"
	chown "$1:$1" "$WORK/$2"
	chmod 755 "$WORK/$2"
}
