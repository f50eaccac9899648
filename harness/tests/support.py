"""Helpers for the harness tests: run ./mmbench as a user would."""
import os
import subprocess

from harness import paths

MMBENCH = os.path.join(paths.ROOT, "mmbench")
# A run small enough for a test: a few thousand operations per benchmark, no sweep, no charts.
TINY = ["--workloads", "churn", "--param", "churn.live=500", "--param", "churn.steps=2000", "--repetitions", "2", "--sweep", "none",
        "--no-charts", "--warmup", "0", "--programs", "none"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def mmbench(*args, timeout=600, env=None):
    return subprocess.run([MMBENCH, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=None if env is None else dict(os.environ, **env))


def error_line(done):
    """The last line on stderr (after any 'building' progress line)."""
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    return lines[-1] if lines else ""
