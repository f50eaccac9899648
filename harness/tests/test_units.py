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
    def test_ns_per_op_comes_from_items_per_second(self):
        sample = metrics.from_gbench({"items_per_second": 2e7, "peak_live": 100.0, "frag": 0.5})
        self.assertAlmostEqual(sample["ns_per_op"], 50.0)
        self.assertEqual(sample["peak_live"], 100.0)

    def test_frag_is_not_reported_for_a_tiny_live_set(self):
        small = metrics.from_gbench({"items_per_second": 1e7, "peak_live": 500.0, "frag": 4000.0,
                                     "frag_at_peak": 3900.0, "internal_frag": 0.1})
        self.assertNotIn("frag", small)
        self.assertNotIn("frag_at_peak", small)
        self.assertEqual(small["internal_frag"], 0.1)
        self.assertEqual(metrics.from_gbench({"items_per_second": 1e7, "peak_live": 1e6, "frag": 0.2})["frag"], 0.2)
        data = {"benchmarks": [{"workload": "pair", "strategy": "a", "error": None,
                                "metrics": {k: metrics.summarise([v]) for k, v in small.items()}}]}
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
         "metrics": {"ns_per_op": {"median": 12.345, "spread": 0.031, "n": 5},
                     "peak_live": {"median": 2 * 1024 * 1024}, "frag": {"median": 0.25}}},
        {"workload": "churn", "strategy": "b", "error": "crashed (SIGSEGV)", "metrics": {}},
    ]}

    def test_cells(self):
        rows = table.rows(self.DATA)
        self.assertEqual(rows[1][:5], ["churn", "a", "12.3 ±3%", "2.0 MiB", "—"])
        self.assertEqual(rows[1][5], "25.0%")
        self.assertEqual(rows[2][2], "FAILED: crashed (SIGSEGV)")

    def test_markdown_and_csv_have_a_row_per_benchmark(self):
        self.assertEqual(len(table.markdown(self.DATA).splitlines()), 4)
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
