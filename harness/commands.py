"""./mmbench compare, export, plot and report: the commands over a results folder; and
quotes, which holds the numbers README.md and docs/ quote to their results folders.

cli.py adds them (register); each reads its results (results.load: one clear line for a
file that is not one) and hands them to the module that does the work.
"""
import json
import os
import sys

from harness import compare, deps, export, options, paths, plot, quotes, report, results
from harness.errors import UserError


def cmd_compare(args):
    base, new = results.load(args.base), results.load(args.new)
    verdict = compare.compare(base, new, threshold=args.threshold, alpha=args.alpha, force=args.force)
    text = compare.markdown(verdict, args.base, args.new)
    data = json.dumps(compare.as_json(verdict, args.base, args.new), indent=1, allow_nan=False) + "\n"
    if args.out:
        results.write_atomic(args.out, text)
    if args.json:
        results.write_atomic(args.json, data)
    sys.stdout.write(data if args.format == "json" else text)
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


def cmd_quotes(args):
    files = quotes.doc_files(paths.ROOT)
    if args.refresh:
        changed, problems = quotes.refresh(files, paths.ROOT)
        for path in changed:
            print(f"rewrote {os.path.relpath(path, paths.ROOT)}")
        summary = f"{len(changed)} document(s) rewritten from their runs"
    else:
        found, problems = quotes.check(files, paths.ROOT)
        summary = f"{found} quoted numbers, {len(problems)} not what their runs say"
    for problem in problems:
        print(problem)
    print(summary + ("" if not problems or args.refresh else "; ./mmbench quotes --refresh rewrites them"))
    return 1 if problems else 0


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
    p.add_argument("--force", action="store_true",
                   help="compare runs of different machines or settings anyway, listing the differences first")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="what to print: the Markdown verdict (default) or the JSON one, for bots")
    p.add_argument("--out", metavar="FILE", help="also write the Markdown to FILE")
    p.add_argument("--json", metavar="FILE", help="also write the JSON verdict to FILE")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("quotes", help="check the numbers README.md and docs/ quote against their results "
                                      "folders (exit 1 on a stale one); --refresh rewrites them")
    p.add_argument("--refresh", action="store_true", help="rewrite every quoted number from its run")
    p.set_defaults(func=cmd_quotes)

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
