"""The numbers README.md and docs/ quote from committed runs: each is what its run says
(quotes.py reads the marker beside it), and `./mmbench quotes --refresh` rewrites them."""
import json
import os
import re
import shutil
import tempfile
import unittest

from harness import paths, quotes, stats
from harness.tests.support import mmbench

FIXTURE = os.path.join(os.path.dirname(__file__), "data", "small-run.json")


class DocsTest(unittest.TestCase):
    def test_every_quoted_number_is_what_its_run_says(self):
        found, problems = quotes.check(quotes.doc_files(paths.ROOT), paths.ROOT)
        self.assertEqual(problems, [], "run ./mmbench quotes --refresh after re-running the committed results")
        self.assertGreater(found, 100)

    def test_every_committed_run_is_quoted(self):
        text = ""
        for path in quotes.doc_files(paths.ROOT):
            with open(path, encoding="utf-8") as f:
                text += f.read()
        named = set(re.findall(r"<!-- quote (results/[^ ]+) ", text))
        committed = {f"results/{d}" for d in os.listdir(os.path.join(paths.ROOT, "results"))
                     if os.path.isfile(os.path.join(paths.ROOT, "results", d, "results.json"))}
        self.assertEqual(named, committed)

    def test_the_command_checks_the_docs(self):
        done = mmbench("quotes")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"\d+ quoted numbers, 0 not what their runs say")


class QuotesTest(unittest.TestCase):
    """Markers over a run folder made from data/small-run.json."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        os.makedirs(os.path.join(self.root, "results", "small"))
        with open(FIXTURE) as f:
            data = json.load(f)
        data["elapsed_seconds"] = 125.4
        for b in data["benchmarks"]:  # a results.json has every metric's summary beside its samples
            b["metrics"] = {k: stats.summary(v, interval=k == "ns_per_op") for k, v in b["samples"].items()}
        with open(os.path.join(self.root, "results", "small", "results.json"), "w") as f:
            json.dump(data, f)
        self.runs = quotes.Runs(self.root)

    def value(self, spec):
        return self.runs.value(f"results/small {spec}")

    def test_statistics_are_formatted_as_the_tables_format_them(self):
        self.assertRegex(self.value("churn/pool ns_per_op median"), r"^\d+\.\d$")
        self.assertRegex(self.value("churn/pool ns_per_op cell"), r"^\d+\.\d ±\d+%!?$")
        self.assertRegex(self.value("churn/pool peak_footprint median"), r"^\d+\.\d MiB$")
        self.assertRegex(self.value("binary-trees/boehm pause_p99_ns median"), r"^\d+\.\d\d ms$")
        self.assertRegex(self.value("churn/pool ns_per_op vs:churn/system"), r"^\d\.\d\d \(\d/2\)$")
        self.assertEqual(self.value("churn/pool ns_per_op rounds:churn/system"), "2")
        self.assertEqual(self.value("churn/pool ns_per_op n"), "2")
        self.assertEqual(self.value("run elapsed_seconds"), "125")
        self.assertEqual(self.value("run elapsed_minutes"), "2")
        self.assertEqual(self.value("run benchmarks"), "25")
        self.assertEqual(self.value("run resolved"), "3")  # the mimalloc churn, pair and rc-gen heaps: within ±5%

    def test_a_stale_number_is_found_and_refreshed_whole(self):
        cell = self.value("churn/pool ns_per_op cell")
        doc = ("| pool | 999.9 ±1%<!-- quote results/small churn/pool ns_per_op cell --> |\n"
               f"ok {self.value('churn/pool frag median')}<!-- quote results/small churn/pool frag median -->\n")
        found, problems = quotes.check_text(doc, self.runs, "doc.md")
        self.assertEqual(found, 2)
        self.assertEqual(problems, [f"doc.md:1: 999.9 ±1% quotes 'results/small churn/pool ns_per_op cell', which is {cell}"])
        fixed, problems = quotes.refresh_text(doc, self.runs)
        self.assertEqual(problems, [])
        self.assertTrue(fixed.startswith(f"| pool | {cell}<!-- quote"))
        self.assertEqual(quotes.check_text(fixed, self.runs)[1], [])

    def test_markers_that_name_nothing_are_problems(self):
        doc = ("a<!-- quote results/small churn/pool ns_per_op median -->\n"   # no number before it
               "1.0<!-- quote results/small churn/nobody ns_per_op median -->\n"
               "1.0<!-- quote results/small churn/pool no_such_metric median -->\n"
               "1.0<!-- quote results/small churn/pool ns_per_op p42 -->\n"
               "1.0<!-- quote results/absent churn/pool ns_per_op median -->\n"
               "1.0<!-- quote results/small run nothing -->\n")
        found, problems = quotes.check_text(doc, self.runs, "d")
        self.assertEqual(found, 6)
        self.assertEqual([p.split(":")[1] for p in problems], ["1", "2", "3", "4", "5", "6"])
        self.assertIn("no number quotes", problems[0])
        self.assertIn("no benchmark 'churn/nobody'", problems[1])
        self.assertIn("unknown metric", problems[2])
        self.assertIn("unknown statistic", problems[3])
        self.assertIn("results/absent: no such results file", problems[4])
        _, left = quotes.refresh_text(doc, self.runs)
        self.assertEqual(len(left), 5)  # the first gets its number; the others name nothing to take one from

    def test_a_marker_in_code_is_an_example(self):
        doc = ("`1<!-- quote results/small run benchmarks -->` and\n```\n2<!-- quote results/small run benchmarks -->\n"
               "```\nbut 3<!-- quote results/small run benchmarks --> is quoted\n")
        found, problems = quotes.check_text(doc, self.runs, "d")
        self.assertEqual((found, problems), (1, ["d:5: 3 quotes 'results/small run benchmarks', which is 25"]))
        fixed, _ = quotes.refresh_text(doc, self.runs)
        self.assertEqual(fixed, doc.replace("but 3", "but 25"))

    def test_refresh_rewrites_the_files_and_keeps_the_rest(self):
        docs = os.path.join(self.root, "docs")
        os.makedirs(docs)
        readme = os.path.join(self.root, "README.md")
        with open(readme, "w") as f:
            f.write("took 1<!-- quote results/small run elapsed_seconds --> s\n")
        with open(os.path.join(docs, "x.md"), "w") as f:
            f.write("nothing quoted\n")
        os.chmod(readme, 0o644)
        changed, problems = quotes.refresh(quotes.doc_files(self.root), self.root)
        self.assertEqual((changed, problems), ([readme], []))
        with open(readme) as f:
            self.assertEqual(f.read(), "took 125<!-- quote results/small run elapsed_seconds --> s\n")
        self.assertEqual(os.stat(readme).st_mode & 0o777, 0o644)
        self.assertEqual(quotes.refresh(quotes.doc_files(self.root), self.root), ([], []))


if __name__ == "__main__":
    unittest.main()
