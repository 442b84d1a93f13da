# Sourced by the tests of suite 'security' (issue 19): two unprivileged
# users, a work directory both can enter, and checks of a command's status
# and message. Needs root (to switch users) and setpriv; otherwise the test
# skips (status 77).
#
#   as_a CMD...     run CMD as user A (uid/gid 65534, "nobody")
#   as_b CMD...     run CMD as user B (uid/gid 65533), the other user on the node
#   expect NAME STATUS PATTERN CMD...
#                   CMD must exit with STATUS and say PATTERN (ERE) on stderr
#   fail MSG        record a failure (the test ends with status 1)
#   finish          remove the work dir (kept on failure) and exit
# Variables: WORK (mode 0755, owned by root), UID_A, UID_B.
set -u
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip: needs root and setpriv"
	exit 77
fi
UID_A=65534
UID_B=65533
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-security.XXXXXX")
chmod 755 "$WORK"
failed=0
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
fail() { echo "FAIL: $*"; failed=1; }
as_a() { setpriv --reuid=$UID_A --regid=$UID_A --clear-groups "$@"; }
as_b() { setpriv --reuid=$UID_B --regid=$UID_B --clear-groups "$@"; }

expect() {
	local name=$1 want=$2 pattern=$3
	shift 3
	local out rc
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: status $rc, expected $want: $out"
	elif ! grep -Eq "$pattern" <<<"$out"; then
		fail "$name: output does not match /$pattern/: $out"
	else
		echo "ok: $name: ${out:0:200}"
	fi
}

finish() {
	if [ $failed = 0 ]; then
		rm -rf "$WORK"
		echo PASS
	else
		echo "work dir kept: $WORK"
	fi
	exit $failed
}
