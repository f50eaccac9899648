"""Who wins: per workload, the fastest strategy, the smallest, and each strategy's time
relative to a reference, round by round; and the run's stability in one line. The one
summary the terminal and report.html show.

  reference    what every strategy is compared with: REFERENCE (the C library's malloc) on
               allocator workloads, GC_REFERENCE (explicit delete over it) on collector
               workloads
  ratio        a strategy's ns/op over the reference's, round by round (stats.per_round over
               results.by_round): the median of the per-round ratios, in how many rounds
               the strategy was the faster, of how many rounds both were measured
  contender    a benchmark that finished and has the metric, and is not the floor: bump
               frees nothing, so it is the speed of light, not a choice (FLOOR)
  too small    a workload that kept under metrics.FRAG_MIN_LIVE live at once: heaps' fixed
               costs decide its footprints, so it has no smallest (a footprint of 0, one
               the C library's statistics could not see, never wins either)

Invariants: a leaf (imports only leaves). A workload whose reference failed or was not
measured has no ratios, never ratios to something else. Numbers only: the caller formats.
"""
from dataclasses import dataclass

from harness import metrics, results, stats

REFERENCE = "system"
GC_REFERENCE = "manual/system"
FLOOR = "bump"


@dataclass(frozen=True)
class Ratio:
    median: float  # strategy / reference, median over the rounds
    faster: int    # rounds in which the strategy took less time than the reference
    rounds: int    # rounds both were measured in


@dataclass(frozen=True)
class Best:
    strategy: str
    value: float   # the median: ns/op for the fastest, bytes for the smallest


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str                 # "alloc" or "gc"
    reference: str
    fastest: Best | None      # the contender with the lowest ns/op
    smallest: Best | None     # the contender with the lowest peak footprint; None when too small
    too_small: bool           # the live set was too small to judge footprints
    ratios: dict              # {strategy: Ratio, or None with no round in common}, in the run's order


def kind(entry):
    return entry.get("kind") or "alloc"


def median(entry, key):
    """The median of one metric of a benchmark that finished, or None."""
    if entry.get("error"):
        return None
    summary = (entry.get("metrics") or {}).get(key)
    return summary["median"] if summary else None


def too_small(entries):
    """Whether one workload's benchmarks kept too little live to judge their footprints."""
    live = [median(b, "peak_live") for b in entries if median(b, "peak_live") is not None]
    return bool(live) and max(live) < metrics.FRAG_MIN_LIVE


def _best(entries, key):
    found = [(median(b, key), b["strategy"]) for b in entries if b["strategy"] != FLOOR]
    found = [(value, name) for value, name in found if value]
    if not found:
        return None
    value, name = min(found)
    return Best(name, value)


def winners(data, reference=REFERENCE, gc_reference=GC_REFERENCE):
    """[Workload] for every workload of the run's benchmarks, in the run's order."""
    order, by_workload = [], {}
    for b in data.get("benchmarks", []):
        if b["workload"] not in by_workload:
            order.append(b["workload"])
        by_workload.setdefault(b["workload"], []).append(b)
    out = []
    for name in order:
        entries = by_workload[name]
        what = kind(entries[0])
        ref_name = gc_reference if what == "gc" else reference
        ref = next((b for b in entries if b["strategy"] == ref_name and median(b, "ns_per_op") is not None), None)
        ratios = {}
        if ref is not None:
            base = results.by_round(ref, "ns_per_op")
            for b in entries:
                if median(b, "ns_per_op") is not None:
                    paired = stats.per_round(results.by_round(b, "ns_per_op"), base)
                    ratios[b["strategy"]] = Ratio(*paired) if paired else None
        small = too_small(entries)
        out.append(Workload(name, what, ref_name, _best(entries, "ns_per_op"),
                            None if small else _best(entries, "peak_footprint"), small, ratios))
    return out


def stability(data):
    """One line of advice on how far the run's times can be trusted, or None when every
    timed cell is steady."""
    cells = [m for b in data.get("benchmarks", []) for k, m in (b.get("metrics") or {}).items()
             if m and k in metrics.METRICS and metrics.METRICS[k].timed and m.get("n", 1) > 1]
    unsteady = sum(1 for m in cells if m.get("unstable"))
    if not unsteady:
        return None
    reps = (data.get("config") or {}).get("repetitions")
    more = f"--repetitions {2 * reps}" if reps else "more --repetitions"
    return (f"{unsteady} of {len(cells)} timed cells vary by more than {stats.UNSTABLE_SPREAD:.0%} between "
            f"repetitions (marked !): compare strategies by their ratios within this run, or rerun with {more} "
            "on a quieter machine")
