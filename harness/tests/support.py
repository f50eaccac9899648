"""Helpers for the harness tests: run ./mmbench as a user would."""
import os
import subprocess

from harness import paths

MMBENCH = os.path.join(paths.ROOT, "mmbench")
# A run small enough for a test: a few thousand operations per benchmark.
TINY = ["--param", "churn.live=500", "--param", "churn.steps=2000", "--repetitions", "2", "--programs", "none",
        "--workloads", "churn"]


def mmbench(*args, timeout=600):
    return subprocess.run([MMBENCH, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def error_line(done):
    """The last line on stderr (after any 'building' progress line)."""
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    return lines[-1] if lines else ""
