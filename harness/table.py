"""Tables of a run: terminal text, Markdown and CSV, all from the same rows.

Two tables, each only when the run has rows for it: the allocators' (metrics.ALLOCATOR_COLUMNS,
plus OPTIONAL_COLUMNS that some benchmark has) and the collectors' (metrics.GC_COLUMNS), so
neither carries the other's empty columns. A cell shows a metric's median the way the
catalog's `show` says; a timed metric adds its spread.

The GC table's column "vs manual/system" compares each benchmark with the program that
manages memory by hand on the C library's malloc, round by round: repetitions are
interleaved, so the two ran within seconds of each other, and the ratio of a pair cancels
the machine's swings that the medians of the two columns keep. The cell is the median
ratio and in how many rounds the benchmark was the faster.
"""
import csv
import io
import math

from harness import metrics, results, stats, summary

MIB = 1024 * 1024
GC_BASELINE = summary.GC_REFERENCE
TOO_SMALL = "too small"  # a fragmentation cell where the live set is too small to judge it
FORMATS = {
    metrics.TIME: lambda v: f"{v:.1f}" if v < 1000 else f"{v:.0f}",
    metrics.SECONDS: lambda v: f"{v:.3f}",
    metrics.MIB: lambda v: f"{v / MIB:.1f} MiB" if v >= MIB / 10 else f"{v / 1024:.1f} KiB",
    metrics.PERCENT: lambda v: f"{v * 100:.1f}%",
    metrics.DECIMAL: lambda v: f"{v:.1f}",
    metrics.INTEGER: lambda v: f"{v:.0f}",
    metrics.DURATION: lambda v: f"{v / 1e3:.1f} µs" if v < 1e6 else f"{v / 1e6:.2f} ms",
}


def cell(metric, summary):
    """One metric's summary as a table shows it; a timed one with its spread."""
    if summary is None:
        return "—"
    text = FORMATS[metric.show](summary["median"])
    if metric.timed and summary.get("n", 1) > 1:
        text += f" ±{summary['spread'] * 100:.0f}%"
        if summary.get("unstable"):
            text += "!"
    return text


def columns(data):
    """The allocator table's columns for this run."""
    present = {k for b in data["benchmarks"] for k in (b.get("metrics") or {})}
    return metrics.ALLOCATOR_COLUMNS + [c for c in metrics.OPTIONAL_COLUMNS if c.metric.key in present]


def rows(data):
    """The allocator table: [heading row, then one row per benchmark] with formatted cells."""
    cols = columns(data)
    out = [["workload", "strategy"] + [c.heading for c in cols]]
    for b in data["benchmarks"]:
        if b.get("kind") == "gc":
            continue  # the GC table (gc_rows)
        if b.get("error"):
            out.append([b["workload"], b["strategy"], f"FAILED: {b['error']}"] + [""] * (len(cols) - 1))
            continue
        m = b.get("metrics", {})
        if not m and b.get("status") == "incomplete":
            out.append([b["workload"], b["strategy"], "not run yet (--resume)"] + [""] * (len(cols) - 1))
            continue
        small = _small_live(m)
        out.append([b["workload"], b["strategy"]] +
                   [TOO_SMALL if small and c.metric.key in SMALL_LIVE_HIDES else
                    cell(c.metric, m.get(c.metric.key)) + _mark(c.metric, m)
                    for c in cols])
    return out


def gc_rows(data):
    """The GC table: [heading row, then one row per GC benchmark], or [] when the run had none."""
    gc = [b for b in data["benchmarks"] if b.get("kind") == "gc"]
    if not gc:
        return []
    base = {b["workload"]: b for b in gc if b["strategy"] == GC_BASELINE and not b.get("error")}
    first, rest = metrics.GC_COLUMNS[:1], metrics.GC_COLUMNS[1:]
    out = [["workload", "collector"] + [c.heading for c in first] + ([f"vs {GC_BASELINE}"] if base else []) +
           [c.heading for c in rest]]
    for b in gc:
        if b.get("error"):
            out.append([b["workload"], b["strategy"], f"FAILED: {b['error']}"] + [""] * (len(out[0]) - 3))
            continue
        m = b.get("metrics", {})
        paired = [_versus(b, base.get(b["workload"]))] if base else []
        out.append([b["workload"], b["strategy"]] + [cell(c.metric, m.get(c.metric.key)) for c in first] + paired +
                   [cell(c.metric, m.get(c.metric.key)) for c in rest])
    return out


def _versus(b, base):
    """The "vs manual/system" cell: the median ratio of b's ns/object to the baseline's
    over the rounds both have, and in how many b was the faster (1.00 for the baseline
    itself), or — when no round has both."""
    paired = base and stats.per_round(results.by_round(b, "ns_per_op"), results.by_round(base, "ns_per_op"))
    if not paired:
        return "—"
    return "1.00" if b is base else "%.2f (%d/%d)" % paired


def _completed(m):
    """The fraction of the workload's steps the time budget let run (1 = all)."""
    done = (m or {}).get("completed")
    return done["min"] if done else 1.0


SMALL_LIVE_HIDES = ("frag", "frag_at_peak")  # metrics.from_gbench drops them under FRAG_MIN_LIVE


def _small_live(m):
    live = (m or {}).get("peak_live")
    return live is not None and live["median"] < metrics.FRAG_MIN_LIVE and "frag" not in m


def _cut(m):
    done = _completed(m)
    return f" [{done:.0%} of steps]" if done < 1 else ""


def _guarded(m):
    """The fraction of the workload the counted run did (1 unless it hit the runaway guard)."""
    done = (m or {}).get("counts_completed")
    return done["min"] if done else 1.0


def _mark(metric, m):
    """What a cell adds to its number: the budget's cut beside ns/op, the runaway guard's
    beside the counts."""
    if metric.key == "ns_per_op":
        return _cut(m)
    if metric.source == "callgrind" and _guarded(m) < 1:
        return f" [guard: {_guarded(m):.0%} of steps]"
    return ""


def footnote(data):
    """What the marks mean, when any is used."""
    notes = []
    if any(m and m.get("unstable") for b in data["benchmarks"] for m in (b.get("metrics") or {}).values()):
        notes.append("! unstable: the spread (stddev/mean) of the repetitions is over 10%; treat the median with care")
    if any(_small_live(b.get("metrics")) for b in data["benchmarks"] if b.get("kind") != "gc"):
        notes.append(f"{TOO_SMALL}: under {metrics.FRAG_MIN_LIVE // 1024} KiB was live at once, too small to judge "
                     "fragmentation (a heap's fixed cost would read as waste)")
    if any(b["strategy"] == summary.FLOOR and (b.get("metrics") or {}).get("peak_footprint") for b in data["benchmarks"]):
        notes.append(f"{summary.FLOOR}: frees nothing, so its footprint is every byte the run ever allocated and "
                     "grows with the run's length, whatever is live; it is the floor of time, not a heap to choose")
    if any(_completed(b.get("metrics")) < 1 for b in data["benchmarks"]):
        budget = (data.get("config") or {}).get("budget")
        notes.append(f"[N% of steps]: the time budget ({budget:g} s, --budget) stopped this strategy early; its "
                     "numbers cover the steps it did (a slow strategy gets slower as its heap grows)"
                     if budget else "[N% of steps]: the time budget stopped this strategy early")
    if any(_guarded(b.get("metrics")) < 1 for b in data["benchmarks"]):
        notes.append("[guard: N% of steps]: the counted run hit its runaway guard and covers fewer steps than "
                     "the others; compare leaves its counts out")
    return "".join(n + "\n" for n in notes)


def _tables(data):
    """The allocator table and the GC table, each only when it has rows."""
    return [t for t in (rows(data), gc_rows(data)) if len(t) > 1]


def text(data):
    return "\n".join(_text(t) for t in _tables(data)) + footnote(data)


def _text(table):
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = []
    for n, r in enumerate(table):
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def markdown(data):
    note = footnote(data)
    return "\n".join(_markdown(t) for t in _tables(data)) + ("\n" + note if note else "")


def _markdown(table):
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join("---" if i < 2 else "---:" for i in range(len(table[0]))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    return "\n".join(lines) + "\n"


def csv_text(data):
    """Raw numbers (medians and spreads), not formatted: for spreadsheets and scripts. The
    allocator table's columns, the process's own accounting (PROCESS_COLUMNS), then every
    collector counter."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = [c.metric.key for c in columns(data) + metrics.PROCESS_COLUMNS]
    keys += [m.key for m in metrics.from_source("collector") if m.key not in keys]
    w.writerow(["workload", "strategy", "error"] + keys + ["ns_per_op_spread", "repetitions"])
    for b in data["benchmarks"]:
        m = b.get("metrics", {})
        ns = m.get("ns_per_op") or {}
        w.writerow([b["workload"], b["strategy"], b.get("error") or ""] +
                   [("" if m.get(k) is None else plain(m[k]["median"])) for k in keys] +
                   [plain(round(ns["spread"], 4)) if ns else "", ns.get("n", 0)])
    return buf.getvalue()


def plain(value):
    """A number as a spreadsheet or pgfplots reads it without surprise: a whole number as
    an integer (26491362, never 2.64914e+07), anything else with six significant digits in
    plain decimal notation (0.0714919, 96.3123)."""
    if not math.isfinite(value):
        return "nan"
    if value == int(value):
        return str(int(value))
    digits = max(0, 5 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")
