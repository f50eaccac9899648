"""The thread workloads (workloads/threads.c) through ./mmbench run: every thread count and
both ways an in-house strategy serves threads (per-thread heaps, and -shared: one heap
behind one lock) run on a thread-safe strategy (system, bare), a single-threaded one that
frees (pool) and one that does not (bump), with the same operations everywhere; and the
false-sharing pair."""
import os
import subprocess
import tempfile
import unittest

from harness import paths, results
from harness.tests.support import mmbench

CHURNING = ["larson-1", "larson-2", "larson-n", "prodcons-1", "prodcons-2", "prodcons-n"]
SHARING = ["cache-thrash-2", "cache-scratch-2"]
WORKLOADS = [w + variant for w in CHURNING + SHARING for variant in ("", "-shared")]
STRATEGIES = ["system", "bump", "pool"]


class ThreadWorkloadsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, "run")
        params = []
        for w in WORKLOADS:
            small = ("steps=2000", "live=300") if w.split("-")[0] in ("larson", "prodcons") else ("steps=1000", "writes=20")
            params += [a for kv in small for a in ("--param", f"{w}.{kv}")]
        cls.done = mmbench("run", "--out", out, "--workloads", ",".join(WORKLOADS), "--allocators",
                           ",".join(STRATEGIES), "--repetitions", "1", "--programs", "none", "--hyperfine-runs", "0",
                           "--sweep", "none", "--no-charts", *params)
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

    def test_every_workload_runs_on_every_kind_of_strategy(self):
        self.assertEqual(sorted(self.by_workload()), sorted(WORKLOADS))
        for b in self.data["benchmarks"]:
            self.assertIsNone(b["error"], b["name"])
            self.assertEqual(b["metrics"]["check_failures"]["max"], 0, b["name"])

    def test_same_operations_on_every_strategy_and_both_variants(self):
        w = self.by_workload()
        for workload, runs in w.items():
            base = workload.removesuffix("-shared")
            for s in STRATEGIES:
                self.assertEqual(runs[s]["ops_checksum"], w[base]["system"]["ops_checksum"], f"{workload}/{s}")
                self.assertEqual(runs[s]["peak_live"], w[base]["system"]["peak_live"], f"{workload}/{s}")

    def test_more_threads_keep_more_alive(self):
        w = self.by_workload()
        threads = {x["name"]: x["threads"] for x in self.data["workloads"]}
        for shape in ("larson", "prodcons"):
            one, two, n = (w[f"{shape}-{k}"]["bump"]["peak_live"] for k in ("1", "2", "n"))
            self.assertAlmostEqual(two / one, 2, delta=0.2, msg=shape)
            self.assertAlmostEqual(n / one, threads[f"{shape}-n"], delta=0.2 * threads[f"{shape}-n"], msg=shape)
            self.assertEqual(threads[f"{shape}-n"], 2 * os.cpu_count(), "N is twice the cores")

    def test_per_thread_heaps_hold_a_heap_per_thread(self):
        # pool on 2 threads: each thread's heap maps an arena of its own, where the shared
        # heap makes do with one; at 1 thread the two hold the same plus the layer's pages
        w = self.by_workload()
        for shape in ("larson", "prodcons"):
            shared, own = w[f"{shape}-2-shared"]["pool"], w[f"{shape}-2"]["pool"]
            self.assertGreater(own["peak_footprint"], 1.5 * shared["peak_footprint"], shape)
            one_shared, one_own = w[f"{shape}-1-shared"]["pool"], w[f"{shape}-1"]["pool"]
            self.assertLess(one_own["peak_footprint"], 1.2 * one_shared["peak_footprint"], shape)


if __name__ == "__main__":
    unittest.main()


class RefusedPairTest(unittest.TestCase):
    """A workload that refuses a strategy (`large` on bump, which never frees) is left out
    of the run, its reason in results.json's "skipped", never run and reported as a
    failure: a plain run on a fresh machine exits 0 (and says nothing of it on stderr,
    where a bad input's error stays the one line)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        out = os.path.join(cls.tmp.name, "run")
        cls.done = mmbench("run", "--out", out, "--workloads", "large", "--allocators", "bump,pool",
                           "--param", "large.steps=20", "--param", "large.live=2", "--param", "large.min_size=65536",
                           "--param", "large.max_size=131072", "--repetitions", "1", "--programs", "none",
                           "--sweep", "none", "--no-charts")
        cls.data = results.load(out) if cls.done.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_run_leaves_the_pair_out_and_says_why(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr[-2000:])
        self.assertEqual([b["name"] for b in self.data["benchmarks"]], ["large/pool"])
        self.assertIn("never frees", self.data["skipped"]["large/bump"])

    def test_the_binary_registers_no_such_benchmark(self):
        listed = subprocess.run([paths.bench_binary(), "--benchmark_list_tests=true"], capture_output=True, text=True,
                                check=True).stdout.split()
        listed = [name.split("/iterations:")[0] for name in listed]  # Google Benchmark's suffix
        self.assertIn("large/pool", listed)
        self.assertNotIn("large/bump", listed)
