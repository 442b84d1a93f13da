#!/bin/bash
# The Debian package (issue 22, item 2): dpkg-buildpackage -us -uc -b on a
# copy of the source tree builds tcp_<version>_amd64.deb; it holds the tools,
# libtcp.so, the man pages, the SLURM templates and the modulefiles in their
# FHS places; unpacked into a clean directory tree (dpkg -x), the demo runs
# against the installed files (scripts/demo --installed), and the installed
# tcp-run uses its own libtcp.so and tcp-restore, never a build/ directory.
# usage: deb.sh SOURCE_ROOT
# Skipped (77) without dpkg-buildpackage and debhelper, unless
# PACKAGING_TEST_REQUIRED=1 (.ci/run), where that is a failure.
set -u
SRC=$1
skip() {
	if [ "${PACKAGING_TEST_REQUIRED:-0}" = 1 ]; then
		echo "FAIL: $* (PACKAGING_TEST_REQUIRED=1)"
		exit 1
	fi
	echo "skipped: $*"
	exit 77
}
command -v dpkg-buildpackage >/dev/null 2>&1 || skip "dpkg-buildpackage is missing (apt-get install dpkg-dev)"
command -v dh >/dev/null 2>&1 || skip "debhelper is missing (apt-get install debhelper)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tcp-deb.XXXXXX")
trap 'jobs -p | xargs -r kill -9 2>/dev/null' EXIT
die() { echo "FAIL: $*"; echo "work dir kept: $WORK"; exit 1; }

version=$(sed -n '1s/^tcp (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
[ -n "$version" ] || die "no version in debian/changelog"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# A copy of the source (the files git knows, or all but build directories),
# so that the build's debris and the .deb stay in WORK.
tree=$WORK/tcp-$version
mkdir "$tree"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree") ||
		die "cannot copy the source tree"
else
	(cd "$SRC" && tar --exclude='./build*' --exclude=./.git -cf - .) | (cd "$tree" && tar -xf -) ||
		die "cannot copy the source tree"
fi

echo "==> dpkg-buildpackage -us -uc -b in $tree"
start=$SECONDS
(cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1 ||
	{ tail -40 "$WORK/build.log"; die "dpkg-buildpackage failed (log: $WORK/build.log)"; }
echo "ok: built in $((SECONDS - start)) s"
deb=$WORK/tcp_${version}_amd64.deb
[ -f "$deb" ] || die "no $deb: $(ls "$WORK")"

# The FHS places.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$WORK/contents"
for f in /usr/bin/tcp-run /usr/bin/tcp-ckpt /usr/bin/tcp-restore /usr/bin/tcp-inspect \
	"/usr/lib/$multiarch/tcp/libtcp.so" \
	/usr/share/man/man1/tcp-run.1.gz /usr/share/man/man1/tcp-ckpt.1.gz /usr/share/man/man1/tcp-restore.1.gz \
	/usr/share/man/man1/tcp-inspect.1.gz /usr/share/man/man7/tcp.7.gz \
	/usr/share/tcp/slurm/tcp-job.sbatch /usr/share/tcp/slurm/tcp-job-resubmit.sbatch \
	"/usr/share/tcp/modulefiles/tcp/$version.lua" "/usr/share/tcp/modulefiles/tcp/$version" \
	/usr/share/doc/tcp/copyright; do
	grep -qx "$f" "$WORK/contents" || die "the package lacks $f"
done
grep -v -e '^/usr/bin/' -e '^/usr/lib/' -e '^/usr/share/' -e '^/$' -e '^/usr/$' "$WORK/contents" &&
	die "files outside /usr/bin, /usr/lib, /usr/share"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libzstd1 libunwind8; do
	[[ $depends == *"$d"* ]] || die "Depends: $depends lacks $d"
done
echo "ok: $(wc -l <"$WORK/contents") paths in their places; Depends: $depends"

root=$WORK/root
dpkg -x "$deb" "$root" || die "dpkg -x failed"
usr=$root/usr
grep -qx "tcp_installed_lib='../lib/$multiarch/tcp/libtcp.so'" "$usr/bin/tcp-run" ||
	die "the installed tcp-run does not name its libtcp.so: $(grep -n tcp_installed_lib= "$usr/bin/tcp-run")"
"$usr/bin/tcp-restore" --version >/dev/null && "$usr/bin/tcp-inspect" --version >/dev/null ||
	die "the installed tcp-restore or tcp-inspect does not run"
if command -v man >/dev/null 2>&1; then
	bash "$SRC/tests/packaging/man_render.sh" "$usr"/share/man/man*/*.gz || die "an installed man page has warnings"
fi

# The demo against the installed files: nothing of a build tree is on PATH
# or in the environment.
export PATH=/usr/local/bin:/usr/bin:/bin
unset TCP_LIB TCP_RESTORE TCP_INSPECT LD_PRELOAD
bash "$SRC/scripts/demo" --installed "$usr" >"$WORK/demo.log" 2>&1 ||
	{ cat "$WORK/demo.log"; die "the demo failed against the installed files"; }
grep -q "^libtcp loaded from $usr/lib/$multiarch/tcp/libtcp.so\$" "$WORK/demo.log" || die "$(cat "$WORK/demo.log")"
tail -n 1 "$WORK/demo.log"

# No build/ fallback: with its own pieces gone, the installed tcp-run fails
# rather than take a libtcp.so or tcp-restore from ../build/ (or PATH).
cp -a "$root" "$WORK/broken"
b=$WORK/broken/usr
mkdir -p "$b/build" "$WORK/path"
cp "$b/lib/$multiarch/tcp/libtcp.so" "$b/build/libtcp.so"
cp "$b/bin/tcp-restore" "$b/build/tcp-restore"
cp "$b/bin/tcp-restore" "$WORK/path/tcp-restore"
rm "$b/lib/$multiarch/tcp/libtcp.so" "$b/bin/tcp-restore"
cd "$WORK" || exit 1
PATH=$WORK/path:$PATH "$b/bin/tcp-run" --dir ck -- true 2>err.txt && die "tcp-run ran without its libtcp.so"
grep -q "libtcp.so does not exist" err.txt || die "no message for the missing libtcp.so: $(cat err.txt)"
ln -s nothing.tcp ck/latest
PATH=$WORK/path:$PATH "$b/bin/tcp-run" --dir ck -- true 2>err.txt && die "tcp-run resumed without its tcp-restore"
grep -q "$b/bin/tcp-restore is not an executable tcp-restore" err.txt ||
	die "no message for the missing tcp-restore: $(cat err.txt)"
echo "ok: the installed tcp-run uses only its own libtcp.so and tcp-restore"
rm -rf "$WORK"
echo PASS
