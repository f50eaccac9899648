"""What the build, tests and runs need from the machine, and installing what is missing.

Each requirement is checked by what it provides (a command or a file), not by asking
dpkg, so a machine that has them some other way passes too. What is missing is installed
with apt-get when we are root on a Debian-like system; otherwise the exact command to run
is printed and nothing else happens.
"""
import glob
import importlib.util
import os
import shutil
import subprocess
import sys

from harness.errors import SetupError

# (what, how to tell it is there, Debian package)
BUILD = [
    ("bazel", lambda: shutil.which("bazel"), "bazel-bootstrap"),
    ("Bazel's Java rules", lambda: os.path.isdir("/usr/share/bazel/rules/java"), "bazel-rules-java"),
    ("a C compiler", lambda: shutil.which("gcc"), "gcc"),
    ("a C++ compiler", lambda: shutil.which("g++"), "g++"),
    ("Google Benchmark", lambda: os.path.exists("/usr/include/benchmark/benchmark.h"), "libbenchmark-dev"),
    ("the Boehm collector (libgc)", lambda: os.path.exists("/usr/include/gc/gc.h"), "libgc-dev"),
    # The shim includes <valgrind/callgrind.h> when it is there, and Bazel cannot see a
    # header appear later: valgrind belongs to the build, so every binary can be counted.
    ("valgrind", lambda: os.path.exists("/usr/include/valgrind/memcheck.h"), "valgrind"),
]


def _module(name):
    return lambda: importlib.util.find_spec(name) is not None


# ./mmbench run measures whole processes with hyperfine; --counts needs valgrind (callgrind,
# in BUILD); charts need matplotlib for /usr/bin/python3 (what the launcher runs).
HYPERFINE = [("hyperfine", lambda: shutil.which("hyperfine"), "hyperfine")]
COUNTS = [entry for entry in BUILD if entry[0] == "valgrind"]
CHARTS = [("matplotlib", _module("matplotlib"), "python3-matplotlib")]
# the real programs behind ./mmbench trace record --recipe (and the replay in a default run)
TRACE = [
    ("Debian's python3", lambda: os.path.exists("/usr/bin/python3"), "python3"),
    ("sqlite3", lambda: shutil.which("sqlite3"), "sqlite3"),
    ("gcc", lambda: shutil.which("gcc"), "gcc"),
]
RUN = BUILD + HYPERFINE + CHARTS + TRACE
# The tests use all of it, plus jsonschema for the export formats' published schemas.
TEST = RUN + [
    ("jsonschema", _module("jsonschema"), "python3-jsonschema"),
]
# A real browser for the HTML report's test: offered (deps.offer) by the tests that open the
# page, which are skipped only where it cannot be installed.
BROWSER = [("chromium", lambda: shutil.which("chromium"), "chromium")]
FULL = TEST + [  # ./mmbench test --full: libFuzzer needs clang and its runtime
    ("clang", lambda: shutil.which("clang"), "clang"),
    ("libFuzzer", lambda: glob.glob("/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a"), "libclang-rt-14-dev"),
]
# The peers (allocators/peers.c) and the real programs (harness/programs.py): a machine
# without them still builds; runs and tests skip what is absent, saying why.
_LIBDIR = "/usr/lib/x86_64-linux-gnu" if os.path.isdir("/usr/lib/x86_64-linux-gnu") else "/usr/lib"
PEERS = [
    ("jemalloc", lambda: os.path.exists(os.path.join(_LIBDIR, "libjemalloc.so.2")), "libjemalloc-dev"),
    ("mimalloc", lambda: os.path.exists(os.path.join(_LIBDIR, "libmimalloc.so.2")), "libmimalloc-dev"),
    ("tcmalloc", lambda: os.path.exists(os.path.join(_LIBDIR, "libtcmalloc_minimal.so.4")), "libgoogle-perftools-dev"),
]
PROGRAMS = [
    ("sqlite3", lambda: shutil.which("sqlite3"), "sqlite3"),
    ("CPython's regression tests", lambda: os.path.exists("/usr/lib/python3.11/test/test_list.py"),  # programs.REGRTEST
     "libpython3.11-testsuite"),
    ("hyperfine", lambda: shutil.which("hyperfine"), "hyperfine"),
]
OPTIONAL = PEERS + PROGRAMS  # offered by run and test: installed when we can, else skipped with a note


def missing(requirements):
    return [(what, pkg) for what, present, pkg in requirements if not present()]


def ensure(requirements, log=sys.stderr):
    """Installs what is missing, or raises SetupError naming the command to run."""
    gaps = missing(requirements)
    if not gaps:
        return
    packages = sorted({pkg for _, pkg in gaps})
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    names = ", ".join(what for what, _ in gaps)
    can_install = os.geteuid() == 0 and shutil.which("apt-get")
    if not can_install:
        raise SetupError(f"missing {names}; install with: sudo {' '.join(command)}")
    print(f"mmbench: installing {names}: {' '.join(packages)}", file=log, flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update", "-q"], command):
        done = subprocess.run(step, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if done.returncode != 0:
            raise SetupError(f"'{' '.join(step)}' failed (exit {done.returncode}); run it by hand to see why")
    still = missing(requirements)
    if still:
        raise SetupError("still missing after install: " + ", ".join(what for what, _ in still))


def offer(requirements, log=sys.stderr):
    """Like ensure() for what the suite can do without: installs it when it can; when it
    cannot (not root, no apt, apt failed), one note and the run goes on without it."""
    gaps = missing(requirements)
    if not gaps:
        return
    try:
        ensure(requirements, log)
    except SetupError as e:
        print(f"mmbench: note: going on without it ({e})", file=log, flush=True)
