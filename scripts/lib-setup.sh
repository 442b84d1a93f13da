# Shared set-up for scripts/run-tests, scripts/demo and scripts/bench.
# Sourced, not run. Provides:
#   tcp_install_deps    apt-get install whatever the build and the tests need
#   tcp_build           meson setup (once) + meson compile into $TCP_BUILD
#   tcp_close_stray_fds close inherited fds above 2 (a harness pipe would make
#                       every checkpoint refuse)
#   tcp_say / tcp_die   messages
# Variables: TCP_ROOT (the repository), TCP_BUILD (default $TCP_ROOT/build),
# TCP_MESON_OPTS (extra `meson setup` options, e.g. -Dsanitize=true).

TCP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCP_BUILD=${TCP_BUILD:-$TCP_ROOT/build}
TCP_DEPS_INSTALLED=0

tcp_say() { printf '%s\n' "$*"; }
tcp_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian 12 packages: meson/ninja/gcc/libc to build, pkg-config so meson finds
# Criterion, python3 for the build's blob embedding and the tests,
# libunwind-dev for backtraces, libzstd-dev for TCP_COMPRESS=zstd, util-linux
# for setpriv (tests as a plain user), scdoc for the man pages and man-db
# (with groff-base) to check that they render, libcap2-bin for setcap (a
# tcp-restore with file capabilities must refuse to run).
TCP_PACKAGES=(meson ninja-build gcc libc6-dev pkg-config python3 libcriterion-dev libunwind-dev libzstd-dev util-linux
	scdoc man-db groff-base libcap2-bin)
# TCP_EXTRA_PACKAGES: more, e.g. python3-torch for the 'apps' suite.
read -ra _tcp_extra <<<"${TCP_EXTRA_PACKAGES:-}"
TCP_PACKAGES+=("${_tcp_extra[@]}")

tcp_missing_packages() {
	local p
	for p in "${TCP_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
	done
}

tcp_install_deps() {
	local missing list
	if ! command -v dpkg-query >/dev/null 2>&1; then
		# Not Debian: check the commands only and let meson report the rest.
		local c
		for c in meson ninja cc python3 pkg-config; do
			command -v "$c" >/dev/null 2>&1 || tcp_die "'$c' is missing and this is not a Debian system: install it by hand"
		done
		return 0
	fi
	mapfile -t list < <(tcp_missing_packages)
	[ "${#list[@]}" -eq 0 ] && return 0
	missing="${list[*]}"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			tcp_die "packages missing: $missing; run as root or install sudo, or: apt-get install -y $missing"
		fi
	fi
	tcp_say "==> installing missing packages: $missing"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null ||
		tcp_die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${list[@]}" </dev/null ||
		tcp_die "apt-get install $missing failed"
	TCP_DEPS_INSTALLED=1
}

tcp_build() {
	cd "$TCP_ROOT" || tcp_die "cannot enter $TCP_ROOT"
	if [ ! -f "$TCP_BUILD/build.ninja" ]; then
		tcp_say "==> meson setup $TCP_BUILD"
		if [ -d "$TCP_BUILD" ]; then
			meson setup --wipe ${TCP_MESON_OPTS:-} "$TCP_BUILD" || tcp_die "meson setup failed"
		else
			meson setup ${TCP_MESON_OPTS:-} "$TCP_BUILD" || tcp_die "meson setup failed"
		fi
	elif [ "$TCP_DEPS_INSTALLED" = 1 ]; then
		# New packages (e.g. Criterion) are only seen after a reconfigure.
		tcp_say "==> meson setup --reconfigure $TCP_BUILD"
		meson setup --reconfigure "$TCP_BUILD" || tcp_die "meson setup --reconfigure failed"
	fi
	tcp_say "==> meson compile -C $TCP_BUILD"
	meson compile -C "$TCP_BUILD" || tcp_die "build failed"
}

# An fd inherited from a CI harness or a shell wrapper (e.g. a pipe on fd 251)
# is inherited by the programs we start and makes tcp refuse to checkpoint
# them. Close every fd above 2 that a child would inherit.
tcp_close_stray_fds() {
	local me=$BASHPID f fd key val flags
	for f in "/proc/$me/fd/"*; do
		fd=${f##*/}
		[[ $fd =~ ^[0-9]+$ ]] || continue
		[ "$fd" -gt 2 ] || continue
		# Skip close-on-exec fds (bash's own, e.g. the script on 255): children do not get them.
		flags=
		while read -r key val; do
			[ "$key" = flags: ] && flags=$val
		done 2>/dev/null <"/proc/$me/fdinfo/$fd"
		[ -n "$flags" ] || continue
		if (((8#$flags & 8#2000000) == 0)); then
			eval "exec $fd>&-"
		fi
	done
	# No stdin at all (CI) would let a test program's first open() land on fd 0.
	[ -e /proc/$me/fd/0 ] || exec </dev/null
}
