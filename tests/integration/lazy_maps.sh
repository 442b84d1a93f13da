#!/bin/bash
# tcp-restore --lazy really maps the program's memory from the image: the
# restored program's /proc/PID/maps shows the image, with (nearly) all of its
# 48 MiB block, and -v says what is mapped and left unchecked. Without
# --lazy nothing of the image is mapped. (The cycle tests check that the
# results are right; this one that the restore is lazy at all.)
# usage: lazy_maps.sh LIBTCP TCP_RESTORE LAZY_MEM
set -u
LIBTCP=$1 RESTORE=$2 PROG=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-lazymaps.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" && mkdir ck || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }

LD_PRELOAD=$LIBTCP TCP_DIR=$WORK/ck TCP_LOG=0 "$PROG" >out.txt 2>err.txt &
pid=$!
for _ in $(seq 1 500); do grep -q '^step  1' out.txt && break; sleep 0.02; done
kill -USR1 "$pid"
for _ in $(seq 1 1500); do [ -L ck/latest ] && break; sleep 0.02; done
[ -L ck/latest ] || die "no image: $(cat err.txt)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
img=$(readlink -f ck/latest)

# The program restored by tcp-restore PID: its descendant that maps libtcp.
program_of() {
	local p=$1 c
	for _ in 1 2 3; do
		grep -q "/libtcp\.so" "/proc/$p/maps" 2>/dev/null && { echo "$p"; return; }
		c=$(cat /proc/"$p"/task/*/children 2>/dev/null | awk '{ print $1 }')
		[ -n "$c" ] || return
		p=$c
	done
}

# mapped_kib ARGS...: restore, and once the program is in place (its maps
# show libtcp, which tcp-restore does not map), set KIB to what it maps of
# the image.
mapped_kib() {
	"$RESTORE" "$@" ck </dev/null >/dev/null 2>restore.err &
	local r=$! p='' kib
	for _ in $(seq 1 500); do
		p=$(program_of "$r")
		[ -n "$p" ] && break
		sleep 0.02
	done
	[ -n "$p" ] || die "tcp-restore $*: no restored program: $(cat restore.err)"
	sleep 0.2 # the blob maps the regions (libtcp among them) just before the pages
	local range _perm _off _dev _ino path
	kib=0
	while read -r range _perm _off _dev _ino path; do
		[ "$path" = "$img" ] && kib=$((kib + (16#${range#*-} - 16#${range%-*}) / 1024))
	done <"/proc/$p/maps"
	kill -9 "$r" "$p" 2>/dev/null
	wait "$r" 2>/dev/null
	KIB=$kib
}

mapped_kib --lazy -v
lazy=$KIB
grep -q 'page extents (.* MiB) mapped from the image' restore.err || die "-v says nothing of --lazy: $(cat restore.err)"
grep -q 'PAGES sections is mapped and not checked' restore.err || die "-v does not say what is unchecked: $(cat restore.err)"
((lazy >= 40 * 1024)) || die "--lazy: only $lazy KiB of the program's memory is mapped from $img"
mapped_kib
eager=$KIB
((eager == 0)) || die "without --lazy, $eager KiB are mapped from the image"
echo "PASS: --lazy maps $lazy KiB from the image, an eager restore none"
rm -rf "$WORK"
