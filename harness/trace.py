"""Traces: capture a real program's allocations, read them, and what a replay cost.

The engine of ./mmbench trace (its commands are trace_cli.py) and of a run's replay
workload: the recorder (LD_PRELOAD'ed libmmtrace.so), the recipes of ready real programs,
and mmbench_trace, the C tool that checks, describes, converts and reduces a trace. The
format is docs/trace-format.md; the C side is workloads/trace/. A program that forks or
execs (a compiler driver) leaves one trace per process; record() keeps the process that
made the most calls (process="all" keeps every one, as FILE.<pid>).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import build, deps, paths
from harness.errors import UserError

TOOL_TARGET = "//workloads:mmbench_trace"
RECORDER_TARGET = "//workloads:libmmtrace.so"
TOOL = os.path.join(paths.BAZEL_BIN, "workloads", "mmbench_trace")
RECORDER = os.path.join(paths.BAZEL_BIN, "workloads", "libmmtrace.so")
RECIPE_DIR = os.path.join(paths.ROOT, "workloads", "trace", "recipes")

# name -> (what it runs, command, stdin file, environment); {recipes} and {tmp} are filled in
RECIPES = {
    "python": ("CPython (PYTHONMALLOC=malloc: every object through malloc) running a JSON/records script",
               ["/usr/bin/python3", "{recipes}/objects.py"], None, {"PYTHONMALLOC": "malloc"}),
    "sqlite": ("sqlite3 running inserts, an index, joins and aggregates on an in-memory database",
               ["sqlite3", ":memory:"], "{recipes}/queries.sql", {}),
    "gcc": ("gcc -O2 compiling one C file of this tree (the trace of cc1, the compiler proper)",
            ["gcc", "-O2", "-c", "-I{root}", "-o", "{tmp}/out.o", "{root}/workloads/trace/trace.c"], None, {}),
}


def build_tools():
    build.build((paths.BENCH_TARGET, TOOL_TARGET, RECORDER_TARGET))


def tool(*args):
    """Runs mmbench_trace; its exit 2 (bad input) becomes a UserError with its one line."""
    done = subprocess.run([TOOL, *args], capture_output=True, text=True)
    if done.returncode == 2:
        raise UserError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "bad trace")
    if done.returncode != 0:
        raise RuntimeError(f"mmbench_trace {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def existing(path):
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such trace file")
    return os.path.abspath(path)


def record(out, command, stdin_path=None, extra_env=None, process="largest", quiet=False):
    """Records `command` into `out`; returns the info dict of the trace kept."""
    if not command:
        raise UserError("trace record needs a command after --, or --recipe NAME")
    if shutil.which(command[0]) is None:
        raise UserError(f"trace record: command not found: {command[0]}")
    out_dir = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out_dir):
        raise UserError(f"-o {out}: folder {out_dir} does not exist")
    with tempfile.TemporaryDirectory(prefix="mmtrace-") as tmp:
        env = dict(os.environ, **(extra_env or {}), MMTRACE_DIR=tmp)
        env["LD_PRELOAD"] = " ".join(filter(None, [RECORDER, os.environ.get("LD_PRELOAD")]))
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            done = subprocess.run(command, env=env, stdin=stdin,
                                  stdout=subprocess.DEVNULL if quiet else None, stderr=subprocess.DEVNULL if quiet else None)
        finally:
            if stdin_path:
                stdin.close()
        traces = [os.path.join(tmp, n) for n in os.listdir(tmp) if n.startswith("trace.")]
        if not traces:
            raise UserError(f"trace record: {command[0]} made no allocation the recorder saw "
                            "(a static binary, or setuid, ignores LD_PRELOAD)")
        if done.returncode != 0:
            print(f"mmbench: note: {command[0]} exited {done.returncode}; keeping its trace", file=sys.stderr)
        infos, broken = {}, []
        for t in traces:  # a process killed mid-run leaves a truncated trace: skip it, say so
            try:
                infos[t] = info(t)
            except UserError as e:
                broken.append(str(e).replace(tmp + os.sep, ""))
        for message in broken:
            print(f"mmbench: note: skipped one process's trace: {message}", file=sys.stderr)
        if not infos:
            raise UserError(f"trace record: no usable trace ({broken[0]})")
        traces = list(infos)
        if process == "all":
            kept = sorted(traces)
            for t in kept:
                shutil.move(t, f"{out}.{infos[t]['pid']}.partial")
                os.replace(f"{out}.{infos[t]['pid']}.partial", f"{out}.{infos[t]['pid']}")
            return [infos[t] for t in kept]
        best = max(traces, key=lambda t: infos[t]["records"])
        staged = f"{out}.partial-{os.getpid()}"
        shutil.copyfile(best, staged)
        os.replace(staged, out)
        chosen = infos[best]
        chosen["processes"] = len(traces)
        return chosen


def recipe_command(name, tmp):
    what, command, stdin, env = RECIPES[name]
    fill = {"recipes": RECIPE_DIR, "root": paths.ROOT, "tmp": tmp}
    return what, [c.format(**fill) for c in command], stdin.format(**fill) if stdin else None, env


def record_recipe(name, out, quiet=True):
    deps.ensure(deps.TRACE)
    with tempfile.TemporaryDirectory(prefix="mmtrace-recipe-") as tmp:
        _, command, stdin, env = recipe_command(name, tmp)
        return record(out, command, stdin, env, quiet=quiet)


def describe(info):
    command = info["command"]
    if len(command) > 70:
        command = command[:67] + "..."
    return (f"{info['records']} calls ({', '.join(f'{k} {v}' for k, v in info['calls'].items())}), "
            f"peak live {info['peak_live'] / 1048576:.1f} MiB, pid {info['pid']}: {command}")


def info(path):
    """What mmbench_trace knows of a trace: counts, histograms, peak live (docs/trace-format.md)."""
    return json.loads(tool("info", path))


def convert(source, output, form=None):
    """Writes `source` to `output` as `form` ("text" or "binary"; None: the other form
    than the source's); returns the form written."""
    if form is None:
        with open(source, "rb") as f:
            form = "binary" if f.read(7) == b"mmtrace" else "text"
    tool("convert", source, output, form)
    return form


def ideal(path, points=60):
    """The live-bytes curve of a trace, no allocator: {ops, peak_live, leftover, curve}."""
    return json.loads(tool("ideal", path, str(points)))


def report_overhead(out):
    """The replay loop's own cost beside the allocator's. bump does almost no work per call,
    so its ns/op bounds what the replayer adds; but bump also touches fresh memory on every
    allocation (page faults), so on a trace that allocates many bytes another strategy can
    come in under it, and then that one is the tighter bound."""
    try:
        with open(os.path.join(out, "results.json")) as f:
            data = json.load(f)
    except OSError:
        return
    ns = {b["strategy"]: b["metrics"]["ns_per_op"]["median"] for b in data["benchmarks"]
          if b["workload"] == "replay" and (b.get("metrics") or {}).get("ns_per_op")}
    if not ns:
        return
    fastest = min(ns, key=ns.get)
    line = f"\nreplay overhead: at most {ns[fastest]:.1f} ns/op per call (the fastest strategy, {fastest}"
    if "bump" in ns and fastest != "bump":
        line += f"; bump, the least allocator work, pays for fresh memory here: {ns['bump']:.1f}"
    print(line + ")")
    for s, v in ns.items():
        print(f"  {s:<12} {v:8.1f} ns/op  {v / ns[fastest]:5.2f}x")
