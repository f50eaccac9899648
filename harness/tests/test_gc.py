"""GC workloads through ./mmbench: names, the GC table, counters that follow the design."""
import json
import os
import statistics
import subprocess
import tempfile
import unittest

from harness import paths, plan, results, table
from harness.tests.support import error_line, mmbench

GC_TINY = ["--workloads", "binary-trees,rings,nested,pymix-gc", "--repetitions", "1",
           "--param", "binary-trees.depth=4", "--param", "binary-trees.runs=1",
           "--param", "rings.rings=10", "--param", "rings.runs=2",
           "--param", "nested.objects=3000", "--param", "nested.runs=1", "--param", "nested.fanout=1",
           "--param", "pymix-gc.steps=2000", "--param", "pymix-gc.objects=300"]


class GcTableTest(unittest.TestCase):
    def test_cells_and_separation(self):
        data = {"benchmarks": [
            {"kind": "alloc", "workload": "churn", "strategy": "system", "error": None, "metrics": {}},
            {"kind": "gc", "workload": "rings", "strategy": "rc/system", "error": None,
             "metrics": {"ns_per_op": {"median": 12.3, "spread": 0.1, "n": 3, "half_width": 0.1, "unstable": True},
                         "gc_leaked": {"median": 420},
                         "pause_max_ns": {"median": 2.5e6}, "pause_p50_ns": {"median": 1500},
                         "gc_time_frac": {"median": 0.5}}},
            {"kind": "gc", "workload": "rings", "strategy": "boehm", "error": "crashed (SIGSEGV)", "metrics": {}}]}
        rows = table.gc_rows(data)
        self.assertEqual(len(rows), 3)  # heading + the two GC benchmarks, not the allocator one
        cells = dict(zip(rows[0], rows[1]))
        self.assertEqual((cells["collector"], cells["ns/object"], cells["leaked"]), ("rc/system", "12.3 ±10%!", "420"))
        self.assertEqual((cells["pause max"], cells["p50"], cells["GC time"]), ("2.50 ms", "1.5 µs", "50.0%"))
        self.assertEqual(cells["collected"], "—")
        self.assertEqual(rows[2][2], "FAILED: crashed (SIGSEGV)")
        self.assertEqual(len(table.rows(data)), 2)  # the allocator table skips GC rows
        self.assertIn("ns/object", table.text(data))


    def test_per_round_ratio_to_manual_system(self):
        def gc(strategy, times, rounds, error=None):
            return {"kind": "gc", "workload": "binary-trees", "strategy": strategy, "error": error,
                    "samples": {"ns_per_op": times}, "rounds": rounds,
                    "metrics": {"ns_per_op": {"median": statistics.median(times), "spread": 0.1, "n": len(times)}}
                    if times else {}}
        # the machine is twice as slow in round 2: medians of the columns hide what pairs show
        data = {"benchmarks": [gc("manual/system", [10.0, 20.0, 10.0], [1, 2, 3]),
                               gc("rc-gen/pool", [9.0, 18.0, 11.0], [1, 2, 3]),
                               gc("rc/pool", [8.0, 15.0], [1, 3]),  # round 2 lost: pairs 1 and 3 only
                               gc("boehm", [], [], error="crashed (SIGSEGV)")]}
        rows = table.gc_rows(data)
        self.assertEqual(rows[0][3], "vs manual/system")
        cells = {r[1]: r[3] for r in rows[1:]}
        self.assertEqual(cells["manual/system"], "1.00")
        self.assertEqual(cells["rc-gen/pool"], "0.90 [0.90, 1.10]")  # 0.9, 0.9, 1.1 and their 95% interval
        self.assertEqual(cells["rc/pool"], "1.15 [0.80, 1.50]")  # 0.8 and 15/10 = 1.5
        self.assertEqual(cells["boehm"], "")
        self.assertEqual(len({len(r) for r in rows}), 1, "every row has every column")
        # results without rounds (written before they were recorded), or no baseline: no pairs
        for b in data["benchmarks"]:
            b.pop("rounds")
        self.assertEqual({r[1]: r[3] for r in table.gc_rows(data)[1:]}["rc-gen/pool"], "—")
        data["benchmarks"] = data["benchmarks"][1:]
        self.assertNotIn("vs manual/system", table.gc_rows(data)[0])


class ConfiguredNameTest(unittest.TestCase):
    """A heap run with collector options other than the defaults is named after them."""
    class Reg:
        collectors = [{"name": "rc-gen", "options": "threshold0=2000,untrack=cpython,placement=append"},
                      {"name": "boehm", "options": ""}]

    def test_defaults_keep_the_plain_name(self):
        self.assertEqual(plan.configured("rc-gen/pool", self.Reg, {}), "rc-gen/pool")
        self.assertEqual(plan.configured("rc-gen/pool", self.Reg, {"rc-gen.untrack": "cpython",
                                                                    "binary-trees.depth": "16"}), "rc-gen/pool")
        self.assertEqual(plan.configured("boehm", self.Reg, {"rc-gen.untrack": "eager"}), "boehm")

    def test_a_deviation_shows_in_the_name(self):
        name = plan.configured("rc-gen/pool", self.Reg, {"rc-gen.untrack": "eager", "rc-gen.placement": "holder-first",
                                                         "rc-gen.threshold0": "2000"})
        self.assertEqual(name, "rc-gen[untrack=eager,placement=holder-first]/pool")
        self.assertEqual(plan.heap_of(name), "rc-gen/pool")
        self.assertEqual(plan.heap_of("rc-gen/pool"), "rc-gen/pool")


class GcListTest(unittest.TestCase):
    def test_list_json_names_the_collectors(self):
        done = mmbench("list", "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        data = json.loads(done.stdout)
        names = [c["name"] for c in data["collectors"]]
        for name in ["manual", "rc", "rc-gen", "rc-inc", "boehm"]:
            self.assertIn(name, names)
        options = {c["name"]: c["options"] for c in data["collectors"]}
        self.assertIn("untrack=cpython", options["rc-gen"])  # the defaults are CPython's
        self.assertIn("resurrection=always", options["rc-gen"])
        self.assertIn("system", data["gc_default_allocators"])
        kinds = {w["name"]: w["kind"] for w in data["workloads"]}
        self.assertEqual([kinds[w] for w in ["binary-trees", "rings", "nested", "pymix-gc"]], ["gc"] * 4)

    def test_bad_collector_input_is_one_line_and_exit_2(self):
        for args, message in [(["run", "--collectors", "nope"], "unknown collector 'nope'"),
                              (["run", "--param", "rc-gen.threshold0=x"], "rc-gen: option threshold0=x is invalid"),
                              (["run", "--param", "rc-gen.untrack=lazy"], "rc-gen: option untrack=lazy is invalid")]:
            with self.subTest(args=args):
                done = mmbench(*args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, error_line(done))


class GcRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "run")
        cls.done = mmbench("run", "--out", cls.out, *GC_TINY)
        cls.data = results.load(cls.out) if cls.done.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr)

    def bench(self, name):
        return {k: v["median"] for k, v in
                next(b for b in self.data["benchmarks"] if b["name"] == name)["metrics"].items()}

    def test_default_matrix_names(self):
        names = [b["name"] for b in self.data["benchmarks"]]
        for w in ["binary-trees", "rings", "nested", "pymix-gc"]:
            for heap in ["manual/system", "rc/system", "rc-gen/system", "rc-inc/system", "boehm"]:
                self.assertIn(f"{w}/{heap}", names)
        self.assertTrue(all(b["kind"] == "gc" and b["error"] is None for b in self.data["benchmarks"]))
        self.assertEqual([c["name"] for c in self.data["collectors"]], ["manual", "rc", "rc-gen", "rc-inc", "boehm"])

    def test_counters_follow_the_design(self):
        rings = 2 * 10 * 21
        self.assertEqual(self.bench("rings/rc/system")["gc_leaked"], rings)  # rc leaks cycles, counted
        self.assertGreaterEqual(self.bench("rings/rc-gen/system")["gc_collected"], rings)
        self.assertEqual(self.bench("rings/rc-gen/system")["gc_leaked"], 0)
        self.assertEqual(self.bench("rings/manual/system")["gc_leaked"], 0)
        self.assertGreaterEqual(self.bench("rings/boehm")["gc_collections2"], 2)
        self.assertEqual(self.bench("nested/rc-gen/system")["gc_collected"], 0)  # no garbage at all
        self.assertGreater(self.bench("pymix-gc/rc/system")["gc_leaked"], 0)  # pymix's dropped cycles
        self.assertGreater(self.bench("pymix-gc/rc-gen/system")["gc_collected"], 0)
        self.assertEqual(self.bench("pymix-gc/rc-gen/system")["gc_leaked"], 0)
        self.assertEqual(self.bench("pymix-gc/manual/system")["gc_leaked"], 0)
        for b in self.data["benchmarks"]:
            m = {k: v["median"] for k, v in b["metrics"].items()}
            self.assertEqual(m["check_failures"], 0, b["name"])
            self.assertLessEqual(m["pause_p50_ns"], m["pause_p99_ns"])
            self.assertLessEqual(m["pause_p99_ns"], m["pause_max_ns"])
            # one definition of a pause: the collections are some of the pauses
            self.assertLessEqual(m["gc_collection_pauses"], m["gc_pauses"], b["name"])
            self.assertLessEqual(m["collection_pause_max_ns"], m["pause_max_ns"], b["name"])
            self.assertLessEqual(m["collection_time_frac"], m["gc_time_frac"], b["name"])
        for heap in ["rc/system", "manual/system"]:  # no collections: their pauses are cascades
            self.assertEqual(self.bench(f"binary-trees/{heap}")["gc_collection_pauses"], 0)
        self.assertGreater(self.bench("binary-trees/rc/system")["gc_pauses"], 0)
        # rc-gen runs rc's cascades, plus collections
        self.assertGreaterEqual(self.bench("binary-trees/rc-gen/system")["gc_pauses"],
                                self.bench("binary-trees/rc/system")["gc_pauses"])

    def test_gc_table_is_separate(self):
        self.assertIn("ns/object", self.done.stdout)
        self.assertIn("pause max", self.done.stdout)
        with open(os.path.join(self.out, "table.md")) as f:
            md = f.read()
        self.assertIn("| rings | rc-gen/system |", md)
        self.assertNotIn("frag@peak", md)  # no allocator rows in this run: no allocator table
        # manual/system ran: every row compares itself with it, round by round (one round here)
        self.assertIn("vs manual/system", md)
        rc_gen = next(b for b in self.data["benchmarks"] if b["name"] == "rings/rc-gen/system")
        self.assertEqual(rc_gen["rounds"], [1])
        self.assertRegex(md, r"\| rings \| rc-gen/system \| [^|]+ \| \d+\.\d\d \|")  # one round: no interval


if __name__ == "__main__":
    unittest.main()


class PausePriorityTest(unittest.TestCase):
    """The pass whose pauses are reported runs at the normal priority, the samples at
    real-time priority: back-to-back real-time processes use up the kernel's real-time
    share, and its throttle (a stop of up to 50 ms) landed inside timed pauses."""

    def test_the_counted_pass_leaves_real_time_priority_and_the_samples_keep_it(self):
        done = subprocess.run([paths.bench_binary(), "--benchmark_filter=^binary-trees/rc-gen/pool/",
                               "--param=binary-trees.depth=6", "--param=binary-trees.runs=1", "--samples=2",
                               "--warmups=0", "--realtime", "--benchmark_format=json"],
                              capture_output=True, text=True, check=True)
        run = json.loads(done.stdout)["benchmarks"][0]
        if not run["realtime"]:
            self.skipTest("this user may not use real-time priority (root, CAP_SYS_NICE or RLIMIT_RTPRIO)")
        self.assertEqual(run["pauses_realtime"], 0)
        self.assertGreater(run["gc_pauses"], 0)
