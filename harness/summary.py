"""Who wins: per workload, the fastest strategy, the smallest, and each strategy's time
relative to a reference, round by round; and the run's stability in one line. The one
summary the terminal and report.html show.

  reference    what every strategy is compared with: REFERENCE (the C library's malloc) on
               allocator workloads, GC_REFERENCE (explicit delete over it) on collector
               workloads
  ratio        a strategy's ns/op over the reference's, round by round (stats.per_round over
               results.by_round): the median of the per-round ratios, its 95% interval
               (the bootstrap over rounds), in how many rounds the strategy was the
               faster, of how many rounds both were measured
  contender    a benchmark that finished and has the metric, and is not the floor: bump
               frees nothing, so it is not a choice: the floor of allocator work
               (fewest instructions, test_floor.py), not of time (FLOOR)
  too small    a workload that kept under metrics.FRAG_MIN_LIVE live at once: heaps' fixed
               costs decide its footprints, so it has no smallest (a footprint of 0, one
               the C library's statistics could not see, never wins either)

Invariants: a leaf (imports only leaves). A workload whose reference failed or was not
measured has no ratios, never ratios to something else. Numbers only: the caller formats.
"""
import math
from dataclasses import dataclass

from harness import metrics, results, stats

REFERENCE = "system"
GC_REFERENCE = "manual/system"
FLOOR = "bump"


Ratio = stats.RoundRatio  # median over the rounds, its 95% interval, rounds faster, rounds compared


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


def winners(data, reference=None, gc_reference=GC_REFERENCE):
    """[Workload] for every workload of the run's benchmarks, in the run's order; the
    allocator workloads' reference is the run's --reference unless `reference` is given."""
    reference = reference or (data.get("config") or {}).get("reference") or REFERENCE
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
                    ratios[b["strategy"]] = paired
        small = too_small(entries)
        out.append(Workload(name, what, ref_name, _best(entries, "ns_per_op"),
                            None if small else _best(entries, "peak_footprint"), small, ratios))
    return out


# More processes than this per cell are not worth advising: the machine is the problem. On
# this project's 2-core VM, with busy neighbours, the timing check's noisiest cell (churn)
# needed about that many processes of one sample each to reach ±5% (docs/metrics.md, the
# pairs before the current one).
MOST_ADVISED = 200
PLAIN_RUN_PROCESSES = 4  # a plain run's (plan.SUITES): fewer than that, advise those first


def _load_during(environment):
    """' (load X on N cores)' for the advice: the 1-minute load average at the run's start
    and, when recorded, at its end ('X to Y'), the two moments a run can read it; else ''."""
    cores = environment.get("cores")
    loads = [(environment.get(key) or [None])[0] for key in ("load_average", "load_average_end")]
    loads = [f"{load:.1f}" for load in loads if load is not None]
    return f" (load {' to '.join(loads)} on {cores} cores)" if loads and cores else ""


def stability(data):
    """One line on how far the run's times can be trusted, or None when every ns/op it
    measured is resolved (its 95% interval within ±stats.HALF_WIDTH of the median), and so
    is every ratio to the reference (round by round: the rounds the extra rounds also go
    to). The processes it advises are what the median unresolved cell or ratio needs if
    its interval narrows as 1/sqrt(processes). A run recording several samples a process
    is advised one: the interval is over processes, whose spread is most of the noise
    (docs/metrics.md), and a process of one sample costs its untimed pass and one timed
    pass, so as many processes take about half the time."""
    cells = [m for b in data.get("benchmarks", []) if not b.get("error")
             for m in [(b.get("metrics") or {}).get("ns_per_op")] if m]
    ratios = [r for w in winners(data) for name, r in w.ratios.items() if r and name != w.reference]
    # (processes or rounds, half-width) of what is not resolved: ns/op cells, then ratios
    pending = [(m["n"], m.get("half_width", 1.0)) for m in cells if m.get("unstable", True)]
    open_cells = len(pending)
    pending += [(r.rounds, stats.ratio_half_width(r)) for r in ratios if stats.ratio_half_width(r) > stats.HALF_WIDTH]
    if not pending:
        return None
    config, environment = data.get("config") or {}, data.get("environment") or {}
    most = max(n for n, _ in pending)
    fewest = min(n for n, _ in pending)
    widths = sorted(width for _, width in pending)
    needed = min(MOST_ADVISED, max(most + 1, math.ceil(most * (widths[len(widths) // 2] / stats.HALF_WIDTH) ** 2)))
    timed_out = config.get("max_time") and most < (config.get("max_repetitions") or 0)
    busy = _load_during(environment)
    processes = f"{fewest}-{most} processes" if fewest < most else f"{most} process{'es' if most > 1 else ''}"
    one_sample = " --samples 1" if (config.get("samples") or 1) > 1 else ""
    what = ([f"{open_cells} of {len(cells)} ns/op cells"] if open_cells else []) + \
        ([f"{len(pending) - open_cells} of {len(ratios)} ratios to the reference"] if len(pending) > open_cells else [])
    how = "95% interval; marked !" if open_cells else "95% interval, round by round"
    head = f"{' and '.join(what)} not resolved to ±{stats.HALF_WIDTH:.0%} ({how}) after {processes}: "
    if most >= MOST_ADVISED:  # more processes would not help: do not advise what the run did
        return head + f"rerun with fewer other jobs on the machine{busy}"
    rerun = (f"--repetitions {PLAIN_RUN_PROCESSES}" if most < PLAIN_RUN_PROCESSES else
             f"--max-repetitions {needed}{one_sample}{' --max-time 0' if timed_out else ''}")
    return head + f"rerun with {rerun}, or with fewer other jobs on the machine{busy}"
