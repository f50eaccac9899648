"""bump is the floor of allocator work: under callgrind (./mmbench run --counts, every
step run, no budget) it executes fewer instructions per operation than every other
strategy, the peers as the process's malloc included, on churn and on pair (docs/bump.md).
Exact counts, so the claim is held exactly; wall time is the benchmarks' to show."""
import os
import shutil
import tempfile
import unittest

from harness import results
from harness.tests.support import mmbench

SMALL = ["--workloads", "churn,pair", "--param", "churn.live=5000", "--param", "churn.steps=20000",
         "--param", "pair.steps=100000", "--budget", "0", "--repetitions", "1", "--hyperfine-runs", "0",
         "--counts", "--sweep", "none", "--no-charts", "--warmup", "0", "--programs", "none"]


class FloorTest(unittest.TestCase):
    def test_bump_executes_the_fewest_instructions_per_operation(self):
        if shutil.which("valgrind") is None:
            self.skipTest("valgrind is not installed (./mmbench test installs it)")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, *SMALL, timeout=1800)
            self.assertEqual(done.returncode, 0, done.stderr[-2000:])
            data = results.load(out)
        for workload in ("churn", "pair"):
            counts = {b["strategy"]: b["metrics"]["instructions_per_op"]["median"]
                      for b in data["benchmarks"] if b["workload"] == workload}
            self.assertIn("bump", counts)
            self.assertGreater(len(counts), 8, f"every strategy counted on {workload}: {sorted(counts)}")
            for strategy, count in counts.items():
                if strategy != "bump":
                    self.assertLess(counts["bump"], count, f"{workload}: bump {counts['bump']:.1f} instructions/op, "
                                                           f"{strategy} {count:.1f}")


if __name__ == "__main__":
    unittest.main()
