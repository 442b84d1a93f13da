#!/bin/bash
# Every program a process under libtcp execs keeps libtcp and the TCP_*
# variables (issue 20 item 2), the root's mark (TCP_ROOT_PROCESS) among
# them, whatever environment it is given: the exec
# family, posix_spawn, vfork + execve, and Python's subprocess and
# os.posix_spawn with env={}. Without libtcp nothing is added.
# usage: exec_env.sh LIBTCP EXEC_PROBE
set -u
LIBTCP=$1 PROBE=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-exec-env.XXXXXX")
failed=0
fail() { echo "FAIL: $*"; failed=1; }

out=$(cd "$WORK" && LD_PRELOAD=$LIBTCP TCP_DIR=$WORK TCP_LOG=0 "$PROBE" all 2>&1)
echo "$out"
n=$(grep -c "libtcp=yes root-mark=yes TCP_DIR=$WORK\$" <<<"$out")
[ "$n" = 10 ] || fail "$((10 - n)) of 10 ways of exec'ing lost libtcp or TCP_DIR"

# Without libtcp the environment stays what the program gave.
plain=$("$PROBE" all 2>&1)
[ "$(grep -c 'libtcp=no root-mark=no TCP_DIR=(unset)$' <<<"$plain")" = 10 ] || fail "without libtcp: $plain"

if command -v python3 >/dev/null; then
	py=$(cd "$WORK" && LD_PRELOAD=$LIBTCP TCP_DIR=$WORK TCP_LOG=0 python3 -c '
import os, subprocess, sys
probe = sys.argv[1]
print("subprocess", subprocess.run([probe, "probe"], env={}, capture_output=True, text=True).stdout, end="")
print("subprocess-shell", subprocess.run(probe + " probe", shell=True, env={"PATH": "/bin"},
      capture_output=True, text=True).stdout, end="")
r, w = os.pipe()
pid = os.posix_spawn(probe, [probe, "probe"], {}, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
os.close(w); os.waitpid(pid, 0)
print("posix_spawn", os.read(r, 200).decode(), end="")
' "$PROBE" 2>&1)
	echo "$py"
	[ "$(grep -c "libtcp=yes root-mark=yes TCP_DIR=$WORK\$" <<<"$py")" = 3 ] || fail "python3: $py"
fi

if [ $failed = 0 ]; then
	rm -rf "$WORK"
	echo PASS
fi
exit $failed
