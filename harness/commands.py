"""The harness's reporting commands and run's measurement options, added to the CLI
(cli.py calls add_run_options and register), so cli.py stays a short list."""
import argparse
import os
import sys

from harness import results
from harness.errors import UserError


def whole_number(lo, hi):
    """An argparse type: a whole number in [lo, hi]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is out of range ({lo} to {hi})")
        return value
    return parse


_runs = whole_number(0, 100)


def _fraction(text):
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (e.g. 0.03 or 3%)") from None
    if not 0 <= value < 10:
        raise argparse.ArgumentTypeError(f"{text} is out of range")
    return value


def _alpha(text):
    value = _fraction(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} must lie between 0 and 1")
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text} is out of range (0 to 86400 seconds)")
    return value


def suite_default(key):
    """'4; full 5, quick 3': an option's value in each suite, for --help (plan.SUITES)."""
    from harness import plan
    own = plan.SUITES[plan.DEFAULT_SUITE][key]
    others = [f"{name} {values[key]:g}" if not isinstance(values[key], str) else f"{name} {values[key]}"
              for name, values in sorted(plan.SUITES.items()) if values[key] != own]
    return (f"{own:g}" if not isinstance(own, str) else own) + ("; " + ", ".join(others) if others else "")


def add_budget_option(p, default=3.0):
    p.add_argument("--budget", type=_seconds, default=default, metavar="SECONDS",
                   help="time each benchmark's metered pass may take; a slower strategy is measured over the "
                        "steps done by then, and the table says what fraction (default: "
                        + (suite_default("budget") if default is None else f"{default:g}") + "; 0: no limit)")


def add_run_options(p):
    """run's measurement options. Those a --suite sets default to None here and are filled
    in by plan.apply_suite, so an option given on the command line always wins."""
    from harness import plan
    p.add_argument("--suite", choices=sorted(plan.SUITES), metavar="NAME",
                   help="how many times and how long to measure: quick (a smoke run of a few minutes), "
                        "default (about 20-30 minutes on 2 cores), full (every option at its most thorough); "
                        "an option given here overrides its suite (docs/harness.md)")
    p.add_argument("--warmup", type=_runs, default=None, metavar="N",
                   help=f"unrecorded runs of every benchmark before the repetitions (default: {suite_default('warmup')})")
    p.add_argument("--hyperfine-runs", type=_runs, default=None, metavar="N",
                   help=f"whole-process runs of each benchmark under hyperfine (default: {suite_default('hyperfine_runs')}; "
                        "0: none)")
    add_budget_option(p, default=None)
    p.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="kill a measurement process still running after this long and report it as that "
                        "benchmark's failure (default: 30 + 10 x budget; 0: none)")
    p.add_argument("--counts", action="store_true",
                   help="also count instructions per operation under callgrind (exact; slow)")
    p.add_argument("--sweep", metavar="SPEC",
                   help=f"live-set sweep: auto, none, or WORKLOAD.KEY=V1,V2,... (several joined by ;) "
                        f"(default: {suite_default('sweep')})")
    p.add_argument("--no-charts", action="store_true", help="skip the charts (tables and report only)")
    p.add_argument("--resume", metavar="DIR",
                   help="finish an interrupted run in DIR (its own options are used)")


def cmd_compare(args):
    from harness import compare
    base, new = results.load(args.base), results.load(args.new)
    verdict = compare.compare(base, new, threshold=args.threshold, alpha=args.alpha)
    text = compare.markdown(verdict, args.base, args.new)
    if args.out:
        results.write_atomic(args.out, text)
    sys.stdout.write(text)
    return 1 if verdict["regressions"] else 0


def cmd_export(args):
    from harness import export
    data = results.load(args.results)
    text = export.render(data, args.format)
    if args.out:
        results.write_atomic(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_plot(args):
    from harness import deps, plot, report
    deps.ensure(deps.CHARTS)
    data = results.load(args.results)
    folder = _folder(args.results)
    out = args.out or folder
    os.makedirs(out, exist_ok=True)
    made = plot.make_all(data, out)
    if out == folder:
        report.write(data, folder, made)
    for path in made:
        print(os.path.relpath(path))
    return 0 if made else 1


def cmd_report(args):
    from harness import plot, report
    data = results.load(args.results)
    folder = _folder(args.results)
    path = report.write(data, folder, plot.existing(folder))
    print(os.path.relpath(path))
    return 0


def _folder(path):
    if os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(path):
        raise UserError(f"{path}: no such results folder")
    return path


def register(sub):
    from harness import export
    p = sub.add_parser("compare", help="BASE vs NEW: regressions flagged (exit 1), Markdown out")
    p.add_argument("base", metavar="BASE", help="results folder or results.json of the baseline")
    p.add_argument("new", metavar="NEW", help="results folder or results.json to judge")
    p.add_argument("--threshold", type=_fraction, default=0.03, metavar="X",
                   help="smallest change that counts, as a fraction or percent (default: 3%%)")
    p.add_argument("--alpha", type=_alpha, default=0.05, metavar="P",
                   help="significance level of the Mann-Whitney U test (default: 0.05)")
    p.add_argument("--out", metavar="FILE", help="also write the Markdown to FILE")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export", help="results in another tool's format (github-action-benchmark, bencher)")
    p.add_argument("--format", required=True, choices=sorted(export.FORMATS), help="the target format")
    p.add_argument("results", metavar="RESULTS", help="results folder or results.json")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("plot", help="charts (SVG, PDF, PNG) of a results folder")
    p.add_argument("results", metavar="RESULTS", help="results folder or results.json")
    p.add_argument("--out", metavar="DIR", help="where to put the charts (default: the results folder)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("report", help="the single-file HTML report of a results folder")
    p.add_argument("results", metavar="RESULTS", help="results folder or results.json")
    p.set_defaults(func=cmd_report)
