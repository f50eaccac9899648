"""What the build, tests and runs need from the machine, and installing what is missing.

Each requirement is checked by what it provides (a command or a file), not by asking
dpkg, so a machine that has them some other way passes too. What is missing is installed
with apt-get when we are root on a Debian-like system; otherwise the exact command to run
is printed and nothing else happens.
"""
import glob
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
]
TEST = BUILD + [
    # before the first build, so strategies compile their annotations in (allocators/mm_valgrind.h)
    ("valgrind", lambda: os.path.exists("/usr/include/valgrind/memcheck.h"), "valgrind"),
]
FULL = TEST + [  # ./mmbench test --full: libFuzzer needs clang and its runtime
    ("clang", lambda: shutil.which("clang"), "clang"),
    ("libFuzzer", lambda: glob.glob("/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a"), "libclang-rt-14-dev"),
]
RUN = BUILD


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
