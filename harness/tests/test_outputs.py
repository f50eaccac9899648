"""The files a run leaves: readable by others (0644 under the usual umask), CSV in plain
numbers, and footnotes for the numbers that look like bugs."""
import os
import re
import shlex
import stat
import tempfile
import unittest

from harness import cli, measure, paths, results, table
from harness.tests.test_charts import synthetic


class FileModeTest(unittest.TestCase):
    def setUp(self):
        self.old = os.umask(0o022)
        self.addCleanup(os.umask, self.old)

    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def test_results_files_are_0644(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "results.json")
            results.write_atomic(path, "{}\n")
            self.assertEqual(self.mode(path), 0o644)
            os.umask(0o077)  # a user who wants private files gets them
            results.write_atomic(path, "{}\n")
            self.assertEqual(self.mode(path), 0o600)

    def test_a_measurement_output_is_0644(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "raw.json")
            status, _, _ = measure._run(["/bin/echo", "{}"], path)
            self.assertEqual(status, 0)
            self.assertEqual(self.mode(path), 0o644)


class CsvTest(unittest.TestCase):
    def test_plain_numbers(self):
        self.assertEqual([table.plain(v) for v in (26491362.0, 96.312345678, 0.0714919074, 1e-7, -2.5, 0.0)],
                         ["26491362", "96.3123", "0.0714919", "0.0000001", "-2.5", "0"])
        self.assertEqual(table.plain(float("nan")), "nan")

    def test_the_csv_has_no_exponents(self):
        text = table.csv_text(synthetic(["system", "pool"], sweep=False))
        self.assertNotIn("e+", text)
        self.assertIn(",26000000,", text)  # churn's peak live, in bytes


class FootnoteTest(unittest.TestCase):
    def test_the_floor_footprint_is_explained_only_where_bump_ran(self):
        self.assertIn("bump: frees nothing", table.footnote(synthetic(["system", "bump"], sweep=False)))
        self.assertNotIn("bump", table.footnote(synthetic(["system", "pool"], sweep=False)))

    def test_a_small_live_set_is_too_small_to_judge(self):
        data = synthetic(["system"], sweep=False)
        pair = next(r for r in table.rows(data) if r[0] == "pair")
        self.assertEqual(pair[3], "0.5 KiB")
        self.assertEqual(pair[5:7], ["too small", "too small"])
        self.assertIn("too small to judge", table.markdown(data))


class CiExampleTest(unittest.TestCase):
    def test_the_workflow_in_docs_ci_md_runs_real_commands(self):
        with open(os.path.join(paths.ROOT, "docs", "ci.md")) as f:
            text = f.read()
        commands = [shlex.split(line.split("./mmbench", 1)[1].split("||")[0])
                    for line in text.splitlines() if "./mmbench " in line and re.match(r"\s*(run: )?\./mmbench", line)]
        parsed = [cli.make_parser().parse_args(words) for words in commands]
        self.assertEqual([p.command for p in parsed], ["run", "run", "compare"])
        base, head, verdict = parsed
        self.assertTrue(base.counts and head.counts)  # exact counts: the same on every run of a binary
        self.assertEqual(vars(base) | {"out": None}, vars(head) | {"out": None})  # both sides measured alike
        self.assertEqual((verdict.base, verdict.new), (base.out, head.out))


if __name__ == "__main__":
    unittest.main()
