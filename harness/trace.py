"""./mmbench trace record|replay|info|convert: capture a real program, replay it anywhere.

  record -o FILE -- COMMAND ARGS...   run COMMAND with the recorder preloaded
  record -o FILE --recipe NAME        a ready real program (python, sqlite, gcc)
  replay FILE [--allocators ...]      replay through strategies: the run table, plus the
                                      replay's own cost (bump's ns/op is its ceiling)
  replay FILE --ideal                 the live-bytes curve alone, no allocator
  info FILE [--json]                  counts, size histogram, peak live, lifetimes
  convert IN OUT [--to text|binary]   binary <-> text (default: the other form)

The format is docs/trace-format.md; the C side is workloads/trace/. A program that forks
or execs (a compiler driver) leaves one trace per process; `record` keeps the process
that made the most calls (--process all keeps every one, as FILE.<pid>).
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
                infos[t] = json.loads(tool("info", t))
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
        info = infos[best]
        info["processes"] = len(traces)
        return info


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


def cmd_record(args):
    build_tools()
    command = list(args.program)
    if command and command[0] == "--":
        command = command[1:]
    if args.recipe and command:
        raise UserError("trace record: give --recipe or a command, not both")
    if args.recipe:
        info = record_recipe(args.recipe, args.output, quiet=False)
    else:
        info = record(args.output, command, process=args.process)
    if isinstance(info, list):
        for i in info:
            print(f"{args.output}.{i['pid']}: {describe(i)}")
        return 0
    kept = f" (the busiest of {info['processes']} processes)" if info["processes"] > 1 else ""
    print(f"{args.output}: {describe(info)}{kept}")
    return 0


def cmd_info(args):
    build_tools()
    info = json.loads(tool("info", existing(args.file)))
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    print(f"{args.file}: {info['form']} trace, version {info['version']}, pid {info['pid']}")
    print(f"  command      {info['command']}")
    print(f"  calls        {info['records']}: " + ", ".join(f"{k} {v}" for k, v in info["calls"].items()))
    print(f"  threads      {info['threads']}")
    print(f"  peak live    {info['peak_live']} bytes in at most {info['max_live_blocks']} blocks")
    print(f"  requested    {info['bytes_requested']} bytes in {info['allocs']} allocations, "
          f"{info['reallocs']} reallocations; {info['leftover']} blocks never freed")
    life = info["lifetime_ops"]
    print(f"  lifetimes    median {life['median']} operations, 90% within {life['p90']}, longest {life['max']} "
          "(from allocation to free)")
    for key, title, unit in [("size_histogram", "sizes", "B"), ("lifetime_histogram", "lifetimes", " ops")]:
        hist = info[key]
        total = sum(h["count"] for h in hist) or 1
        print(f"  {title} (up to, share):")
        for h in hist:
            bar = "#" * max(1, round(40 * h["count"] / total)) if h["count"] else ""
            print(f"    {h['upto']:>10}{unit:<4} {100 * h['count'] / total:5.1f}% {bar}")
    return 0


def cmd_convert(args):
    build_tools()
    source = existing(args.input)
    form = args.to
    if form is None:
        with open(source, "rb") as f:
            form = "binary" if f.read(7) == b"mmtrace" else "text"
    tool("convert", source, args.output, form)
    print(f"{args.output}: {form}")
    return 0


def ideal(path, points=60):
    return json.loads(tool("ideal", path, str(points)))


def cmd_replay(args):
    build_tools()
    path = existing(args.file)
    tool("check", path)
    if args.ideal:
        data = ideal(path, 200 if args.json else 60)
        if args.json:
            print(json.dumps(data))
            return 0
        peak = data["peak_live"] or 1
        print(f"{args.file}: {data['ops']} operations, peak live {data['peak_live']} bytes, "
              f"{data['leftover']} blocks alive at the end")
        print("live bytes over the run (each row: the most alive in its stretch of operations):")
        for op, live in data["curve"][:: max(1, len(data["curve"]) // 20)]:
            print(f"  op {op:>10}  {live:>12}  " + "#" * round(50 * live / peak))
        return 0
    from harness import run
    import datetime
    args.out = args.out or os.path.join(paths.DEFAULT_RUNS, datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + "-replay")
    args.workloads = "replay"
    args.param = [f"replay.trace={path}", *(args.param or [])]
    status = run.execute(args)
    report_overhead(args.out)
    return status


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
        line += f"; bump, the usual floor, pays fresh-memory page faults here: {ns['bump']:.1f}"
    print(line + ")")
    for s, v in ns.items():
        print(f"  {s:<12} {v:8.1f} ns/op  {v / ns[fastest]:5.2f}x")


def add_parser(sub, parser_class):
    p = sub.add_parser("trace", help="record a real program's allocations; replay, inspect, convert traces")
    tsub = p.add_subparsers(dest="trace_command", metavar="SUBCOMMAND", parser_class=parser_class, required=True)

    r = tsub.add_parser("record", help="run a command (or --recipe) with the recorder preloaded")
    r.add_argument("-o", "--output", required=True, metavar="FILE", help="the trace to write")
    r.add_argument("--recipe", choices=sorted(RECIPES), help="a ready real program: " +
                   "; ".join(f"{k}: {v[0]}" for k, v in sorted(RECIPES.items())))
    r.add_argument("--process", choices=["largest", "all"], default="largest",
                   help="which process's trace to keep when the command starts several (default: largest)")
    r.add_argument("program", nargs="*", metavar="-- COMMAND ARGS", help="the program to record")
    r.set_defaults(func=cmd_record)

    r = tsub.add_parser("replay", help="replay a trace through strategies (or --ideal: live bytes only)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--ideal", action="store_true", help="only the live-bytes curve, no allocator")
    r.add_argument("--json", action="store_true", help="with --ideal: the curve as JSON (200 points: [op, live bytes])")
    r.add_argument("--allocators", metavar="A,B", help="strategies (default: all)")
    from harness.cli import byte_count, positive_int
    r.add_argument("--repetitions", type=positive_int, default=5, metavar="N", help="measurements each (default 5)")
    r.add_argument("--param", action="append", metavar="NAME.KEY=VALUE",
                   help="e.g. replay.min_ops=200000, or a strategy option")
    r.add_argument("--limit", type=byte_count, metavar="BYTES", help="page-layer memory limit for every heap")
    from harness.commands import add_budget_option
    add_budget_option(r)
    r.add_argument("--out", metavar="DIR", help="results folder to create")
    r.set_defaults(func=cmd_replay)

    r = tsub.add_parser("info", help="counts, size histogram, peak live, lifetimes")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_info)

    r = tsub.add_parser("convert", help="binary <-> text")
    r.add_argument("input", metavar="IN")
    r.add_argument("output", metavar="OUT")
    r.add_argument("--to", choices=["text", "binary"], help="the form to write (default: the other one)")
    r.set_defaults(func=cmd_convert)
