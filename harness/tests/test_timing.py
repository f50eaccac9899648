"""Timing you can trust: the median's 95% interval (stats), ratios round by round, the
`± x%` and `!` of a cell, the one-line stability advice (summary.stability), tables split to
the terminal's width, the progress line and the machine header (progress.py), and the
suites' repetition options (plan.RunConfig), which cells the extra rounds measure again
(runner.widest) and how far (--precision). No test here times anything."""
import io
import itertools
import os
import statistics
import tempfile
import unittest
from unittest import mock

from harness import journal, options, plan, progress, results, runner, stats, summary, table
from harness.errors import UserError


def brute_force_interval(values):
    """The percentile bootstrap of the median by enumerating every resample (n^n of them)."""
    n = len(values)
    medians = sorted(statistics.median(pick) for pick in itertools.product(values, repeat=n))
    total = len(medians)
    # the smallest value whose cumulative share reaches each level
    low = next(m for i, m in enumerate(medians, 1) if i / total >= 0.025 - 1e-12)
    high = next(m for i, m in enumerate(medians, 1) if i / total >= 0.975 - 1e-12)
    return low, high


class IntervalTest(unittest.TestCase):
    def test_the_exact_bootstrap_matches_every_resample_counted(self):
        cases = [[10.0, 11.0, 30.0], [3.0, 1.0, 2.0, 8.0], [5.0, 6.0, 7.0, 9.0, 20.0],
                 [1.0, 2.0, 4.0, 8.0, 16.0, 32.0], [4.0, 4.0, 5.0, 9.0]]
        for values in cases:
            with self.subTest(values=values):
                self.assertEqual(stats._interval(values), brute_force_interval(values))

    def test_the_distribution_sums_to_one(self):
        for n in (2, 3, 7, 10, 31, 200):
            values = [float(i * i % 17) for i in range(n)]
            total = sum(p for _, p in stats._bootstrap_medians(values))
            self.assertAlmostEqual(total, 1.0, places=9, msg=n)

    def test_the_interval_holds_the_median_and_narrows_with_agreement(self):
        noisy = [100.0, 80.0, 130.0, 95.0, 120.0, 70.0, 110.0, 140.0]
        steady = [100.0, 99.0, 101.0, 100.5, 99.5, 100.2, 99.8, 100.1]
        for values in (noisy, steady):
            low, high = stats.median_interval(values)
            self.assertLessEqual(low, statistics.median(values))
            self.assertGreaterEqual(high, statistics.median(values))
        s, q = stats.summary(noisy, interval=True), stats.summary(steady, interval=True)
        self.assertTrue(s["unstable"])
        self.assertFalse(q["unstable"])
        self.assertLess(q["half_width"], 0.01)
        self.assertEqual(stats.summary(steady, interval=True), q, "no random generator: the same every time")

    def test_one_process_falls_back_to_its_samples(self):
        self.assertIsNone(stats.median_interval([5.0]))
        self.assertEqual(stats.median_interval([5.0], [[4.0, 5.0, 6.0]]), stats._interval([4.0, 5.0, 6.0]))
        s = stats.summary([5.0, 6.0], within=[[4.0, 6.0], [6.0, 6.0]], interval=True)
        self.assertEqual(s["samples"], 4)
        self.assertGreater(s["sample_spread"], 0)
        self.assertNotIn("ci95", stats.summary([5.0, 6.0]), "a count has no interval")

    def test_a_ratio_round_by_round_has_its_interval(self):
        mine = {1: 47.0, 2: 50.0, 3: 44.0, 4: 48.0}
        theirs = {1: 100.0, 2: 100.0, 3: 100.0, 4: 100.0, 5: 90.0}
        r = stats.per_round(mine, theirs)
        self.assertEqual((r.median, r.faster, r.rounds), (0.475, 4, 4))
        self.assertLessEqual(r.low, r.median)
        self.assertGreaterEqual(r.high, r.median)
        self.assertEqual((r.low, r.high), stats._interval([0.47, 0.50, 0.44, 0.48]))
        self.assertEqual(table.ratio_text(r), f"0.47 [{r.low:.2f}, {r.high:.2f}]")
        self.assertIsNone(stats.per_round({1: 1.0}, {2: 1.0}))


def bench(strategy, times, workload="churn"):
    """A benchmark of results.json whose processes took `times` ns/op, one per round."""
    from harness import metrics
    return {"name": f"{workload}/{strategy}", "workload": workload, "strategy": strategy, "kind": "alloc",
            "error": None, "samples": {"ns_per_op": list(times)}, "rounds": list(range(1, len(times) + 1)),
            "metrics": {"ns_per_op": metrics.summarise(times, "ns_per_op")}}


class CellTest(unittest.TestCase):
    def test_a_cell_shows_the_half_width_and_marks_an_unresolved_one(self):
        data = {"config": {"reference": "system"},
                "benchmarks": [bench("system", [100.0, 101.0, 99.0, 100.0]), bench("pool", [40.0, 60.0, 50.0, 30.0])]}
        rows = table.rows(data)
        self.assertEqual(rows[0][:4], ["workload", "strategy", "ns/op", "vs system"])
        self.assertRegex(rows[1][2], r"^100\.0 ±\d\.\d%$")
        self.assertRegex(rows[2][2], r"^45\.0 ±\d+%!$")
        self.assertEqual(rows[1][3], "1.00")
        self.assertRegex(rows[2][3], r"^0\.\d\d \[0\.\d\d, 0\.\d\d\]$")


class WinnersTextTest(unittest.TestCase):
    def test_who_wins_comes_in_a_line_per_workload_with_ratios_and_intervals(self):
        data = {"config": {"reference": "system"},
                "benchmarks": [bench("system", [100.0, 101.0, 99.0, 100.0]), bench("pool", [40.0, 60.0, 50.0, 30.0]),
                               bench("system", [10.0, 10.0], workload="pair"), bench("pool", [5.0, 6.0], workload="pair")]}
        text = table.winners_text(data)
        self.assertEqual(len(text.splitlines()), 2)
        self.assertRegex(text, r"^churn: fastest pool 45\.0 ns/op; vs system: pool 0\.\d\d \[0\.\d\d, 0\.\d\d\]\n")
        self.assertIn("pair: fastest pool 5.5 ns/op; vs system: pool 0.55 [0.50, 0.60]", text)
        self.assertTrue(all(len(line) <= 30 for line in table.winners_text(data, 30).splitlines()))


class MoreRoundsTest(unittest.TestCase):
    """Which benchmarks the extra rounds measure again (runner.widest): those whose ns/op
    or whose ratio to the reference, round by round, is not yet within ±5%."""

    def test_a_resolved_time_with_an_unresolved_ratio_is_measured_again(self):
        # each cell's median is within ±5%, but a round slow for one is fast for the other
        system = bench("system", [104.0] * 3 + [100.0] * 3 + [96.0] * 3)
        pool = bench("pool", [48.0] * 3 + [50.0] * 3 + [52.0] * 3)
        self.assertFalse(pool["metrics"]["ns_per_op"]["unstable"])
        self.assertFalse(system["metrics"]["ns_per_op"]["unstable"])
        ratio = stats.per_round(results.by_round(pool, "ns_per_op"), results.by_round(system, "ns_per_op"))
        self.assertGreater(stats.ratio_half_width(ratio), stats.HALF_WIDTH)
        self.assertEqual(runner.widest(pool, system), stats.ratio_half_width(ratio))
        # the reference answers for its ns/op alone
        self.assertEqual(runner.widest(system, None), system["metrics"]["ns_per_op"]["half_width"])

    def test_a_ratio_that_holds_round_by_round_leaves_only_the_time_open(self):
        system = bench("system", [100.0, 60.0, 140.0, 100.0, 100.0, 80.0, 120.0, 100.0])
        pool = bench("pool", [x / 2 for x in system["samples"]["ns_per_op"]])  # swings with the machine
        self.assertTrue(pool["metrics"]["ns_per_op"]["unstable"])  # its own time is not resolved...
        self.assertEqual(stats.ratio_half_width(stats.per_round(results.by_round(pool, "ns_per_op"),
                                                                results.by_round(system, "ns_per_op"))), 0.0)
        self.assertEqual(runner.widest(pool, system), pool["metrics"]["ns_per_op"]["half_width"])  # ...so it stays open
        pool["error"] = "crashed"
        self.assertEqual(runner.widest(pool, system), 0.0)  # a failed benchmark is not measured again
        self.assertEqual(stats.ratio_half_width(None), 1.0)


class PrecisionTest(unittest.TestCase):
    """--precision: the half-width the extra rounds go on to, tighter than the table's ±5%."""
    JOBS = [{"name": f"churn/{s}", "bench": f"churn/{s}", "workload": "churn", "strategy": s, "params": {},
             "sweep": None, "kind": "alloc"} for s in ("system", "pool")]
    # round by round: pool is half of system give or take 3%: resolved at ±5%, not at ±1%
    VALUES = {"churn/system": [100.0, 101.0, 99.0, 100.0, 102.0, 98.0],
              "churn/pool": [51.5, 49.0, 51.0, 48.5, 50.0, 51.0]}

    def rounds_taken(self, precision, max_repetitions=9):
        """The (benchmark, round) pairs _extra_rounds measures, each measured as the
        median of its first rounds (the interval narrows as rounds come)."""
        config = plan.RunConfig.of("default", repetitions=6, max_repetitions=max_repetitions, max_time=0,
                                   precision=precision, out="/nonexistent/x")
        taken = []

        def take(j, config, steps, shown, timing, failed):
            for job, kind, n in steps:
                taken.append((job["name"], n))
                j.record(job, kind, n, sample={"ns_per_op": statistics.median(self.VALUES[job["name"]])})
            return False

        with tempfile.TemporaryDirectory() as tmp:
            j = journal.Journal.create(tmp, {"config": config.plan_config([]), "jobs": self.JOBS})
            for job in self.JOBS:
                for n, value in enumerate(self.VALUES[job["name"]], 1):
                    j.record(job, "gbench", n, sample={"ns_per_op": value})
            with mock.patch.object(runner, "_take_steps", take):
                self.assertFalse(runner._extra_rounds(j, config, mock.Mock(), runner.Timing(j), set(), 0.0))
        return taken

    def test_the_default_stops_where_the_table_calls_a_cell_resolved(self):
        self.assertEqual(self.rounds_taken(None), [])

    def test_a_tighter_precision_measures_the_cell_and_its_reference_again(self):
        taken = self.rounds_taken(0.01)
        self.assertEqual(taken[:2], [("churn/pool", 7), ("churn/system", 7)])
        self.assertEqual(max(n for _, n in taken), 9)  # still wider than ±1%: up to --max-repetitions

    def test_the_option_takes_a_percentage_and_a_plan_keeps_it(self):
        c = plan.RunConfig.of("default", precision=options.probability("3%"), out="/nonexistent/x")
        self.assertAlmostEqual(c.precision, 0.03)
        self.assertIn("--precision 0.03 ", c.describe())
        self.assertEqual(plan.RunConfig.from_plan(c.plan_config([]), c.out).precision, c.precision)
        self.assertEqual(plan.RunConfig.from_plan({"repetitions": 4}, c.out).precision, stats.HALF_WIDTH)


class AdviceTest(unittest.TestCase):
    def test_one_line_names_how_many_and_what_to_do(self):
        data = {"config": {"max_repetitions": 8, "max_time": 360}, "environment": {"load_average": [2.5], "cores": 2},
                "benchmarks": [bench("system", [100.0, 101.0, 99.0, 100.0]),
                               bench("pool", [40.0, 60.0, 50.0, 30.0]), bench("bump", [10.0, 20.0, 5.0, 15.0])]}
        line = summary.stability(data)
        self.assertNotIn("\n", line)
        # pool's and bump's ratios to system swing with their own times: not resolved either
        self.assertTrue(line.startswith("2 of 3 ns/op cells and 2 of 2 ratios to the reference not resolved to ±5%"),
                        line)
        self.assertRegex(line, r"rerun with --max-repetitions \d+ --max-time 0, or with fewer other jobs")
        self.assertIn("load 2.5 on 2 cores", line)
        data["config"]["samples"] = 3  # the spread is between processes: more of them, one sample each
        self.assertRegex(summary.stability(data), r"rerun with --max-repetitions \d+ --samples 1 --max-time 0,")
        data["environment"]["load_average_end"] = [6.0, 3.9, 2.6]  # the neighbours came during the run
        self.assertIn("load 2.5 to 6.0 on 2 cores", summary.stability(data))
        self.assertIsNone(summary.stability({"benchmarks": [bench("system", [100.0, 100.5, 99.5])]}))

    def test_the_advice_in_results_json_gives_the_load_as_the_measuring_ended(self):
        job = {"name": "churn/pool", "bench": "churn/pool", "workload": "churn", "strategy": "pool", "params": {},
               "sweep": None, "kind": "alloc"}
        with tempfile.TemporaryDirectory() as tmp:
            j = journal.Journal.create(tmp, {"config": {"repetitions": 4}, "jobs": [job],
                                             "environment": {"load_average": [0.5, 0.5, 0.5], "cores": 2}})
            for n, value in enumerate([40.0, 60.0, 50.0, 30.0], 1):
                j.record(job, "gbench", n, sample={"ns_per_op": value})
            data = j.assemble(load_average_end=[6.0, 3.0, 2.0])
        self.assertEqual(data["environment"]["load_average_end"], [6.0, 3.0, 2.0])
        self.assertIn("(load 0.5 to 6.0 on 2 cores)", data["warnings"][0])

    def test_resolved_times_with_a_loose_ratio_still_get_the_line(self):
        system = bench("system", [104.0] * 3 + [100.0] * 3 + [96.0] * 3)
        pool = bench("pool", [48.0] * 3 + [50.0] * 3 + [52.0] * 3)  # slow when system is fast
        line = summary.stability({"config": {"reference": "system", "max_repetitions": 20}, "benchmarks": [system, pool]})
        self.assertTrue(line.startswith("1 of 1 ratios to the reference not resolved to ±5% (95% interval, round by "
                                        "round) after 9 processes: rerun with --max-repetitions "), line)

    def test_a_run_that_took_the_most_processes_advised_is_not_advised_more(self):
        many = bench("pool", [50.0] * 200)
        many["metrics"]["ns_per_op"] = {"median": 50.0, "n": summary.MOST_ADVISED, "half_width": 0.06, "unstable": True}
        line = summary.stability({"config": {"max_repetitions": 200, "max_time": 1200}, "benchmarks": [many]})
        self.assertIn(f"after {summary.MOST_ADVISED} processes: rerun with fewer other jobs on the machine", line)
        self.assertNotIn("--max-repetitions", line)

    def test_a_single_process_run_is_advised_a_plain_runs_processes_first(self):
        one = bench("pool", [50.0])
        one["metrics"]["ns_per_op"] = {"median": 50.0, "n": 1, "half_width": 0.2, "unstable": True}
        line = summary.stability({"benchmarks": [one]})
        self.assertIn("after 1 process: rerun with --repetitions 4,", line)


class SplitTest(unittest.TestCase):
    TABLE = [["workload", "strategy", "aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"],
             ["churn", "pool", "1", "2", "3"]]

    def test_a_wide_table_is_split_to_the_width_keeping_the_key_columns(self):
        parts = table.split(self.TABLE, 44)  # 8 + 2 + 8 + 2 + 10 + 2 + 10: two columns a part
        self.assertEqual(len(parts), 2)
        for part in parts:
            self.assertEqual([r[:2] for r in part], [r[:2] for r in self.TABLE])
            self.assertTrue(all(len(line) <= 44 for line in table._text(part).splitlines()))
        self.assertEqual([c for part in parts for c in part[0][2:]], self.TABLE[0][2:])
        self.assertEqual(table.split(self.TABLE, None), [self.TABLE])
        self.assertEqual(table.split(self.TABLE, 200), [self.TABLE])

    def test_the_footnotes_are_wrapped_to_the_width(self):
        data = {"benchmarks": [bench("system", [100.0, 101.0, 99.0, 100.0])]}
        self.assertGreater(max(len(line) for line in table.text(data).splitlines()), 60)
        self.assertTrue(all(len(line) <= 60 for line in table.text(data, 60).splitlines()))


class ProgressTest(unittest.TestCase):
    def test_a_terminal_redraws_one_line(self):
        out = io.StringIO()
        shown = progress.Progress(out, tty=True)
        shown.show(1, 3, "churn/pool", "rep 1", "20.0 ns/op", left=65)
        shown.show(2, 3, "churn/bump", "rep 1", "FAILED: crashed", failed=True)
        shown.clear()
        text = out.getvalue()
        self.assertIn("\r[1/3] 0:00 elapsed, about 1:05 left  churn/pool rep 1  20.0 ns/op", text)
        self.assertIn("FAILED: crashed\x1b[K\n", text, "a failure stays on the screen")
        self.assertEqual(text.count("\n"), 1)

    def test_a_failure_on_a_narrow_terminal_is_written_whole(self):
        out = io.StringIO()
        shown = progress.Progress(out, tty=True)
        why = "FAILED: killed by SIGSEGV (signal 11) in the strategy under test"
        with mock.patch.dict(os.environ, {"COLUMNS": "40"}):
            shown.show(1, 2, "churn/pool", "rep 1", "20.0 ns/op", left=5)
            shown.show(2, 2, "churn/bump", "rep 1", why, failed=True)
        first, second = out.getvalue().split("\r")[1:]
        self.assertLessEqual(len(first.replace("\x1b[K", "")), 39)  # redrawn in place: cut to fit
        self.assertIn(why + "\x1b[K\n", second)  # it stays: all of it

    def test_a_log_gets_sparse_lines(self):
        out = io.StringIO()
        shown = progress.Progress(out, tty=False)
        for step in range(1, 401):
            shown.show(step, 400, "churn/pool", f"rep {step}", "", left=400 - step)
        lines = out.getvalue().splitlines()
        self.assertLessEqual(len(lines), progress.STRIDE + 2)
        self.assertTrue(lines[0].startswith("[  1/400]"))
        self.assertTrue(lines[-1].startswith("[400/400]"))
        self.assertNotIn("\r", out.getvalue())

    def test_the_header_names_the_machine_and_the_clock(self):
        line = progress.header({"cpu": "Some CPU", "cores": 2, "load_average": [1.23, 0.5, 0.25]},
                               "suite quick: --repetitions 1", "cpu")
        self.assertEqual(line, "mmbench: Some CPU, 2 cores, load 1.2 0.5 0.2, clock cpu\nmmbench: suite quick: --repetitions 1")
        self.assertEqual(progress.clock_text(65), "1:05")
        self.assertEqual(progress.clock_text(3723), "1:02:03")


class RepetitionsTest(unittest.TestCase):
    def test_repetitions_alone_asks_for_that_many_and_no_more(self):
        c = plan.RunConfig.of("default", repetitions=3)
        self.assertEqual((c.repetitions, c.max_repetitions), (3, 3))
        c = plan.RunConfig.of("default", repetitions=3, max_repetitions=6)
        self.assertEqual((c.repetitions, c.max_repetitions), (3, 6))
        with self.assertRaisesRegex(UserError, "--max-repetitions 2 is fewer than --repetitions 3"):
            plan.RunConfig.of("default", repetitions=3, max_repetitions=2)

    def test_a_plan_round_trips_the_timing_options(self):
        c = plan.RunConfig.of("default", clock="wall", samples=7, out="/nonexistent/x")
        back = plan.RunConfig.from_plan(c.plan_config([]), c.out)
        for key in ("repetitions", "max_repetitions", "max_time", "samples", "warmup", "clock", "realtime", "reference"):
            self.assertEqual(getattr(back, key), getattr(c, key), key)


if __name__ == "__main__":
    unittest.main()


class ProcessColumnsTest(unittest.TestCase):
    """System seconds and minor faults join the tables where they tell strategies apart."""

    @staticmethod
    def data(sys_a, sys_b):
        return {"benchmarks": [{"workload": "w", "strategy": s, "kind": "alloc",
                                "metrics": {"sys_seconds": {"median": v}, "minor_faults": {"median": 10}}}
                               for s, v in (("a", sys_a), ("b", sys_b))]}

    def test_shown_where_one_strategy_doubles_another_past_the_floor(self):
        self.assertTrue(table.differs(self.data(0.01, 0.3), "sys_seconds"))
        self.assertFalse(table.differs(self.data(0.2, 0.3), "sys_seconds"))      # within 2x
        self.assertFalse(table.differs(self.data(0.001, 0.004), "sys_seconds"))  # under the floor
        headings = [c.heading for c in table.columns(self.data(0.01, 0.3))]
        self.assertIn("sys s", headings)
        self.assertNotIn("minor faults", headings)
