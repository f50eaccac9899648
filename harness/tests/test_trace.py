"""./mmbench trace as a user meets it: record a real program, inspect, convert, replay,
and every kind of bad trace refused with one line naming the file and the byte offset."""
import json
import os
import tempfile
import unittest

from harness import results
from harness.tests.support import error_line, mmbench


class TraceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.trace = os.path.join(cls.tmp.name, "sqlite.mmtrace")
        cls.recorded = mmbench("trace", "record", "-o", cls.trace, "--recipe", "sqlite")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.recorded.returncode, 0, self.recorded.stderr)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def info(self, path):
        done = mmbench("trace", "info", "--json", path)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_record_captures_a_real_program(self):
        info = self.info(self.trace)
        self.assertEqual(info["form"], "binary")
        self.assertIn("sqlite3", info["command"])
        self.assertGreater(info["records"], 1000)
        self.assertGreater(info["calls"]["malloc"], 100)
        self.assertGreater(info["calls"]["free"], 100)
        self.assertGreater(info["peak_live"], 0)
        self.assertEqual(sum(h["count"] for h in info["size_histogram"]), info["allocs"] + info["reallocs"])
        life = info["lifetime_ops"]
        self.assertLessEqual(life["median"], life["p90"])
        self.assertLessEqual(life["p90"], life["max"])
        self.assertEqual(sum(h["count"] for h in info["lifetime_histogram"]), info["frees"])
        self.assertIn(f"{self.trace}: ", self.recorded.stdout)

    def test_text_info_is_readable(self):
        done = mmbench("trace", "info", self.trace)
        self.assertEqual(done.returncode, 0, done.stderr)
        for word in ["calls", "peak live", "sizes", "lifetimes"]:
            self.assertIn(word, done.stdout)

    def test_binary_text_binary_is_byte_identical(self):
        text, again = self.path("rt.txt"), self.path("rt.bin")
        self.assertEqual(mmbench("trace", "convert", self.trace, text).returncode, 0)
        with open(text) as f:
            self.assertEqual(f.readline(), "mmtrace 1\n")
        done = mmbench("trace", "convert", text, again)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(self.trace, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(self.info(text)["peak_live"], self.info(self.trace)["peak_live"])

    def test_replay_through_every_strategy(self):
        out = self.path("replay-run")
        done = mmbench("trace", "replay", self.trace, "--repetitions", "1", "--param", "replay.min_ops=1",
                       "--out", out)
        self.assertEqual(done.returncode, 0, done.stderr)
        data = results.load(out)
        names = [b["name"] for b in data["benchmarks"]]
        self.assertIn("replay/system", names)
        self.assertIn("replay/bump", names)
        peak = self.info(self.trace)["peak_live"]
        for b in data["benchmarks"]:
            self.assertIsNone(b["error"])
            self.assertEqual(b["metrics"]["peak_live"]["median"], peak, b["name"])
            self.assertEqual(b["metrics"]["check_failures"]["max"], 0)
        self.assertEqual(len({b["metrics"]["ops_checksum"]["median"] for b in data["benchmarks"]}), 1)
        self.assertIn("replay overhead: at most", done.stdout)

    def test_ideal_gives_the_live_curve_alone(self):
        done = mmbench("trace", "replay", "--ideal", self.trace)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(f"peak live {self.info(self.trace)['peak_live']} bytes", done.stdout)
        self.assertIn("op ", done.stdout)
        done = mmbench("trace", "replay", "--ideal", "--json", self.trace)
        curve = json.loads(done.stdout)["curve"]
        self.assertEqual(max(live for _, live in curve), self.info(self.trace)["peak_live"])

    def bad_files(self):
        with open(self.trace, "rb") as f:
            good = f.read()
        cases = {
            "empty": (b"", "byte 0: empty file"),
            "magic": (b"ELF\0" + good[4:], "byte 0: wrong magic"),
            "version": (good[:8] + b"\x09\x00" + good[10:], "byte 8: unsupported trace version 9"),
            "truncated": (good[: len(good) // 2], "truncated"),
            "unknown-free": (b"mmtrace 1\nmalloc 8 0x10\nfree 0x20\n", "byte 24: free of an unknown block 0x20"),
            "no-allocation": (b"mmtrace 1\n# nothing\n", "empty trace"),
        }
        for name, (data, message) in cases.items():
            path = self.path(f"bad-{name}")
            with open(path, "wb") as f:
                f.write(data)
            yield name, path, message

    def test_bad_traces_are_one_line_and_exit_2(self):
        for name, path, message in self.bad_files():
            for args in (["info", path], ["replay", path], ["replay", "--ideal", path],
                         ["convert", path, self.path(f"out-{name}")]):
                with self.subTest(case=name, command=args[0]):
                    done = mmbench("trace", *args)
                    self.assertEqual(done.returncode, 2, done.stderr)
                    line = error_line(done)
                    self.assertTrue(line.startswith(f"mmbench: {path}: "), line)
                    self.assertIn(message, line)
                    self.assertNotIn("Traceback", done.stderr)
            self.assertFalse([n for n in os.listdir(self.tmp.name) if n.startswith(f"out-{name}")],
                             "a failed convert leaves nothing behind")

    def test_run_with_a_bad_trace_param_is_refused(self):
        _, path, message = next(c for c in self.bad_files() if c[0] == "unknown-free")
        done = mmbench("run", "--workloads", "replay", "--param", f"replay.trace={path}", "--out", self.path("never"))
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(message, error_line(done))
        self.assertFalse(os.path.exists(self.path("never")))

    def test_threads_recorded_and_forked_children_not(self):
        script = ("import os, threading\n"
                  "def work():\n    d = {str(i): [i] * 3 for i in range(3000)}\n"
                  "ts = [threading.Thread(target=work) for _ in range(3)]\n"
                  "[t.start() for t in ts]; [t.join() for t in ts]\n"
                  "pid = os.fork()\n"
                  "if pid == 0:\n    x = [str(i) for i in range(5000)]; os._exit(0)\n"
                  "os.waitpid(pid, 0)\n")
        out = self.path("threads.mmtrace")
        done = mmbench("trace", "record", "-o", out, "--process", "all", "--",
                       "env", "PYTHONMALLOC=malloc", "/usr/bin/python3", "-c", script)
        self.assertEqual(done.returncode, 0, done.stderr)
        kept = [n for n in os.listdir(self.tmp.name) if n.startswith("threads.mmtrace.")]
        infos = [self.info(self.path(n)) for n in kept]
        python = [i for i in infos if "python3" in i["command"]]
        self.assertEqual(len(python), 1, "the forked child leaves no trace: " + str([i["command"] for i in infos]))
        self.assertGreaterEqual(python[0]["threads"], 4)

    def test_record_errors(self):
        done = mmbench("trace", "record", "-o", self.path("x"), "--", "no-such-program-here")
        self.assertEqual(done.returncode, 2)
        self.assertIn("command not found: no-such-program-here", error_line(done))
        done = mmbench("trace", "record", "-o", self.path("x"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("needs a command", error_line(done))
        done = mmbench("trace", "info", self.path("missing"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("no such trace file", error_line(done))


class DefaultRunTest(unittest.TestCase):
    def test_default_run_replays_a_program_recorded_on_the_spot(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--workloads", "replay", "--allocators", "system", "--repetitions", "1",
                           "--param", "replay.min_ops=1", "--out", out)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("replay: recorded", done.stderr)
            data = results.load(out)
            trace = data["config"]["params"]["replay.trace"]
            self.assertTrue(os.path.isfile(trace), trace)
            self.assertEqual([b["name"] for b in data["benchmarks"]], ["replay/system"])
            self.assertGreater(data["benchmarks"][0]["metrics"]["peak_live"]["median"], 0)
            os.unlink(trace)


class ListTest(unittest.TestCase):
    def test_every_workload_has_metadata(self):
        done = mmbench("list", "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        workloads = {w["name"]: w for w in json.loads(done.stdout)["workloads"]}
        for name in ["gen", "pymix", "replay"]:
            self.assertIn(name, workloads)
            self.assertTrue(workloads[name]["summary"] and workloads[name]["origin"])
            self.assertEqual(workloads[name]["threads"], 1)
        preset = next(p for p in workloads["gen"]["params"] if p["name"] == "preset")
        self.assertEqual(preset["default"], "server")
        self.assertIn("steady", preset["choices"])
        done = mmbench("list")
        self.assertRegex(done.stdout, r"(?m)^  gen\s+parametric churn")
        self.assertIn("preset=server", done.stdout)

    def test_bad_text_param_is_one_line(self):
        done = mmbench("run", "--workloads", "gen", "--param", "gen.preset=huge")
        self.assertEqual(done.returncode, 2)
        self.assertIn("gen.preset=huge is invalid: want one of server|steady", error_line(done))


if __name__ == "__main__":
    unittest.main()
