"""The project's metrics (docs/metrics.md), derived from Google Benchmark's JSON.

One definition each, used everywhere:
  ns_per_op       wall time per allocator operation, from items_per_second
  peak_live, peak_footprint, footprint_at_peak, frag, frag_at_peak, internal_frag,
  rss_peak        counters the benchmark binary reports (see workloads/bench_main.c)
Per benchmark, each metric's samples (one per repetition) are summarised by their
median, min, max and relative spread.
"""
from harness import stats

from harness import gc_table

# (key, heading, unit, lower is better); the order of every table
COLUMNS = [
    ("ns_per_op", "ns/op", "ns", True),
    ("peak_live", "peak live", "bytes", None),
    ("peak_footprint", "peak footprint", "bytes", True),
    ("frag", "frag", "ratio", True),
    ("frag_at_peak", "frag@peak", "ratio", True),
    ("internal_frag", "internal", "ratio", True),
    ("rss_peak", "rss peak", "bytes", True),
]
# Below this much live at once, a heap's fixed cost (its first arena, chunk or table)
# would read as fragmentation (pair keeps about 500 B live): frag and frag@peak are not
# reported there.
FRAG_MIN_LIVE = 64 * 1024
COUNTERS = ["peak_live", "peak_footprint", "footprint_at_peak", "frag", "frag_at_peak", "internal_frag",
            "rss_peak", "check_failures", "completed", "ops_checksum"]


def from_gbench(run):
    """One Google Benchmark result entry -> {metric: value}."""
    if run.get("error_occurred"):
        raise ValueError(run.get("error_message", "benchmark failed"))
    items = run.get("items_per_second")
    if not items:
        raise ValueError("no items_per_second in the benchmark output")
    sample = {"ns_per_op": 1e9 / items}
    for key in COUNTERS + gc_table.COUNTERS:
        if key in run:
            sample[key] = run[key]
    if sample.get("peak_live", FRAG_MIN_LIVE) < FRAG_MIN_LIVE:
        sample.pop("frag", None), sample.pop("frag_at_peak", None)
    return sample


def summarise(values):
    """Median, mean, stddev, min, max, spread (stddev / mean), n and `unstable` of one
    metric's samples (stats.summary)."""
    return stats.summary(values)
