"""./mmbench trace record|replay|info|convert: capture a real program, replay it anywhere.

  record -o FILE -- COMMAND ARGS...   run COMMAND with the recorder preloaded
  record -o FILE --recipe NAME        a ready real program (python, sqlite, gcc)
  replay FILE [--allocators ...]      replay through strategies: the run table, plus the
                                      replay's own cost (bump's ns/op is its ceiling)
  replay FILE --ideal                 the live-bytes curve alone, no allocator
  info FILE [--json]                  counts, size histogram, peak live, lifetimes
  convert IN OUT [--to text|binary]   binary <-> text (default: the other form)

The commands only; recording, reading and converting are trace.py's. `replay` is a run
of the replay workload on FILE: it takes run's options (options.RUN_OPTIONS, the suite's
defaults) and goes through the same engine (run.execute).
"""
import json

from harness import options, plan, run, trace
from harness.errors import UserError


def cmd_record(args):
    trace.build_tools()
    command = options.command_words(args.program)
    if args.recipe and command:
        raise UserError("trace record: give --recipe or a command, not both")
    if args.recipe:
        info = trace.record_recipe(args.recipe, args.output, quiet=False)
    else:
        info = trace.record(args.output, command, process=args.process)
    if isinstance(info, list):
        for i in info:
            print(f"{args.output}.{i['pid']}: {trace.describe(i)}")
        return 0
    kept = f" (the busiest of {info['processes']} processes)" if info["processes"] > 1 else ""
    print(f"{args.output}: {trace.describe(info)}{kept}")
    return 0


def cmd_info(args):
    trace.build_tools()
    info = trace.info(trace.existing(args.file))
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
    trace.build_tools()
    form = trace.convert(trace.existing(args.input), args.output, args.to)
    print(f"{args.output}: {form}")
    return 0


def cmd_replay(args):
    trace.build_tools()
    path = trace.existing(args.file)
    trace.tool("check", path)
    if args.ideal:
        return _print_ideal(args.file, trace.ideal(path, 200 if args.json else 60), args.json)
    config = options.run_config(args, workloads="replay", sweep="none", programs="none",
                                params={"replay.trace": path, **options.parse_params(args.params)},
                                out=args.out or plan.new_run_folder("-replay"))
    status = run.execute(config)
    trace.report_overhead(config.out)
    return status


def _print_ideal(name, data, as_json):
    if as_json:
        print(json.dumps(data))
        return 0
    peak = data["peak_live"] or 1
    print(f"{name}: {data['ops']} operations, peak live {data['peak_live']} bytes, "
          f"{data['leftover']} blocks alive at the end")
    print("live bytes over the run (each row: the most alive in its stretch of operations):")
    for op, live in data["curve"][:: max(1, len(data["curve"]) // 20)]:
        print(f"  op {op:>10}  {live:>12}  " + "#" * round(50 * live / peak))
    return 0


def add_parser(sub, parser_class):
    p = sub.add_parser("trace", help="record a real program's allocations; replay, inspect, convert traces")
    tsub = p.add_subparsers(dest="trace_command", metavar="SUBCOMMAND", parser_class=parser_class, required=True)

    r = tsub.add_parser("record", help="run a command (or --recipe) with the recorder preloaded")
    r.add_argument("-o", "--output", required=True, metavar="FILE", help="the trace to write")
    r.add_argument("--recipe", choices=sorted(trace.RECIPES), help="a ready real program: " +
                   "; ".join(f"{k}: {v[0]}" for k, v in sorted(trace.RECIPES.items())))
    r.add_argument("--process", choices=["largest", "all"], default="largest",
                   help="which process's trace to keep when the command starts several (default: largest)")
    r.add_argument("program", nargs="*", metavar="-- COMMAND ARGS", help="the program to record")
    r.set_defaults(func=cmd_record)

    r = tsub.add_parser("replay", help="replay a trace through strategies (or --ideal: live bytes only)")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--ideal", action="store_true", help="only the live-bytes curve, no allocator")
    r.add_argument("--json", action="store_true", help="with --ideal: the curve as JSON (200 points: [op, live bytes])")
    options.add_run_options(r, replay=True)
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
