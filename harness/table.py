"""Tables of a run: terminal text, Markdown and CSV, all from the same rows.

Two tables, each only when the run has rows for it: the allocators' (metrics.ALLOCATOR_COLUMNS,
plus OPTIONAL_COLUMNS that some benchmark has) and the collectors' (metrics.GC_COLUMNS), so
neither carries the other's empty columns. A cell shows a metric's median the way the
catalog's `show` says; a timed metric adds the half-width of its 95% interval, `±4.2%`,
and `!` when that is over stats.HALF_WIDTH (the median is not resolved).

The column "vs REFERENCE" compares each benchmark with its workload's reference, round by
round: the run's --reference (the C library's malloc by default) in the allocator table,
the program that manages memory by hand on it (GC_BASELINE) in the collector table.
Repetitions are interleaved, so the two of a pair ran within seconds of each other and
their ratio cancels the machine's swings that the two medians keep. The cell is the median
of the rounds' ratios and its 95% interval (stats.per_round): `0.47 [0.44, 0.50]`.

The terminal's text is split to a width (text(data, width)): a table wider than that is
printed as several, each with the workload and strategy columns and as many of the others
as fit.
"""
import csv
import io
import math
import textwrap

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


def cell(metric, s):
    """One metric's summary `s` as a table shows it; a timed one with its interval's
    half-width. Results written before intervals were (no half_width) show what they
    showed then: the spread between repetitions, `!` over OLD_UNSTABLE_SPREAD."""
    if s is None:
        return "—"
    text = FORMATS[metric.show](s["median"])
    if metric.timed and "half_width" in s:
        text += f" ±{percent(s['half_width'])}" + ("!" if s.get("unstable") else "")
    elif metric.timed and s.get("n", 1) > 1 and "spread" in s:
        text += f" ±{s['spread'] * 100:.0f}%" + ("!" if s["spread"] > OLD_UNSTABLE_SPREAD else "")
    return text


OLD_UNSTABLE_SPREAD = 0.10  # the mark of results written before intervals (cell)


def percent(fraction):
    """4.2% under 10%, 12% above."""
    value = fraction * 100
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def ratio_text(r):
    """A stats.RoundRatio as a cell: 0.47 [0.44, 0.50]."""
    return f"{r.median:.2f} [{r.low:.2f}, {r.high:.2f}]" if r.rounds > 1 else f"{r.median:.2f}"


def reference(data):
    """The allocator table's reference strategy: the run's --reference."""
    return (data.get("config") or {}).get("reference") or summary.REFERENCE


def columns(data):
    """The allocator table's columns for this run: the process's own accounting
    (PROCESS_COLUMNS) only where it differs (differs())."""
    present = {k for b in data["benchmarks"] for k in (b.get("metrics") or {})}
    return (metrics.ALLOCATOR_COLUMNS + [c for c in metrics.OPTIONAL_COLUMNS if c.metric.key in present] +
            [c for c in metrics.PROCESS_COLUMNS if c.metric.key not in ("user_seconds", "major_faults")
             and differs(data, c.metric.key)])


# the least a process's system seconds or minor faults must reach to be worth a column
PROCESS_FLOOR = {"sys_seconds": 0.05, "minor_faults": 1000}


def differs(data, key):
    """Whether `key` (system seconds, minor faults) tells strategies apart: on some workload
    one strategy's median is at least twice another's and past PROCESS_FLOOR."""
    by_workload = {}
    for b in data["benchmarks"]:
        m = (b.get("metrics") or {}).get(key)
        if b.get("kind") != "gc" and m and m.get("median") is not None:
            by_workload.setdefault(b["workload"], []).append(m["median"])
    return any(max(v) >= PROCESS_FLOOR[key] and max(v) >= 2 * min(v) for v in by_workload.values() if len(v) > 1)


def rows(data):
    """The allocator table: [heading row, then one row per benchmark] with formatted cells."""
    cols = columns(data)
    alloc = [b for b in data["benchmarks"] if b.get("kind") != "gc"]  # the GC table: gc_rows
    ref = reference(data)
    base = {b["workload"]: b for b in alloc if b["strategy"] == ref and not b.get("error")}
    first, rest = cols[:1], cols[1:]
    out = [["workload", "strategy"] + [c.heading for c in first] + ([f"vs {ref}"] if base else []) +
           [c.heading for c in rest]]
    for b in alloc:
        if b.get("error"):
            out.append([b["workload"], b["strategy"], f"FAILED: {b['error']}"] + [""] * (len(out[0]) - 3))
            continue
        m = b.get("metrics", {})
        if not m and b.get("status") == "incomplete":
            out.append([b["workload"], b["strategy"], "not run yet (--resume)"] + [""] * (len(out[0]) - 3))
            continue
        paired = [_versus(b, base.get(b["workload"]))] if base else []
        small = _small_live(m)
        shown = [TOO_SMALL if small and c.metric.key in SMALL_LIVE_HIDES else
                 cell(c.metric, m.get(c.metric.key)) + _mark(c.metric, m) for c in cols]
        out.append([b["workload"], b["strategy"]] + shown[:len(first)] + paired + shown[len(first):])
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
    """The "vs REFERENCE" cell: b's ns/op over the reference's, round by round, with its
    interval (ratio_text); 1.00 for the reference itself; — when no round has both."""
    if base is None:
        return "—"
    if b is base:
        return "1.00"
    paired = stats.per_round(results.by_round(b, "ns_per_op"), results.by_round(base, "ns_per_op"))
    return ratio_text(paired) if paired else "—"


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


def clock_note(data):
    """Which clock ns/op is on: one line, naming the workloads on the other clock when the
    run mixed them (multi-threaded workloads are on wall time by default)."""
    by_clock = {}
    for b in data["benchmarks"]:
        if b.get("clock"):
            by_clock.setdefault(b["clock"], []).append(b["workload"])
    if not by_clock:
        return None
    what = {"cpu": "CPU time of the process", "wall": "wall-clock time"}
    main = max(by_clock, key=lambda c: len(by_clock[c]))
    text = f"ns/op: {what.get(main, main)} per operation, median of the processes"
    for other, names in sorted(by_clock.items()):
        if other != main:
            text += f"; {what.get(other, other)} for {', '.join(dict.fromkeys(names))}"
    text += " (--clock)"
    flags = [m["realtime"]["min"] for b in data["benchmarks"] for m in [b.get("metrics") or {}] if "realtime" in m]
    if any(flags):
        text += "; single-threaded ones timed at real-time priority (SCHED_FIFO)"
    elif flags and (data.get("config") or {}).get("realtime"):
        text += "; timed at normal priority: this system does not allow real-time (run as root for steadier numbers)"
    return text


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
    notes = [n for n in [clock_note(data)] if n]
    if any(m and "half_width" in m for b in data["benchmarks"] for m in (b.get("metrics") or {}).values()):
        notes.append(f"±: half-width of the median's 95% interval (bootstrap over the processes); ! over "
                     f"±{stats.HALF_WIDTH:.0%}: not resolved, treat the median with care")
    if any(_small_live(b.get("metrics")) for b in data["benchmarks"] if b.get("kind") != "gc"):
        notes.append(f"{TOO_SMALL}: under {metrics.FRAG_MIN_LIVE // 1024} KiB was live at once, too small to judge "
                     "fragmentation (a heap's fixed cost would read as waste)")
    if any(b["strategy"] == summary.FLOOR and (b.get("metrics") or {}).get("peak_footprint") for b in data["benchmarks"]):
        notes.append(f"{summary.FLOOR}: frees nothing, so its footprint is every byte the run ever allocated and "
                     "grows with the run's length, whatever is live; it is the least allocator work, not a heap to choose "
                     "(and not a floor of time: its blocks are always fresh memory)")
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


def text(data, width=None):
    """The tables as terminal text; split into parts, and the footnotes wrapped, no wider
    than `width` (None: whole)."""
    parts = [part for t in _tables(data) for part in split(t, width)]
    notes = footnote(data)
    if width is not None:
        notes = "".join(textwrap.fill(n, width, subsequent_indent="  ") + "\n" for n in notes.splitlines())
    return "\n".join(_text(t) for t in parts) + notes


def winners_text(data, width=None):
    """Who wins, one paragraph per workload (summary.winners), for the terminal before the
    full tables: the fastest, the smallest, and each strategy's ratio to the reference
    with its interval, wrapped to `width`."""
    lines = []
    for w in summary.winners(data):
        parts = [f"fastest {w.fastest.strategy} {FORMATS[metrics.TIME](w.fastest.value)} ns/op" if w.fastest else None,
                 "footprints too small to judge" if w.too_small else
                 f"smallest {w.smallest.strategy} {FORMATS[metrics.MIB](w.smallest.value)}" if w.smallest else None]
        ratios = [f"{name} {ratio_text(r)}" for name, r in w.ratios.items() if r is not None and name != w.reference]
        if ratios:
            parts.append(f"vs {w.reference}: " + ", ".join(ratios))
        line = f"{w.name}: " + "; ".join(p for p in parts if p)
        lines.append(textwrap.fill(line, width, subsequent_indent="  ") if width else line)
    return "".join(line + "\n" for line in lines)


KEY_COLUMNS = 2  # workload and strategy: repeated in every part of a split table


def split(table, width):
    """`table` as [tables], each with the key columns and as many of the rest as fit in
    `width` characters (at least one more each); [table] when it fits or width is None."""
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    if width is None or sum(widths) + 2 * (len(widths) - 1) <= width:
        return [table]
    parts, start = [], KEY_COLUMNS
    key = sum(widths[:KEY_COLUMNS]) + 2 * KEY_COLUMNS
    while start < len(widths):
        end, used = start + 1, key + widths[start]
        while end < len(widths) and used + 2 + widths[end] <= width:
            used += 2 + widths[end]
            end += 1
        parts.append([r[:KEY_COLUMNS] + r[start:end] for r in table])
        start = end
    return parts


def _text(table):
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = []
    for n, r in enumerate(table):
        cells = [c.ljust(w) if i < KEY_COLUMNS else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
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
    """Raw numbers (medians, ns/op's interval), not formatted: for spreadsheets and
    scripts. The allocator table's columns, the process's own accounting
    (PROCESS_COLUMNS), then every collector counter."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = [c.metric.key for c in columns(data)]
    keys += [c.metric.key for c in metrics.PROCESS_COLUMNS if c.metric.key not in keys]
    keys += [m.key for m in metrics.from_source("collector") if m.key not in keys]
    w.writerow(["workload", "strategy", "error"] + keys + ["ns_per_op_low", "ns_per_op_high", "clock", "repetitions"])
    for b in data["benchmarks"]:
        m = b.get("metrics", {})
        ns = m.get("ns_per_op") or {}
        low, high = ns.get("ci95") or ("", "")
        w.writerow([b["workload"], b["strategy"], b.get("error") or ""] +
                   [("" if m.get(k) is None else plain(m[k]["median"])) for k in keys] +
                   [plain(low) if low != "" else "", plain(high) if high != "" else "", b.get("clock") or "",
                    ns.get("n", 0)])
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
