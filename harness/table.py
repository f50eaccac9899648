"""Tables of a run: terminal text, Markdown and CSV, all from the same rows."""
import csv
import io

from harness import gc_table
from harness.metrics import COLUMNS, FRAG_MIN_LIVE

MIB = 1024 * 1024
# Shown only when some benchmark has them: whole-process time (hyperfine) and exact
# instruction counts (--counts).
OPTIONAL = [("process_s", "process s", "s", True), ("instructions_per_op", "instr/op", "count", True)]


def columns(data):
    present = {k for b in data["benchmarks"] for k in (b.get("metrics") or {})}
    return COLUMNS + [c for c in OPTIONAL if c[0] in present]


def _format(key, unit, summary):
    if summary is None:
        return "—"
    v = summary["median"]
    if unit == "bytes":
        return f"{v / MIB:.1f} MiB"
    if unit == "ratio":
        return f"{v * 100:.1f}%"
    if unit == "count":
        return f"{v:.1f}"
    text = f"{v:.3f}" if unit == "s" else (f"{v:.1f}" if v < 1000 else f"{v:.0f}")
    if summary.get("n", 1) > 1:
        text += f" ±{summary['spread'] * 100:.0f}%"
        if summary.get("unstable"):
            text += "!"
    return text


def rows(data):
    """[heading row, then one row per benchmark] with formatted cells."""
    cols = columns(data)
    head = ["workload", "strategy"] + [title for _, title, _, _ in cols]
    out = [head]
    for b in data["benchmarks"]:
        if b.get("kind") == "gc":
            continue  # the GC table (gc_table.rows)
        if b.get("error"):
            out.append([b["workload"], b["strategy"], f"FAILED: {b['error']}"] + [""] * (len(cols) - 1))
            continue
        metrics = b.get("metrics", {})
        if not metrics and b.get("status") == "incomplete":
            out.append([b["workload"], b["strategy"], "not run yet (--resume)"] + [""] * (len(cols) - 1))
            continue
        out.append([b["workload"], b["strategy"]] +
                   [_format(key, unit, metrics.get(key)) + (_cut(metrics) if key == "ns_per_op" else "")
                    for key, _, unit, _ in cols])
    return out


def _completed(metrics):
    """The fraction of the workload's steps the time budget let run (1 = all)."""
    done = (metrics or {}).get("completed")
    return done["min"] if done else 1.0


def _small_live(metrics):
    live = (metrics or {}).get("peak_live")
    return live is not None and live["median"] < FRAG_MIN_LIVE and "frag" not in metrics


def _cut(metrics):
    done = _completed(metrics)
    return f" [{done:.0%} of steps]" if done < 1 else ""


def footnote(data):
    """What the marks mean, when any is used."""
    notes = []
    if any(m and m.get("unstable") for b in data["benchmarks"] for m in (b.get("metrics") or {}).values()):
        notes.append("! unstable: the spread (stddev/mean) of the repetitions is over 10%; treat the median with care")
    if any(_small_live(b.get("metrics")) for b in data["benchmarks"] if b.get("kind") != "gc"):
        notes.append(f"frag —: under {FRAG_MIN_LIVE // 1024} KiB was live at once, so a heap's fixed cost would read "
                     "as fragmentation; not reported")
    if any(_completed(b.get("metrics")) < 1 for b in data["benchmarks"]):
        budget = (data.get("config") or {}).get("budget")
        notes.append(f"[N% of steps]: the time budget ({budget:g} s, --budget) stopped this strategy early; its "
                     "numbers cover the steps it did (a slow strategy gets slower as its heap grows)"
                     if budget else "[N% of steps]: the time budget stopped this strategy early")
    return "".join(n + "\n" for n in notes)


def _tables(data):
    """The allocator table and the GC table, each only when it has rows."""
    return [t for t in (rows(data), gc_table.rows(data)) if len(t) > 1]


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
    """Raw numbers (medians and spreads), not formatted: for spreadsheets and scripts."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    keys = [key for key, _, _, _ in columns(data)]
    keys += [k for k in gc_table.COUNTERS if k not in keys]
    w.writerow(["workload", "strategy", "error"] + keys + ["ns_per_op_spread", "repetitions"])
    for b in data["benchmarks"]:
        m = b.get("metrics", {})
        ns = m.get("ns_per_op") or {}
        w.writerow([b["workload"], b["strategy"], b.get("error") or ""] +
                   [("" if m.get(k) is None else f"{m[k]['median']:.6g}") for k in keys] +
                   [f"{ns['spread']:.4f}" if ns else "", ns.get("n", 0)])
    return buf.getvalue()
