#!/bin/bash
# tcp-run's options for the per-job settings (issue 22, item 5) and
# tcp-run --list / tcp-inspect --list:
# - a value libtcp would refuse is refused by tcp-run before anything starts
#   (status 2), with libtcp's own message for the variable;
# - accepted values reach the program as the TCP_* variables, and libtcp
#   takes them (no "checkpointing is disabled");
# - --interval reaches libtcp (a periodic image appears, no signal sent);
# - the list shows each image's time, size, program, pid, host and job,
#   complete or not (a temporary file, a damaged copy, an incremental image
#   whose older image is gone), and which one `latest` names.
# usage: tcp_run_settings.sh SCRIPTS_DIR LIBTCP TCP_RESTORE TCP_INSPECT OBSTACLE
set -u
SCRIPTS=$1 LIBTCP=$2 RESTORE=$3 INSPECT=$4 PROG=$5
export TCP_LIB=$LIBTCP TCP_RESTORE=$RESTORE TCP_INSPECT=$INSPECT
unset TCP_DIR TCP_KEEP TCP_SIGNAL TCP_STOP_SIGNAL TCP_LOG TCP_FORK TCP_DIRECT TCP_SOCKETS TCP_COMPRESS \
	TCP_INTERVAL TCP_RETRY TCP_INCREMENTAL
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-run-settings.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
cd "$WORK" || exit 1
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }
run=$SCRIPTS/tcp-run

# 1. Refused values: tcp-run's message is libtcp's for the variable.
while read -r opt var value; do
	rm -f started
	"$run" --dir ckpt "$opt" "$value" -- touch started 2>run.err
	rc=$?
	[ "$rc" = 2 ] || die "tcp-run $opt '$value' exited $rc, expected 2 (stderr: $(cat run.err))"
	[ -e started ] && die "tcp-run $opt '$value' started the program"
	LD_PRELOAD=$LIBTCP env "$var=$value" true 2>lib.err
	want=$(sed -n 's/^tcp: \(.*\); checkpointing is disabled for this run$/\1/p' lib.err)
	[ -n "$want" ] || die "libtcp did not refuse $var='$value': $(cat lib.err)"
	got=$(sed -n "s/^tcp-run: $opt: //p" run.err)
	[ "$got" = "$want" ] || die "tcp-run $opt '$value' says '$(cat run.err)'; libtcp says '$want'"
	# The --opt=value form is checked the same way.
	"$run" --dir ckpt "$opt=$value" -- touch started 2>run.err
	[ $? = 2 ] && [ ! -e started ] && [ "$(sed -n "s/^tcp-run: $opt: //p" run.err)" = "$want" ] ||
		die "tcp-run $opt=$value: $(cat run.err)"
done <<'EOF'
--interval TCP_INTERVAL 10s
--interval TCP_INTERVAL 315360001
--retry TCP_RETRY -5
--retry TCP_RETRY 99999999999999999999
--sockets TCP_SOCKETS keep
--incremental TCP_INCREMENTAL 65
--incremental TCP_INCREMENTAL yes
--compress TCP_COMPRESS lz4
--compress TCP_COMPRESS zstd:20
--compress TCP_COMPRESS zstd:0
--compress TCP_COMPRESS zstd:
--keep TCP_KEEP 0
--log TCP_LOG 3
EOF
echo "ok: refused values get libtcp's messages, nothing started"

# 2. Accepted values reach the program and libtcp takes them.
"$run" --dir ckpt --log 2 --interval 3600 --compress ZSTD:3 --incremental 4 --sockets Close --retry 0 \
	--keep 3 --no-fork --direct --fork -- env >env.out 2>env.err || die "tcp-run -- env failed: $(cat env.err)"
grep -q 'checkpointing is disabled' env.err && die "libtcp refused what tcp-run accepted: $(cat env.err)"
grep -q '^tcp: ready' env.err || die "libtcp did not start (TCP_LOG=2 says 'ready'): $(cat env.err)"
for kv in TCP_INTERVAL=3600 TCP_COMPRESS=ZSTD:3 TCP_INCREMENTAL=4 TCP_SOCKETS=Close TCP_RETRY=0 TCP_KEEP=3 \
	TCP_FORK=1 TCP_DIRECT=1 TCP_LOG=2 "TCP_DIR=$WORK/ckpt"; do
	grep -qx "$kv" env.out || die "the program did not get $kv: $(grep ^TCP_ env.out | tr '\n' ' ')"
done
"$run" --dir ckpt --no-direct --fork --no-fork -- env >env.out 2>env.err || die "tcp-run -- env failed"
grep -qx TCP_DIRECT=0 env.out && grep -qx TCP_FORK=0 env.out || die "the last of --fork/--no-fork did not win"
echo "ok: accepted settings reach the program and libtcp"

# 3. --interval reaches libtcp: a periodic checkpoint with no signal sent.
SLURM_JOB_ID=4242 "$run" --dir ckpt --interval 1 --incremental 1 --log 0 -- "$PROG" heap 1 100000 \
	>prog.out 2>prog.err &
pid=$!
for _ in $(seq 600); do
	[ -L ckpt/latest ] && [ "$(ls ckpt/*.tcp | wc -l)" -ge 2 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
# A forked writer may still finish an image: wait until none is being written.
for _ in $(seq 300); do
	ls ckpt/.obstacle.*.tcp.tmp >/dev/null 2>&1 || break
	sleep 0.1
done
[ -L ckpt/latest ] && [ "$(ls ckpt/*.tcp | wc -l)" -ge 2 ] ||
	die "no two periodic images with --interval 1 within 60 s: $(ls -a ckpt) $(cat prog.err)"
echo "ok: --interval 1 gave periodic images: $(cd ckpt && ls *.tcp | tr '\n' ' ')"

# 4. The list. latest, and every image complete, of job 4242.
latest=$(readlink ckpt/latest)
first=$(cd ckpt && ls obstacle.*.tcp | head -1)
"$run" --dir ckpt --list >list.txt 2>list.err || die "tcp-run --list failed: $(cat list.err)"
cat list.txt
grep -q "^ckpt: .*latest -> $latest\$" list.txt || die "the list's first line does not name latest"
grep -q "^IMAGE .*WRITTEN .*SIZE .*PROGRAM .*PID .*HOST .*JOB .*STATE" list.txt || die "no header line"
n=$(grep -c '^obstacle\.[0-9]*\.tcp ' list.txt)
[ "$n" = "$(ls ckpt/*.tcp | wc -l)" ] || die "the list has $n images, the directory $(ls ckpt/*.tcp | wc -l)"
grep '^obstacle\.[0-9]*\.tcp ' list.txt | grep -v ' 4242 *\(latest, \)\{0,1\}complete' &&
	die "an image is not shown complete, of job 4242"
grep -q "^$latest .* latest, complete" list.txt || die "$latest is not marked latest"
grep -q "^$first .*[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9:]\{8\} .*obstacle *$pid " list.txt ||
	die "$first: no time, program or pid $pid"

# Incomplete: a temporary file, a truncated copy, an incremental image
# whose older image is gone (the newest takes pages from the first).
: >ckpt/.obstacle.999.tcp.tmp
head -c 5000 "ckpt/$first" >ckpt/obstacle.999998.tcp
"$INSPECT" --list ckpt >list2.txt || die "tcp-inspect --list failed"
grep -q '^\.obstacle\.999\.tcp\.tmp .*incomplete: being written, or left by an interrupted checkpoint' list2.txt ||
	die "the temporary file is not shown incomplete: $(cat list2.txt)"
grep -q '^obstacle\.999998\.tcp .*damaged or incomplete: .*the image is incomplete' list2.txt ||
	die "the truncated image is not shown damaged: $(cat list2.txt)"
grep -q "^$latest .*incremental: also reads .*$first" list2.txt || die "$latest does not show its older images"
mv "ckpt/$first" moved.tcp
"$INSPECT" --list --json ckpt >list.json || die "tcp-inspect --list --json failed"
python3 - "$latest" "$first" list.json <<'PYEOF' || die "the JSON list is wrong: $(cat list.json)"
import json, sys
latest, first, path = sys.argv[1:]
d = json.load(open(path))
imgs = {i['name']: i for i in d['images']}
assert d['latest'] == latest, d['latest']
assert imgs[latest]['latest'] and not imgs[latest]['complete'], imgs[latest]
assert first in imgs[latest]['needs'] and first in imgs[latest]['state'], imgs[latest]
assert imgs[latest]['job'] == '4242' and imgs[latest]['program'] == 'obstacle', imgs[latest]
assert imgs[latest]['size'] > 0 and imgs[latest]['time_sec'] > 0 and imgs[latest]['pid'] > 0, imgs[latest]
assert not imgs['.obstacle.999.tcp.tmp']['complete'] and imgs['.obstacle.999.tcp.tmp']['pid'] is None
PYEOF
echo "ok: the list shows incomplete images and why"

# Nothing to list: an error, not an empty success.
"$run" --dir "$WORK/missing" --list >/dev/null 2>missing.err && die "tcp-run --list of a missing directory succeeded"
[ -e "$WORK/missing" ] && die "tcp-run --list created the directory"
grep -q 'cannot open the image directory' missing.err || die "no message for a missing directory: $(cat missing.err)"
echo "ok: --list of a missing directory fails with a message"
rm -rf "$WORK"
echo PASS
