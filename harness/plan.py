"""What a run measures and how: the suites, the RunConfig, the list of benchmarks.

The RunConfig is everything a run was asked to do, frozen. The command line builds it
(options.py) through RunConfig.of, which resolves the suite once: an option given wins
over its suite's value, and the timeout follows the budget. `--resume` reads it back from
the plan the run wrote (RunConfig.from_plan). The engine reads a RunConfig, never the
command line. A new run option is a field here, a line in options.py's RUN_OPTIONS, and,
when a resumed run needs it, a key of the plan's config (plan_config, from_plan).

A benchmark name is "WORKLOAD/STRATEGY" — the same name Google Benchmark shows and the
same key results.json uses. The selection is resolved against the binary's registry
(harness/registry.py). A GC benchmark is "WORKLOAD/COLLECTOR/STRATEGY"
("binary-trees/rc-gen/system"), or "WORKLOAD/COLLECTOR" for a collector over its own
allocator ("binary-trees/boehm"): its "strategy" is the heap. The collectors and the
default allocators under them come from the binary (--list-json keys "collectors" and
"gc_default_allocators"; the latter is set in allocators/gc/common.c).
"""
import dataclasses
import datetime
import os
import sys
import types

from harness import metrics, paths, stats, summary, trace
from harness.errors import UserError
from harness.programs import benchmark_programs

# ---- suites: how many times and how long a run measures -------------------------------------
#
# Every suite measures the same matrix (every selected workload on every selected strategy,
# peers and collectors included); they differ in how many processes and samples, budget,
# hyperfine runs, sweep and which real programs. An option given on the command line
# always wins over its suite.
#   repetitions      processes per benchmark, in interleaved rounds, always taken
#   max_repetitions  more rounds, for the benchmarks whose ns/op or ratio to the reference
#                    is not yet within ±precision (its 95% interval; stats.HALF_WIDTH, the
#                    table's `!`, unless --precision asks for tighter), while the run's
#                    measuring stays within max_time seconds (0: no limit)
#   samples, warmup  timed passes recorded in each process, after its untimed first pass
#                    (metered or counted: the warm-up every process has) and `warmup`
#                    unrecorded ones; the samples stop early once they have taken
#                    `budget` seconds
# quick is a smoke run of the whole matrix in about a minute and a half on 2 cores;
# default is a plain `./mmbench run` (at least 4 processes: the fewest with which
# compare's U test can reach p < 0.05; more only while the measuring stays within 9
# minutes), about 10 minutes; full measures everything at its most thorough. `trace
# replay` takes the same suites (it has no sweep and no programs).
# Why, and what each costs: docs/harness.md.
SUITES = {
    "quick": {"repetitions": 1, "max_repetitions": 1, "max_time": 0, "samples": 3, "warmup": 0, "hyperfine_runs": 0,
              "budget": 0.2, "sweep": "none", "programs": "none"},
    "default": {"repetitions": 4, "max_repetitions": 8, "max_time": 540, "samples": 3, "warmup": 0,
                "hyperfine_runs": 0, "budget": 1.0, "sweep": "auto", "programs": "sqlite"},
    "full": {"repetitions": 5, "max_repetitions": 20, "max_time": 0, "samples": 10, "warmup": 1, "hyperfine_runs": 3,
             "budget": 3.0, "sweep": "thorough", "programs": "all"},
}
DEFAULT_SUITE = "default"
REFERENCE = summary.REFERENCE  # what each strategy's time is divided by, round by round (--reference)


def default_timeout(budget):
    """Seconds a measurement process may run before it is killed, from the time budget:
    the metered pass stops after `budget` seconds, the timed pass repeats the same steps,
    and setup and teardown are linear in the live set; 30 s + 10 × budget leaves room for
    all of that on a loaded machine (40 s at the default budget of 1 s). No budget (0 or
    None): no timeout, as the user asked for every step however long it takes."""
    return 30 + 10 * budget if budget else 0


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything a run is asked to do, resolved (see the top of this file)."""
    # what: names as given (None: all), resolved against the registry by benchmarks()
    allocators: str | None
    workloads: str | None
    collectors: str | None
    params: types.MappingProxyType  # --param NAME.KEY=VALUE, values checked by the binary
    sweep: str                      # auto, none, or WORKLOAD.KEY=V1,V2,... joined by ; (sweep.parse)
    programs: tuple                 # names of the real programs to time (programs.BENCHMARKS)
    # how
    suite: str | None               # None: a plan written before suites
    repetitions: int                # processes per benchmark, always taken
    max_repetitions: int            # at most, for benchmarks not yet resolved (>= repetitions)
    max_time: float                 # seconds the measuring may take before no more rounds start; 0: none
    precision: float                # half-width over the median the extra rounds stop at (0.05: ±5%)
    samples: int                    # timed passes recorded per process, at most
    warmup: int                     # timed passes per process before them, unrecorded
    clock: str | None               # ns_per_op's clock (metrics.CLOCKS); None: the workload's default
    realtime: bool                  # single-threaded timed passes at real-time priority where allowed
    hyperfine_runs: int
    budget: float                   # seconds; 0: none
    timeout: float                  # seconds; 0: none
    counts: bool
    limit: int | None               # page-layer bytes for every heap
    reference: str                  # the strategy ratios are taken to (REFERENCE)
    # where, and how shown
    out: str
    charts: bool
    wide: bool                      # the terminal's tables whole, however wide
    # {peer strategy: the library file its processes preload}: what the registry found
    # when the run started (with_preload), kept in the plan so a resumed run loads the same
    preload: types.MappingProxyType = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "params", types.MappingProxyType(dict(self.params)))
        object.__setattr__(self, "preload", types.MappingProxyType(dict(self.preload)))

    def with_preload(self, registry):
        """This config with the library each available peer of `registry` runs preloaded
        (allocators/peers.c: a peer is measured as the process's malloc)."""
        return dataclasses.replace(self, preload={s["name"]: s["library"] for s in registry.strategies
                                                  if s.get("available", True) and s.get("library")})

    @classmethod
    def of(cls, suite=None, *, allocators=None, workloads=None, collectors=None, params=None, out=None,
           counts=False, limit=None, charts=True, clock=None, realtime=True, reference=None, wide=False,
           precision=None, **by_suite):
        """The config of a fresh run. The options a suite sets (SUITES), and the timeout,
        left out or None take the suite's value (default: the default suite); the timeout
        then follows the budget; --repetitions N without --max-repetitions asks for N
        processes, no more.
        `programs` is text (all, none, or names); `out` defaults to a new folder
        under results/runs."""
        name = suite or DEFAULT_SUITE
        given = {k: v for k, v in by_suite.items() if v is not None}
        values = dict(SUITES[name], **given)
        if values.get("timeout") is None:
            values["timeout"] = default_timeout(values["budget"])
        if "repetitions" in given and "max_repetitions" not in given:  # --repetitions N alone: N, no more
            values["max_repetitions"] = values["repetitions"]
        elif values["max_repetitions"] < values["repetitions"]:
            raise UserError(f"--max-repetitions {values['max_repetitions']} is fewer than --repetitions "
                            f"{values['repetitions']}")
        values["programs"] = tuple(p.name for p in benchmark_programs(values["programs"]))
        return cls(suite=name, allocators=allocators, workloads=workloads, collectors=collectors,
                   params=params or {}, out=out or new_run_folder(), counts=counts, limit=limit, charts=charts,
                   clock=clock, realtime=realtime, reference=reference or REFERENCE, wide=wide,
                   precision=precision or stats.HALF_WIDTH, **values)

    def plan_config(self, sweeps):
        """The plan's (and results.json's) "config": this config with the sweep resolved
        (sweeps: [(workload, key, values)] from sweep.parse)."""
        return {"suite": self.suite, "repetitions": self.repetitions, "max_repetitions": self.max_repetitions,
                "max_time": self.max_time, "precision": self.precision, "samples": self.samples,
                "warmup": self.warmup, "clock": self.clock, "realtime": self.realtime,
                "params": dict(self.params), "limit": self.limit, "budget": self.budget, "timeout": self.timeout,
                "hyperfine_runs": self.hyperfine_runs, "counts": self.counts, "programs": list(self.programs),
                "reference": self.reference,
                "preload": dict(self.preload),
                "sweep": [{"workload": w, "param": k, "values": v} for w, k, v in sweeps]}

    @classmethod
    def from_plan(cls, config, out, charts=True, wide=False):
        """The config of a run to resume, from its plan's "config" (plans written before a
        key existed get what that run did: no warm-up, one sample, no rounds past its
        repetitions, normal priority, the timeout of its budget). Its selection is the plan's jobs:
        allocators, workloads and collectors are None; its sweep is the spec that asks for
        the sweep the plan resolved."""
        try:
            budget = config.get("budget") or 0
            repetitions = int(config["repetitions"])
            sweep = ";".join(f"{s['workload']}.{s['param']}={','.join(map(str, s['values']))}"
                             for s in config.get("sweep") or [])
            return cls(allocators=None, workloads=None, collectors=None, params=config.get("params") or {},
                       sweep=sweep or "none", programs=tuple(config.get("programs") or ()),
                       suite=config.get("suite"), repetitions=repetitions,
                       max_repetitions=int(config.get("max_repetitions") or repetitions),
                       max_time=config.get("max_time") or 0, precision=config.get("precision") or stats.HALF_WIDTH,
                       samples=int(config.get("samples") or 1),
                       warmup=config.get("warmup", 0), clock=config.get("clock"),
                       realtime=bool(config.get("realtime")),
                       hyperfine_runs=config.get("hyperfine_runs") or 0, budget=budget,
                       timeout=(config["timeout"] or 0) if "timeout" in config else default_timeout(budget),
                       counts=bool(config.get("counts")), limit=config.get("limit"),
                       reference=config.get("reference") or REFERENCE, out=out, charts=charts, wide=wide,
                       preload=config.get("preload") or {})
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            raise UserError(f"{out}: plan.json's config is not a run's ({type(e).__name__}: {e})") from None

    def describe(self):
        """One line on what this config asks for, as the options that would ask for it."""
        return ((f"suite {self.suite}: " if self.suite else "") +
                f"--repetitions {self.repetitions} --max-repetitions {self.max_repetitions} "
                f"--max-time {self.max_time:g} --precision {self.precision:.4g} --samples {self.samples} "
                f"--warmup {self.warmup} --hyperfine-runs {self.hyperfine_runs} --budget {self.budget:g} "
                f"--timeout {self.timeout:g}")

    def clock_of(self, threads):
        """The clock of ns_per_op for a workload of `threads` threads."""
        return self.clock or metrics.default_clock(threads)


def new_run_folder(suffix=""):
    """results/runs/<date-time><suffix>: where a run goes when --out does not say."""
    return os.path.join(paths.DEFAULT_RUNS, datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + suffix)


# ---- the benchmarks ------------------------------------------------------------------------------


def unavailable(registry, config):
    """{strategy: reason} for the selected strategies that cannot run here (a peer whose
    library is not installed): skipped with a note, not an error."""
    wanted = set(registry.select("allocators", config.allocators))
    return {s["name"]: s.get("unavailable", "unavailable") for s in registry.strategies
            if s["name"] in wanted and not s.get("available", True)}


def benchmarks(registry, config):
    """The benchmark names of this run, as [(name, workload, strategy)]; for a GC workload
    the "strategy" is the heap, COLLECTOR/STRATEGY (heaps). Strategies that cannot run
    here (unavailable peers) and pairs a workload refuses are left out; see skipped()."""
    skipped_here = skipped(registry, config)
    strategies = [s for s in registry.select("allocators", config.allocators) if s not in skipped_here]
    workloads = selected_workloads(registry, config)
    gc_heaps = heaps(registry, config)
    return [(f"{w}/{s}", w, s) for w in workloads for s in (gc_heaps if registry.is_gc(w) else strategies)
            if f"{w}/{s}" not in skipped_here]


def selected_workloads(registry, config):
    """The workloads of this run, in registry order: those --workloads names ("all": every
    one); without --workloads, the suite's. Only the full suite measures a workload the
    binary marks full_suite_only (--list-json: the thread workloads' -shared twins, which
    time the one-lock layer); a plain run leaves them out to stay within its time."""
    names = registry.select("workloads", config.workloads)
    if config.workloads is not None or config.suite == "full":
        return names
    full_only = {w["name"] for w in registry.workloads if w.get("full_suite_only")}
    return [name for name in names if name not in full_only]


def refused(registry, config):
    """{WORKLOAD/STRATEGY: reason} for the selected pairs a workload refuses (`large` on a
    strategy that never frees: mmbench_bench --list-json's refuses_no_free): never a
    benchmark, so never a failure."""
    wanted = set(registry.select("allocators", config.allocators))
    never_frees = [s["name"] for s in registry.strategies if s["name"] in wanted and "free" not in s.get("caps", [])]
    workloads = set(selected_workloads(registry, config))
    return {f"{w['name']}/{s}": w["refuses_no_free"] for w in registry.workloads if w.get("refuses_no_free")
            and w["name"] in workloads for s in never_frees}


def skipped(registry, config):
    """What the run leaves out, with the reason: unavailable strategies and refused pairs."""
    return {**unavailable(registry, config), **refused(registry, config)}


def heaps(registry, config):
    """The COLLECTOR/STRATEGY names of this run, from the binary's list of heaps: the
    selected collectors (default: all) over the selected allocators (default: the heaps a
    plain run includes); a collector over its own allocator appears alone."""
    collectors = [c["name"] for c in registry.collectors]
    if config.collectors:
        wanted = [t.strip() for t in config.collectors.split(",") if t.strip()]
        for name in wanted:
            if name not in collectors:
                raise UserError(f"unknown collector '{name}' (valid: {', '.join(collectors)})")
        collectors = [c for c in collectors if c in wanted]
    allocators = set(registry.select("allocators", config.allocators)) if config.allocators else None
    return [h["name"] for h in registry.gc_heaps if h["collector"] in collectors and
            (h["default"] if allocators is None else h["allocator"] is None or h["allocator"] in allocators)]


def configured(heap, registry, params):
    """The name a GC heap's numbers appear under: the heap, with each collector option the
    run sets to other than its default (the collector's "options" in --list-json) in
    brackets, "rc-gen[untrack=eager]/pool": numbers of a modified collector never appear
    under the plain name (docs/gc.md, "Options")."""
    collector, slash, allocator = heap.partition("/")
    info = next((c for c in registry.collectors if c["name"] == collector), None)
    if info is None:
        return heap
    defaults = dict(kv.split("=", 1) for kv in info.get("options", "").split(",") if "=" in kv)
    changed = [f"{key}={params[f'{collector}.{key}']}" for key in defaults
               if str(params.get(f"{collector}.{key}", defaults[key])) != defaults[key]]
    return f"{collector}[{','.join(changed)}]{slash}{allocator}" if changed else heap


def heap_of(strategy):
    """The heap a (possibly configured) strategy name runs on: "rc-gen[...]/pool" -> "rc-gen/pool"."""
    name, bracket, rest = strategy.partition("[")
    return name + rest.partition("]")[2] if bracket else strategy


def prepare(selected, config):
    """The config with the inputs a run needs made on the spot. The replay workload, when
    selected without a replay.trace, replays a real program recorded now (the python
    recipe, harness/trace.py), kept under results/traces/ so the run can be repeated on
    the same trace."""
    if "replay.trace" in config.params or not any(w == "replay" for _, w, _ in selected):
        return config
    trace.build_tools()
    folder = os.path.join(paths.ROOT, "results", "traces")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, datetime.datetime.now().strftime("python-%Y%m%d-%H%M%S.mmtrace"))
    info = trace.record_recipe("python", path)
    print(f"mmbench: replay: recorded {os.path.relpath(path)}: {trace.describe(info)}", file=sys.stderr)
    return dataclasses.replace(config, params={**config.params, "replay.trace": path})
