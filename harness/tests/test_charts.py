"""Charts from synthetic results: every chart the data supports, and none it does not."""
import os
import tempfile
import unittest

from harness import plot, report, stats


def entry(workload, strategy, **samples):
    return {"name": f"{workload}/{strategy}", "workload": workload, "strategy": strategy, "error": None,
            "samples": samples, "metrics": {k: stats.summary(v) for k, v in samples.items()}}


def synthetic(strategies, with_pauses):
    data = {"schema": "mmbench.results/1", "strategies": [{"name": s} for s in strategies],
            "workloads": [{"name": "churn", "params": {"live": 100}}, {"name": "trees", "params": {}}],
            "benchmarks": [], "sweep": []}
    for i, s in enumerate(strategies):
        for w in ("churn", "trees"):
            extra = {"pause_p50_ns": [100.0 + i], "pause_max_ns": [1000.0 * (i + 1)]} if with_pauses and i % 2 else {}
            data["benchmarks"].append(entry(w, s, ns_per_op=[10.0 + i, 11.0 + i], peak_footprint=[2 ** 20 * (i + 1)] * 2,
                                            frag=[0.1 * i] * 2, frag_at_peak=[0.05 * i] * 2, internal_frag=[0.02] * 2,
                                            **extra))
        for live in (10, 1000):
            e = entry("churn", s, ns_per_op=[5.0 + i * live / 100])
            e["name"] += f"/live={live}"
            e["sweep"] = {"param": "live", "value": live}
            data["sweep"].append(e)
    return data


class ChartsTest(unittest.TestCase):
    def test_every_strategy_keeps_one_distinct_colour(self):
        names = [f"s{i}" for i in range(12)]
        colours = plot.style({"strategies": [{"name": n} for n in names]})
        self.assertEqual(list(colours), names)
        self.assertEqual(len({c for c, _ in colours.values()}), 12)
        # adding a strategy at the end keeps everyone else's colour
        more = plot.style({"strategies": [{"name": n} for n in names + ["new"]]})
        self.assertEqual({n: more[n] for n in names}, colours)

    def test_pareto_front(self):
        pts = [(1, 10), (2, 5), (3, 6), (4, 1), (5, 1)]
        self.assertEqual(plot.pareto(pts), [0, 1, 3])

    def test_all_charts_with_collectors_and_none_without(self):
        for with_pauses, expected in ((True, 5), (False, 4)):
            with self.subTest(with_pauses=with_pauses), tempfile.TemporaryDirectory() as tmp:
                data = synthetic(["system", "bump", "pool", "rc"], with_pauses)
                made = plot.make_all(data, tmp)
                self.assertEqual(len(made), expected)
                self.assertEqual(os.path.exists(os.path.join(tmp, "charts", "pauses.png")), with_pauses)
                for png in made:
                    base = png[:-4]
                    with open(base + ".svg") as f:
                        self.assertIn("<svg", f.read(2000))
                    with open(base + ".pdf", "rb") as f:
                        self.assertEqual(f.read(5), b"%PDF-")
                self.assertFalse([n for n in os.listdir(os.path.join(tmp, "charts")) if ".tmp." in n])
                page = report.render(data, made)
                self.assertEqual(page.count('<figure class="chart"'), expected)

    def test_failed_and_missing_benchmarks_do_not_break_charts(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = synthetic(["system", "bump"], False)
            data["benchmarks"][0] = dict(data["benchmarks"][0], error="crashed (SIGSEGV)", metrics={}, samples={})
            data["sweep"] = []
            made = plot.make_all(data, tmp)
            self.assertEqual([os.path.basename(p) for p in made],
                             ["time_per_op.png", "fragmentation.png", "time_vs_memory.png"])
            self.assertEqual(plot.make_all({"benchmarks": []}, tmp), [])


if __name__ == "__main__":
    unittest.main()
