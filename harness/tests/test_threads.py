"""The thread workloads (workloads/threads.c) through ./mmbench run: every thread count
runs on a thread-safe strategy (system, bare) and a single-threaded one (bump, behind the
lock), with the same operations on both."""
import os
import tempfile
import unittest

from harness import results
from harness.tests.support import mmbench

WORKLOADS = ["larson-1", "larson-2", "larson-n", "prodcons-1", "prodcons-2", "prodcons-n"]


class ThreadWorkloadsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, "run")
        params = [a for w in WORKLOADS for a in ("--param", f"{w}.steps=2000", "--param", f"{w}.live=300")]
        cls.done = mmbench("run", "--out", out, "--workloads", ",".join(WORKLOADS), "--allocators", "system,bump",
                           "--repetitions", "1", "--programs", "none", *params)
        cls.data = results.load(out) if cls.done.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr[-2000:])

    def by_workload(self):
        out = {}
        for b in self.data["benchmarks"]:
            out.setdefault(b["workload"], {})[b["strategy"]] = {k: v["median"] for k, v in b["metrics"].items()}
        return out

    def test_every_thread_count_runs_on_both_kinds_of_strategy(self):
        self.assertEqual(sorted(self.by_workload()), sorted(WORKLOADS))
        for b in self.data["benchmarks"]:
            self.assertIsNone(b["error"], b["name"])
            self.assertEqual(b["metrics"]["check_failures"]["max"], 0, b["name"])

    def test_same_operations_on_every_strategy(self):
        for workload, runs in self.by_workload().items():
            self.assertEqual(runs["system"]["ops_checksum"], runs["bump"]["ops_checksum"], workload)
            self.assertEqual(runs["system"]["peak_live"], runs["bump"]["peak_live"], workload)

    def test_more_threads_keep_more_alive(self):
        w = self.by_workload()
        threads = {x["name"]: x["threads"] for x in self.data["workloads"]}
        for shape in ("larson", "prodcons"):
            one, two, n = (w[f"{shape}-{k}"]["bump"]["peak_live"] for k in ("1", "2", "n"))
            self.assertAlmostEqual(two / one, 2, delta=0.2, msg=shape)
            self.assertAlmostEqual(n / one, threads[f"{shape}-n"], delta=0.2 * threads[f"{shape}-n"], msg=shape)


if __name__ == "__main__":
    unittest.main()
