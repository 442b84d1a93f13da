#!/bin/bash
# Environment modules (issue 22, item 3). `meson install` into a prefix
# writes PREFIX/share/tcp/modulefiles/tcp/VERSION.lua (Lmod) and
# .../tcp/VERSION (Tcl, Environment Modules). With Debian's Lmod:
# `module load tcp` puts the tools and the man pages in reach (the system's
# pages too), `tcp-run -- ./app` launches under the prefix's libtcp.so,
# tcp-ckpt checkpoints, the same tcp-run line resumes after kill -9 to the
# uninterrupted output, and `module unload tcp` leaves the environment as it
# was. The Tcl modulefile likewise with Environment Modules' modulecmd.tcl:
# the installed one, else the one in its Debian package (environment-modules
# conflicts with lmod, so it is unpacked here, not installed).
# usage: modules.sh SOURCE_ROOT
# Skipped (77) without Lmod, unless PACKAGING_TEST_REQUIRED=1 (.ci/run).
set -u
SRC=$1
required=${PACKAGING_TEST_REQUIRED:-0}
skip() {
	[ "$required" = 1 ] && { echo "FAIL: $* (PACKAGING_TEST_REQUIRED=1)"; exit 1; }
	echo "skipped: $*"
	exit 77
}
lmod_init=/usr/share/lmod/lmod/init/bash
[ -f "$lmod_init" ] || skip "Lmod is not installed (apt-get install lmod)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-modules.XXXXXX")
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }
cd "$WORK" || exit 1

PREFIX=$WORK/prefix
version=$(sed -n "s/^  version: '\([^']*\)',\$/\1/p" "$SRC/meson.build" | head -n 1)
[ -n "$version" ] || die "no version in meson.build"
echo "==> meson setup --prefix=$PREFIX, meson install"
start=$SECONDS
meson setup --prefix="$PREFIX" -Dtests=false -Dman=enabled build "$SRC" >setup.log 2>&1 ||
	{ cat setup.log; die "meson setup failed"; }
meson install -C build >install.log 2>&1 || { tail -30 install.log; die "meson install failed"; }
echo "ok: installed in $((SECONDS - start)) s"
for f in "share/tcp/modulefiles/tcp/$version.lua" "share/tcp/modulefiles/tcp/$version"; do
	[ -f "$PREFIX/$f" ] || die "meson install did not write PREFIX/$f"
done

# The program: counts to 60, a line every 50 ms.
cat >app.c <<'EOF'
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	for (int i = 0; i < 60; i++) {
		printf("%d\n", i);
		fflush(stdout);
		usleep(50000);
	}
	return 0;
}
EOF
cc -O2 -o app app.c || die "cannot compile the test program"
seq 0 59 >expected.txt

# Each session runs in a clean environment, fds above 2 closed (an inherited
# one would make every checkpoint refuse).
session() { # NAME SCRIPT
	env -i HOME="$HOME" PATH=/usr/bin:/bin TERM=dumb LC_ALL=C PREFIX="$PREFIX" WORK="$WORK" \
		bash --norc --noprofile -c 'for f in /proc/$$/fd/*; do fd=${f##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; source "$1"' \
		session "$2" </dev/null >"$1.log" 2>&1
	local rc=$?
	cat "$1.log"
	[ "$rc" = 0 ] || die "the $1 session failed (status $rc)"
}

# What both sessions check, after `module load tcp` (module is a function).
cat >checks.sh <<'EOF'
fail() { echo "FAIL: $*"; exit 1; }
[ "$(command -v tcp-run)" = "$PREFIX/bin/tcp-run" ] || fail "tcp-run is $(command -v tcp-run), not PREFIX's"
for t in tcp-ckpt tcp-restore tcp-inspect; do
	[ "$(command -v $t)" = "$PREFIX/bin/$t" ] || fail "$t is not PREFIX's"
done
[ "$(man -w tcp-run 2>/dev/null)" = "$PREFIX/share/man/man1/tcp-run.1" ] || fail "man -w tcp-run: $(man -w tcp-run 2>&1)"
[ "$(man -w 7 tcp 2>/dev/null)" = "$PREFIX/share/man/man7/tcp.7" ] || fail "man -w 7 tcp: $(man -w 7 tcp 2>&1)"
manpath 2>/dev/null | tr : '\n' | grep -v -x -e "$PREFIX/share/man" -e '' | grep -q . ||
	fail "man searches PREFIX's pages only, the system's are hidden: $(manpath 2>&1)"
echo "ok: $(module list 2>&1 | grep -o 'tcp/[0-9.]*' | head -n 1): tools and man pages from PREFIX"
EOF

cat >cycle.sh <<'EOF'
# Launch, checkpoint, kill -9, resume with the same line: the uninterrupted output.
rm -rf ckpt out.txt
tcp-run --dir ckpt --log 0 -- ./app >out.txt 2>run.err &
pid=$!
for _ in $(seq 300); do [ "$(wc -l <out.txt)" -ge 10 ] && break; sleep 0.05; done
grep -q "^$PREFIX/lib.*/tcp/libtcp.so\$" <(awk '{ print $6 }' /proc/$pid/maps) ||
	fail "the program did not load PREFIX's libtcp.so: $(grep libtcp /proc/$pid/maps | head -n 1)"
img=$(tcp-ckpt --timeout 60 "$pid") || fail "tcp-ckpt failed: $img $(cat run.err)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ "$(wc -l <out.txt)" -lt 60 ] || fail "the program finished before the kill: make it longer"
tcp-run --dir ckpt --log 0 -- ./app >/dev/null 2>resume.err || fail "the resumed run failed: $(cat resume.err)"
cmp -s expected.txt out.txt || fail "the resumed run's output differs: $(tr '\n' ' ' <out.txt)"
tcp-run --dir ckpt --list | grep -q ' complete' || fail "tcp-run --list shows no complete image"
echo "ok: tcp-run -- ./app, tcp-ckpt ($img), kill -9, tcp-run resumed it to the uninterrupted output"
EOF

# The environment after `module use`, before load, equals the one after
# unload, but for the module tool's own bookkeeping.
cat >unload.sh <<'EOF'
diff <(grep -v -E "$ignore" env.before) <(env | sort | grep -v -E "$ignore") >env.diff ||
	fail "module unload tcp left the environment changed: $(cat env.diff)"
command -v tcp-run >/dev/null && fail "tcp-run is still on PATH after unload"
echo "ok: module unload tcp restored the environment"
EOF

cat >lmod.sh <<EOF
source $lmod_init
module use "\$PREFIX/share/tcp/modulefiles"
env | sort >env.before
module load tcp || { echo "FAIL: module load tcp"; exit 1; }
source checks.sh
source cycle.sh
module unload tcp
ignore='^(_ModuleTable[0-9_]*_|__LMOD_REF_COUNT_[A-Z_]*)='
source unload.sh
EOF
session lmod lmod.sh

# Environment Modules: its modulecmd.tcl, installed or unpacked from its package.
modulecmd=
for c in /usr/lib/x86_64-linux-gnu/modulecmd.tcl /usr/share/modules/libexec/modulecmd.tcl; do
	[ -f "$c" ] && modulecmd=$c && break
done
if [ -z "$modulecmd" ] && command -v apt-get >/dev/null 2>&1 &&
	(mkdir -p em && cd em && apt-get download environment-modules >download.log 2>&1) &&
	dpkg -x em/environment-modules_*.deb em/root 2>/dev/null; then
	modulecmd=$(find em/root -name modulecmd.tcl -path '*x86_64*' | head -n 1)
	[ -n "$modulecmd" ] && modulecmd=$WORK/$modulecmd
fi
if [ -z "$modulecmd" ] || ! command -v tclsh >/dev/null 2>&1; then
	[ "$required" = 1 ] && die "no modulecmd.tcl and tclsh for Environment Modules (apt-get download failed?)"
	echo "not checked: the Tcl modulefile (no Environment Modules modulecmd.tcl, or no tclsh)"
else
	cat >em.sh <<EOF
module() { eval "\$(tclsh $modulecmd bash "\$@")"; }
module use "\$PREFIX/share/tcp/modulefiles"
env | sort >env.before
module load tcp || { echo "FAIL: module load tcp"; exit 1; }
source checks.sh
source cycle.sh
module unload tcp
ignore='^(__MODULES_[A-Z_]*)='
source unload.sh
EOF
	session environment-modules em.sh
fi
rm -rf "$WORK"
echo PASS
