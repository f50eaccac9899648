"""Every metric the harness knows, in one catalog (docs/metrics.md defines each one).

A metric is a key of a benchmark's `samples` and `metrics` in results.json. For each, the
catalog says once what every table, export, chart and verdict needs to know:

  unit     what a value counts ("ns/op", "bytes", "ratio", ...): what exports print
  better   LOWER or HIGHER: the direction compare judges a change by; None for a metric
           that describes the work (peak live) or the run (completed), neither good nor bad
  varies   True where repetitions of the same benchmark give different values (a clock,
           the kernel's resident count, thread scheduling, a peer's background work, a
           budget that cut the run at another step): compare tests those for
           significance. False for a count over fixed work, the same on every run of the
           same binary and input: compare judges any difference
  timed    a time the harness took per operation or per process: its summary has a 95%
           interval of the median (stats.summary), a cell shows the interval's half-width
           (± x%, `!` past stats.HALF_WIDTH) and the run's stability advice counts them
  clock    a duration read off a clock, which moves with the machine's speed: compare
           judges it relative to the control strategies' shift in the same rounds
           (machine drift), beside its plain change
  show     how a cell shows the median (table.py renders each kind)
  heading  its column heading; title: its name where there is room (compare, export)
  source   where its samples come from: "timer" (the clocks of the samples, wl.h),
           "benchmark" (a counter the benchmark binary reports: the workload's meter, the
           strategy, the OS), "collector" (a collector's counter, through the binary),
           "wait4" (the kernel, to the harness, as the measured process ends: its rusage),
           "hyperfine" (whole-process runs), "callgrind" (--counts: the counted run, over
           the whole fixed workload)

The tables' columns, and their order, are ALLOCATOR_COLUMNS, OPTIONAL_COLUMNS,
PROCESS_COLUMNS (table.csv only) and GC_COLUMNS below; the catalog's own order is the
order compare and export list metrics.
from_gbench turns one Google Benchmark result into a sample of these metrics.
"""
import statistics
from dataclasses import dataclass

from harness import stats

LOWER, HIGHER = "lower", "higher"

# show: how table.py renders a median
TIME = "time"          # 12.3 (ns, one decimal under 1000, none above)
SECONDS = "seconds"    # 0.123
MIB = "MiB"            # bytes as 1.5 MiB
PERCENT = "percent"    # a ratio as 12.5%
DECIMAL = "decimal"    # 60.3
INTEGER = "integer"    # 420
DURATION = "duration"  # nanoseconds as 1.5 µs or 2.50 ms

@dataclass(frozen=True)
class Metric:
    key: str
    heading: str
    unit: str
    better: str | None
    varies: bool
    show: str
    source: str
    timed: bool = False
    clock: bool = False
    title: str | None = None  # None: the heading

    @property
    def name(self):
        """What compare and export call it."""
        return self.title or self.heading


def _collector_generations(what, heading):
    return [Metric(f"gc_{what}{g}", f"{heading} gen{g}", "objects", None, False, INTEGER, "collector")
            for g in range(3)]


CATALOG = [
    # ns_per_op is the headline, on the clock the run chose for the workload (CLOCKS); each
    # clock's own value is kept beside it, a record that compare leaves to the headline
    Metric("ns_per_op", "ns/op", "ns/op", LOWER, True, TIME, "timer", timed=True, clock=True),
    Metric("ns_per_op_cpu", "cpu ns/op", "ns/op", None, True, TIME, "timer", timed=True, clock=True,
           title="CPU ns/op"),
    Metric("ns_per_op_wall", "wall ns/op", "ns/op", None, True, TIME, "timer", timed=True, clock=True,
           title="wall ns/op"),
    Metric("peak_live", "peak live", "bytes", None, True, MIB, "benchmark"),
    Metric("peak_footprint", "peak footprint", "bytes", LOWER, True, MIB, "benchmark"),
    Metric("footprint_at_peak", "footprint@peak", "bytes", None, True, MIB, "benchmark",
           title="footprint at peak live"),
    Metric("frag", "frag", "ratio", LOWER, True, PERCENT, "benchmark"),
    Metric("frag_at_peak", "frag@peak", "ratio", LOWER, True, PERCENT, "benchmark"),
    Metric("internal_frag", "internal", "ratio", LOWER, True, PERCENT, "benchmark"),
    Metric("rss_peak", "rss peak", "bytes", LOWER, True, MIB, "benchmark"),
    # must be 0: a broken heap is the conformance tests' to catch, not a measurement
    Metric("check_failures", "check failures", "count", None, False, INTEGER, "benchmark"),
    Metric("completed", "completed", "ratio", None, True, PERCENT, "benchmark"),
    Metric("ops_checksum", "ops checksum", "hash", None, True, INTEGER, "benchmark"),
    # 1: the timed passes ran at real-time priority (--realtime, wl.h); 0: normal priority
    Metric("realtime", "realtime", "flag", None, True, INTEGER, "benchmark", title="real-time priority"),
    Metric("process_s", "process s", "s", LOWER, True, SECONDS, "hyperfine", timed=True, clock=True,
           title="process time"),
    # the measured process as the kernel accounts for it (wait4's rusage; every thread counted)
    Metric("process_rss_peak", "process RSS", "bytes", LOWER, True, MIB, "wait4"),
    Metric("user_seconds", "user s", "s", LOWER, True, SECONDS, "wait4", clock=True, title="user time"),
    Metric("sys_seconds", "sys s", "s", LOWER, True, SECONDS, "wait4", clock=True, title="system time"),
    Metric("minor_faults", "minor faults", "faults", LOWER, True, INTEGER, "wait4"),
    Metric("major_faults", "major faults", "faults", LOWER, True, INTEGER, "wait4"),
    # the counted run: exact, the same on every run of the same binary and input
    Metric("instructions_per_op", "instr/op", "instructions/op", LOWER, False, DECIMAL, "callgrind",
           title="instructions/op"),
    Metric("cycles_per_op", "est. cyc/op", "cycles/op", LOWER, False, DECIMAL, "callgrind",
           title="estimated cycles/op"),
    Metric("instructions", "instructions", "instructions", None, False, INTEGER, "callgrind"),
    Metric("ops", "ops", "operations", None, False, INTEGER, "callgrind", title="operations"),
    # below 1 only when the counted run hit the runaway guard (measure.COUNTS_GUARD_SECONDS)
    Metric("counts_completed", "counted", "ratio", None, False, PERCENT, "callgrind",
           title="completed (counted run)"),
    # the collectors (GC workloads): their table is GC_COLUMNS
    *[Metric(f"gc_collections{g}", f"gen{g}", "collections", None, True, INTEGER, "collector",
             title=f"gen{g} collections") for g in range(3)],
    Metric("gc_collected", "collected", "objects", None, False, INTEGER, "collector"),
    Metric("gc_uncollectable", "uncoll.", "objects", None, False, INTEGER, "collector", title="uncollectable"),
    Metric("gc_leaked", "leaked", "objects", LOWER, False, INTEGER, "collector"),
    # a pause: one call into the memory manager that frees or scans (a decref cascade of
    # more than one object, or a collection), for every collector; GC time: their sum / wall
    Metric("gc_time_frac", "GC time", "ratio", LOWER, True, PERCENT, "collector"),
    Metric("pause_max_ns", "pause max", "ns", LOWER, True, DURATION, "collector", clock=True),
    Metric("pause_p50_ns", "p50", "ns", LOWER, True, DURATION, "collector", clock=True, title="pause p50"),
    Metric("pause_p99_ns", "p99", "ns", LOWER, True, DURATION, "collector", clock=True, title="pause p99"),
    Metric("gc_pauses", "pauses", "pauses", None, True, INTEGER, "collector"),
    # the pauses that are collections, on their own
    Metric("collection_time_frac", "coll. time", "ratio", LOWER, True, PERCENT, "collector",
           title="collection time"),
    Metric("gc_collection_pauses", "coll. pauses", "pauses", None, True, INTEGER, "collector",
           title="collection pauses"),
    Metric("collection_pause_max_ns", "coll. max", "ns", LOWER, True, DURATION, "collector", clock=True,
           title="collection pause max"),
    Metric("collection_pause_p50_ns", "coll. p50", "ns", LOWER, True, DURATION, "collector", clock=True,
           title="collection pause p50"),
    Metric("collection_pause_p99_ns", "coll. p99", "ns", LOWER, True, DURATION, "collector", clock=True,
           title="collection pause p99"),
    Metric("gc_finalizers", "finalizers", "objects", None, False, INTEGER, "collector"),
    *_collector_generations("collected", "collected"),
    *_collector_generations("uncollectable", "uncollectable"),
]
METRICS = {m.key: m for m in CATALOG}
assert len(METRICS) == len(CATALOG), "a metric is in the catalog twice"


@dataclass(frozen=True)
class Column:
    metric: Metric
    heading: str


def columns(*keys, **headings):
    """Table columns for `keys`, headed by the catalog's heading unless `headings` names
    another (ns_per_op="ns/object")."""
    return [Column(METRICS[k], headings.get(k, METRICS[k].heading)) for k in keys]


ALLOCATOR_COLUMNS = columns("ns_per_op", "peak_live", "peak_footprint", "frag", "frag_at_peak", "internal_frag",
                            "rss_peak")
# shown only when some benchmark has them: whole-process time (hyperfine), exact counts (--counts)
OPTIONAL_COLUMNS = columns("process_s", "instructions_per_op", "cycles_per_op")
# the measured process's own accounting: all in table.csv; system seconds and minor faults
# in the tables too where they tell strategies apart (table.differs)
PROCESS_COLUMNS = columns("user_seconds", "sys_seconds", "minor_faults", "major_faults")
# a GC workload's operation is one object created
# pauses: all of them (cascades and collections), then the collections alone (docs/metrics.md)
GC_COLUMNS = columns("ns_per_op", "gc_collections0", "gc_collections1", "gc_collections2", "gc_collected",
                     "gc_uncollectable", "gc_leaked", "gc_time_frac", "gc_pauses", "pause_max_ns", "pause_p50_ns",
                     "pause_p99_ns", "gc_collection_pauses", "collection_pause_max_ns", "collection_pause_p99_ns",
                     "peak_footprint", "rss_peak", ns_per_op="ns/object")


def judged():
    """The metrics with a direction, in catalog order: what compare judges."""
    return [m for m in CATALOG if m.better]


def from_source(*sources):
    return [m for m in CATALOG if m.source in sources]


# Below this much live at once, a heap's fixed cost (its first arena, chunk or table)
# would read as fragmentation (pair keeps about 500 B live): frag and frag@peak are not
# reported there.
FRAG_MIN_LIVE = 64 * 1024
COUNTERS = [m.key for m in from_source("benchmark", "collector")]


CLOCKS = ("cpu", "wall")  # --clock: the CPU time of the process, or wall time (wl.h, wl_timer)


def default_clock(threads):
    """The clock of a workload's ns_per_op when the run does not choose: CPU time for a
    single-threaded workload (what a neighbour on the machine takes from it does not count
    against it), wall time for a multi-threaded one (its threads' CPU times add up, and
    the time until the work is done is what its users wait for)."""
    return "cpu" if threads <= 1 else "wall"


WITHIN = "_within"  # a sample's key holding each clock's in-process samples: {metric: [ns/op]}


def from_gbench(run, clock="cpu"):
    """One Google Benchmark result entry (one process) -> {metric: value}: ns_per_op_cpu
    and ns_per_op_wall the medians of the process's samples on each clock, ns_per_op the
    one of `clock`, and the samples themselves under WITHIN."""
    if run.get("error_occurred"):
        raise ValueError(run.get("error_message", "benchmark failed"))
    count = int(run.get("samples") or 0)
    if count < 1:
        raise ValueError("no timed samples in the benchmark output")
    within = {f"ns_per_op_{c}": [run[f"{c}_ns_per_op.{k}"] for k in range(1, count + 1)] for c in CLOCKS}
    sample = {key: statistics.median(values) for key, values in within.items()}
    sample["ns_per_op"] = sample[f"ns_per_op_{clock}"]
    within["ns_per_op"] = within[f"ns_per_op_{clock}"]
    for key in COUNTERS:
        if key in run:
            sample[key] = run[key]
    if sample.get("peak_live", FRAG_MIN_LIVE) < FRAG_MIN_LIVE:
        sample.pop("frag", None), sample.pop("frag_at_peak", None)
    sample[WITHIN] = within
    return sample


def summarise(values, key=None, within=None):
    """Median, mean, stddev, min, max, spread (stddev / mean) and n of one metric's
    samples; for a timed metric `key` also its 95% interval (stats.summary)."""
    timed = key in METRICS and METRICS[key].timed
    return stats.summary(values, within=within if timed else None, interval=timed)
