"""./mmbench run end to end, on a tiny configuration."""
import csv
import json
import os
import tempfile
import unittest

from harness import results
from harness.tests.support import TINY, mmbench


class RunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "run")
        # scoped to the two foundation strategies and churn, so new ones do not change the expectations
        cls.done = mmbench("run", "--out", cls.out, "--allocators", "system,bump", "--workloads", "churn",
                       "--hyperfine-runs", "3", *TINY, "--param", "bump.chunk=4M")
        cls.data = results.load(cls.out) if cls.done.returncode == 0 else None
        cls.strategies = ["system", "bump"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr)

    def test_writes_the_documented_files(self):
        for name in ["results.json", "table.md", "table.csv"]:
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        raw = sorted(os.listdir(os.path.join(self.out, "raw")))
        gbench = sorted(f"churn.{s}.gbench.{r}.json" for s in self.strategies for r in [1, 2])
        hyperfine = sorted(f"churn.{s}.hyperfine.1.json" for s in self.strategies)
        self.assertEqual(raw, sorted(gbench + hyperfine))
        for name in gbench:  # Google Benchmark's JSON, untouched
            with open(os.path.join(self.out, "raw", name)) as f:
                self.assertIn("benchmarks", json.load(f))
        for name in hyperfine:  # hyperfine's JSON beside it
            with open(os.path.join(self.out, "raw", name)) as f:
                self.assertEqual(len(json.load(f)["results"][0]["times"]), 3)
        self.assertFalse([n for n in os.listdir(self.tmp.name) if "partial" in n])

    def test_every_strategy_has_every_metric(self):
        names = [b["name"] for b in self.data["benchmarks"]]
        self.assertEqual(names, [f"churn/{s}" for s in self.strategies])
        for b in self.data["benchmarks"]:
            self.assertIsNone(b["error"])
            for key in ["ns_per_op", "peak_live", "peak_footprint", "frag", "frag_at_peak", "internal_frag",
                        "rss_peak"]:
                self.assertIsNotNone(b["metrics"].get(key), f"{b['name']} {key}")
            self.assertEqual(len(b["samples"]["ns_per_op"]), 2)
            self.assertGreater(b["metrics"]["ns_per_op"]["median"], 0)
            self.assertEqual(b["metrics"]["check_failures"]["max"], 0)
            self.assertEqual(b["status"], "ok")
            self.assertEqual(len(b["samples"]["process_s"]), 3)  # hyperfine's runs
            self.assertGreater(b["metrics"]["process_rss_peak"]["median"], 0)  # from wait4, not the process
            self.assertIn("unstable", b["metrics"]["ns_per_op"])
            # the process's own accounting (wait4's rusage), every repetition: a process that maps
            # and touches a live set faults pages in and spends CPU time
            for key in ["user_seconds", "sys_seconds", "minor_faults", "major_faults"]:
                self.assertEqual(len(b["samples"][key]), 2, f"{b['name']} {key}")
            self.assertGreater(b["metrics"]["minor_faults"]["min"], 100)
            self.assertGreater(b["metrics"]["user_seconds"]["max"] + b["metrics"]["sys_seconds"]["max"], 0)
            self.assertGreaterEqual(b["metrics"]["major_faults"]["min"], 0)

    def test_same_seed_same_operations_for_every_strategy(self):
        sums = {b["strategy"]: b["metrics"]["ops_checksum"]["median"] for b in self.data["benchmarks"]}
        self.assertEqual(len(set(sums.values())), 1, sums)
        live = {b["strategy"]: b["metrics"]["peak_live"]["median"] for b in self.data["benchmarks"]}
        self.assertEqual(len(set(live.values())), 1, live)

    def test_metrics_follow_their_definitions(self):
        for b in self.data["benchmarks"]:
            m = {k: v["median"] for k, v in b["metrics"].items()}
            self.assertAlmostEqual(m["frag"], m["peak_footprint"] / m["peak_live"] - 1, places=6)
            self.assertGreaterEqual(m["internal_frag"], 0)
        bump = next(b for b in self.data["benchmarks"] if b["strategy"] == "bump")["metrics"]
        # bump never frees: 2000 replacements of 16..512 B blocks stay mapped beside the live set
        self.assertGreater(bump["peak_footprint"]["median"], bump["peak_live"]["median"] * 2)

    def test_records_environment_and_parameters(self):
        env = self.data["environment"]
        for key in ["cpu", "cores", "kernel", "compiler", "compiler_flags", "libraries", "git_revision",
                    "git_dirty", "load_average", "cpu_governor", "aslr"]:
            self.assertIn(key, env)
        self.assertRegex(env["git_revision"], "^[0-9a-f]{40}$")
        self.assertEqual("git_diff_sha256" in env, env["git_dirty"])  # a hash of the changes, when changed
        self.assertEqual(self.data["config"]["inputs"], {})  # no parameter names a file here
        self.assertEqual(self.data["workloads"][0]["params"]["live"], 500)
        self.assertEqual(self.data["config"]["repetitions"], 2)
        self.assertTrue(self.data["complete"])
        # each benchmark records the parameters that concern it: its workload's and its strategy's
        params = {b["strategy"]: b["params"] for b in self.data["benchmarks"]}
        self.assertEqual(params["system"], {"churn.live": "500", "churn.steps": "2000"})
        self.assertEqual(params["bump"], {"churn.live": "500", "churn.steps": "2000", "bump.chunk": "4M"})
        self.assertEqual(self.data["config"]["params"]["bump.chunk"], "4M")

    def test_tables_agree_with_results(self):
        with open(os.path.join(self.out, "table.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([r["strategy"] for r in rows], self.strategies)
        for row, b in zip(rows, self.data["benchmarks"]):
            self.assertAlmostEqual(float(row["ns_per_op"]), b["metrics"]["ns_per_op"]["median"], delta=1e-3)
            self.assertAlmostEqual(float(row["minor_faults"]), b["metrics"]["minor_faults"]["median"], delta=1)
        with open(os.path.join(self.out, "table.md")) as f:
            md = f.read()
        self.assertIn("| churn | bump |", md)
        self.assertIn("| churn | bump |", md)
        self.assertIn("churn     system", self.done.stdout)


if __name__ == "__main__":
    unittest.main()
