"""What a run measures: the list of benchmark names, in the order they are run.

A benchmark name is "WORKLOAD/STRATEGY" — the same name Google Benchmark shows and the
same key results.json uses. The selection comes from the command line, resolved against
the binary's registry (harness/registry.py).
"""
from harness import gc_table


def benchmarks(registry, args):
    """The benchmark names of this run, as [(name, workload, strategy)]; for a GC workload
    the "strategy" is the heap, COLLECTOR/STRATEGY (harness/gc_table.py)."""
    strategies = registry.select("allocators", args.allocators)
    workloads = registry.select("workloads", args.workloads)
    heaps = gc_table.heaps(registry, args)
    return [(f"{w}/{s}", w, s) for w in workloads for s in (heaps if registry.is_gc(w) else strategies)]
