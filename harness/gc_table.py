"""The GC side of a run: which collector benchmarks to run, their columns and their table.

A GC benchmark is "WORKLOAD/COLLECTOR/STRATEGY" ("binary-trees/rc-gen/system"), or
"WORKLOAD/COLLECTOR" for a collector over its own allocator ("binary-trees/boehm"). The
collectors and the default allocators under them come from the binary (--list-json keys
"collectors" and "gc_default_allocators"; the latter is set in allocators/gc/common.c).
GC results get a table of their own, so the allocator table keeps its columns.

Its column "vs manual/system" compares each benchmark with the program that manages
memory by hand on the C library's malloc, round by round: repetitions are interleaved, so
the two ran within seconds of each other, and the ratio of a pair cancels the machine's
swings that the medians of the two columns keep. The cell is the median ratio and in how
many rounds the benchmark was the faster.
"""
import statistics

from harness.errors import UserError

BASELINE = "manual/system"

# (key, heading, unit, lower is better)
COLUMNS = [
    ("ns_per_op", "ns/object", "ns", True),
    ("gc_collections0", "gen0", "count", None),
    ("gc_collections1", "gen1", "count", None),
    ("gc_collections2", "gen2", "count", None),
    ("gc_collected", "collected", "count", None),
    ("gc_uncollectable", "uncoll.", "count", None),
    ("gc_leaked", "leaked", "count", True),
    ("gc_time_frac", "GC time", "ratio", True),
    ("pause_max_ns", "pause max", "time", True),
    ("pause_p50_ns", "p50", "time", True),
    ("pause_p99_ns", "p99", "time", True),
    ("peak_footprint", "peak footprint", "bytes", True),
    ("rss_peak", "rss peak", "bytes", True),
]
COUNTERS = [key for key, _, _, _ in COLUMNS[1:]] + ["gc_pauses", "gc_finalizers"] + [
    f"gc_{what}{g}" for what in ("collected", "uncollectable") for g in range(3)]


def heaps(registry, args):
    """The COLLECTOR/STRATEGY names of this run (a collector with its own allocator: alone)."""
    collectors = [c["name"] for c in registry.collectors]
    if getattr(args, "collectors", None):
        wanted = [t.strip() for t in args.collectors.split(",") if t.strip()]
        for name in wanted:
            if name not in collectors:
                raise UserError(f"unknown collector '{name}' (valid: {', '.join(collectors)})")
        collectors = [c for c in collectors if c in wanted]
    allocators = (registry.select("allocators", args.allocators) if args.allocators
                  else list(registry.gc_default_allocators))
    return heap_names(registry, collectors, allocators)


def heap_names(registry, collectors, allocators):
    """COLLECTOR/STRATEGY for each collector in `collectors` over each of `allocators`
    (a collector with its own allocator appears alone), in registry order."""
    out = []
    for c in registry.collectors:
        if c["name"] not in collectors:
            continue
        out += [c["name"]] if c["own_allocator"] else [f"{c['name']}/{s}" for s in allocators]
    return out


def _cell(key, unit, summary):
    from harness import table  # the allocator table's cells (bytes, ratios, ns ± spread)
    if summary is None or unit not in ("count", "time"):
        return table._format(key, unit, summary)
    v = summary["median"]
    if unit == "count":
        return f"{v:.0f}"
    return f"{v / 1e3:.1f} µs" if v < 1e6 else f"{v / 1e6:.2f} ms"


def per_round(b, base):
    """(median of b's ns/object over base's in the rounds both measured, rounds b was the
    faster in, rounds compared), or None when no round has both."""
    def by_round(entry):
        times, rounds = entry.get("samples", {}).get("ns_per_op", []), entry.get("rounds", [])
        return dict(zip(rounds, times)) if len(rounds) == len(times) else {}
    mine, theirs = by_round(b), by_round(base)
    ratios = [mine[r] / theirs[r] for r in mine if theirs.get(r)]
    if not ratios:
        return None
    return statistics.median(ratios), sum(x < 1 for x in ratios), len(ratios)


def rows(data):
    """[heading row, then one row per GC benchmark], or [] when the run had none."""
    gc = [b for b in data["benchmarks"] if b.get("kind") == "gc"]
    if not gc:
        return []
    base = {b["workload"]: b for b in gc if b["strategy"] == BASELINE and not b.get("error")}
    paired = bool(base)
    out = [["workload", "collector"] + [title for _, title, _, _ in COLUMNS[:1]] +
           ([f"vs {BASELINE}"] if paired else []) + [title for _, title, _, _ in COLUMNS[1:]]]
    for b in gc:
        if b.get("error"):
            out.append([b["workload"], b["strategy"], f"FAILED: {b['error']}"] + [""] * (len(out[0]) - 3))
            continue
        m = b.get("metrics", {})
        cells = [_cell(key, unit, m.get(key)) for key, _, unit, _ in COLUMNS]
        if paired:
            ratio = per_round(b, base[b["workload"]]) if b["workload"] in base else None
            cell = "—" if ratio is None else ("1.00" if b is base[b["workload"]] else "%.2f (%d/%d)" % ratio)
            cells.insert(1, cell)
        out.append([b["workload"], b["strategy"]] + cells)
    return out
