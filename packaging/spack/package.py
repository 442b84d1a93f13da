# Spack recipe for tcp, kept with the source for sites to copy into their own
# Spack package repository:
#
#   spack repo create /path/to/site-repo site        # once
#   mkdir -p /path/to/site-repo/packages/tcp          # (spack_repo/site/packages/tcp with Spack >= 1.0)
#   cp packaging/spack/package.py /path/to/site-repo/packages/tcp/
#   spack install tcp                                  # +man: the man pages too (needs scdoc)
#
# or, from a checkout of this repository: spack develop --path $PWD tcp@=main
# and spack install tcp. `spack load tcp`, or the modulefile that meson
# installs in PREFIX/share/tcp/modulefiles, puts the tools on PATH.
#
# tests/packaging/spack_recipe.py checks that the dependencies, their
# versions, the variants and the meson options below match meson.build and
# meson_options.txt: change them together.

try:  # Spack >= 1.0: the build systems live in the builtin package repository
    from spack_repo.builtin.build_systems.meson import MesonPackage
except ImportError:  # Spack 0.x: spack.package provides them
    pass

from spack.package import *  # noqa: F401,F403


class Tcp(MesonPackage):
    """Transparent checkpoint and restart of unmodified Linux programs: libtcp.so,
    preloaded into a program, writes a checkpoint image on a signal; tcp-restore
    resumes it with its own pid and thread ids; tcp-run launches or resumes,
    tcp-ckpt checkpoints and waits, tcp-inspect shows what an image holds.
    SLURM batch script templates in share/tcp/slurm."""

    # No public repository yet: point `git` at the clone your site builds
    # from (or use `spack develop`, above).
    git = "file:///usr/local/src/tcp"

    license("MIT")

    version("main", branch="main")

    variant("man", default=False, description="Build the man pages (needs scdoc; Spack may have it only as an external)")
    variant(
        "sanitize",
        default=False,
        description="Build the hosted code (tcp-restore's hosted stage, the image reader, the unit tests) "
        "with ASan and UBSan; tcp-restore is then linked dynamically",
    )

    # Linux x86-64 only: raw system calls, the x86-64 signal frame and XSAVE.
    requires("platform=linux", msg="tcp runs on Linux only")
    requires("target=x86_64:", msg="tcp supports x86-64 only")

    depends_on("c", type="build")
    depends_on("meson@1.0.0:", type="build")
    depends_on("ninja", type="build")
    depends_on("pkgconfig", type="build")
    # The build embeds the restore blob and writes tcp-run with python3.
    depends_on("python@3:", type="build")
    depends_on("scdoc", type="build", when="+man")
    # libtcp.so links the shared library, tcp-restore (static-pie) the static one.
    depends_on("zstd@1.4.0: libs=shared,static")
    # Headers at build time; libunwind.so.8 is opened at run time for backtraces.
    depends_on("libunwind@1.3:", type=("build", "link", "run"))

    def meson_args(self):
        spec = self.spec
        return [
            "-Dsanitize={0}".format("true" if spec.satisfies("+sanitize") else "false"),
            "-Dman={0}".format("enabled" if spec.satisfies("+man") else "disabled"),
            # The suites need ptrace and namespaces and take minutes: only
            # with `spack install --test=root tcp`.
            "-Dtests={0}".format("true" if self.run_tests else "false"),
        ]
