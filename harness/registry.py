"""The strategies and workloads, as the benchmark binary's own registry reports them.

There is one list of strategies (allocators/strategies.def) and one of workloads
(workloads/workloads.def); the harness never keeps a copy, it asks the binary.

A peer (jemalloc, ...) runs only as the process's malloc (allocators/peers.c): the binary
started plainly lists it unavailable and names its "library", the file to LD_PRELOAD; the
binary started with that file preloaded says whether the peer then runs (and where the
loader found the file), and that is the entry kept.
"""
import json
import os
import subprocess

from harness import paths
from harness.errors import UserError


class Registry:
    def __init__(self, data):
        self.strategies = data["strategies"]
        self.workloads = data["workloads"]
        self.collectors = data.get("collectors", [])
        self.gc_default_allocators = data.get("gc_default_allocators", [])
        # every COLLECTOR/STRATEGY heap that can run here, from the binary's one list
        # (gc_matrix_list in allocators/gc/common.c): name, collector, allocator (None for
        # a collector over its own allocator) and whether a plain run includes it
        self.gc_heaps = data.get("gc_heaps", [])

    @classmethod
    def load(cls, binary=None):
        """The registry of the binary measurements run (paths.bench_binary), each peer as
        it runs preloaded (with the GC heaps over it)."""
        binary = binary or paths.bench_binary()
        data = _listed(binary)
        strategies = []
        for s in data["strategies"]:
            if s.get("available", True) or not s.get("library"):
                strategies.append(s)
                continue
            preloaded = _listed(binary, preload_env(s["library"]))
            strategies.append(next(p for p in preloaded["strategies"] if p["name"] == s["name"]))
            data["gc_heaps"] = data.get("gc_heaps", []) + [h for h in preloaded.get("gc_heaps", [])
                                                           if h.get("allocator") == s["name"]]
        data["strategies"] = strategies
        collectors = [c["name"] for c in data.get("collectors", [])]
        names = [s["name"] for s in strategies]
        data["gc_heaps"] = sorted(data.get("gc_heaps", []), key=lambda h: (
            collectors.index(h["collector"]) if h["collector"] in collectors else len(collectors),
            names.index(h["allocator"]) if h.get("allocator") in names else -1))
        return cls(data)

    def strategy_names(self):
        return [s["name"] for s in self.strategies]

    def is_gc(self, workload):
        return any(w["name"] == workload and w.get("kind") == "gc" for w in self.workloads)

    def workload_names(self):
        return [w["name"] for w in self.workloads]

    def select(self, kind, text):
        """Resolves a comma-separated selection ('all' or names) against `kind`
        ('allocators' or 'workloads'), in registry order; UserError for unknown names."""
        valid = self.strategy_names() if kind == "allocators" else self.workload_names()
        if text is None or text.strip() == "all":
            return list(valid)
        wanted = [t.strip() for t in text.split(",") if t.strip()]
        if not wanted:
            raise UserError(f"--{kind} is empty (valid: {', '.join(valid)})")
        for name in wanted:
            if name not in valid:
                singular = "allocator" if kind == "allocators" else "workload"
                raise UserError(f"unknown {singular} '{name}' (valid: {', '.join(valid)})")
        return [v for v in valid if v in wanted]

    def workload_params(self, name, overrides):
        """The effective parameters of workload `name`: defaults, then NAME.KEY=VALUE overrides."""
        w = next(w for w in self.workloads if w["name"] == name)
        values = {p["name"]: p["default"] for p in w["params"]}
        for key, value in overrides.items():
            prefix, _, param = key.partition(".")
            if prefix == name and param in values:
                values[param] = value if isinstance(values[param], str) else float(value)
        return {k: v if isinstance(v, str) else int(v) if float(v).is_integer() else v for k, v in values.items()}


def preload_env(library, base=None):
    """`base` (default: this process's environment) with `library` first in LD_PRELOAD."""
    env = dict(os.environ if base is None else base)
    env["LD_PRELOAD"] = library + (":" + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
    return env


def _listed(binary, env=None):
    out = subprocess.run([binary, "--list-json"], capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out)
