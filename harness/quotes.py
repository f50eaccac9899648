"""Numbers in the docs that quote a committed run, held to that run.

A quoted number carries a marker right after it, an HTML comment (invisible in rendered
Markdown) naming where it comes from:

    pool takes 39.6<!-- quote results/peers-churn churn/pool ns_per_op median --> ns/op

    VALUE<!-- quote FOLDER BENCHMARK METRIC STATISTIC -->
    VALUE<!-- quote FOLDER run FIELD -->

  FOLDER     a results folder, relative to the repository's root
  BENCHMARK  a benchmark (or sweep point) of its results.json, by name
  METRIC     a catalog key (metrics.py)
  STATISTIC  median, mean, min, max (shown as the catalog shows the metric: table.py's
             formats), spread (26%), n, cell (the table's cell: 39.6 ±4.2%, 39.6 ±26%!), or, against
             another benchmark of the run round by round (stats.per_round), ratio:OTHER
             (0.47), lower:OTHER (rounds this one was lower in), rounds:OTHER (rounds
             compared), vs:OTHER (the ratio and the rounds it won: 0.87 (23/30))
  run FIELD  the run itself: elapsed_seconds, elapsed_minutes, benchmarks (how many),
             sweep_points, resolved (benchmarks whose ns/op is resolved: its 95% interval
             within ±5%)

VALUE is the text the statistic formats to: a number, with a unit (MiB, µs, ms, %), a
spread (±26%, ±26%!) or a round count ((23/30)) where the format has one. A marker inside
code (a `span` or a fenced block) is an example, not a quote. check() lists
every quote whose VALUE is not what its run says today, and every marker that cannot be
resolved; refresh() rewrites each VALUE from its run (`./mmbench quotes --refresh`, after
the committed runs are made again). harness/tests/test_quotes.py holds README.md and
docs/*.md to their runs.
"""
import glob
import os
import re

from harness import metrics, results, stats, table
from harness.errors import UserError

VALUE = r"[-+]?\d[\d,]*(?:\.\d+)?(?: ?(?:MiB|µs|ms|%))?(?: ±\d+(?:\.\d+)?%!?)?(?: \(\d+/\d+\))?"
QUOTE = re.compile(rf"(?P<value>{VALUE})?<!-- quote (?P<spec>[^>]*?) -->")
RUN_FIELDS = {
    "elapsed_seconds": lambda data: f"{data['elapsed_seconds']:.0f}",
    "elapsed_minutes": lambda data: f"{data['elapsed_seconds'] / 60:.0f}",
    "benchmarks": lambda data: f"{len(data['benchmarks'])}",
    "sweep_points": lambda data: f"{len(data.get('sweep') or [])}",
    "resolved": lambda data: f"{sum(_resolved(b) for b in data['benchmarks'])}",
}


def _resolved(entry):
    """Whether a benchmark's ns/op is resolved (its interval within ±stats.HALF_WIDTH)."""
    m = (entry.get("metrics") or {}).get("ns_per_op") or {}
    return not entry.get("error") and m.get("unstable") is False


class QuoteError(Exception):
    """A marker that names nothing a run holds."""


def doc_files(root):
    """The documents whose quotes are held to their runs: README.md and docs/*.md."""
    return [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))


class Runs:
    """The results folders quotes name, each read once."""

    def __init__(self, root):
        self.root = root
        self.loaded = {}

    def data(self, folder):
        if folder not in self.loaded:
            path = os.path.join(self.root, folder)
            try:
                self.loaded[folder] = results.load(path)
            except UserError as e:  # no such folder, or not a results file: one line, named as the marker does
                raise QuoteError(str(e).replace(path, folder)) from None
        return self.loaded[folder]

    def value(self, spec):
        """The text `spec` ("FOLDER BENCHMARK METRIC STATISTIC") formats to today."""
        words = spec.split()
        if len(words) == 3 and words[1] == "run":
            folder, _, field = words
            if field not in RUN_FIELDS:
                raise QuoteError(f"unknown run field {field!r} (known: {', '.join(RUN_FIELDS)})")
            return RUN_FIELDS[field](self.data(folder))
        if len(words) != 4:
            raise QuoteError(f"a quote names FOLDER BENCHMARK METRIC STATISTIC, not {spec!r}")
        folder, name, key, statistic = words
        data = self.data(folder)
        entry = _entry(data, name, folder)
        if key not in metrics.METRICS:
            raise QuoteError(f"unknown metric {key!r}")
        metric = metrics.METRICS[key]
        summary = (entry.get("metrics") or {}).get(key)
        if summary is None:
            raise QuoteError(f"{folder} {name} has no {key}")
        kind, _, other = statistic.partition(":")
        if other:
            paired = stats.per_round(results.by_round(entry, key), results.by_round(_entry(data, other, folder), key))
            if paired is None:
                raise QuoteError(f"{folder}: {name} and {other} share no round of {key}")
            ratio, lower, rounds = paired.median, paired.faster, paired.rounds
            formats = {"ratio": f"{ratio:.2f}", "lower": f"{lower}", "rounds": f"{rounds}",
                       "vs": f"{ratio:.2f} ({lower}/{rounds})"}
            if kind not in formats:
                raise QuoteError(f"unknown statistic {kind!r} against {other}")
            return formats[kind]
        if statistic in ("median", "mean", "min", "max"):
            return table.FORMATS[metric.show](summary[statistic])
        if statistic == "spread":
            return f"{summary['spread'] * 100:.0f}%"
        if statistic == "n":
            return f"{summary['n']}"
        if statistic == "cell":
            return table.cell(metric, summary)
        raise QuoteError(f"unknown statistic {statistic!r}")


def _entry(data, name, folder):
    for b in data.get("benchmarks", []) + data.get("sweep", []):
        if b.get("name") == name:
            return b
    raise QuoteError(f"{folder} has no benchmark {name!r}")


CODE = re.compile(r"^```.*?^```[^\n]*$|`(?:[^`\n]|\n(?!\n))+`", re.M | re.S)  # a span stays in its paragraph


def _quotes(text):
    """The quote markers of a document, code left out (blanked, so offsets hold)."""
    prose = CODE.sub(lambda m: " " * len(m.group(0)), text)
    return list(QUOTE.finditer(prose))


def _line(text, offset):
    return text.count("\n", 0, offset) + 1


def check_text(text, runs, shown="text"):
    """(quotes found, [problem lines]) of one document."""
    problems = []
    found = 0
    for m in _quotes(text):
        found += 1
        where = f"{shown}:{_line(text, m.start())}"
        try:
            want = runs.value(m.group("spec"))
        except QuoteError as e:
            problems.append(f"{where}: {e}")
            continue
        if m.group("value") != want:
            problems.append(f"{where}: {m.group('value') or 'no number'} quotes '{m.group('spec')}', "
                            f"which is {want}")
    return found, problems


def refresh_text(text, runs, shown="text"):
    """(text with every resolvable VALUE rewritten from its run, [problem lines])."""
    problems, pieces, at = [], [], 0
    for m in _quotes(text):
        try:
            want = runs.value(m.group("spec"))
        except QuoteError as e:
            problems.append(f"{shown}:{_line(text, m.start())}: {e}")
            continue
        pieces += [text[at:m.start()], f"{want}<!-- quote {m.group('spec')} -->"]
        at = m.end()
    return "".join(pieces) + text[at:], problems


def check(paths, root):
    """(quotes found, [problem lines]) over the documents at `paths`."""
    runs, total, problems = Runs(root), 0, []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            found, bad = check_text(f.read(), runs, os.path.relpath(path, root))
        total += found
        problems += bad
    return total, problems


def refresh(paths, root):
    """Rewrites the quoted values of the documents at `paths` from their runs (each file
    atomically, only when it changes); returns ([files changed], [problem lines])."""
    runs, changed, problems = Runs(root), [], []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new, bad = refresh_text(text, runs, os.path.relpath(path, root))
        problems += bad
        if new != text:
            mode = os.stat(path).st_mode & 0o777
            results.write_atomic(path, new)
            os.chmod(path, mode)  # a document keeps its permissions (write_atomic's temporary file has 0600)
            changed.append(path)
    return changed, problems
