"""Who wins (summary.py) and report.html: every table there, numbers rounded, stability in
one line, and the page as headless chromium shows it (screenshot, no console message)."""
import os
import struct
import tempfile
import unittest

from harness import plot, report, summary
from harness.tests.support import chromium, need_chromium
from harness.tests.test_charts import HEAPS, entry, synthetic

PROGRAMS = [{"program": "sqlite", "strategy": s, "error": None, "mean_s": t, "stddev_s": t / 20, "runs": 3,
             "rss_peak": 20 * 2 ** 20} for s, t in (("system", 0.5), ("pool", 0.4))] + \
           [{"program": "sqlite", "strategy": "first-fit", "error": "timed out", "runs": 0}]


def full_run():
    """Synthetic results with every section: allocators, collectors, programs, a sweep."""
    data = synthetic(["system", "bump", "pool", "jemalloc"], heaps=HEAPS, gc_workloads=["binary-trees"])
    data["programs"] = PROGRAMS
    data["config"].update(timeout=40.0, params={"churn.live": "100000"},
                          sweep=[{"workload": "churn", "param": "live", "values": [1000, 10000, 1000000]}])
    return data


def churn(strategy, times, rounds=(1, 2, 3), **more):
    samples = dict(ns_per_op=list(times), **{k: [v] * len(times) for k, v in more.items()})
    return entry("churn", strategy, rounds=list(rounds), **samples)


class WinnersTest(unittest.TestCase):
    def test_the_floor_is_not_in_the_running(self):
        data = {"benchmarks": [churn("system", [30, 30, 30], peak_footprint=3e6, peak_live=1e6),
                               churn("bump", [5, 5, 5], peak_footprint=1e6, peak_live=1e6),
                               churn("pool", [20, 20, 20], peak_footprint=4e6, peak_live=1e6)]}
        (w,) = summary.winners(data)
        self.assertEqual((w.fastest.strategy, w.fastest.value), ("pool", 20))
        self.assertEqual((w.smallest.strategy, w.smallest.value), ("system", 3e6))
        self.assertEqual(w.reference, "system")

    def test_ratios_are_taken_round_by_round(self):
        # medians alone say 1.0; each round says pool took half the time, twice of three
        data = {"benchmarks": [churn("system", [20, 10, 60]), churn("pool", [10, 20, 30])]}
        (w,) = summary.winners(data)
        self.assertEqual(w.ratios["pool"], summary.Ratio(0.5, 2, 3))
        self.assertEqual(w.ratios["system"], summary.Ratio(1.0, 0, 3))

    def test_no_reference_no_ratios(self):
        failed = dict(churn("system", [20, 10, 60]), error="crashed (SIGSEGV)")
        (w,) = summary.winners({"benchmarks": [failed, churn("pool", [10, 20, 30])]})
        self.assertEqual(w.ratios, {})
        self.assertEqual(w.fastest.strategy, "pool")
        (w,) = summary.winners({"benchmarks": [churn("system", [2, 3], rounds=(1, 2)),
                                               churn("pool", [1], rounds=(3,))]})
        self.assertIsNone(w.ratios["pool"])  # no round in common

    def test_collector_workloads_are_compared_with_manual_system(self):
        data = synthetic(["system"], workloads=(), heaps=HEAPS, gc_workloads=["rings"], sweep=False)
        (w,) = summary.winners(data)
        self.assertEqual((w.kind, w.reference), ("gc", "manual/system"))
        self.assertEqual(w.ratios["manual/system"].median, 1.0)
        self.assertLess(w.ratios["manual/pool"].median, w.ratios["boehm"].median)

    def test_a_live_set_too_small_to_judge_has_no_smallest(self):
        w = {w.name: w for w in summary.winners(synthetic(["system", "pool"], sweep=False))}
        self.assertTrue(w["pair"].too_small)
        self.assertIsNone(w["pair"].smallest)
        self.assertEqual(w["churn"].smallest.strategy, "system")

    def test_stability_is_one_line(self):
        data = synthetic(sweep=False)
        self.assertIsNone(summary.stability(data))
        for b in data["benchmarks"][:15]:
            b["metrics"]["ns_per_op"]["unstable"] = True
        advice = summary.stability(data)
        self.assertEqual(advice.count("\n"), 0)
        self.assertTrue(advice.startswith("15 of 22 timed cells vary by more than 10%"), advice)
        self.assertIn("--repetitions 8", advice)
        self.assertNotIn("churn/", advice)  # counts, never a list of names


class ReportPageTest(unittest.TestCase):
    def test_every_table_is_there(self):
        page = report.render(full_run(), [])
        for ident in report.TABLE_IDS:
            self.assertIn(f'<table id="{ident}"', page)
        self.assertIn('<tr class="failed"><td>sqlite</td><td>first-fit</td><td class="num">FAILED: timed out</td>', page)

    def test_the_environment_is_a_small_table_of_rounded_values(self):
        page = report.render(full_run(), [])
        environment = page[page.index('id="environment"'):page.index('id="configuration"')]
        self.assertIn("<td>0.786, 0.946, 1.98</td>", environment)
        self.assertIn("<td>0123456789ab</td>", environment)
        self.assertIn("<td>libc6 2.36</td>", environment)
        self.assertNotIn("0.78564453125", page)
        self.assertNotIn("{", environment)
        self.assertIn("<td>40 s</td>", page)

    def test_stability_is_one_line_not_a_list(self):
        data = full_run()
        for b in data["benchmarks"]:
            b["metrics"]["ns_per_op"]["unstable"] = True
        data["warnings"] = ["unstable (stddev > 10% of the mean): " + ", ".join(b["name"] for b in data["benchmarks"])]
        page = report.render(data, [])
        self.assertEqual(page.count("Stability: "), 1)
        self.assertNotIn("unstable (stddev", page)

    def test_too_small_and_the_floor_are_explained(self):
        page = report.render(synthetic(["system", "bump", "pool"], sweep=False), [])
        self.assertIn('<td class="num">too small</td>', page)
        self.assertIn("bump: frees nothing, so its footprint is every byte the run ever allocated", page)


def png_size(path):
    with open(path, "rb") as f:
        return struct.unpack(">II", f.read(24)[16:24])


class BrowserTest(unittest.TestCase):
    """The page as a reader sees it, in headless chromium."""

    @classmethod
    def setUpClass(cls):
        need_chromium()
        cls.tmp = tempfile.TemporaryDirectory()
        data = full_run()
        cls.charts = [p for p in plot.make_all(data, cls.tmp.name) if p.endswith(".png")]
        cls.page = report.write(data, cls.tmp.name, cls.charts)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_table_and_chart_shows_and_nothing_is_logged(self):
        done, console = chromium(self.page, "--dump-dom")
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertEqual(console, [])
        self.assertEqual(len(self.charts), 6)
        self.assertIn(f'data-charts-shown="{len(self.charts)}"', done.stdout)  # every chart decoded
        for ident in report.TABLE_IDS:
            self.assertIn(f'<table id="{ident}"', done.stdout)

    def test_a_screenshot_is_taken(self):
        shot = os.path.join(self.tmp.name, "page.png")
        done, console = chromium(self.page, f"--screenshot={shot}", "--window-size=1280,3000")
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertEqual(console, [])
        self.assertEqual(png_size(shot), (1280, 3000))
        self.assertGreater(os.path.getsize(shot), 60_000)  # tables and charts, not a blank page

    def test_the_check_sees_what_a_broken_page_logs(self):
        bad = os.path.join(self.tmp.name, "bad.html")
        with open(bad, "w") as f:
            f.write("<!DOCTYPE html><html><body><script>notAFunction();</script></body></html>")
        done, console = chromium(bad, "--dump-dom")
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertEqual(len(console), 1)
        self.assertIn("notAFunction is not defined", console[0])


if __name__ == "__main__":
    unittest.main()
