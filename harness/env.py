"""The environment a run happened in, recorded in every results.json."""
import os
import platform
import subprocess

from harness import paths


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _command(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, cwd=paths.ROOT, timeout=20).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_model():
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or None


LIBRARIES = ["libbenchmark-dev", "libc6", "gcc", "hyperfine", "valgrind", "python3-matplotlib"]


def libraries():
    """Debian package versions of what the measurements depend on ({package: version})."""
    out = _command(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n", *LIBRARIES]) or ""
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line and line.split(" ", 1)[1])


def compiler_flags():
    """The flags every project C file is built with: .bazelrc's build lines and MM_COPTS."""
    flags = []
    for line in (_read(os.path.join(paths.ROOT, ".bazelrc")) or "").splitlines():
        if line.startswith(("build --compilation_mode", "build --copt")):
            flags.append(line.split(None, 1)[1])
    defs = _read(os.path.join(paths.ROOT, "bazel", "defs.bzl")) or ""
    if "MM_COPTS = [" in defs:
        block = defs.split("MM_COPTS = [", 1)[1].split("]", 1)[0]
        flags += [t.strip().strip('",') for t in block.split(",") if t.strip().strip('",').startswith("-")]
    return " ".join(flags) or None


def collect():
    gcc = _command(["gcc", "--version"])
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    dirty = _command(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": _read("/etc/debian_version") and f"Debian {_read('/etc/debian_version')}",
        "compiler": gcc.splitlines()[0] if gcc else None,
        "compiler_flags": compiler_flags(),
        "libraries": libraries(),
        "python": platform.python_version(),
        "bazel": _command(["bazel", "--version"]),
        "git_revision": _command(["git", "rev-parse", "HEAD"]),
        "git_dirty": bool(dirty),
        "load_average": list(load) if load else None,
        "cpu_governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "aslr": _read("/proc/sys/kernel/randomize_va_space"),
        "transparent_hugepages": _read("/sys/kernel/mm/transparent_hugepage/enabled"),
    }
