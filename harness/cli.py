"""The ./mmbench command line: run, test, preload, list (compare, export, plot, report:
commands.py; trace: trace_cli.py; the argument types and run options: options.py).

The command line is the top layer of the harness: it parses arguments, turns them into
plain values (a run's into a plan.RunConfig) and calls the engine, which never sees
argparse. Every user mistake ends as one line on stderr and exit status 2 (argparse's own
errors included); a missing dependency prints the command that installs it (exit 1).
"""
import argparse
import json
import subprocess
import sys

from harness import build, commands, options, preload, run, testing, trace_cli
from harness.errors import SetupError, UserError
from harness.registry import Registry


class Parser(argparse.ArgumentParser):
    def error(self, message):
        command = self.prog.partition(" ")[2]  # "run", "trace replay"; "" for mmbench itself
        raise UserError(f"{message} (see ./mmbench {command + ' ' if command else ''}--help)")


def cmd_list(args):
    build.build()
    reg = Registry.load()
    if args.json:
        print(json.dumps({"allocators": reg.strategies, "workloads": reg.workloads, "collectors": reg.collectors,
                          "gc_default_allocators": reg.gc_default_allocators, "gc_heaps": reg.gc_heaps}, indent=1))
        return 0
    print("allocators:")
    for s in reg.strategies:
        print(f"  {s['name']:<12} {s['summary']}")
        if not s.get("available", True):
            print(f"  {'':<12} UNAVAILABLE here, skipped by run and test: {s.get('unavailable')}")
    print("\ncollectors (COLLECTOR/ALLOCATOR, e.g. rc-gen/system):")
    for c in reg.collectors:
        print(f"  {c['name']:<12} {c['summary']}")
    print("\nworkloads:")
    for w in reg.workloads:
        threads = "single-threaded" if w["threads"] == 1 else f"{w['threads']} threads"
        print(f"  {w['name']:<12} {w['summary']}")
        print(f"  {'':<12} shape from: {w['origin']}; {threads}")
        params = ", ".join(f"{p['name']}={p['default']:g}" if not isinstance(p["default"], str)
                           else f"{p['name']}={p['default'] or '-'}" for p in w["params"])
        print(f"  {'':<12} params: {params}")
    return 0


def cmd_run(args):
    if args.resume:  # the run's own options, from its plan
        return run.resume(args.resume, charts=args.charts)
    return run.execute(options.run_config(args))


def cmd_test(args):
    return testing.execute(args.full, args.fuzz_seconds)


def cmd_preload(args):
    return preload.execute(args.strategy, options.command_words(args.program), limit=args.limit,
                           strategy_options=args.options)


def make_parser():
    parser = Parser(prog="mmbench", description="Benchmark and conformance suite for memory management strategies.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("run", help="measure strategies on workloads; print and save a table")
    options.add_run_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("test", help="run every test; ends with 'N passed, N failed'")
    p.add_argument("--full", action="store_true",
                   help="also fuzz every target, run valgrind (harness/full.py) and the heavier real programs")
    p.add_argument("--fuzz-seconds", type=options.positive_int, default=60, metavar="N", help="with --full (default: 60)")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("preload", help="run a program with a strategy as its malloc: preload STRATEGY -- CMD ...")
    p.add_argument("strategy", metavar="STRATEGY", help="a name from ./mmbench list")
    p.add_argument("program", nargs=argparse.REMAINDER, metavar="-- COMMAND ARGS", help="the program to run")
    p.add_argument("--limit", type=options.byte_count, metavar="BYTES", help="page-layer limit of the heap (in-house)")
    p.add_argument("--options", metavar="KEY=VALUE,...", help="strategy options (in-house)")
    p.set_defaults(func=cmd_preload)

    trace_cli.add_parser(sub, Parser)

    p = sub.add_parser("list", help="strategies and workloads with a line on each")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_list)
    commands.register(sub)
    return parser


def main(argv=None):
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 2
        return args.func(args)
    except UserError as e:  # one line, whatever the user typed: control characters show as '?'
        print("mmbench: " + "".join(c if c.isprintable() else "?" for c in str(e)), file=sys.stderr)
        return 2
    except SetupError as e:
        print(f"mmbench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mmbench: interrupted; nothing was written", file=sys.stderr)
        return 130
    except subprocess.CalledProcessError as e:
        print(f"mmbench: {' '.join(map(str, e.cmd))} failed with exit {e.returncode}", file=sys.stderr)
        return 1
