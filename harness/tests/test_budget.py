"""The time budget: a slow strategy is measured over the steps it did, and says so."""
import os
import tempfile
import unittest

from harness import results
from harness.tests.support import mmbench

QUICK = ["--workloads", "churn", "--allocators", "first-fit,best-fit", "--param", "churn.live=20000",
         "--param", "churn.steps=400000", "--repetitions", "1", "--sweep", "none", "--no-charts", "--warmup", "0",
         "--hyperfine-runs", "0", "--programs", "none"]


class BudgetTest(unittest.TestCase):
    def test_a_tiny_budget_cuts_the_slow_strategy_and_the_table_says_so(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--budget", "0.05", *QUICK)
            self.assertEqual(done.returncode, 0, done.stderr)
            data = results.load(out)
            by = {b["strategy"]: b["metrics"] for b in data["benchmarks"]}
            cut = by["first-fit"]["completed"]["median"]
            self.assertLess(cut, 1.0)
            self.assertGreater(cut, 0.0)
            self.assertGreater(by["first-fit"]["ns_per_op"]["median"], 0)
            self.assertEqual(by["first-fit"]["check_failures"]["max"], 0)
            self.assertIn("of steps]", done.stdout)
            self.assertIn("time budget (0.05 s", done.stdout)
            self.assertEqual(data["config"]["budget"], 0.05)

    def test_no_budget_runs_every_step(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--budget", "0", *QUICK[:4], "--param", "churn.live=2000",
                           "--param", "churn.steps=20000", *QUICK[8:])
            self.assertEqual(done.returncode, 0, done.stderr)
            for b in results.load(out)["benchmarks"]:
                self.assertEqual(b["metrics"]["completed"]["min"], 1.0, b["name"])
            self.assertNotIn("of steps]", done.stdout)

    def test_a_bad_budget_is_one_line_and_exit_2(self):
        for bad in ["soon", "-1", "1e9"]:
            with self.subTest(bad=bad):
                done = mmbench("run", "--budget", bad)
                self.assertEqual(done.returncode, 2)
                self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
                self.assertIn("--budget", done.stderr)


if __name__ == "__main__":
    unittest.main()
