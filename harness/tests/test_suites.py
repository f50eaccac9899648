"""--suite: what a plain `./mmbench run` measures, and every option still overriding it;
`trace replay` takes the same options with the same defaults."""
import dataclasses
import os
import tempfile
import unittest

from harness import plan, results, stats, sweep
from harness.registry import Registry
from harness.tests.support import mmbench, resolved


class SuiteOptionsTest(unittest.TestCase):
    def test_a_plain_run_is_the_default_suite(self):
        config = resolved()
        self.assertEqual(config.suite, "default")
        for key, value in plan.SUITES["default"].items():
            if key != "programs":
                self.assertEqual(getattr(config, key), value, key)
        self.assertEqual(config.programs, ("sqlite",))
        self.assertEqual(config.timeout, 40)  # 30 s + 10 x the default budget of 1 s
        self.assertTrue(config.out.startswith(os.path.join(plan.paths.DEFAULT_RUNS, "")))
        with self.assertRaises(dataclasses.FrozenInstanceError):
            config.repetitions = 9

    def test_the_default_suite_keeps_what_compare_needs(self):
        n = plan.SUITES["default"]["repetitions"]
        _, p = stats.mann_whitney(list(range(n)), list(range(100, 100 + n)))
        self.assertLess(p, 0.05)  # a real slowdown in ns/op can still be significant

    def test_the_full_suite_is_the_whole_matrix(self):
        config = resolved("--suite", "full")
        self.assertEqual((config.repetitions, config.warmup, config.hyperfine_runs, config.budget, config.sweep,
                          config.programs), (5, 1, 3, 3.0, "thorough", ("cpython-tests", "sqlite", "gcc")))
        self.assertEqual(config.timeout, 60)

    def test_the_one_lock_twins_are_the_full_suites_or_named(self):
        registry = Registry.load()
        shared = [w["name"] for w in registry.workloads if w.get("full_suite_only")]
        self.assertIn("larson-2-shared", shared)
        self.assertTrue(all(name.endswith("-shared") for name in shared), shared)

        def workloads(*argv):
            return {w for _, w, _ in plan.benchmarks(registry, resolved(*argv))}
        for argv in [(), ("--suite", "quick")]:
            self.assertFalse(workloads(*argv) & set(shared), argv)
            self.assertIn("larson-2", workloads(*argv))
        self.assertLessEqual(set(shared), workloads("--suite", "full"))
        self.assertLessEqual(set(shared), workloads("--workloads", "all"))
        self.assertEqual(workloads("--workloads", "larson-2-shared,churn"), {"larson-2-shared", "churn"})

    def test_the_full_suite_sweeps_further(self):
        registry = Registry.load()
        self.assertEqual(sweep.parse("auto", registry, {"churn"}), [("churn", "live", [1000, 10000, 100000])])
        self.assertEqual(sweep.parse("thorough", registry, {"churn"}),
                         [("churn", "live", [1000, 10000, 100000, 1000000])])
        self.assertEqual(sweep.parse("thorough", registry, {"pair"}), [])

    def test_an_option_on_the_command_line_wins_over_its_suite(self):
        config = resolved("--suite", "quick", "--repetitions", "7", "--budget", "0", "--sweep", "auto")
        self.assertEqual((config.repetitions, config.budget, config.sweep), (7, 0, "auto"))
        self.assertEqual((config.warmup, config.samples, config.hyperfine_runs, config.programs), (0, 3, 0, ()))
        self.assertEqual(config.max_repetitions, 7)  # --repetitions alone: that many processes, no more
        self.assertEqual(config.timeout, 0)  # no budget: no timeout either, unless asked for
        self.assertEqual(resolved("--budget", "0", "--timeout", "90").timeout, 90)
        self.assertEqual(resolved("--programs", "none", "--no-charts").programs, ())
        self.assertFalse(resolved("--no-charts").charts)
        self.assertEqual(dict(resolved("--param", "churn.live=5", "--param", "bump.chunk=8M").params),
                         {"churn.live": "5", "bump.chunk": "8M"})

    def test_trace_replay_shares_the_run_options_and_their_defaults(self):
        replay = ("trace", "replay", "t.mmtrace")
        fixed = {"workloads": "replay", "sweep": "none", "programs": "none"}
        for argv in [(), ("--suite", "quick"), ("--repetitions", "2", "--budget", "0.2", "--counts", "--limit", "64M")]:
            with self.subTest(argv=argv):
                ran, replayed = resolved(*argv, **fixed), resolved(*argv, command=replay, **fixed)
                self.assertEqual(dataclasses.replace(replayed, out=ran.out), ran)
        self.assertEqual(resolved(command=replay).repetitions, plan.SUITES["default"]["repetitions"])

    def test_a_resumed_run_reads_its_config_back_from_the_plan(self):
        config = resolved("--suite", "quick", "--param", "churn.live=5", "--counts", "--limit", "1G", "--no-charts")
        sweeps = [("churn", "live", [1000, 10000])]
        again = plan.RunConfig.from_plan(config.plan_config(sweeps), config.out, charts=False)
        self.assertEqual(dataclasses.replace(again, sweep=config.sweep), config)
        self.assertEqual(again.sweep, "churn.live=1000,10000")  # the options that ask for that sweep
        self.assertEqual(again.plan_config(sweeps), config.plan_config(sweeps))
        # a plan from before --timeout and --warmup: what that run did
        old = plan.RunConfig.from_plan({"repetitions": 3, "budget": 1}, "/r")
        self.assertEqual((old.timeout, old.warmup, old.suite, old.programs), (40, 0, None, ()))
        self.assertEqual(plan.RunConfig.from_plan({"repetitions": 3, "budget": 1, "timeout": 0}, "/r").timeout, 0)

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
            self.assertIn("suite quick: --repetitions 1 --max-repetitions 1 --max-time 0 --precision 0.05 "
                          "--samples 3 --warmup 0 --hyperfine-runs 0 --budget 0.2 --timeout 32", done.stderr)
            self.assertRegex(done.stderr, r"mmbench: .*, \d+ cores, .*clock cpu \(single-threaded workloads\)")
            data = results.load(out)
            cfg = data["config"]
            self.assertEqual((cfg["suite"], cfg["repetitions"], cfg["samples"], cfg["warmup"], cfg["hyperfine_runs"],
                              cfg["budget"], cfg["timeout"], cfg["sweep"], cfg["clock"]),
                             ("quick", 1, 3, 0, 0, 0.2, 32, [], None))
            (b,) = data["benchmarks"]
            self.assertEqual(b["clock"], "cpu")
            self.assertEqual(len(b["samples"]["ns_per_op"]), 1)  # one process
            (within,) = b["within"]["ns_per_op"]  # of three samples, whose median it is
            self.assertEqual(len(within), 3)
            self.assertEqual(b["samples"]["ns_per_op"][0], sorted(within)[1])
            low, high = b["metrics"]["ns_per_op"]["ci95"]  # from the samples, the one process having no peers
            self.assertLessEqual(low, b["metrics"]["ns_per_op"]["median"])
            self.assertGreaterEqual(high, b["metrics"]["ns_per_op"]["median"])
            self.assertNotIn("process_s", b["samples"])
            self.assertEqual(data["sweep"], [])
            self.assertNotIn("warm-up", done.stderr)


if __name__ == "__main__":
    unittest.main()
