"""What a run measures: the list of benchmark names, in the order they are run.

A benchmark name is "WORKLOAD/STRATEGY" — the same name Google Benchmark shows and the
same key results.json uses. The selection comes from the command line, resolved against
the binary's registry (harness/registry.py).
"""


def unavailable(registry, args):
    """{strategy: reason} for the selected strategies that cannot run here (a peer whose
    library is not installed): skipped with a note, not an error."""
    wanted = set(registry.select("allocators", args.allocators))
    return {s["name"]: s.get("unavailable", "unavailable") for s in registry.strategies
            if s["name"] in wanted and not s.get("available", True)}


def benchmarks(registry, args):
    """The benchmark names of this run, as [(name, workload, strategy)]."""
    skipped = unavailable(registry, args)
    strategies = [s for s in registry.select("allocators", args.allocators) if s not in skipped]
    workloads = registry.select("workloads", args.workloads)
    return [(f"{w}/{s}", w, s) for w in workloads for s in strategies]
