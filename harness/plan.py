"""What a run measures: the list of benchmark names, in the order they are run.

A benchmark name is "WORKLOAD/STRATEGY" — the same name Google Benchmark shows and the
same key results.json uses. The selection comes from the command line, resolved against
the binary's registry (harness/registry.py).

A GC benchmark is "WORKLOAD/COLLECTOR/STRATEGY" ("binary-trees/rc-gen/system"), or
"WORKLOAD/COLLECTOR" for a collector over its own allocator ("binary-trees/boehm"): its
"strategy" is the heap. The collectors and the default allocators under them come from
the binary (--list-json keys "collectors" and "gc_default_allocators"; the latter is set
in allocators/gc/common.c).
"""
from harness.errors import UserError


def unavailable(registry, args):
    """{strategy: reason} for the selected strategies that cannot run here (a peer whose
    library is not installed): skipped with a note, not an error."""
    wanted = set(registry.select("allocators", args.allocators))
    return {s["name"]: s.get("unavailable", "unavailable") for s in registry.strategies
            if s["name"] in wanted and not s.get("available", True)}


def benchmarks(registry, args):
    """The benchmark names of this run, as [(name, workload, strategy)]; for a GC workload
    the "strategy" is the heap, COLLECTOR/STRATEGY (heaps). Strategies that cannot run
    here (unavailable peers) are left out; see unavailable()."""
    skipped = unavailable(registry, args)
    strategies = [s for s in registry.select("allocators", args.allocators) if s not in skipped]
    workloads = registry.select("workloads", args.workloads)
    gc_heaps = heaps(registry, args)
    return [(f"{w}/{s}", w, s) for w in workloads for s in (gc_heaps if registry.is_gc(w) else strategies)]


def heaps(registry, args):
    """The COLLECTOR/STRATEGY names of this run: the selected collectors (default: all)
    over the selected allocators (default: the collectors' default allocators)."""
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


def prepare(selected, params):
    """Inputs a run needs made on the spot. The replay workload, when selected without a
    replay.trace, replays a real program recorded now (the python recipe, harness/trace.py),
    kept under results/traces/ so the run can be repeated on the same trace."""
    if "replay.trace" in params or not any(w == "replay" for _, w, _ in selected):
        return params
    import datetime
    import os
    import sys
    from harness import paths, trace
    trace.build_tools()
    folder = os.path.join(paths.ROOT, "results", "traces")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, datetime.datetime.now().strftime("python-%Y%m%d-%H%M%S.mmtrace"))
    info = trace.record_recipe("python", path)
    print(f"mmbench: replay: recorded {os.path.relpath(path)}: {trace.describe(info)}", file=sys.stderr)
    return dict(params, **{"replay.trace": path})


# ---- suites: how many times and how long a run measures -------------------------------------
#
# Every suite measures the same matrix (every selected workload on every selected strategy,
# peers and collectors included, and the real programs); they differ in repetitions,
# warm-up, hyperfine runs, budget, sweep and which programs. An option given on the command
# line always wins over its suite. quick is a smoke run; default is a plain `./mmbench run`
# (4 repetitions: the fewest with which compare's U test can still reach p < 0.05; budget
# 1 s: the list-scanning fits, cut by it, were most of a run's time at 3 s); full is what a
# plain run measured before suites. Why, and what each costs: docs/harness.md.
SUITES = {
    "quick": {"repetitions": 3, "warmup": 0, "hyperfine_runs": 1, "budget": 0.5, "sweep": "none",
              "programs": "sqlite,gcc"},
    "default": {"repetitions": 4, "warmup": 1, "hyperfine_runs": 3, "budget": 1.0, "sweep": "auto",
                "programs": "all"},
    "full": {"repetitions": 5, "warmup": 1, "hyperfine_runs": 3, "budget": 3.0, "sweep": "auto", "programs": "all"},
}
DEFAULT_SUITE = "default"


def apply_suite(args):
    """Fills the run options the command line left unset (None) from --suite (default:
    `default`), and --timeout from the budget (measure.default_timeout). Options a caller's
    parser does not have (trace replay has no --programs) are left alone."""
    from harness import measure
    name = getattr(args, "suite", None) or DEFAULT_SUITE
    if hasattr(args, "suite"):
        args.suite = name
    for key, value in SUITES[name].items():
        if hasattr(args, key) and getattr(args, key) is None:
            setattr(args, key, value)
    if getattr(args, "timeout", None) is None:
        args.timeout = measure.default_timeout(getattr(args, "budget", None))


def describe(config):
    """One line on what a run's config asks for, as the options that would ask for it."""
    suite = config.get("suite")
    return ((f"suite {suite}: " if suite else "") +
            f"--repetitions {config['repetitions']} --warmup {config.get('warmup', 0)} "
            f"--hyperfine-runs {config.get('hyperfine_runs') or 0} --budget {config.get('budget') or 0:g} "
            f"--timeout {config.get('timeout') or 0:g}" +
            ("  (--suite full for the whole matrix)" if suite and suite != "full" else ""))
