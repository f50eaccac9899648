"""The counted run (--counts) does the whole fixed workload for every strategy, whatever
the time budget, and says when its runaway guard stopped it; its estimated cycles come
from valgrind's cache simulation."""
import os
import tempfile
import unittest

from harness import results
from harness.tests.support import mmbench

# a budget so small that the metered pass is cut (it is checked every 16 iterations of 1000 steps)
CUT = ["--workloads", "churn,pair", "--allocators", "system,bump,first-fit", "--param", "churn.live=500",
       "--param", "churn.steps=200000", "--param", "pair.steps=400000", "--repetitions", "1", "--warmup", "0",
       "--hyperfine-runs", "0", "--sweep", "none", "--programs", "none", "--no-charts", "--budget", "0.001",
       "--counts"]


class CountsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.whole, cls.guarded = (os.path.join(cls.tmp.name, n) for n in ("whole", "guarded"))
        cls.done = [mmbench("run", "--out", cls.whole, *CUT),
                    mmbench("run", "--out", cls.guarded, *CUT, env={"MMBENCH_COUNTS_GUARD": "0.0001"})]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        for done in self.done:
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])

    def test_every_strategy_is_counted_over_the_same_whole_workload(self):
        data = results.load(self.whole)
        cut = [b["name"] for b in data["benchmarks"] if min(b["samples"]["completed"]) < 1]
        self.assertIn("churn/first-fit", cut)  # the budget cut the timed runs (first-fit, at least) ...
        for workload in ("churn", "pair"):
            entries = [b for b in data["benchmarks"] if b["workload"] == workload]
            self.assertEqual(len(entries), 3)
            ops = {b["strategy"]: b["samples"]["ops"] for b in entries}
            self.assertEqual(len({tuple(v) for v in ops.values()}), 1, ops)  # ... but not the counted run
            for b in entries:
                self.assertEqual(b["samples"]["counts_completed"], [1.0], b["name"])
                # every instruction costs at least a cycle, and memory accesses more
                self.assertGreater(b["samples"]["cycles_per_op"][0], b["samples"]["instructions_per_op"][0])
        pair = next(b for b in data["benchmarks"] if b["name"] == "pair/system")
        self.assertEqual(pair["samples"]["ops"], [800000])  # 400000 steps, an alloc and a free each
        with open(os.path.join(self.whole, "raw", "churn.bump.counts.1.callgrind.txt")) as f:
            events = dict(line.split() for line in f)
        self.assertEqual(set(events) >= {"Ir", "D1mr", "DLmr", "estimated_cycles", "ops"}, True)

    def test_a_run_that_hits_the_runaway_guard_is_marked_and_not_compared(self):
        data = results.load(self.guarded)
        churn = next(b for b in data["benchmarks"] if b["name"] == "churn/first-fit")
        self.assertLess(churn["samples"]["counts_completed"][0], 1)
        with open(os.path.join(self.guarded, "table.md")) as f:
            table = f.read()
        self.assertIn("[guard: ", table)
        self.assertIn("runaway guard", table)
        done = mmbench("compare", self.whole, self.guarded)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("`churn/first-fit`: its counted run hit the runaway guard", done.stdout)
        self.assertNotIn("| `churn/first-fit` | instructions/op", done.stdout)


if __name__ == "__main__":
    unittest.main()


class SweepCountsTest(unittest.TestCase):
    """A sweep's points are counted like the main benchmarks, and a collector workload's
    points are collector entries (kind gc), as its main benchmark is."""

    def test_each_point_is_counted_and_keeps_its_workloads_kind(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--workloads", "binary-trees", "--collectors", "rc",
                           "--allocators", "pool", "--param", "binary-trees.depth=8", "--param", "binary-trees.runs=1",
                           "--sweep", "binary-trees.depth=6,8", "--repetitions", "1", "--warmup", "0",
                           "--programs", "none", "--no-charts", "--counts")
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])
            data = results.load(out)
        main = next(b for b in data["benchmarks"] if b["name"] == "binary-trees/rc/pool")
        point = next(b for b in data["sweep"] if b["name"] == "binary-trees/rc/pool/depth=6")
        self.assertEqual((main["kind"], point["kind"]), ("gc", "gc"))
        for entry in (main, point):
            self.assertEqual(entry["samples"]["counts_completed"], [1.0], entry["name"])
        # a tree of depth 6 is a quarter of one of depth 8: fewer instructions in all
        self.assertLess(point["samples"]["instructions_per_op"][0] * point["samples"]["ops"][0],
                        main["samples"]["instructions_per_op"][0] * main["samples"]["ops"][0])
