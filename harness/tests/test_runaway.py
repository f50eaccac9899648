"""Runaway benchmarks: a process that hangs is killed at the timeout and reported as that
benchmark's failure, with nothing left running; a thread workload on a slow strategy is
cut by the time budget like the single-threaded ones."""
import os
import stat
import tempfile
import unittest

from harness import measure, paths, plan, results
from harness.tests.support import TINY, mmbench

# A sleep no other process on the machine is running: how the tests find leftovers.
MARK = f"{3000 + os.getpid() % 1000}.{os.getpid()}"


def hanging_binary(folder, victim):
    """A stand-in for mmbench_bench that hangs whenever it is asked to run `victim`. The
    hang is a child of the shell (as a benchmark's own children would be), so only killing
    the whole process group ends it."""
    path = os.path.join(folder, "hanging_bench")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\ncase "$*" in *"{victim}/"*) sleep {MARK}; exit 0 ;; esac\n'
                f'exec {paths.BENCH_BINARY} "$@"\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def leftovers():
    """Processes still running the stand-in's sleep (zombies and the dying left out)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                mine = MARK.encode() in f.read()
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if mine and state not in ("Z", "X"):
            found.append(int(pid))
    return found


def survivors(patience=30):
    """leftovers() once they have had `patience` seconds to die: on a loaded machine a
    process killed with its group can take a moment to be gone. One that was never
    killed sleeps for most of an hour, so it is still there."""
    import time
    deadline = time.monotonic() + patience
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.2)
    return leftovers()


class TimeoutTest(unittest.TestCase):
    def tearDown(self):
        self.assertEqual(survivors(), [], "a killed measurement left a process behind")

    def run_with_hang(self, tmp, *extra):
        out = os.path.join(tmp, "run")
        done = mmbench("run", "--out", out, *TINY, "--allocators", "system,bump", "--hyperfine-runs", "1",
                       "--timeout", "2", *extra, env={"MMBENCH_BENCH_BINARY": hanging_binary(tmp, "churn/bump")})
        return out, done

    def test_a_hung_benchmark_is_killed_reported_and_not_retried(self):
        with tempfile.TemporaryDirectory() as tmp:
            out, done = self.run_with_hang(tmp)
            self.assertEqual(done.returncode, 1, done.stderr)  # a failure, like a crash
            self.assertNotIn("Traceback", done.stderr)
            data = results.load(out)
            by = {b["strategy"]: b for b in data["benchmarks"]}
            self.assertEqual(by["bump"]["status"], "failed")
            self.assertTrue(by["bump"]["error"].startswith("timed out after 2 s"), by["bump"]["error"])
            self.assertEqual(by["system"]["status"], "ok")
            self.assertEqual(len(by["system"]["samples"]["ns_per_op"]), 2)
            self.assertEqual(len(by["system"]["samples"]["process_s"]), 1)
            self.assertEqual(data["config"]["timeout"], 2)
            with open(os.path.join(out, "table.md")) as f:
                self.assertIn("| churn | bump | FAILED: timed out after 2 s", f.read())
            self.assertIn("FAILED: timed out after 2 s", done.stderr)  # the progress line
            self.assertTrue(data["complete"])  # a result, not a gap
            again = mmbench("run", "--resume", out, env={"MMBENCH_BENCH_BINARY": hanging_binary(tmp, "churn/bump")})
            self.assertIn("0 measurement(s) missing", again.stderr)

    def test_a_hang_with_a_warm_up_is_killed_once_and_the_repetitions_are_skipped(self):
        # the warm-up is a pass inside each process: a hang there is the first repetition's result
        with tempfile.TemporaryDirectory() as tmp:
            out, done = self.run_with_hang(tmp, "--warmup", "1")
            self.assertEqual(done.returncode, 1, done.stderr)
            by = {b["strategy"]: b for b in results.load(out)["benchmarks"]}
            self.assertEqual(by["bump"]["status"], "failed")
            self.assertTrue(by["bump"]["error"].startswith("timed out after 2 s"), by["bump"]["error"])
            self.assertEqual(done.stderr.count("timed out after"), 1, done.stderr)  # killed once, not per repetition
            self.assertEqual(by["system"]["status"], "ok")

    def test_hyperfine_and_its_children_are_killed_too(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["MMBENCH_BENCH_BINARY"] = hanging_binary(tmp, "churn/bump")
            try:
                config = plan.RunConfig.of(timeout=1, hyperfine_runs=2, programs="none", out=tmp)
                sample, error = measure.hyperfine("churn/bump", {}, config, os.path.join(tmp, "churn.bump.hyperfine.1.json"))
            finally:
                del os.environ["MMBENCH_BENCH_BINARY"]
            self.assertIsNone(sample)
            self.assertEqual(error, "hyperfine: timed out after 2 s (killed; see --timeout)")  # 1 s per run
            self.assertEqual(sorted(os.listdir(tmp)), ["hanging_bench"])  # nothing half-written

    def test_the_default_timeout_follows_the_budget(self):
        self.assertEqual(plan.default_timeout(1), 40)
        self.assertEqual(plan.default_timeout(3), 60)
        self.assertEqual(plan.default_timeout(0), 0)  # no budget: every step, however long
        self.assertEqual(plan.RunConfig.of(budget=3).timeout, 60)
        self.assertEqual(plan.RunConfig.of(budget=3, timeout=5).timeout, 5)

    def test_a_bad_timeout_is_one_line_and_exit_2(self):
        for bad in ["never", "-5"]:
            with self.subTest(bad=bad):
                done = mmbench("run", "--timeout", bad)
                self.assertEqual(done.returncode, 2)
                self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
                self.assertIn("--timeout", done.stderr)


class ThreadBudgetTest(unittest.TestCase):
    """Before, the thread workloads lost the budget's verdict (it was taken on a copy of
    the context) and looked at the deadline every 16 rounds only: larson-n on first-fit at
    a large live set ran for minutes. Now every round looks, and the cut reaches the table."""

    def test_a_tiny_budget_cuts_every_thread_workload_after_its_first_round(self):
        workloads = ["larson-n", "prodcons-n"]
        params = [a for w in workloads for a in ("--param", f"{w}.steps=200000", "--param", f"{w}.live=2000")]
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--workloads", ",".join(workloads), "--allocators", "system,first-fit",
                           *params, "--budget", "0.000001", "--repetitions", "1", "--warmup", "0",
                           "--hyperfine-runs", "0", "--sweep", "none", "--programs", "none", "--no-charts")
            self.assertEqual(done.returncode, 0, done.stderr)
            data = results.load(out)
            runs = {}
            for b in data["benchmarks"]:
                m = {k: v["median"] for k, v in b["metrics"].items()}
                runs.setdefault(b["workload"], {})[b["strategy"]] = m
                self.assertEqual(m["completed"], 1 / 200, b["name"])  # 200 rounds planned, one run
                self.assertEqual(m["check_failures"], 0, b["name"])
            for w, by in runs.items():  # cut at the same round: the same operations on both
                self.assertEqual(by["system"]["ops_checksum"], by["first-fit"]["ops_checksum"], w)
            self.assertIn("of steps]", done.stdout)


if __name__ == "__main__":
    unittest.main()
