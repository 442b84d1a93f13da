#!/bin/bash
# Issue 19 item 14: a refused or failed checkpoint says what went wrong and
# where. A current directory whose path is longer than PATH_MAX is named by
# its start (not "fd 3 (?)" for a file opened in it); a file whose path is
# too long is called so; a full TCP_DIR says "no space left on device", the
# directory, how much was written and how much is free (needs tmpfs mounts;
# that part is skipped where mount is not allowed). As user A.
# usage: checkpoint_messages.sh LIBTCP TCP_RESTORE OBSTACLE ...
LIBTCP=$1 PROG=$3
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_A=(setpriv --reuid=$UID_A --regid=$UID_A --clear-groups)
cp "$PROG" "$WORK/prog"
chmod 755 "$WORK/prog"
D=$WORK/a
mkdir "$D" "$D/img"
chown -R $UID_A:$UID_A "$D"

# A directory 45 levels of 108 bytes deep: a path of about 4.9 KB.
as_a bash -c "cd '$D' && for i in \$(seq -w 1 45); do d=level\${i}_\$(printf '%0100d' 0); mkdir \$d && cd \$d || exit 1; done" ||
	fail "cannot make the deep directory"
DEEP="cd '$D'; while cd level* 2>/dev/null; do :; done"

# checkpoint NAME PATTERN SHELL-COMMANDS: runs the program as A after the
# commands (TCP_DIR=$D/img unless they set it), asks for a checkpoint, and
# expects PATTERN in what the program printed.
checkpoint() {
	local name=$1 pattern=$2 setup=$3
	rm -f "$D/err.txt"
	"${RUN_A[@]}" bash -c "export TCP_DIR='$D/img'; $setup; LD_PRELOAD='$LIBTCP' TCP_LOG=0 exec '$WORK/prog' heap 8 400 >/dev/null 2>'$D/err.txt'" &
	local pid=$!
	sleep 0.5
	kill -USR1 "$pid"
	for _ in $(seq 1 250); do grep -q "checkpoint" "$D/err.txt" 2>/dev/null && break; sleep 0.02; done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	local out
	out=$(cat "$D/err.txt")
	if grep -Eq "$pattern" <<<"$out"; then
		echo "ok: $name: ${out:0:300}"
	else
		fail "$name: /$pattern/ not in: $out"
	fi
}

checkpoint "current directory longer than PATH_MAX" \
	"checkpoint failed: the current directory's path is longer than the 4095 bytes a restore can go back to: it is [0-9]+ directories below $D/level01_0+/level02_0+.*run the program from a directory with a shorter path" \
	"$DEEP; exec 3<>file"
checkpoint "file whose path is longer than PATH_MAX" \
	"checkpoint failed: cannot checkpoint fd 3 \(a file whose path is too long\): its path is longer than the 4095 bytes" \
	"$DEEP; exec 3<>file; cd '$D'"

mkdir "$WORK/small"
if mount -t tmpfs -o size=2m,mode=0755,uid=$UID_A,gid=$UID_A tcp-security-small "$WORK/small" 2>/dev/null; then
	trap 'umount "$WORK/small" 2>/dev/null; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
	checkpoint "full TCP_DIR" \
		"writing the image in $WORK/small failed: no space left on device after [0-9]+ MiB of the image were written; it needs more than that, and [0-9]+ MiB are free there \(free some space or point TCP_DIR elsewhere\)" \
		"export TCP_DIR='$WORK/small'"
	checkpoint "full TCP_DIR, written by the program itself" "no space left on device after [0-9]+ MiB of the image were written" \
		"export TCP_DIR='$WORK/small' TCP_FORK=0"
	umount "$WORK/small"
else
	echo "skip: cannot mount a small tmpfs here: the full-disk case is not tested"
fi
finish
