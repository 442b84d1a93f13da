#!/bin/bash
# tcp-restore of a whole process tree (issue 20 items 3-5), from a tree built
# by hand (make_tree_image) out of the images of two independent processes
# of tree_prog: R, the root, and M, made its child in a session of its own.
# The tree also holds two zombie children of M (exits 7 and 5), one leading
# a process group the other is in (a shell's pipeline), and one of R (killed
# by SIGTERM); R and M share their log's open file description (one offset),
# R's pipe (with the bytes left in it), two socket pairs across them, and
# R's shared page.
#   restore   the tree comes back: parents, pids, sessions, groups, the
#             parent-death signal, zombies reaped with their statuses,
#             SIGCHLD, the shared objects; tcp-inspect shows it; --check.
#   refusals  a member image missing, replaced, or writable by others;
#             --no-namespace.
#   barrier   one byte of M's page data flipped: exit 1 naming M's image,
#             nothing changed (R's output file not cut back), nothing ran.
#   kill      kill -9 of tcp-restore ends every process of the tree.
#   as-nobody the restore case by an ordinary user (a user namespace too).
# usage: restore_tree.sh CASE LIBTCP TCP_RESTORE TCP_INSPECT MAKE_TREE_IMAGE TREE_PROG
set -u
if [ "$1" = as-nobody ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: as-nobody needs root to become uid 65534"; exit 77; }
	exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0" restore "${@:2}"
fi
CASE=$1 LIBTCP=$2 RESTORE=$3 INSPECT=$4 MAKE=$5 PROG=$6
exec 251>&-
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-tree-$CASE.XXXXXX")
failed=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; failed=1; }

wait_for() { # FILE PATTERN: until FILE has a line matching PATTERN (60 s at most)
	for _ in $(seq 1 3000); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
	echo "FAIL: $1 never showed /$2/:"; cat "$1" "$1.err" 2>/dev/null; exit 1
}

mkdir -p "$WORK/run" "$WORK/ir" "$WORK/im" "$WORK/tree"
cd "$WORK/run" || exit 1
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/ir TCP_LOG=0 "$PROG" root >r.out 2>r.out.err &
R=$!
pids+=("$R")
wait_for r.out "R ready"
LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/im TCP_LOG=0 "$PROG" member >m.out 2>m.out.err &
M=$!
pids+=("$M")
wait_for m.out "M ready"
for p in "$R:ir" "$M:im"; do
	kill -USR1 "${p%%:*}"
	for _ in $(seq 1 1500); do [ -L "$WORK/${p#*:}/latest" ] && break; sleep 0.02; done
	[ -L "$WORK/${p#*:}/latest" ] || { echo "FAIL: no image of ${p%%:*}"; cat ./*.err; exit 1; }
done
{ kill -9 "$R" "$M"; wait "$R" "$M"; } 2>/dev/null
# Pids for the zombies: any pid is free in the restore's new PID namespace.
Z=$(( (R > M ? R : M) + 7 )) Z2=$(( (R > M ? R : M) + 9 )) Z3=$(( (R > M ? R : M) + 11 ))
echo "$R $M $Z $Z2 $Z3" >pids

make_tree() { # EXTRA SPECS...
	rm -f "$WORK"/tree/*
	"$MAKE" "$WORK/tree" "$WORK/ir/$(readlink "$WORK/ir/latest")" \
		"member:m.tcp=$WORK/im/$(readlink "$WORK/im/latest"),parent=$R,session,pdeath=12" \
		"zombie:$Z,parent=$M,status=0x700,sid=$M,group=$Z3" "zombie:$Z2,parent=$R,status=15" \
		"zombie:$Z3,parent=$M,status=0x500,sid=$M,group=$Z3" \
		"group:$R/10,$M/10" "pipe:$R/11=$M/11" "pair:$R/13=$M/14" "pair:$R/14=$M/13" "shm:$R/0=$M/0" "$@" ||
		{ echo "FAIL: make_tree_image"; exit 1; }
	chmod 600 "$WORK"/tree/*
}

restore() { # ARGS...: runs tcp-restore in run/, sets rc and err
	err=$(cd "$WORK/run" && timeout 60 "$RESTORE" "$@" 2>&1 >/dev/null)
	rc=$?
}

expect() { # NAME STATUS PATTERN ARGS...
	local name=$1 want=$2 pattern=$3
	shift 3
	restore "$@"
	if [ "$rc" != "$want" ]; then
		fail "$name: exit status $rc, expected $want: $err"
	elif ! grep -Eq -- "$pattern" <<<"$err"; then
		fail "$name: message does not match /$pattern/: $err"
	else
		echo "ok: $name: $err"
	fi
}

same() { # NAME FILE EXPECTED
	if [ "$(cat "$2")" != "$3" ]; then
		fail "$1: $2 is"
		cat "$2"
		echo "--- expected:"
		echo "$3"
	else
		echo "ok: $1"
	fi
}

case $CASE in
restore)
	make_tree
	out=$("$INSPECT" "$WORK/tree/root.tcp")
	grep -q "process tree: 5 processes (3 zombies), 1 open files shared" <<<"$out" &&
		grep -Eq "^  $M +$R +$M +$M +tree_prog +m.tcp" <<<"$out" &&
		grep -Eq "^  $Z +$M +$Z3 +$M +zombie +zombie, exited 7" <<<"$out" &&
		grep -Eq "^  $Z2 +$R .*zombie, killed by SIGTERM" <<<"$out" &&
		grep -q "pid $R fd 10, pid $M fd 10" <<<"$out" || fail "tcp-inspect: $out"
	json=$("$INSPECT" --json "$WORK/tree/root.tcp")
	python3 -c '
import json, sys
t = json.loads(sys.stdin.read())["tree"]
p = {x["pid"]: x for x in t["processes"]}
z = p['"$Z"']
assert z["zombie"] and z["exit_code"] == 7 and z["ppid"] == '"$M"' and z["image"] is None, z
assert p['"$M"']["image"] == "m.tcp" and "session-leader" in p['"$M"']["flags"], p
assert p['"$Z2"']["killed_by"] == "SIGTERM", p
assert t["shared_files"] == [[{"pid": '"$R"', "fd": 10}, {"pid": '"$M"', "fd": 10}]], t
' <<<"$json" || fail "tcp-inspect --json"
	expect "--check of the tree" 0 "can be restored here, with the 4 other processes of its tree \(3 of them zombies\)" \
		--check "$WORK/tree/root.tcp"
	touch go
	restore "$WORK/tree/root.tcp"
	[ "$rc" = 0 ] || fail "restore: exit status $rc: $err"
	same "root's output" r.out "R ready
R stray SIGCHLD: 0
R pair queue: queued
R reaped its zombie: signal 15
R reaped the member: exit 3
R SIGCHLD since: yes
R done"
	same "member's output" m.out "M ready
M parent is the root: yes ($R)
M own session: yes, own group: yes
M parent-death signal: 12
M zombies' group: the leader's own: yes, the other in it: yes
M pipe: from-R:after
M pair: ping
M page not its own: yes
M reaped its zombie: exit 7
M reaped its zombie leader: exit 5"
	same "the log both write through one offset" log "start
R
M"
	;;
refusals)
	make_tree
	expect "--no-namespace" 1 "process tree of 5 processes.*without --no-namespace" --no-namespace "$WORK/tree/root.tcp"
	mv "$WORK/tree/m.tcp" "$WORK/m.saved"
	expect "member image missing" 1 "image of its process pid $M \(tree_prog, m.tcp\): .*/m.tcp, cannot be opened" \
		"$WORK/tree/root.tcp"
	cp "$WORK/ir/$(readlink "$WORK/ir/latest")" "$WORK/tree/m.tcp"
	chmod 600 "$WORK/tree/m.tcp"
	expect "member image replaced" 1 "pid $M \(tree_prog, m.tcp\).*is not the one the tree was written with" \
		"$WORK/tree/root.tcp"
	ln -sf "$WORK/m.saved" "$WORK/tree/m.tcp"
	expect "member image a symbolic link" 1 "m.tcp, cannot be opened .*symbolic link" "$WORK/tree/root.tcp"
	rm -f "$WORK/tree/m.tcp"
	cp "$WORK/m.saved" "$WORK/tree/m.tcp"
	chmod 622 "$WORK/tree/m.tcp"
	expect "member image writable by others" 1 "m.tcp: it is writable by other users" "$WORK/tree/root.tcp"
	chmod 600 "$WORK/tree/m.tcp"
	[ "$(cat r.out)" = "R ready" ] && [ "$(cat m.out)" = "M ready" ] || fail "a refused restore ran something"
	;;
barrier)
	make_tree "corrupt:$M"
	echo extra >>log # written after the checkpoint: a restore cuts it back
	expect "--check finds it" 1 "m.tcp.*checksum mismatch" --check "$WORK/tree/root.tcp"
	touch go
	expect "corrupted member" 1 "page data of .*/tree/m.tcp is corrupted.*nothing was changed" "$WORK/tree/root.tcp"
	same "nothing changed: the log" log "start
extra"
	same "nothing ran: the root" r.out "R ready"
	same "nothing ran: the member" m.out "M ready"
	;;
kill)
	make_tree
	(cd "$WORK/run" && exec "$RESTORE" "$WORK/tree/root.tcp" 2>restore.err) &
	q=$!
	pids+=("$q")
	cd "$WORK" || exit 1
	# The processes working in run/: R and M (they wait for "go").
	in_tree() { find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$WORK/run" 2>/dev/null; }
	for _ in $(seq 1 1500); do [ "$(in_tree | wc -l)" -ge 2 ] && break; sleep 0.02; done
	[ "$(in_tree | wc -l)" -ge 2 ] || fail "the tree was not restored: $(cat run/restore.err)"
	kill -9 "$q"
	wait "$q" 2>/dev/null
	for _ in $(seq 1 1500); do [ -z "$(in_tree)" ] && break; sleep 0.02; done
	[ -z "$(in_tree)" ] && echo "ok: kill -9 of tcp-restore took the tree" || fail "left after kill -9: $(in_tree)"
	;;
esac

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
else
	echo "work dir kept: $WORK"
fi
exit $failed
