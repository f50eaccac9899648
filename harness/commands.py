"""./mmbench compare, export, plot and report: the commands over a results folder.

cli.py adds them (register); each reads its results (results.load: one clear line for a
file that is not one) and hands them to the engine module that does the work.
"""
import os
import sys

from harness import compare, deps, export, options, plot, report, results
from harness.errors import UserError


def cmd_compare(args):
    base, new = results.load(args.base), results.load(args.new)
    verdict = compare.compare(base, new, threshold=args.threshold, alpha=args.alpha)
    text = compare.markdown(verdict, args.base, args.new)
    if args.out:
        results.write_atomic(args.out, text)
    sys.stdout.write(text)
    return 1 if verdict["regressions"] else 0


def cmd_export(args):
    data = results.load(args.results)
    text = export.render(data, args.format)
    if args.out:
        results.write_atomic(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_plot(args):
    deps.ensure(deps.CHARTS)
    data = results.load(args.results)
    folder = _folder(args.results)
    out = args.out or folder
    os.makedirs(out, exist_ok=True)
    made = plot.make_all(data, out, args.style)
    if out == folder and args.style == "default":
        report.write(data, folder, made)
    for path in made:
        print(os.path.relpath(path))
    return 0 if made else 1


def cmd_report(args):
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
    p = sub.add_parser("compare", help="BASE vs NEW: regressions flagged (exit 1), Markdown out")
    p.add_argument("base", metavar="BASE", help="results folder or results.json of the baseline")
    p.add_argument("new", metavar="NEW", help="results folder or results.json to judge")
    p.add_argument("--threshold", type=options.fraction, default=0.03, metavar="X",
                   help="smallest change that counts, as a fraction or percent (default: 3%%)")
    p.add_argument("--alpha", type=options.probability, default=0.05, metavar="P",
                   help="significance level of the Mann-Whitney U test (default: 0.05)")
    p.add_argument("--out", metavar="FILE", help="also write the Markdown to FILE")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("export", help="results in another tool's format (github-action-benchmark, bencher)")
    p.add_argument("--format", required=True, choices=sorted(export.FORMATS), help="the target format")
    p.add_argument("results", metavar="RESULTS", help="results folder or results.json")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("plot", help="charts of a results folder (PNG and SVG; --style paper or slide: PDF too)")
    p.add_argument("results", metavar="RESULTS", help="results folder or results.json")
    p.add_argument("--out", metavar="DIR", help="where to put the charts (default: the results folder)")
    p.add_argument("--style", choices=sorted(plot.STYLES), default="default",
                   help="default: charts/ (PNG, SVG); slide: charts/slide/ (16:9 PNG, SVG, PDF); paper: charts/paper/ "
                        "(one- and two-column PDF and SVG, a CSV of each figure's numbers)")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("report", help="the single-file HTML report of a results folder")
    p.add_argument("results", metavar="RESULTS", help="results folder or results.json")
    p.set_defaults(func=cmd_report)
