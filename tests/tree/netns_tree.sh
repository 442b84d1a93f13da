#!/bin/bash
# A tree with a process in another network namespace (`unshare -n`, as
# `ip netns exec` or an MPI launcher's remote-shell agent does for two
# "hosts" on one machine): the checkpoint is refused, naming the process
# and both namespaces, no image is written, and the tree runs on to its
# end. Without the check, this tree (no socket at all) would be written,
# and restored with that process in the root's namespace.
# The root has a handler of its own for SIGUSR1: after the refused
# checkpoint it runs, as it would without libtcp (a signal libtcp could not
# turn into a checkpoint keeps its meaning).
# Needs a new network namespace (root): skipped otherwise.
# usage: netns_tree.sh LIBTCP TCP_CKPT
set -u
LIBTCP=$1 TCP_CKPT=$2
unshare -n true 2>/dev/null || { echo "unshare -n is not allowed here (needs root): skipped"; exit 77; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-tree-netns.XXXXXX")
failed=0
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }
. "$(dirname "$0")/../lib/refused.sh"
exec 251>&-
cd "$WORK" || exit 1
printf 'child 0\nend\n' >ref.txt
mkdir img
# The root (bash) notes SIGUSR1 in a file; its child lives in a network
# namespace of its own until the file `go` exists.
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/img TCP_RETRY=0 /bin/bash -c '
	unshare -n /bin/bash -c "echo ready >&2; while [ ! -e go ]; do sleep 0.1; done" &
	c=$!
	trap "echo handled >usr1.txt" USR1
	while :; do
		wait $c
		s=$?
		kill -0 $c 2>/dev/null || break
	done
	echo "child $s"
	echo end' >netns.out 2>netns.err &
pid=$!
for i in $(seq 100); do
	grep -q ready netns.err 2>/dev/null && break
	sleep 0.1
done
"$TCP_CKPT" --timeout 60 "$pid" >ckpt.out 2>ckpt.err
ck=$?
touch go
wait "$pid"
rc=$?
[ $ck = 1 ] || fail "tcp-ckpt exit $ck, expected 1 (refused): $(cat ckpt.out ckpt.err)"
cat ckpt.err >>netns.err
[ "$(cat usr1.txt 2>/dev/null)" = handled ] || fail "the root's own SIGUSR1 handler did not run after the refused checkpoint"
judge_refused netns $rc ref.txt \
	"process [0-9]+ \\(.*\\) of the tree is in another network namespace \\(net:\\[[0-9]+\\]\\) than the tree's root \\(net:\\[[0-9]+\\]\\)" \
	"$WORK/img"
exit $failed
