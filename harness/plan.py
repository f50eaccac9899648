"""What a run measures: the list of benchmark names, in the order they are run.

A benchmark name is "WORKLOAD/STRATEGY" — the same name Google Benchmark shows and the
same key results.json uses. The selection comes from the command line, resolved against
the binary's registry (harness/registry.py).
"""


def benchmarks(registry, args):
    """The benchmark names of this run, as [(name, workload, strategy)]."""
    strategies = registry.select("allocators", args.allocators)
    workloads = registry.select("workloads", args.workloads)
    return [(f"{w}/{s}", w, s) for w in workloads for s in strategies]
