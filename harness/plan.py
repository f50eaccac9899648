"""What a run measures: the list of benchmark names, in the order they are run.

A benchmark name is "WORKLOAD/STRATEGY" — the same name Google Benchmark shows and the
same key results.json uses. The selection comes from the command line, resolved against
the binary's registry (harness/registry.py).
"""
from harness import gc_table


def unavailable(registry, args):
    """{strategy: reason} for the selected strategies that cannot run here (a peer whose
    library is not installed): skipped with a note, not an error."""
    wanted = set(registry.select("allocators", args.allocators))
    return {s["name"]: s.get("unavailable", "unavailable") for s in registry.strategies
            if s["name"] in wanted and not s.get("available", True)}


def benchmarks(registry, args):
    """The benchmark names of this run, as [(name, workload, strategy)]; for a GC workload
    the "strategy" is the heap, COLLECTOR/STRATEGY (harness/gc_table.py). Strategies that
    cannot run here (unavailable peers) are left out; see unavailable()."""
    skipped = unavailable(registry, args)
    strategies = [s for s in registry.select("allocators", args.allocators) if s not in skipped]
    workloads = registry.select("workloads", args.workloads)
    heaps = gc_table.heaps(registry, args)
    return [(f"{w}/{s}", w, s) for w in workloads for s in (heaps if registry.is_gc(w) else strategies)]


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
