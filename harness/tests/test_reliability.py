"""Runs that survive: a crashing strategy, Ctrl-C, --resume; exact counts; charts and the
HTML report in a real browser."""
import json
import os
import signal
import stat
import subprocess
import tempfile
import unittest

from harness import paths, results
from harness.tests.support import MMBENCH, TINY, chromium, error_line, mmbench, need_chromium


def crashing_binary(folder, victim):
    """A stand-in for mmbench_bench that segfaults whenever it is asked to run `victim`."""
    path = os.path.join(folder, "crashing_bench")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\ncase "$*" in *"{victim}/"*) kill -SEGV $$ ;; esac\nexec {paths.BENCH_BINARY} "$@"\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def as_from_a_terminal():
    """Ctrl-C as a terminal delivers it: a test suite started in the background (CI, nohup
    ... &) inherits SIGINT ignored, and a child would then never see the interrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class CrashTest(unittest.TestCase):
    def test_a_strategy_that_segfaults_fails_alone(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, *TINY, "--hyperfine-runs", "1",
                           env={"MMBENCH_BENCH_BINARY": crashing_binary(tmp, "churn/bump")})
            self.assertEqual(done.returncode, 1, done.stderr)
            data = results.load(out)
            by = {b["strategy"]: b for b in data["benchmarks"]}
            self.assertEqual(by["bump"]["error"], "crashed (SIGSEGV)")
            self.assertEqual(by["bump"]["status"], "failed")
            self.assertEqual(by["system"]["status"], "ok")
            self.assertEqual(len(by["system"]["samples"]["ns_per_op"]), 2)
            with open(os.path.join(out, "table.md")) as f:
                self.assertIn("| churn | bump | FAILED: crashed (SIGSEGV) |", f.read())
            self.assertTrue(data["complete"])  # a crash is a result, not a gap: --resume has nothing to do
            again = mmbench("run", "--resume", out, env={"MMBENCH_BENCH_BINARY": crashing_binary(tmp, "churn/bump")})
            self.assertIn("0 measurement(s) missing", again.stderr)


class InterruptResumeTest(unittest.TestCase):
    def test_ctrl_c_keeps_what_was_measured_and_resume_finishes_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            args = [MMBENCH, "run", "--out", out, "--workloads", "churn", "--programs", "none", "--param", "churn.live=20000", "--param", "churn.steps=200000",
                    "--repetitions", "6", "--sweep", "none", "--no-charts", "--warmup", "0", "--hyperfine-runs", "0"]
            proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                    stdin=subprocess.DEVNULL, preexec_fn=as_from_a_terminal)
            lines = []
            for line in proc.stderr:
                lines.append(line)
                if line.replace(" ", "").startswith("[2/"):  # two measurements are on disk
                    proc.send_signal(signal.SIGINT)
                    break
            rest = proc.stderr.read()
            proc.wait(timeout=120)
            self.assertEqual(proc.returncode, 130, "".join(lines) + rest)
            self.assertNotIn("Traceback", rest)
            self.assertIn(f"--resume {os.path.relpath(out)}", rest)
            data = results.load(out)  # published whole, marked incomplete
            self.assertFalse(data["complete"])
            self.assertGreater(data["missing"], 0)
            kept = sum(len(b["samples"].get("ns_per_op", [])) for b in data["benchmarks"])
            self.assertGreaterEqual(kept, 2)
            self.assertFalse([n for n in os.listdir(tmp) if n != "run"])
            self.assertFalse([n for n in os.listdir(os.path.join(out, "measured")) if n.startswith(".tmp")])

            done = mmbench("run", "--resume", out)
            self.assertEqual(done.returncode, 0, done.stderr)
            data = results.load(out)
            self.assertTrue(data["complete"])
            for b in data["benchmarks"]:
                self.assertEqual(b["status"], "ok")
                self.assertEqual(len(b["samples"]["ns_per_op"]), 6, b["name"])

    def test_ctrl_c_before_anything_was_measured_leaves_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            proc = subprocess.Popen([MMBENCH, "run", "--out", out, "--workloads", "churn", "--programs", "none", "--param", "churn.steps=2000000", "--sweep", "none",
                                     "--warmup", "1", "--no-charts"], stderr=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, text=True, stdin=subprocess.DEVNULL,
                                    preexec_fn=as_from_a_terminal)
            for line in proc.stderr:
                if "warm-up" in line:
                    proc.send_signal(signal.SIGINT)
                    break
            rest = proc.stderr.read()
            proc.wait(timeout=120)
            self.assertEqual(proc.returncode, 130, rest)
            self.assertIn("nothing was written", rest)
            self.assertNotIn("Traceback", rest)
            self.assertEqual(os.listdir(tmp), [])

    def test_resume_of_what_is_not_a_run_is_exit_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            for target in (os.path.join(tmp, "nothing"), tmp):
                done = mmbench("run", "--resume", target)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("--resume", error_line(done))
            with open(os.path.join(tmp, "plan.json"), "w") as f:
                f.write("{broken")
            done = mmbench("run", "--resume", tmp)
            self.assertEqual(done.returncode, 2)
            self.assertIn("plan.json is unreadable", error_line(done))


class CountsAndChartsTest(unittest.TestCase):
    """One run with --counts and charts, done twice: the counts must agree exactly."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.outs = [os.path.join(cls.tmp.name, f"run{i}") for i in (1, 2)]
        small = ["--workloads", "churn", "--allocators", "system,bump", "--programs", "none", "--param", "churn.live=300", "--param", "churn.steps=3000", "--repetitions", "2", "--warmup", "0",
                 "--hyperfine-runs", "2", "--counts", "--sweep", "churn.live=100,1000"]
        cls.done = [mmbench("run", "--out", out, *small) for out in cls.outs]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        for done in self.done:
            self.assertEqual(done.returncode, 0, done.stderr)

    def test_instruction_counts_are_exact_and_repeatable(self):
        first, second = (results.load(out) for out in self.outs)
        for a, b in zip(first["benchmarks"], second["benchmarks"]):
            ia, ib = a["samples"]["instructions_per_op"], b["samples"]["instructions_per_op"]
            self.assertEqual(ia, ib, a["name"])
            self.assertGreater(ia[0], 5)  # an alloc or free is more than a few instructions
            self.assertEqual(a["samples"]["ops"], [6000])
        done = mmbench("compare", self.outs[0], self.outs[1])
        self.assertEqual(done.returncode, 0, done.stdout)

    def test_an_injected_slowdown_in_a_real_run_is_caught(self):
        data = results.load(self.outs[0])
        for b in data["benchmarks"]:
            b["samples"]["instructions_per_op"] = [v * 1.05 for v in b["samples"]["instructions_per_op"]]
            b["metrics"]["instructions_per_op"]["median"] *= 1.05
        slow = os.path.join(self.tmp.name, "slow.json")
        with open(slow, "w") as f:
            json.dump(data, f)
        done = mmbench("compare", self.outs[0], slow)
        self.assertEqual(done.returncode, 1, done.stdout)
        for b in data["benchmarks"]:
            self.assertIn(f"| `{b['name']}` | instructions/op |", done.stdout)

    def test_the_sweep_and_charts_are_there(self):
        data = results.load(self.outs[0])
        points = sorted((s["strategy"], s["sweep"]["value"]) for s in data["sweep"])
        self.assertEqual(points, [("bump", 100), ("bump", 1000), ("system", 100), ("system", 1000)])
        # no collectors: no GC figures; 300 blocks of 16-512 B live are enough to judge fragmentation
        self.assertEqual(sorted(os.listdir(os.path.join(self.outs[0], "charts"))),
                         sorted(f"{name}.{fmt}" for name in ("time_per_op", "fragmentation", "time_vs_memory",
                                                             "cost_growth") for fmt in ("png", "svg")))
        with open(os.path.join(self.outs[0], "charts", "time_per_op.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_plot_command_redraws_into_another_folder(self):
        target = os.path.join(self.tmp.name, "elsewhere")
        done = mmbench("plot", self.outs[0], "--out", target)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(os.path.isfile(os.path.join(target, "charts", "cost_growth.svg")))
        done = mmbench("plot", "--style", "paper", self.outs[0], "--out", target)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(os.path.isfile(os.path.join(target, "charts", "paper", "cost_growth-2col.pdf")))
        self.assertTrue(os.path.isfile(os.path.join(target, "charts", "paper", "cost_growth.csv")))

    def test_report_of_a_real_run_renders_in_headless_chromium(self):
        need_chromium()
        report = os.path.join(self.outs[0], "report.html")
        with open(report) as f:
            page = f.read()
        self.assertNotIn("http://", page)  # nothing to fetch
        self.assertNotIn("https://", page)
        done, console = chromium(report, "--dump-dom")
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertEqual(console, [])
        self.assertIn('data-charts-shown="4"', done.stdout)  # every chart decoded and drawn
        self.assertIn("<td>churn</td><td>system</td>", done.stdout)
        self.assertIn('id="sweep"', done.stdout)


if __name__ == "__main__":
    unittest.main()
