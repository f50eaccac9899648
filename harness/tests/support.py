"""Helpers for the harness tests: run ./mmbench as a user would; open a page in a browser."""
import os
import subprocess
import tempfile
import unittest

from harness import cli, deps, options, paths

MMBENCH = os.path.join(paths.ROOT, "mmbench")
# A run small enough for a test: a few thousand operations per benchmark, no sweep, no charts.
TINY = ["--workloads", "churn", "--param", "churn.live=500", "--param", "churn.steps=2000", "--repetitions", "2", "--sweep", "none",
        "--no-charts", "--warmup", "0", "--programs", "none"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def resolved(*argv, command=("run",), **fixed):
    """The RunConfig the command line builds from `argv`."""
    return options.run_config(cli.make_parser().parse_args([*command, *argv]), **fixed)


def mmbench(*args, timeout=600, env=None):
    return subprocess.run([MMBENCH, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=None if env is None else dict(os.environ, **env))


def error_line(done):
    """The last line on stderr (after any 'building' progress line)."""
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def need_chromium():
    """Installs chromium where it can (deps.offer); SkipTest only where it cannot be had.
    A chromium that is there but fails is the test's failure, not a skip."""
    deps.offer(deps.BROWSER)
    if deps.missing(deps.BROWSER):
        raise unittest.SkipTest("chromium cannot be installed here (not root, or no apt)")


def chromium(page, *action, timeout=180):
    """Opens the file `page` in headless chromium, doing `action` (--dump-dom,
    --screenshot=FILE ...) once the page has loaded and its scripts ran. Returns the
    finished process and the console lines: whatever the page logged or threw."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                               "--v=0", "--virtual-time-budget=10000", *action, f"file://{os.path.abspath(page)}"],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return done, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
