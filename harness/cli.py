"""The ./mmbench command line: run, test, list (and compare, export, plot, report: commands.py).

Every user mistake ends as one line on stderr and exit status 2 (argparse's own errors
included); a missing dependency prints the command that installs it (exit 1).
"""
import argparse
import json
import subprocess
import sys

from harness import build, commands
from harness.errors import SetupError, UserError


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(f"{message} (see ./mmbench {self.prog.split()[-1]} --help)"
                        if " " in self.prog else f"{message} (see ./mmbench --help)")


positive_int = commands.whole_number(1, 1000)


def byte_count(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    scale = units.get(text[-1:].upper(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a byte count (e.g. 512M)")
    if int(digits) * scale >= 1 << 64:
        raise argparse.ArgumentTypeError(f"'{text}' is too large")
    return int(digits) * scale


def cmd_list(args):
    build.build()
    from harness.registry import Registry
    reg = Registry.load()
    if args.json:
        print(json.dumps({"allocators": reg.strategies, "workloads": reg.workloads, "collectors": reg.collectors,
                          "gc_default_allocators": reg.gc_default_allocators}, indent=1))
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
    from harness import run
    return run.execute(args)


def cmd_test(args):
    from harness import testing
    return testing.execute(args)


def cmd_preload(args):
    from harness import preload
    return preload.execute(args)


def make_parser():
    parser = Parser(prog="mmbench", description="Benchmark and conformance suite for memory management strategies.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("run", help="measure strategies on workloads; print and save a table")
    p.add_argument("--allocators", metavar="A,B", help="strategies to measure (default: all)")
    p.add_argument("--workloads", metavar="W,X", help="workloads to run (default: all)")
    p.add_argument("--collectors", metavar="C,D", help="collectors for GC workloads (default: all, over "
                   "--allocators or the default allocators)")
    p.add_argument("--repetitions", type=positive_int, default=None, metavar="N",
                   help=f"measurements of each benchmark, interleaved (default: {commands.suite_default('repetitions')})")
    p.add_argument("--param", action="append", metavar="NAME.KEY=VALUE",
                   help="a workload parameter (churn.live=1000) or strategy option (bump.chunk=8M); repeatable")
    p.add_argument("--limit", type=byte_count, metavar="BYTES", help="page-layer memory limit for every heap")
    p.add_argument("--out", metavar="DIR", help="results folder to create (default: results/runs/<time>)")
    commands.add_run_options(p)
    p.add_argument("--programs", metavar="P,Q", help="real programs to time on each strategy: all, none, or names "
                   f"(cpython-tests, sqlite, gcc) (default: {commands.suite_default('programs')})")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("test", help="run every test; ends with 'N passed, N failed'")
    p.add_argument("--full", action="store_true",
                   help="also fuzz every target, run valgrind (harness/full.py) and the heavier real programs")
    p.add_argument("--fuzz-seconds", type=positive_int, default=60, metavar="N", help="with --full (default: 60)")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("preload", help="run a program with a strategy as its malloc: preload STRATEGY -- CMD ...")
    p.add_argument("strategy", metavar="STRATEGY", help="a name from ./mmbench list")
    p.add_argument("program", nargs=argparse.REMAINDER, metavar="-- COMMAND ARGS", help="the program to run")
    p.add_argument("--limit", type=byte_count, metavar="BYTES", help="page-layer limit of the heap (in-house)")
    p.add_argument("--options", metavar="KEY=VALUE,...", help="strategy options (in-house)")
    p.set_defaults(func=cmd_preload)

    from harness import trace
    trace.add_parser(sub, Parser)

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
