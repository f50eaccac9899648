"""--suite: what a plain `./mmbench run` measures, and every option still overriding it."""
import argparse
import os
import tempfile
import unittest

from harness import cli, plan
from harness.tests.support import mmbench


def resolved(*argv):
    args = cli.make_parser().parse_args(["run", *argv])
    plan.apply_suite(args)
    return args


class SuiteOptionsTest(unittest.TestCase):
    def test_a_plain_run_is_the_default_suite(self):
        args = resolved()
        self.assertEqual(args.suite, "default")
        for key, value in plan.SUITES["default"].items():
            self.assertEqual(getattr(args, key), value, key)
        self.assertEqual(args.timeout, 40)  # 30 s + 10 x the default budget of 1 s

    def test_the_default_suite_keeps_what_compare_needs(self):
        from harness import stats
        n = plan.SUITES["default"]["repetitions"]
        _, p = stats.mann_whitney(list(range(n)), list(range(100, 100 + n)))
        self.assertLess(p, 0.05)  # a real slowdown in ns/op can still be significant

    def test_the_full_suite_is_the_whole_matrix(self):
        args = resolved("--suite", "full")
        self.assertEqual((args.repetitions, args.warmup, args.hyperfine_runs, args.budget, args.sweep, args.programs),
                         (5, 1, 3, 3.0, "auto", "all"))
        self.assertEqual(args.timeout, 60)

    def test_an_option_on_the_command_line_wins_over_its_suite(self):
        args = resolved("--suite", "quick", "--repetitions", "7", "--budget", "0", "--sweep", "auto")
        self.assertEqual((args.repetitions, args.budget, args.sweep), (7, 0, "auto"))
        self.assertEqual((args.warmup, args.hyperfine_runs), (0, 1))  # the rest from quick
        self.assertEqual(args.timeout, 0)  # no budget: no timeout either, unless asked for
        self.assertEqual(resolved("--budget", "0", "--timeout", "90").timeout, 90)

    def test_other_callers_keep_their_own_options(self):
        args = argparse.Namespace(repetitions=5, budget=3.0)  # trace replay's parser: no --programs, --suite
        plan.apply_suite(args)
        self.assertEqual((args.repetitions, args.budget, args.timeout), (5, 3.0, 60))
        self.assertFalse(hasattr(args, "programs"))
        self.assertFalse(hasattr(args, "suite"))

    def test_a_bad_suite_is_one_line_and_exit_2(self):
        done = mmbench("run", "--suite", "huge")
        self.assertEqual(done.returncode, 2)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
        self.assertIn("--suite", done.stderr)


class QuickRunTest(unittest.TestCase):
    def test_a_quick_run_records_its_suite_and_does_what_it_says(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--suite", "quick", "--out", out, "--workloads", "churn", "--allocators", "system",
                           "--param", "churn.live=500", "--param", "churn.steps=2000", "--programs", "none",
                           "--no-charts")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("suite quick: --repetitions 3 --warmup 0 --hyperfine-runs 1 --budget 0.5 --timeout 35",
                          done.stderr)
            from harness import results
            data = results.load(out)
            cfg = data["config"]
            self.assertEqual((cfg["suite"], cfg["repetitions"], cfg["warmup"], cfg["hyperfine_runs"], cfg["budget"],
                              cfg["timeout"], cfg["sweep"]), ("quick", 3, 0, 1, 0.5, 35, []))
            (b,) = data["benchmarks"]
            self.assertEqual(len(b["samples"]["ns_per_op"]), 3)
            self.assertEqual(len(b["samples"]["process_s"]), 1)
            self.assertEqual(data["sweep"], [])
            self.assertNotIn("warm-up", done.stderr)


if __name__ == "__main__":
    unittest.main()
