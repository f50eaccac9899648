"""The environment a run happened in, recorded in every results.json.

The source tree (source_tree) is what the measured binaries were built from: the commit
(git_revision), whether the tree differs from it (git_dirty: a tracked file changed, or
an untracked file git does not ignore), and then a SHA-256 of those differences
(git_diff_sha256: the diff against the commit and every untracked file's name and
content), so two runs of one dirty tree can be told from runs of two. results/ is not
source: a run writing its folder there does not make the tree dirty. `--resume` refuses a
tree other than the one its run started from (runner.py).
"""
import hashlib
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


def _command(args, cwd=paths.ROOT):
    try:
        return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=20).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _git_bytes(args, root):
    try:
        done = subprocess.run(["git", *args], capture_output=True, cwd=root, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


NOT_SOURCE = ":(exclude)results"  # a pathspec: the results folders, runs in progress included


def source_tree(root=paths.ROOT):
    """{git_revision, git_dirty, git_diff_sha256 (when dirty)} of the tree at `root`; the
    revision is None outside a git checkout."""
    revision = _command(["git", "rev-parse", "HEAD"], cwd=root)
    if revision is None:
        return {"git_revision": None, "git_dirty": None}
    diff = _git_bytes(["diff", "HEAD", "--binary", "--", ".", NOT_SOURCE], root) or b""
    untracked = (_git_bytes(["ls-files", "--others", "--exclude-standard", "-z", "--", ".", NOT_SOURCE], root)
                 or b"").split(b"\0")
    digest = hashlib.sha256(diff)
    for name in sorted(n for n in untracked if n):
        digest.update(b"\0untracked\0" + name + b"\0")
        try:
            with open(os.path.join(root, os.fsdecode(name)), "rb") as f:
                digest.update(hashlib.sha256(f.read()).digest())
        except OSError:  # gone since it was listed, or not a file: its name stands for it
            pass
    dirty = bool(diff) or any(untracked)
    tree = {"git_revision": revision, "git_dirty": dirty}
    if dirty:
        tree["git_diff_sha256"] = digest.hexdigest()
    return tree


def input_digests(params):
    """{param: SHA-256 of the file} for every --param naming a file (replay.trace): the
    run's input by content, which compare checks where the paths differ."""
    out = {}
    for key, value in sorted(params.items()):
        if isinstance(value, str) and os.path.isfile(value):
            with open(value, "rb") as f:
                out[key] = hashlib.sha256(f.read()).hexdigest()
    return out


def same_tree(recorded, now):
    """None when `now` (source_tree()) is the tree `recorded` (an environment) was, else
    what differs, in words."""
    keys = ("git_revision", "git_dirty", "git_diff_sha256")
    if all(recorded.get(k) == now.get(k) for k in keys):
        return None
    def describe(tree):
        revision = (tree.get("git_revision") or "no revision")[:12]
        if not tree.get("git_dirty"):
            return f"{revision}, clean"
        return f"{revision} with uncommitted changes {str(tree.get('git_diff_sha256'))[:12]}"
    return f"the run was started from {describe(recorded)}; the tree is now {describe(now)}"


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


def load_average():
    """[1, 5, 15 minutes] of the machine's load average, or None where there is none."""
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def collect():
    gcc = _command(["gcc", "--version"])
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
        **source_tree(),
        "load_average": load_average(),  # at the start; results.json adds load_average_end
        "cpu_governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "aslr": _read("/proc/sys/kernel/randomize_va_space"),
        "transparent_hugepages": _read("/sys/kernel/mm/transparent_hugepage/enabled"),
    }
