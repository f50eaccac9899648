"""The command line as a user meets it: names, bad input, exit statuses."""
import contextlib
import io
import json
import os
import tempfile
import time
import unittest
from unittest import mock

from harness import build, run
from harness.tests.support import TINY, error_line, mmbench, resolved


class ListTest(unittest.TestCase):
    def test_list_json_names_the_registered_strategies_and_workloads(self):
        done = mmbench("list", "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        data = json.loads(done.stdout)
        names = [a["name"] for a in data["allocators"]]
        self.assertIn("system", names)
        self.assertIn("bump", names)
        self.assertIn("churn", [w["name"] for w in data["workloads"]])
        for w in data["workloads"]:
            self.assertTrue(w["summary"] and w["origin"], w["name"])

    def test_list_text_has_a_line_per_strategy(self):
        done = mmbench("list")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, r"(?m)^  system\s+\S")
        self.assertRegex(done.stdout, r"(?m)^  bump\s+\S")


class BadInputTest(unittest.TestCase):
    CASES = [
        (["run", "--allocators", "no-such"], "unknown allocator 'no-such' (valid: system, bump"),
        (["run", "--workloads", "nope"], "unknown workload 'nope' (valid: churn"),
        (["run", "--repetitions", "zero"], "'zero' is not a whole number"),
        (["run", "--repetitions", "0"], "out of range"),
        (["run", "--param", "churn.live=-5"], "churn.live=-5 is invalid"),
        (["run", "--param", "churn.size=5"], "has no parameter 'size'"),
        (["run", "--param", "oops"], "needs the form NAME.KEY=VALUE"),
        (["run", "--param", "bump.chunk=1000"], "bump: option chunk=1000 is invalid"),
        (["run", "--param", "system.x=1"], "system: unknown option 'x'"),
        (["run", "--param", "churn.min_size=600"], "min_size must not exceed"),
        (["run", "--limit", "lots"], "not a byte count"),
        (["frobnicate"], "invalid choice"),
        (["run", "--sweep", "churn.nope=1,2"], "workload churn has no parameter 'nope'"),
        (["run", "--sweep", "churn.live=1,x"], "values must be numbers"),
        (["run", "--sweep", "bogus"], "needs the form WORKLOAD.KEY=V1,V2"),
        (["run", "--sweep", "churn.live=0"], "out of range"),
        (["run", "--hyperfine-runs", "-1"], "out of range (0 to 100)"),
        (["compare", "a"], "the following arguments are required"),
    ]

    def test_each_bad_input_is_one_line_and_exit_2(self):
        for args, message in self.CASES:
            with self.subTest(args=args):
                done = mmbench(*args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, error_line(done))
                self.assertTrue(error_line(done).startswith("mmbench: "))
                self.assertNotIn("Traceback", done.stderr)

    def test_existing_out_is_refused_and_left_alone(self):
        with tempfile.TemporaryDirectory() as tmp:
            keep = os.path.join(tmp, "earlier")
            os.mkdir(keep)
            with open(os.path.join(keep, "results.json"), "w") as f:
                f.write("precious")
            done = mmbench("run", "--out", keep, *TINY)
            self.assertEqual(done.returncode, 2)
            self.assertIn("already exists", error_line(done))
            with open(os.path.join(keep, "results.json")) as f:
                self.assertEqual(f.read(), "precious")

    def test_unwritable_out_leaves_nothing_behind(self):
        with tempfile.TemporaryDirectory() as tmp:
            blocker = os.path.join(tmp, "a-file")
            with open(blocker, "w") as f:
                f.write("not a folder")
            done = mmbench("run", "--out", os.path.join(blocker, "run"), *TINY)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn("--out", error_line(done))
            self.assertEqual(os.listdir(tmp), ["a-file"])

    def test_bad_name_writes_no_results(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--allocators", "bogus", "--out", out)
            self.assertEqual(done.returncode, 2)
            self.assertEqual(os.listdir(tmp), [])


class ElapsedTest(unittest.TestCase):
    """A run's elapsed_seconds is the command's time, not only its measuring: the build
    check and a replay's trace are part of what a user waits for."""

    def test_the_runs_time_counts_from_the_commands_start(self):
        real_build = build.build

        def slow_build(*args, **kwargs):
            real_build(*args, **kwargs)
            time.sleep(2.0)

        with tempfile.TemporaryDirectory() as tmp, mock.patch.object(build, "build", slow_build), \
                contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            out = os.path.join(tmp, "r")
            self.assertEqual(run.execute(resolved(*TINY, "--allocators", "system", "--out", out)), 0)
            with open(os.path.join(out, "results.json")) as f:
                data = json.load(f)
            measuring = 0.0
            for name in os.listdir(os.path.join(out, "measured")):
                with open(os.path.join(out, "measured", name)) as f:
                    measuring += json.load(f).get("seconds") or 0
        self.assertGreaterEqual(data["elapsed_seconds"], 2.0 + measuring - 0.05)


if __name__ == "__main__":
    unittest.main()
