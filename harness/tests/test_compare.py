"""compare's verdicts on runs shaped like a real one: what it refuses, machine drift, power,
exact thresholds, every metric's direction, and the JSON for bots.

The runs are drawn from data/small-run.json, a real run of this suite (churn, pair and
binary-trees on system, the peers and three in-house strategies, the collectors over
them, with --counts and hyperfine; 2 repetitions). Each benchmark keeps its metrics and
its medians; its samples are drawn again, for as many rounds as a test asks, from a
model of this machine: the whole machine swings by -25%..+35% from round to round (what
the shared 2-core VM does), a benchmark's own noise is ±5% on top, counts are exact.
"""
import copy
import json
import os
import random
import statistics
import tempfile
import unittest

from harness import compare, metrics, stats
from harness.errors import UserError
from harness.tests.support import error_line, mmbench

with open(os.path.join(os.path.dirname(__file__), "data", "small-run.json")) as _f:
    SMALL_RUN = json.load(_f)

SWING = (0.75, 1.35)  # the machine's speed, round by round
NOISE = 0.05          # a benchmark's own, per sample


def draw(seed, repetitions=8, slower=None, shift=1.0, swings=SWING):
    """A run of SMALL_RUN's shape: `repetitions` rounds; clock metrics times the round's
    swing (drawn from `swings`), times `shift` (every benchmark: machine drift), times
    slower[(benchmark, metric)] where given (a real change). The machine's true speed
    relative to no swing is kept as data["_speed"] (a key compare does not read)."""
    rng = random.Random(seed)
    data = copy.deepcopy(SMALL_RUN)
    swing = [rng.uniform(*swings) for _ in range(repetitions)]
    data["_speed"] = statistics.median(swing) * shift
    for b in data["benchmarks"]:
        for key, values in list(b["samples"].items()):
            metric = metrics.METRICS.get(key)
            centre = statistics.median(values) * (slower or {}).get((b["name"], key), 1.0)
            if metric is None or not metric.varies or metric.source == "callgrind":
                drawn = [centre] * len(values)
            elif metric.source == "hyperfine":  # whole processes, after the rounds: a swing of their own
                drawn = [centre * shift * rng.uniform(*swings) for _ in values]
            elif metric.clock:
                drawn = [centre * s * shift * rng.uniform(1 - NOISE, 1 + NOISE) for s in swing]
            elif len(set(values)) == 1:
                drawn = [centre] * repetitions
            else:
                drawn = [centre * rng.uniform(0.99, 1.01) for _ in swing]
            if isinstance(values[0], int):
                drawn = [round(v) for v in drawn]
            b["samples"][key] = drawn
        b["rounds"] = list(range(1, repetitions + 1))
        b["metrics"] = {k: stats.summary(v) for k, v in b["samples"].items()}
    return data


def flagged(verdict):
    return sorted((r["benchmark"], r["metric"]) for r in verdict["regressions"])


class DriftTest(unittest.TestCase):
    def test_a_real_slowdown_of_one_strategy_is_caught_with_8_repetitions(self):
        victim = ("churn/pool", "ns_per_op")
        for trial in range(20):
            verdict = compare.compare(draw(2 * trial), draw(2 * trial + 1, slower={victim: 1.15}))
            self.assertEqual(flagged(verdict), [victim], f"trial {trial}")
            row = next(r for r in verdict["rows"] if (r["benchmark"], r["metric"]) == victim)
            self.assertAlmostEqual(row["relative"], 0.15, delta=0.06)

    def test_the_same_shift_of_every_benchmark_is_drift_not_a_regression(self):
        for trial in range(20):
            base, new = draw(2 * trial), draw(2 * trial + 1, shift=1.15)
            verdict = compare.compare(base, new)
            self.assertEqual(flagged(verdict), [], f"trial {trial}")
            self.assertAlmostEqual(verdict["drift"]["shift"], new["_speed"] / base["_speed"] - 1, delta=0.03)
        self.assertEqual(verdict["drift"]["controls"][:3], ["binary-trees/boehm", "churn/jemalloc", "churn/mimalloc"])

    def test_a_steady_machine_that_got_slower_is_drift_and_said_so(self):
        base, new = draw(1, swings=(1, 1)), draw(2, swings=(1, 1), shift=1.15)
        verdict = compare.compare(base, new)
        self.assertEqual(flagged(verdict), [])
        self.assertTrue(verdict["drift"]["is_drift"])
        self.assertIn("**Machine drift**: the controls (code this repository does not change",
                      compare.markdown(verdict, "a", "b"))
        # the check can fail: without the controls, the drift is every benchmark's regression
        for data in (base, new):
            data["strategies"], data["collectors"] = [], []
        blind = compare.compare(base, new)
        self.assertEqual(blind["drift"]["controls"], [])
        self.assertGreater(len({r["benchmark"] for r in blind["regressions"]}), len(base["benchmarks"]) // 2)
        self.assertIn("No control strategy", compare.markdown(blind, "a", "b"))

    def test_noise_alone_fails_a_compare_rarely(self):
        alarms = sum(bool(compare.compare(draw(1000 + 2 * t), draw(1001 + 2 * t))["regressions"]) for t in range(60))
        self.assertLessEqual(alarms, 6)  # Holm keeps it near alpha (5%) over all of a compare's tests

    def test_a_fifty_percent_worse_p99_pause_of_one_collector_is_caught(self):
        victim = ("binary-trees/rc-gen/pool", "pause_p99_ns")
        verdict = compare.compare(draw(7), draw(8, slower={victim: 1.5}))
        self.assertEqual(flagged(verdict), [victim])


class RefusalTest(unittest.TestCase):
    def test_runs_of_another_machine_or_setting_are_refused(self):
        base = draw(1)
        for section, key, value, named in [("environment", "cpu", "Intel(R) Xeon(R) Processor", "CPU model"),
                                           ("environment", "cores", 64, "cores"),
                                           ("environment", "transparent_hugepages", "always madvise [never]",
                                            "transparent huge pages"), ("config", "budget", 0.5, "budget"),
                                           ("config", "limit", 1 << 30, "limit")]:
            new = draw(2)
            new[section][key] = value
            with self.subTest(key=key):
                with self.assertRaises(UserError) as caught:
                    compare.compare(base, new)
                self.assertIn(named, str(caught.exception))
                self.assertIn("--force", str(caught.exception))
                forced = compare.compare(base, new, force=True)
                self.assertTrue(forced["forced"])
                self.assertEqual(len(forced["differences"]), 1)

    def test_a_param_is_compared_by_value_or_its_files_content(self):
        base, new = draw(1), draw(2)
        new["config"]["params"] = dict(new["config"]["params"], **{"churn.live": "4000"})
        self.assertIn("--param churn.live differs", compare.differences(base, new)[0])
        for data, path in ((base, "/a/python-1.mmtrace"), (new, "/b/python-2.mmtrace")):
            data["config"]["params"] = {"replay.trace": path}
            data["config"]["inputs"] = {"replay.trace": "ab" * 32}
        self.assertEqual(compare.differences(base, new), [])  # two paths, one trace
        new["config"]["inputs"] = {"replay.trace": "cd" * 32}
        self.assertIn("replay.trace", compare.differences(base, new)[0])

    def test_counts_over_different_operations_are_refused(self):
        base, new = draw(1), draw(2)
        pool = next(b for b in new["benchmarks"] if b["name"] == "churn/pool")
        pool["samples"]["ops"] = [pool["samples"]["ops"][0] // 2]
        found = compare.differences(base, new)
        self.assertEqual(len(found), 1)
        self.assertIn("churn/pool: the counted runs did different operations", found[0])

    def test_the_command_refuses_with_one_line_and_forces_with_the_differences_first(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, cpu in (("base.json", None), ("new.json", "Intel(R) Xeon(R) Processor")):
                data = draw(len(paths) + 1)
                if cpu:
                    data["environment"]["cpu"] = cpu
                paths.append(os.path.join(tmp, name))
                with open(paths[-1], "w") as f:
                    json.dump(data, f)
            same = mmbench("compare", paths[0], paths[0])
            self.assertEqual(same.returncode, 0, same.stdout + same.stderr)
            refused = mmbench("compare", *paths)
            self.assertEqual(refused.returncode, 2)
            self.assertEqual(len(refused.stderr.strip().splitlines()), 1, refused.stderr)
            self.assertIn("CPU model differs", error_line(refused))
            self.assertEqual(refused.stdout, "")
            forced = mmbench("compare", "--force", *paths)
            self.assertEqual(forced.returncode, 0, forced.stdout + forced.stderr)
            self.assertLess(forced.stdout.index("## Differences"), forced.stdout.index("**0 regressions**"))
            self.assertIn("CPU model differs (BASE 'AMD EPYC', NEW 'Intel(R) Xeon(R) Processor')", forced.stdout)


class ExactnessTest(unittest.TestCase):
    def pair(self, key, base_value, new_value, n=1):
        base = draw(1)
        new = copy.deepcopy(base)
        for data, value in ((base, base_value), (new, new_value)):
            entry = next(b for b in data["benchmarks"] if b["name"] == "churn/pool")
            entry["samples"][key] = [value] * n
        return base, new

    def test_more_than_the_threshold_means_more(self):
        for base_value, new_value, regressed in [(100, 103, False), (100, 103.01, True), (0.1, 0.103, False),
                                                 (0.1, 0.10301, True), (33.3, 34.299, False)]:
            with self.subTest(base=base_value, new=new_value):
                verdict = compare.compare(*self.pair("instructions_per_op", base_value, new_value), threshold=0.03)
                self.assertEqual(flagged(verdict), [("churn/pool", "instructions_per_op")] if regressed else [])

    def test_every_metric_is_judged_by_its_direction(self):
        for metric in metrics.judged():
            worse, better = (150.0, 50.0) if metric.better == metrics.LOWER else (50.0, 150.0)
            with self.subTest(metric=metric.key):
                verdict = compare.compare(*self.pair(metric.key, 100.0, worse, n=4))
                self.assertIn(("churn/pool", metric.key), flagged(verdict))
                verdict = compare.compare(*self.pair(metric.key, 100.0, better, n=4))
                self.assertIn(("churn/pool", metric.key), [(r["benchmark"], r["metric"]) for r in verdict["improvements"]])

    def test_the_catalog_judges_the_new_metrics(self):
        judged = {m.key for m in metrics.judged()}
        self.assertTrue({"cycles_per_op", "user_seconds", "sys_seconds", "minor_faults", "major_faults",
                         "pause_p99_ns", "gc_time_frac", "gc_leaked"} <= judged)
        self.assertFalse(metrics.METRICS["cycles_per_op"].varies)  # exact: judged exactly

    def test_counts_of_a_run_that_hit_the_runaway_guard_are_left_out(self):
        base, new = self.pair("instructions_per_op", 100, 150)
        entry = next(b for b in new["benchmarks"] if b["name"] == "churn/pool")
        entry["samples"]["counts_completed"] = [0.4]
        verdict = compare.compare(base, new)
        self.assertEqual(flagged(verdict), [])
        self.assertFalse([r for r in verdict["rows"] if r["benchmark"] == "churn/pool" and r["metric"] == "instructions_per_op"])
        self.assertIn("runaway guard", next(n["reason"] for n in verdict["not_compared"] if n["benchmark"] == "churn/pool"))

    def test_a_run_the_budget_cut_is_compared_by_its_counts_only(self):
        base, new = self.pair("instructions_per_op", 100, 150)
        entry = next(b for b in new["benchmarks"] if b["name"] == "churn/pool")
        entry["samples"]["completed"] = [0.4] * len(entry["samples"]["ns_per_op"])
        entry["samples"]["peak_footprint"] = [v * 3 for v in entry["samples"]["peak_footprint"]]
        verdict = compare.compare(base, new)
        self.assertEqual(flagged(verdict), [("churn/pool", "instructions_per_op")])
        self.assertEqual({r["metric"] for r in verdict["rows"] if r["benchmark"] == "churn/pool"},
                         {"instructions_per_op", "cycles_per_op"})
        self.assertIn("time budget", next(n["reason"] for n in verdict["not_compared"] if n["benchmark"] == "churn/pool"))


class PowerTest(unittest.TestCase):
    def test_three_against_three_cannot_reach_significance_and_says_so(self):
        self.assertAlmostEqual(compare.smallest_p(3, 3), 0.1)
        self.assertEqual(compare.repetitions_for(0.05), 4)
        verdict = compare.compare(draw(1, repetitions=3), draw(2, repetitions=3))
        ns = next(p for p in verdict["power"] if p["metric"] == "ns_per_op")
        self.assertEqual((ns["samples"], ns["reachable"]), ([3, 3], False))
        self.assertGreater(ns["repetitions_needed"], 4)  # Holm over every test of this compare asks more
        text = compare.markdown(verdict, "a", "b")
        self.assertIn("| ns/op |", text.split("## Power")[1].split("##")[0])
        self.assertIn("never < alpha", text)

    def test_eight_repetitions_can_show_a_lone_change_in_a_run_this_size(self):
        verdict = compare.compare(draw(1), draw(2))
        ns = next(p for p in verdict["power"] if p["metric"] == "ns_per_op")
        self.assertTrue(ns["reachable_alone"], ns)


class JsonTest(unittest.TestCase):
    def test_the_json_verdict_for_bots(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n) for n in ("base.json", "new.json", "verdict.json")]
            for path, data in zip(paths, (draw(1), draw(2, slower={("churn/pool", "instructions_per_op"): 1.2}))):
                with open(path, "w") as f:
                    json.dump(data, f)
            done = mmbench("compare", "--format", "json", "--json", paths[2], paths[0], paths[1])
            self.assertEqual(done.returncode, 1, done.stderr)
            out = json.loads(done.stdout)
            with open(paths[2]) as f:
                self.assertEqual(json.load(f), out)
            self.assertEqual((out["schema"], out["verdict"], out["exit_status"]), ("mmbench.verdict/1", "REGRESSED", 1))
            self.assertEqual([(r["benchmark"], r["metric"]) for r in out["regressions"]],
                             [("churn/pool", "instructions_per_op")])
            row = out["regressions"][0]
            self.assertEqual((row["exact"], row["p"], row["verdict"]), (True, None, "regression"))
            self.assertAlmostEqual(row["change"], 0.2)
            self.assertIn("drift", out)
            self.assertIn("power", out)

    def test_a_change_from_zero_is_strict_json(self):
        base, new = draw(1), draw(1)
        entry = next(b for b in new["benchmarks"] if b["name"] == "binary-trees/rc-gen/pool")
        entry["samples"]["gc_leaked"] = [5] * len(entry["samples"]["gc_leaked"])
        verdict = compare.compare(base, new)
        self.assertEqual(flagged(verdict), [("binary-trees/rc-gen/pool", "gc_leaked")])
        out = json.loads(json.dumps(compare.as_json(verdict, "a", "b"), allow_nan=False))
        self.assertIsNone(out["regressions"][0]["change"])
        self.assertIn("| `binary-trees/rc-gen/pool` | leaked | 0 | 5 | new |", compare.markdown(verdict, "a", "b"))


if __name__ == "__main__":
    unittest.main()
