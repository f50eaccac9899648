"""Unit tests of the harness's pieces: results files, metrics, tables, TAP counting."""
import json
import os
import tempfile
import unittest

from harness import metrics, results, table, tap
from harness.errors import UserError


class ResultsFileTest(unittest.TestCase):
    def test_staging_publishes_only_on_success(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            with self.assertRaises(RuntimeError):
                with results.Staging(out) as folder:
                    results.write_atomic(os.path.join(folder, "x"), "half")
                    raise RuntimeError("interrupted")
            self.assertEqual(os.listdir(tmp), [])
            with results.Staging(out) as folder:
                results.write_atomic(os.path.join(folder, "x"), "whole")
            self.assertEqual(os.listdir(tmp), ["run"])

    def test_load_refuses_what_is_not_a_results_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = {"truncated.json": '{"schema": "mmbench.results/1", "bench',
                     "other.json": '{"schema": "something/2", "benchmarks": []}',
                     "list.json": "[1, 2]",
                     "badbench.json": '{"schema": "mmbench.results/1", "benchmarks": [3]}',
                     "binary.json": "\udcff"}
            for name, text in cases.items():
                path = os.path.join(tmp, name)
                with open(path, "w", errors="surrogateescape") as f:
                    f.write(text)
                with self.subTest(name=name), self.assertRaises(UserError) as e:
                    results.load(path)
                self.assertIn(path, str(e.exception))
                self.assertNotIn("\n", str(e.exception))
            with self.assertRaises(UserError):
                results.load(os.path.join(tmp, "missing.json"))

    def test_load_ignores_unknown_fields(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "r.json")
            with open(path, "w") as f:
                json.dump({"schema": results.SCHEMA, "future": 1, "benchmarks": [{"name": "a/b", "new": 2}]}, f)
            self.assertEqual(results.load(path)["benchmarks"][0]["name"], "a/b")


class MetricsTest(unittest.TestCase):
    @staticmethod
    def gbench_run(cpu=(50.0,), wall=(60.0,), **counters):
        """A Google Benchmark result of one process with these samples on each clock."""
        out = {"samples": len(cpu), **counters}
        out.update({f"cpu_ns_per_op.{k}": v for k, v in enumerate(cpu, 1)})
        out.update({f"wall_ns_per_op.{k}": v for k, v in enumerate(wall, 1)})
        return out

    def test_ns_per_op_is_the_median_sample_on_the_chosen_clock(self):
        run = self.gbench_run(cpu=(50.0, 40.0, 90.0), wall=(70.0, 60.0, 65.0), peak_live=100.0, frag=0.5)
        sample = metrics.from_gbench(run, "cpu")
        self.assertEqual((sample["ns_per_op"], sample["ns_per_op_cpu"], sample["ns_per_op_wall"]), (50.0, 50.0, 65.0))
        self.assertEqual(sample[metrics.WITHIN]["ns_per_op"], [50.0, 40.0, 90.0])
        self.assertEqual(sample["peak_live"], 100.0)
        self.assertEqual(metrics.from_gbench(run, "wall")["ns_per_op"], 65.0)
        with self.assertRaisesRegex(ValueError, "no timed samples"):
            metrics.from_gbench({"peak_live": 100.0})

    def test_the_default_clock_follows_the_threads(self):
        self.assertEqual(metrics.default_clock(1), "cpu")
        self.assertEqual(metrics.default_clock(4), "wall")

    def test_frag_is_not_reported_for_a_tiny_live_set(self):
        small = metrics.from_gbench(self.gbench_run(peak_live=500.0, frag=4000.0, frag_at_peak=3900.0, internal_frag=0.1))
        self.assertNotIn("frag", small)
        self.assertNotIn("frag_at_peak", small)
        self.assertEqual(small["internal_frag"], 0.1)
        self.assertEqual(metrics.from_gbench(self.gbench_run(peak_live=1e6, frag=0.2))["frag"], 0.2)
        data = {"benchmarks": [{"workload": "pair", "strategy": "a", "error": None,
                                "metrics": {k: metrics.summarise([v]) for k, v in small.items() if k != metrics.WITHIN}}]}
        self.assertEqual(table.rows(data)[1][3:7], ["0.5 KiB", "—", "too small", "too small"])  # never 0.0 MiB
        self.assertIn("too small: under 64 KiB was live at once, too small to judge", table.footnote(data))
        self.assertNotIn("KiB was live", table.footnote(TableTest.DATA))

    def test_failed_benchmark_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "allocation failed"):
            metrics.from_gbench({"error_occurred": True, "error_message": "allocation failed"})

    def test_summary(self):
        s = metrics.summarise([10.0, 12.0, 11.0, 50.0])
        self.assertEqual(s["median"], 11.5)
        self.assertEqual((s["min"], s["max"], s["n"]), (10.0, 50.0, 4))
        self.assertGreater(s["spread"], 0.5)
        self.assertEqual(metrics.summarise([7.0])["spread"], 0.0)
        self.assertIsNone(metrics.summarise([]))


class TableTest(unittest.TestCase):
    DATA = {"benchmarks": [
        {"workload": "churn", "strategy": "a", "error": None,
         "metrics": {"ns_per_op": {"median": 12.345, "spread": 0.031, "n": 5, "ci95": [12.0, 12.9],
                                   "half_width": 0.0365, "unstable": False},
                     "peak_live": {"median": 2 * 1024 * 1024}, "frag": {"median": 0.25}}},
        {"workload": "churn", "strategy": "b", "error": "crashed (SIGSEGV)", "metrics": {}},
    ]}

    def test_cells(self):
        rows = table.rows(self.DATA)
        self.assertEqual(rows[1][:5], ["churn", "a", "12.3 ±3.6%", "2.0 MiB", "—"])
        self.assertEqual(rows[1][5], "25.0%")
        self.assertEqual(rows[2][2], "FAILED: crashed (SIGSEGV)")

    def test_markdown_and_csv_have_a_row_per_benchmark(self):
        markdown = table.markdown(self.DATA)
        self.assertEqual(len([line for line in markdown.splitlines() if line.startswith("|")]), 4)
        self.assertIn("±: half-width of the median's 95% interval", markdown)
        lines = table.csv_text(self.DATA).splitlines()
        self.assertEqual(len(lines), 3)
        self.assertIn("crashed (SIGSEGV)", lines[2])


class TapCountTest(unittest.TestCase):
    def test_counts_ok_not_ok_and_skips(self):
        log = "\n".join(["exec stuff", "ok 1 - a[x]", "not ok 2 - b[x]", "#   file.c:3: expected ...",
                         "ok 3 - c[x] # SKIP x does not free", "1..3", "# 1 passed, 1 failed, 1 skipped"])
        tally = tap.Tally()
        self.assertEqual(tap.count_tap(log, "//t", tally), 1)
        self.assertEqual((tally.passed, tally.failed, tally.skipped), (1, 1, 1))
        self.assertEqual(tally.failures, ["//t: b[x]"])


if __name__ == "__main__":
    unittest.main()
