"""Charts from synthetic results: one figure per metric and one panel per workload, the same
look for a name in every run, log axes where values spread, bump's line and the footnotes
drawn, and files that fit a slide, a page and a paper column."""
import csv
import os
import struct
import tempfile
import unittest

from harness import metrics, plot, report, stats

ALLOCATORS = ["system", "bump", "pool", "buddy", "first-fit", "first-fit-ao", "next-fit", "best-fit", "jemalloc",
              "mimalloc", "tcmalloc"]
HEAPS = ["manual/system", "manual/pool", "rc/system", "rc/pool", "rc-gen/system", "rc-gen/pool", "boehm"]
WORKLOADS = ["churn", "pair", "gen", "pymix", "replay", "larson-1", "larson-2", "larson-n", "prodcons-1", "prodcons-2",
             "prodcons-n"]
GC_WORKLOADS = ["binary-trees", "rings", "nested", "pymix-gc"]


def entry(workload, strategy, kind="alloc", rounds=None, **samples):
    b = {"name": f"{workload}/{strategy}", "workload": workload, "strategy": strategy, "kind": kind, "error": None,
         "status": "ok", "samples": samples, "metrics": {k: stats.summary(v) for k, v in samples.items()}}
    if rounds:
        b["rounds"] = rounds
    return b


def synthetic(strategies=ALLOCATORS, workloads=("churn", "pair"), heaps=(), gc_workloads=(), sweep=True,
              repetitions=4):
    """Results shaped like a real run's: every strategy on every workload, pair's live set
    under the fragmentation threshold, times spread over three decades (first-fit's), bump
    the fastest and the biggest, the collectors' pauses, a sweep of churn.live."""
    data = {"schema": "mmbench.results/1", "created": "2026-01-02T03:04:05+00:00",
            "command": ["./mmbench", "run"], "config": {"suite": "default", "repetitions": repetitions, "budget": 1.0},
            "environment": {"cpu": "Test CPU", "cores": 2, "load_average": [0.78564453125, 0.9458, 1.979],
                            "libraries": {"libc6": "2.36"}, "git_revision": "0123456789abcdef0123", "git_dirty": False},
            "strategies": [{"name": s} for s in strategies], "benchmarks": [], "sweep": [],
            "workloads": [{"name": "churn", "params": {"live": 100000}}]}
    rounds = list(range(1, repetitions + 1))
    for w in workloads:
        live = 500 if w == "pair" else 26_000_000
        for i, s in enumerate(strategies):
            base = {"first-fit": 18000.0, "bump": 8.0}.get(s, 20.0 + 7 * i)
            times = [base * (1 + 0.02 * r) for r in rounds]
            footprint = live * (40 if s == "bump" else 1 + 0.05 * (i + 1))
            samples = dict(ns_per_op=times, peak_live=[live] * repetitions, peak_footprint=[footprint] * repetitions,
                           internal_frag=[0.03] * repetitions, completed=[1.0] * repetitions)
            if live >= metrics.FRAG_MIN_LIVE:
                samples.update(frag=[footprint / live - 1] * repetitions, frag_at_peak=[footprint / live - 1] * repetitions)
            data["benchmarks"].append(entry(w, s, rounds=rounds, **samples))
    for w in gc_workloads:
        for i, h in enumerate(heaps):
            times = [40.0 + 5 * i + r for r in rounds]
            samples = dict(ns_per_op=times, peak_footprint=[2 ** 22] * repetitions)
            if not h.startswith("manual"):
                samples.update(pause_p50_ns=[500.0 * (i + 1)] * repetitions, pause_p99_ns=[9000.0 * (i + 1)] * repetitions,
                               pause_max_ns=[2e6 * (i + 1)] * repetitions)
            data["benchmarks"].append(entry(w, h, kind="gc", rounds=rounds, **samples))
    if sweep and "churn" in workloads:
        for s in strategies:
            for live in (1000, 10000, 1000000):
                e = entry("churn", s, ns_per_op=[5.0 + live / (10 if s == "first-fit" else 10000)] * 2)
                e["name"] += f"/live={live}"
                e["sweep"] = {"param": "live", "value": live}
                data["sweep"].append(e)
    return data


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


class LooksTest(unittest.TestCase):
    def test_a_name_looks_the_same_whatever_else_ran(self):
        alone = plot.figures(synthetic(["pool", "system"]))[0]
        crowd = plot.figures(synthetic(ALLOCATORS))[0]
        self.assertEqual(plot.look("pool"), plot.ALLOCATOR_LOOKS["pool"])
        self.assertEqual(alone.names(), ["system", "pool"])  # rows in the one fixed order, whatever the run's
        self.assertEqual(crowd.names()[:3], ["system", "pool", "buddy"])

    def test_every_known_name_has_its_own_colour_and_marker(self):
        for table in (plot.ALLOCATOR_LOOKS, plot.COLLECTOR_LOOKS):
            looks = list(table.values())
            self.assertEqual(len({lk.colour for lk in looks}), len(looks))
        allocators = list(plot.ALLOCATOR_LOOKS.values())
        self.assertEqual(len({lk.marker for lk in allocators}), len(allocators))
        self.assertFalse({lk.colour for lk in allocators} & {lk.colour for lk in plot.COLLECTOR_LOOKS.values()})

    def test_heaps_take_the_collector_colour_and_allocator_marker(self):
        heap = plot.look("rc-gen/pool")
        self.assertEqual(heap.colour, plot.COLLECTOR_LOOKS["rc-gen"].colour)
        self.assertEqual(heap.marker, plot.ALLOCATOR_LOOKS["pool"].marker)
        self.assertNotEqual(plot.look("rc-gen/system").marker, heap.marker)

    def test_peers_are_hollow_and_in_house_strategies_are_not(self):
        self.assertEqual({n for n in ALLOCATORS + HEAPS if not plot.look(n).built_here},
                         {"system", "jemalloc", "mimalloc", "tcmalloc", "boehm"})

    def test_an_unknown_name_gets_the_same_look_every_time(self):
        self.assertEqual(plot.look("my-new-allocator"), plot.look("my-new-allocator"))
        self.assertIn(plot.look("my-new-allocator").colour, plot.SPARE_COLOURS)
        self.assertGreater(plot.order_key("my-new-allocator"), plot.order_key("tcmalloc"))


class FiguresTest(unittest.TestCase):
    def test_a_figure_per_metric_a_panel_per_workload(self):
        data = synthetic(workloads=WORKLOADS, heaps=HEAPS, gc_workloads=GC_WORKLOADS)
        figs = {f.name: f for f in plot.figures(data)}
        self.assertEqual(list(figs), [make.__name__ for make in plot.FIGURES])
        self.assertEqual([p.title for p in figs["time_per_op"].panels], WORKLOADS)
        self.assertEqual([p.title for p in figs["pauses"].panels], GC_WORKLOADS)
        self.assertEqual(figs["pauses"].axis, "pause (µs)")  # time on the axis; counts are the tables'
        self.assertNotIn("manual/system", figs["pauses"].names())  # no collector, no pauses
        self.assertEqual(figs["pauses"].panels[0].series["rc/system"], (1.5, 27.0, 6000.0))

    def test_without_collectors_or_sweep_there_are_no_such_figures(self):
        names = [f.name for f in plot.figures(synthetic(sweep=False))]
        self.assertEqual(names, ["time_per_op", "fragmentation", "time_vs_memory"])
        self.assertEqual(plot.figures({"benchmarks": []}), [])

    def test_a_one_panel_figure_is_as_wide_as_its_title_and_notes(self):
        data = synthetic(workloads=("churn",), heaps=HEAPS, gc_workloads=("binary-trees",))
        style = plot.STYLES["default"][0]
        long_note = "dot: p50; thick to p99; thin to the longest pause (the heap's marker), a long line"
        for fig in plot.figures(data):
            lay = plot.layout(fig, style, [], [long_note])
            self.assertGreaterEqual(lay.width + 1e-9, plot._text_w(fig.title, style, 1.35) + 0.2, fig.name)
            self.assertGreaterEqual(lay.width + 1e-9, plot._legend_block([long_note], style, 0)[2] + 0.2, fig.name)
            self.assertLessEqual(lay.width, style.width, fig.name)

    def test_bump_is_a_line_not_a_dot_and_never_called_a_floor_of_time(self):
        data = synthetic()
        churn = plot.time_per_op(data).panels[0]
        self.assertNotIn("bump", churn.series)
        self.assertAlmostEqual(churn.floor, 8.0 * 1.05)
        self.assertEqual(plot.time_vs_memory(data).panels[0].floor, churn.floor)
        # where a strategy that frees is faster than bump (reuse keeps its blocks in cache),
        # the line is still drawn, and no note or caption says nothing can pass it
        for b in data["benchmarks"]:
            if b["strategy"] == "pool" and b["workload"] == "churn":
                b["metrics"]["ns_per_op"] = stats.summary([churn.floor / 2] * 4)
        churn = plot.time_per_op(data).panels[0]
        self.assertLess(churn.series["pool"][0], churn.floor)
        notes = dict(plot.time_per_op(data).notes)
        self.assertIn("frees nothing", notes["floor"])
        self.assertIn("not a floor of time", notes["floor"])
        self.assertIn("not a floor of time", dict(plot.time_vs_memory(data).notes)["floor"])
        self.assertIn("can come in under it", report.CAPTIONS["time_per_op"])
        frag = plot.fragmentation(data)
        self.assertNotIn("bump", frag.names())
        self.assertTrue(any("bump left out" in text for _, text in frag.notes))

    def test_a_small_live_set_is_too_small_to_judge(self):
        for figure in (plot.fragmentation, plot.time_vs_memory):
            pair = figure(synthetic()).panels[1]
            self.assertEqual(pair.title, "pair")
            self.assertEqual(pair.series, {})
            self.assertIn("too small to judge", pair.note)
        self.assertIn("system", plot.time_per_op(synthetic()).panels[1].series)  # its time is still judged

    def test_whiskers_are_the_interval_when_recorded_else_min_max(self):
        data = synthetic(["system", "pool"], sweep=False)
        self.assertEqual(plot.time_per_op(data).notes[0][1], "whiskers: min to max of the repetitions")
        m = data["benchmarks"][0]["metrics"]["ns_per_op"]
        self.assertEqual(stats.whisker(m), (m["min"], m["max"], "range"))
        m["ci95"] = [26.0, 27.0]
        self.assertEqual(stats.whisker(m), (26.0, 27.0, "ci"))
        self.assertEqual(plot.time_per_op(data).panels[0].series["system"], (m["median"], 26.0, 27.0))
        self.assertIn("min to max where none was recorded", plot.time_per_op(data).notes[0][1])
        for b in data["benchmarks"]:
            b["metrics"]["ns_per_op"]["ci95"] = [1.0, 2.0]
        self.assertEqual(plot.time_per_op(data).notes[0][1], "whiskers: 95% interval of the median")
        self.assertEqual(stats.whisker({"median": 3.0, "n": 1}), (None, None, None))

    def test_log_axes_only_where_values_span_more_than_20x(self):
        self.assertTrue(plot._log([1.0, 25.0]))
        self.assertFalse(plot._log([1.0, 19.0]))
        self.assertFalse(plot._log([]))

    def test_pareto_front(self):
        self.assertEqual(plot.pareto([(1, 10), (2, 5), (3, 6), (4, 1), (5, 1)]), [0, 1, 3])

    def test_tick_labels_have_no_exponents(self):
        self.assertEqual([plot._tick(v) for v in (0.5, 20, 4000, 50000, 6e6)], ["0.5", "20", "4000", "50k", "6M"])

    def test_failed_benchmarks_are_left_out(self):
        data = synthetic(["system", "pool"], sweep=False)
        data["benchmarks"][0] = dict(data["benchmarks"][0], error="crashed (SIGSEGV)", metrics={}, samples={})
        self.assertEqual(list(plot.time_per_op(data).panels[0].series), ["pool"])


class DrawingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        full = synthetic(workloads=WORKLOADS, heaps=HEAPS, gc_workloads=GC_WORKLOADS)  # a default run's size
        small = synthetic(workloads=WORKLOADS[:3], heaps=HEAPS, gc_workloads=GC_WORKLOADS[:2])
        cls.made = {style: plot.make_all(full if style == "default" else small, os.path.join(cls.tmp.name, style), style)
                    for style in plot.STYLES}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_default_charts_fit_a_slide_and_a_page(self):
        made = self.made["default"]
        names = [make.__name__ for make in plot.FIGURES]
        self.assertEqual(sorted(os.path.basename(p) for p in made), sorted(f"{n}.{f}" for n in names for f in ("png", "svg")))
        for png in (p for p in made if p.endswith(".png")):
            width, height = png_size(png)
            self.assertLessEqual(width, 2400, png)
            self.assertLessEqual(height, width, png)  # never a strip, never a tower
            self.assertGreater(height, width / 4, png)
        for svg in (p for p in made if p.endswith(".svg")):
            with open(svg) as f:
                text = f.read()
            self.assertIn("<svg", text[:2000])
            self.assertNotIn("<dc:date>", text)  # reproducible

    def test_slides_are_16_by_9(self):
        pngs = [p for p in self.made["slide"] if p.endswith(".png")]
        self.assertEqual(len(pngs), len(plot.FIGURES))
        for png in pngs:
            self.assertEqual(png_size(png), (1920, 1080), png)
        self.assertTrue(all(os.path.exists(p[:-4] + ".pdf") for p in pngs))

    def test_paper_figures_one_and_two_columns_and_their_numbers(self):
        made = [os.path.basename(p) for p in self.made["paper"]]
        self.assertIn("time_per_op-2col.pdf", made)
        self.assertIn("time_per_op-churn-1col.pdf", made)  # a column holds one workload
        self.assertIn("time_per_op-churn-1col.svg", made)
        self.assertNotIn("fragmentation-pair-1col.pdf", made)  # too small to judge: no figure
        self.assertNotIn("time_vs_memory-pair-1col.pdf", made)
        self.assertIn("cost_growth-1col.pdf", made)  # one panel: the figure itself
        for p in self.made["paper"]:
            if p.endswith(".pdf"):
                with open(p, "rb") as f:
                    self.assertEqual(f.read(5), b"%PDF-")
        with open(os.path.join(self.tmp.name, "paper", "charts", "paper", "time_per_op.csv")) as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0][:4], ["strategy", "churn-median", "churn-low", "churn-high"])
        self.assertEqual([r[0] for r in rows[1:]], [s for s in ALLOCATORS if s != "bump"])
        first_fit = dict(zip(rows[0], next(r for r in rows if r[0] == "first-fit")))
        self.assertEqual(first_fit["churn-median"], "18900")  # plain numbers, never 1.89e+04
        self.assertEqual(first_fit["churn-low"], "18360")
        with open(os.path.join(self.tmp.name, "paper", "charts", "paper", "cost_growth.csv")) as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0][:3], ["live", "churn-live-system", "churn-live-system-low"])
        self.assertEqual([r[0] for r in rows[1:]], ["1000", "10000", "100000", "1000000"])
        self.assertFalse([n for n in os.listdir(os.path.join(self.tmp.name, "paper", "charts", "paper")) if ".tmp." in n])

    def test_a_redraw_removes_figures_it_no_longer_makes(self):
        with tempfile.TemporaryDirectory() as tmp:
            charts = os.path.join(tmp, "charts")
            os.makedirs(charts)
            for stale in ("time_per_op.pdf", "pauses.png", "notes.txt"):
                with open(os.path.join(charts, stale), "w") as f:
                    f.write("old")
            plot.make_all(synthetic(["system", "pool"], sweep=False), tmp)
            left = sorted(os.listdir(charts))
        self.assertEqual(left, sorted(["notes.txt"] + [f"{n}.{f}" for n in ("time_per_op", "fragmentation", "time_vs_memory")
                                                       for f in ("png", "svg")]))


if __name__ == "__main__":
    unittest.main()
