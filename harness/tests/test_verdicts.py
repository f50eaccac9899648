"""Statistics, compare and export: the numbers a CI job acts on."""
import copy
import json
import os
import random
import tempfile
import unittest

import jsonschema

from harness import compare, export, metrics, stats
from harness.tests.support import error_line, mmbench


def entry(name, **samples):
    return {"name": name, "workload": name.split("/")[0], "strategy": name.split("/")[1], "error": None,
            "samples": samples, "metrics": {k: stats.summary(v) for k, v in samples.items()}}


def gc_entry(name, **samples):
    workload, heap = name.split("/", 1)
    return dict(entry(name, **samples), workload=workload, strategy=heap, kind="gc")


def results_with(*entries):
    return {"schema": "mmbench.results/1", "strategies": [], "benchmarks": list(entries)}


def noisy(rng, centre, n=5, noise=0.08):
    return [centre * (1 + rng.uniform(-noise, noise)) for _ in range(n)]


class StatsTest(unittest.TestCase):
    def test_mann_whitney_exact_matches_the_textbook(self):
        # all of x below all of y: U = 0, and 2 of the C(10,5) = 252 orderings are as extreme
        u, p = stats.mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        self.assertEqual(u, 0)
        self.assertAlmostEqual(p, 2 / 252)
        self.assertEqual(stats.mann_whitney([1, 2, 3], [1, 2, 3])[1], 1.0)
        self.assertEqual(stats.mann_whitney([4, 4], [4, 4])[1], 1.0)

    def test_mann_whitney_normal_approximation_with_ties(self):
        x = [1, 2, 2, 3, 3, 3] * 6
        u, p = stats.mann_whitney(x, [v + 10 for v in x])
        self.assertEqual(u, 0)
        self.assertLess(p, 1e-6)
        self.assertGreater(stats.mann_whitney(x, list(reversed(x)))[1], 0.9)

    def test_summary_flags_a_large_spread(self):
        self.assertFalse(stats.summary([100, 101, 99, 100], interval=True)["unstable"])
        wild = stats.summary([100, 150, 60, 100], interval=True)
        self.assertTrue(wild["unstable"])
        self.assertEqual(wild["median"], 100)
        self.assertNotIn("unstable", stats.summary([5], interval=True), "one value: no interval to judge")

    def test_geomean(self):
        self.assertAlmostEqual(stats.geomean([2, 0.5]), 1.0)
        self.assertAlmostEqual(stats.geomean([1.05] * 7), 1.05)
        self.assertIsNone(stats.geomean([]))


class CompareTest(unittest.TestCase):
    def test_an_injected_five_percent_instruction_slowdown_is_caught_every_time(self):
        rng = random.Random(1)
        for trial in range(200):
            ir = rng.uniform(20, 5000)
            names = [f"churn/s{i}" for i in range(rng.randint(1, 6))]
            base = results_with(*[entry(n, instructions_per_op=[ir * (i + 1)]) for i, n in enumerate(names)])
            new = copy.deepcopy(base)
            victim = new["benchmarks"][rng.randrange(len(names))]
            victim["samples"]["instructions_per_op"] = [v * 1.05 for v in victim["samples"]["instructions_per_op"]]
            victim["metrics"]["instructions_per_op"] = stats.summary(victim["samples"]["instructions_per_op"])
            verdict = compare.compare(base, new)
            self.assertEqual([(r["benchmark"], r["metric"]) for r in verdict["regressions"]],
                             [(victim["name"], "instructions_per_op")], f"trial {trial}")

    def test_the_same_results_compared_with_themselves_raise_no_alarm(self):
        rng = random.Random(2)
        for _ in range(50):
            data = results_with(*[entry(f"churn/s{i}", ns_per_op=noisy(rng, 50), instructions_per_op=[123.5],
                                        peak_footprint=[4096.0] * 5) for i in range(4)])
            verdict = compare.compare(data, copy.deepcopy(data))
            self.assertEqual(verdict["regressions"], [])
            self.assertAlmostEqual(verdict["geomean"]["ns_per_op"], 1.0)

    def test_noise_alone_is_not_a_regression_but_a_real_shift_is(self):
        rng = random.Random(3)
        false_alarms = caught = 0
        for _ in range(100):
            base = results_with(entry("churn/a", ns_per_op=noisy(rng, 100)))
            same = results_with(entry("churn/a", ns_per_op=noisy(rng, 100)))
            slow = results_with(entry("churn/a", ns_per_op=noisy(rng, 130, noise=0.03)))
            false_alarms += bool(compare.compare(base, same)["regressions"])
            caught += bool(compare.compare(base, slow)["regressions"])
        self.assertLessEqual(false_alarms, 10)  # both tests must pass: a big change AND significance
        self.assertEqual(caught, 100)

    def test_a_change_under_the_threshold_is_not_a_regression(self):
        base = results_with(entry("churn/a", instructions_per_op=[100.0]))
        new = results_with(entry("churn/a", instructions_per_op=[102.0]))
        self.assertEqual(compare.compare(base, new, threshold=0.03)["regressions"], [])
        self.assertEqual(len(compare.compare(base, new, threshold=0.01)["regressions"]), 1)

    def test_a_worse_gc_pause_is_a_regression(self):
        rng = random.Random(4)
        base = results_with(gc_entry("binary-trees/rc-gen/pool", pause_p99_ns=noisy(rng, 100e3),
                                     ns_per_op=noisy(rng, 35), gc_leaked=[0] * 5))
        slower = results_with(gc_entry("binary-trees/rc-gen/pool", pause_p99_ns=noisy(rng, 150e3, noise=0.03),
                                       ns_per_op=noisy(rng, 35), gc_leaked=[0] * 5))
        verdict = compare.compare(base, slower)
        self.assertEqual([(r["benchmark"], r["metric"]) for r in verdict["regressions"]],
                         [("binary-trees/rc-gen/pool", "pause_p99_ns")])
        self.assertIn("| `binary-trees/rc-gen/pool` | pause p99 |", compare.markdown(verdict, "a", "b"))
        # the other way round it is an improvement, and a leak is judged exactly (it does not vary)
        self.assertEqual(compare.compare(slower, base)["regressions"], [])
        leaking = copy.deepcopy(base)
        leaking["benchmarks"][0] = gc_entry("binary-trees/rc-gen/pool", pause_p99_ns=base["benchmarks"][0]
                                            ["samples"]["pause_p99_ns"], ns_per_op=[35.0], gc_leaked=[420])
        self.assertEqual([r["metric"] for r in compare.compare(base, leaking)["regressions"]], ["gc_leaked"])

    def test_a_higher_is_better_metric_regresses_downwards(self):
        faster = metrics.Metric("x", "x", "ops/s", metrics.HIGHER, False, metrics.DECIMAL, "timer")
        self.assertEqual(compare.judge(faster, [100.0], [90.0], 0.03, 0.05)["verdict"], "regression")
        self.assertEqual(compare.judge(faster, [100.0], [110.0], 0.03, 0.05)["verdict"], "improvement")

    def test_a_benchmark_that_now_fails_is_a_regression(self):
        base = results_with(entry("churn/a", ns_per_op=[1.0, 1.1]))
        new = results_with(dict(entry("churn/a"), error="crashed (SIGSEGV)"))
        verdict = compare.compare(base, new)
        self.assertEqual(verdict["failures"], [{"benchmark": "churn/a", "error": "crashed (SIGSEGV)"}])
        self.assertIn("crashed (SIGSEGV)", compare.markdown(verdict, "a", "b"))


class CompareCommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def test_a_run_whose_gc_pause_got_worse_exits_1(self):
        base = results_with(gc_entry("binary-trees/rc-gen/pool", pause_p99_ns=[98e3, 101e3, 99e3, 100e3, 102e3]))
        new = results_with(gc_entry("binary-trees/rc-gen/pool", pause_p99_ns=[151e3, 149e3, 150e3, 152e3, 148e3]))
        done = mmbench("compare", self.write("base.json", base), self.write("new.json", new))
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("| `binary-trees/rc-gen/pool` | pause p99 | 1e+05 | 1.5e+05 | +50.00% |", done.stdout)

    def test_exit_status_and_markdown(self):
        base = results_with(entry("churn/a", instructions_per_op=[100.0], ns_per_op=[10.0, 10.2, 9.9]))
        new = copy.deepcopy(base)
        new["benchmarks"][0]["samples"]["instructions_per_op"] = [105.0]
        new["benchmarks"][0]["metrics"]["instructions_per_op"] = stats.summary([105.0])
        b, n = self.write("base.json", base), self.write("new.json", new)
        done = mmbench("compare", b, n)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("## Regressions", done.stdout)
        self.assertIn("| `churn/a` | instructions/op | 100 | 105 | +5.00% | — | exact |", done.stdout)
        same = mmbench("compare", b, b)
        self.assertEqual(same.returncode, 0, same.stderr)
        self.assertIn("Verdict: no regression", same.stdout)

    def test_bad_input_is_one_line_and_exit_2(self):
        good = self.write("good.json", results_with())
        cases = [(self.write("corrupt.json", '{"schema": "mmbench.res'), "not valid JSON"),
                 (self.write("foreign.json", {"benchmarks": []}), "not an mmbench results file"),
                 (os.path.join(self.tmp.name, "absent.json"), "no such results file")]
        for path, message in cases:
            for args in (["compare", good, path], ["export", "--format", "bencher", path], ["plot", path],
                         ["report", path]):
                with self.subTest(args=args):
                    done = mmbench(*args)
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertNotIn("Traceback", done.stderr)
                    self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
                    self.assertTrue(error_line(done).startswith("mmbench: "))
        done = mmbench("export", "--format", "nope", good)
        self.assertEqual(done.returncode, 2)
        self.assertIn("invalid choice", error_line(done))
        done = mmbench("compare", good, good, "--threshold", "lots")
        self.assertEqual(done.returncode, 2)


# The documented shapes: Bencher's published schema (https://bencher.dev/bmf.json), and
# github-action-benchmark's custom tools (README "Examples" / customSmallerIsBetter): an
# array of {name, unit, value} with optional range and extra strings.
BMF_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema", "type": "object",
    "patternProperties": {".+": {"type": "object", "patternProperties": {".+": {
        "type": "object", "properties": {"value": {"type": "number"}, "lower_value": {"type": "number"},
                                         "upper_value": {"type": "number"}},
        "required": ["value"]}}}}}
GAB_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema", "type": "array",
    "items": {"type": "object", "required": ["name", "unit", "value"],
              "properties": {"name": {"type": "string"}, "unit": {"type": "string"}, "value": {"type": "number"},
                             "range": {"type": "string"}, "extra": {"type": "string"}}}}


class ExportTest(unittest.TestCase):
    DATA = results_with(entry("churn/system", ns_per_op=[10.0, 11.0, 10.5], peak_footprint=[4096.0] * 3,
                              instructions_per_op=[120.25], peak_live=[100.0] * 3),
                        dict(entry("churn/bump"), error="crashed (SIGSEGV)"))

    def test_bencher_metric_format(self):
        out = json.loads(export.render(self.DATA, "bencher"))
        jsonschema.validate(out, BMF_SCHEMA)
        self.assertEqual(out["churn/system"]["ns-per-op"], {"value": 10.5, "lower_value": 10.0, "upper_value": 11.0})
        self.assertEqual(out["churn/system"]["instructions-per-op"]["value"], 120.25)
        self.assertNotIn("peak-live", out["churn/system"])  # not a lower-is-better metric
        self.assertNotIn("churn/bump", out)  # failed: nothing to report
        for measure in out["churn/system"]:
            self.assertLessEqual(len(measure), 64)  # a Measure slug's documented limit

    def test_the_bounds_are_the_interval_the_tables_show(self):
        data = json.loads(json.dumps(self.DATA))
        m = data["benchmarks"][0]["metrics"]["ns_per_op"]
        m.update(min=9.0, max=14.0, ci95=[10.25, 10.75])
        bmf = json.loads(export.render(data, "bencher"))["churn/system"]["ns-per-op"]
        self.assertEqual((bmf["lower_value"], bmf["upper_value"]), (10.25, 10.75))
        gab = next(e for e in json.loads(export.render(data, "github-action-benchmark"))
                   if e["name"] == "churn/system ns_per_op")
        self.assertEqual(gab["range"], "± 0.25")
        self.assertIn("95% interval of the median [10.25, 10.75]", gab["extra"])

    def test_github_action_benchmark_custom_smaller_is_better(self):
        out = json.loads(export.render(self.DATA, "github-action-benchmark"))
        jsonschema.validate(out, GAB_SCHEMA)
        ns = next(e for e in out if e["name"] == "churn/system ns_per_op")
        self.assertEqual((ns["unit"], ns["value"]), ("ns/op", 10.5))
        self.assertTrue(ns["range"].startswith("± "))
        self.assertEqual(len({e["name"] for e in out}), len(out))

    def test_collector_metrics_are_exported_with_the_catalogs_units(self):
        data = results_with(gc_entry("rings/rc/system", pause_p99_ns=[2e3, 3e3], gc_leaked=[420, 420],
                                     gc_collections0=[5, 5]))
        out = {e["name"]: e for e in json.loads(export.render(data, "github-action-benchmark"))}
        self.assertEqual(out["rings/rc/system pause_p99_ns"]["unit"], "ns")
        self.assertEqual((out["rings/rc/system gc_leaked"]["unit"], out["rings/rc/system gc_leaked"]["value"]),
                         ("objects", 420))
        self.assertNotIn("rings/rc/system gc_collections0", out)  # neither better nor worse: not exported

    def test_export_command_writes_a_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "results.json")
            with open(path, "w") as f:
                json.dump(self.DATA, f)
            done = mmbench("export", "--format", "bencher", tmp, "--out", os.path.join(tmp, "bmf.json"))
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(os.path.join(tmp, "bmf.json")) as f:
                jsonschema.validate(json.load(f), BMF_SCHEMA)


if __name__ == "__main__":
    unittest.main()
