"""Real programs on every in-house strategy as their malloc, output compared with a normal
run (harness/programs.py): CPython's own regression tests, sqlite3, gcc, and a Python
script with threads and fork. One case per program and strategy, generated from the
binary's registry, so strategies added to strategies.def are picked up. `./mmbench test
--full` adds the heavier programs. Also: ./mmbench preload's user errors."""
import os
import shutil
import unittest

from harness import paths, preload, programs
from harness.registry import Registry
from harness.tests.support import error_line, mmbench

FULL = os.environ.get("MMBENCH_TEST_FULL") == "1"


def _registry():
    try:
        return Registry.load()
    except (OSError, ValueError):
        return None


REGISTRY = _registry()
IN_HOUSE = [s for s in (REGISTRY.strategies if REGISTRY else []) if preload.kind(s) == "in-house"]


class ProgramsTest(unittest.TestCase):
    references = {}

    def reference(self, program):
        if program.name not in self.references:
            done = program.run()
            self.assertEqual(done.returncode, 0, f"{program.name} fails even on the C library: {done.stderr[-500:]}")
            self.references[program.name] = program.essence(done)
        return self.references[program.name]


def _case(program, strategy):
    def test(self):
        why = program.missing() or program.unsuitable(strategy)
        if why:
            self.skipTest(why)
        want = self.reference(program)
        done = program.run(strategy)
        self.assertEqual(program.essence(done), want,
                         f"{program.name} on {strategy['name']} differs from the C library's run; "
                         f"stderr: {done.stderr[-800:]}")
    return test


for _program in programs.selected(full=FULL):
    for _strategy in IN_HOUSE:
        setattr(ProgramsTest, f"test_{_program.name.replace('-', '_')}_on_{_strategy['name'].replace('-', '_')}",
                _case(_program, _strategy))


class PreloadCliTest(unittest.TestCase):
    def test_runs_a_program_and_passes_its_exit_status(self):
        done = mmbench("preload", "bump", "--", "sh", "-c", "exit 7")
        self.assertEqual(done.returncode, 7, done.stderr)

    def test_unknown_strategy_is_a_user_error(self):
        done = mmbench("preload", "no-such", "--", "true")
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown allocator 'no-such'", error_line(done))

    def test_missing_command_is_a_user_error(self):
        for args in (["preload", "bump"], ["preload", "bump", "--", "no-such-command-x"]):
            done = mmbench(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertEqual(len(done.stderr.strip().splitlines()[-1:]), 1)

    def test_the_library_really_replaces_malloc(self):
        # a limit of 1 MiB on bump: the program's allocations must hit it (so they went through us)
        done = mmbench("preload", "bump", "--limit", "1M", "--", programs.PYTHON, "-c", "x = [str(i) for i in range(10**6)]")
        self.assertNotEqual(done.returncode, 0)

    def test_system_runs_natively_and_peers_through_their_library(self):
        for s in REGISTRY.strategies if REGISTRY else []:
            env = preload.environment(s, base={}) if s.get("available", True) else None
            if preload.kind(s) == "system":
                self.assertNotIn("LD_PRELOAD", env)
            elif preload.kind(s) == "peer" and env is not None:
                self.assertTrue(os.path.exists(env["LD_PRELOAD"]), env["LD_PRELOAD"])
            elif preload.kind(s) == "in-house":
                self.assertEqual(env["MMBENCH_STRATEGY"], s["name"])


class ProgramBenchmarkTest(unittest.TestCase):
    def test_a_run_times_programs_per_strategy(self):
        if not shutil.which("hyperfine") or not shutil.which("sqlite3"):
            self.skipTest("hyperfine or sqlite3 is not installed")
        import tempfile
        from harness import results
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--workloads", "churn", "--allocators", "system,bump",
                           "--param", "churn.live=100", "--param", "churn.steps=1000", "--repetitions", "2",
                           "--programs", "sqlite")
            self.assertEqual(done.returncode, 0, done.stderr[-2000:])
            rows = results.load(out)["programs"]
            self.assertEqual([(r["program"], r["strategy"]) for r in rows], [("sqlite", "system"), ("sqlite", "bump")])
            for r in rows:
                self.assertIsNone(r["error"])
                self.assertGreater(r["mean_s"], 0)
                self.assertEqual(r["runs"], 2)
                self.assertGreater(r["rss_peak"], 1 << 20)
                self.assertTrue(os.path.isfile(os.path.join(out, r["raw"])))
            self.assertIn("sqlite         bump", done.stdout)

    def test_unknown_program_is_a_user_error(self):
        done = mmbench("run", "--programs", "nope")
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown program 'nope'", error_line(done))


if __name__ == "__main__":
    unittest.main()
