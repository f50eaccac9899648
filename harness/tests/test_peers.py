"""Peers run as the process's malloc: a run starts each peer's benchmark process with the
peer's library preloaded, for every kind of measurement (Google Benchmark, hyperfine,
callgrind). Where a library is missing (simulated with MMBENCH_UNAVAILABLE, read by
allocators/peers.c) a peer is listed as unavailable with the reason, skipped by a run with
a note (not an error), and refused by ./mmbench preload with the reason."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import results
from harness.registry import Registry
from harness.tests.support import MMBENCH, TINY, error_line

ENV = dict(os.environ, MMBENCH_UNAVAILABLE="jemalloc")


def mmbench(*args):
    return subprocess.run([MMBENCH, *args], capture_output=True, text=True, timeout=600, env=ENV,
                          stdin=subprocess.DEVNULL)


class MissingPeerTest(unittest.TestCase):
    def test_list_says_unavailable_and_why(self):
        done = mmbench("list", "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        by_name = {s["name"]: s for s in json.loads(done.stdout)["allocators"]}
        self.assertFalse(by_name["jemalloc"]["available"])
        self.assertIn("MMBENCH_UNAVAILABLE", by_name["jemalloc"]["unavailable"])
        self.assertNotIn("library", by_name["jemalloc"])
        self.assertTrue(by_name["system"]["available"])
        text = mmbench("list").stdout
        self.assertIn("UNAVAILABLE here", text)

    def test_run_skips_it_with_a_note(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--allocators", "system,jemalloc", "--workloads", "churn",
                           "--param", "churn.live=100", "--param", "churn.steps=1000", "--repetitions", "1",
                           "--programs", "none")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("skipping jemalloc", done.stderr)
            data = results.load(out)
            self.assertEqual([b["strategy"] for b in data["benchmarks"]], ["system"])
            self.assertIn("jemalloc", data["skipped"])

    def test_preload_refuses_it_with_the_reason(self):
        done = mmbench("preload", "jemalloc", "--", "true")
        self.assertEqual(done.returncode, 1)
        self.assertIn("jemalloc is unavailable", error_line(done))


class PreloadedPeerTest(unittest.TestCase):
    def test_a_run_measures_the_peer_as_the_process_malloc(self):
        peer = next((s for s in Registry.load().strategies if s.get("library") and s.get("available")), None)
        if peer is None:
            self.skipTest("no peer library is installed here")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = subprocess.run([MMBENCH, "run", "--out", out, "--allocators", peer["name"], *TINY,
                                   "--repetitions", "1", "--hyperfine-runs", "1", "--counts"],
                                  capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            self.assertEqual(done.returncode, 0, done.stderr[-2000:])
            data = results.load(out)
            self.assertEqual(data["config"]["preload"][peer["name"]], peer["library"])
            bench = data["benchmarks"][0]
            self.assertFalse(bench.get("error"), bench.get("error"))
            for metric in ("ns_per_op", "process_s", "instructions_per_op", "peak_footprint"):
                self.assertIn(metric, bench["metrics"], f"{metric} measured with {peer['name']} preloaded")


if __name__ == "__main__":
    unittest.main()
