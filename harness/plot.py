"""Charts of a results folder: small multiples, one figure per metric, one panel per workload.

Figures (FIGURES; each only when the results hold its data):
  time_per_op      allocator workloads: each strategy's median ns per operation, a dot on
                   its row; whiskers: the 95% interval of the median where results.json has
                   one (metrics.ns_per_op.ci95), else min..max of the repetitions (the
                   legend says which); bump as a dashed line: it frees nothing, so it is not
                   a choice; the least allocator work, not a bound on time (reuse can beat it)
  time_per_object  collector workloads: the same per object, each heap on its row; the
                   no-GC baseline (summary.GC_REFERENCE) as a dotted line
  fragmentation    peak footprint / peak live (Johnstone & Wilson's measure 4); a workload
                   whose live set is under metrics.FRAG_MIN_LIVE says "too small to judge"
                   (summary.too_small);
                   bump is left out (it frees nothing: its footprint is all it ever allocated)
  time_vs_memory   ns/op against peak footprint, one point per strategy; the Pareto front (no
                   other strategy both faster and smaller) ringed and joined; bump's time as a line;
                   too small to judge, as fragmentation
  cost_growth      ns/op as the swept parameter grows (the sweep), one panel per sweep
  pauses           collector workloads: each heap's pause p50, p99 and max on its row, in µs
                   (counts are the tables')

Vocabulary: a Figure is a list of Panels and how to read them, built from the results
alone (figures(), no matplotlib); draw() turns one into files in a Style; data_csv() into
the figure's numbers for pgfplots. A Look is a series' colour, marker and fill, keyed by
name (LOOKS) so a strategy looks the same in every run whatever else ran; a heap
"collector/allocator" takes its collector's colour and its allocator's marker. Hollow
markers: not built here (the C library's malloc, peer libraries). A panel's measured axis
is logarithmic when its values span more than LOG_SPAN.

Styles (STYLES): default (the results folder's charts/: PNG and SVG, at most 12.8 in wide at
150 dpi, legible on a 1280x720 slide), slide (charts/slide/: 16:9, large type; PNG, SVG,
PDF), paper (charts/paper/: one-column 3.4 in and two-column 7 in wide, 8 pt serif; PDF
and SVG, and a CSV per figure). Panels are laid out at fixed positions computed from the
style, so drawing is one pass per file. Files are reproducible (no dates, fixed SVG ids) and
written whole (temporary file, then rename).
"""
import csv
import io
import math
import os
import zlib
from dataclasses import dataclass, field, replace

from harness import metrics, results, stats, summary, table

MIB = 1024 * 1024
LOG_SPAN = 20  # a panel's values spanning more than this ratio get a logarithmic axis
FLOOR = summary.FLOOR
# What bump's dashed line is: the least work an allocator can do, not a bound on time. Its
# blocks are always fresh memory, so a strategy that reuses memory still in cache can beat
# it (docs/bump.md counts where).
BUMP_NOTE = "bump: a pointer increment that frees nothing, the least allocator work; not a floor of time"

# ---- looks: one colour and marker per name, in every run --------------------------------------
# Okabe & Ito's colour-blind-safe eight for the allocators, Paul Tol's muted set for the
# collectors; the marker tells apart what the colour alone would not. The order here is the
# order of rows and legends.


@dataclass(frozen=True)
class Look:
    colour: str
    marker: str
    built_here: bool  # False: the C library's or a peer library's: drawn hollow


ALLOCATOR_LOOKS = {
    "system": Look("#000000", "o", False),
    "bump": Look("#7f7f7f", "|", True),
    "pool": Look("#0072B2", "s", True),
    "buddy": Look("#D55E00", "^", True),
    "first-fit": Look("#E69F00", "v", True),
    "first-fit-ao": Look("#999933", "<", True),
    "next-fit": Look("#CC79A7", ">", True),
    "best-fit": Look("#009E73", "D", True),
    "jemalloc": Look("#332288", "p", False),
    "mimalloc": Look("#56B4E9", "h", False),
    "tcmalloc": Look("#882255", "d", False),
}
COLLECTOR_LOOKS = {
    "manual": Look("#555555", "o", True),
    "rc": Look("#CC6677", "o", True),
    "rc-gen": Look("#117733", "o", True),
    "rc-inc": Look("#44AA99", "o", True),
    "boehm": Look("#AA4499", "*", False),
}
# a name not above (a new strategy) gets one of these by a hash of its name: the same in every run
SPARE_COLOURS = ["#EE7733", "#0077BB", "#33BBEE", "#EE3377", "#CC3311", "#009988", "#BBBBBB", "#DDCC77"]
SPARE_MARKERS = ["8", "H", "X", "P", "*", "o", "s", "^"]


def look(name):
    """The Look of a strategy, collector or heap ("rc-gen/pool")."""
    if name in ALLOCATOR_LOOKS:
        return ALLOCATOR_LOOKS[name]
    collector, _, allocator = name.partition("/")
    if collector in COLLECTOR_LOOKS:
        own = COLLECTOR_LOOKS[collector]
        return Look(own.colour, look(allocator).marker if allocator else own.marker, own.built_here)
    h = zlib.crc32(name.encode())
    return Look(SPARE_COLOURS[h % len(SPARE_COLOURS)], SPARE_MARKERS[(h // 8) % len(SPARE_MARKERS)], True)


def order_key(name):
    """Rows and legends in LOOKS order (allocators, then heaps by collector, then allocator),
    unknown names after, by name."""
    known = list(ALLOCATOR_LOOKS)
    collector, _, allocator = name.partition("/")
    if name in ALLOCATOR_LOOKS:
        return (0, known.index(name), 0, name)
    if collector in COLLECTOR_LOOKS:
        return (1, list(COLLECTOR_LOOKS).index(collector), known.index(allocator) if allocator in known else -1, name)
    return (2, 0, 0, name)


# ---- figures: what to draw, from the results alone --------------------------------------------

DOTS, RANGES, SCATTER, LINES = "dots", "ranges", "scatter", "lines"
TOO_SMALL = f"too small to judge:\nunder {metrics.FRAG_MIN_LIVE // 1024} KiB live at once"  # summary.too_small
RANGE_KEYS = ("pause_p50_ns", "pause_p99_ns", "pause_max_ns")


@dataclass
class Panel:
    title: str
    # DOTS: {series: (value, low, high)}, low/high None without whiskers; RANGES: {series:
    # (p50, p99, max)}; SCATTER: {series: (x, y)}; LINES: {series: [(x, y, low, high)]}
    series: dict
    floor: float | None = None                # bump's value on the measured axis: a dashed line
    reference: tuple | None = None            # (value, label): a dotted baseline
    note: str | None = None                   # drawn instead of data
    front: list = field(default_factory=list)  # SCATTER: the Pareto front, series names by x
    key: str = ""                              # its name in files and CSV columns; "": the title

    @property
    def name(self):
        return self.key or self.title


@dataclass
class Figure:
    name: str
    title: str
    kind: str
    axis: str           # the measured axis, with its unit (x of DOTS and RANGES, y otherwise)
    panels: list
    other_axis: str = ""  # SCATTER and LINES: the x axis, with its unit
    fields: tuple = ()    # the CSV's columns per panel (data_csv)
    notes: list = field(default_factory=list)  # legend lines besides the series: (kind, text)

    def names(self):
        found = {n for p in self.panels for n in p.series}
        return sorted(found, key=order_key)


def _ok(entries, key="ns_per_op"):
    return [b for b in entries if summary.median(b, key) is not None]


def _group(entries):
    """{workload: [entries]} in the run's order."""
    out = {}
    for b in entries:
        out.setdefault(b["workload"], []).append(b)
    return out


def _whisker_note(hows):
    hows = {h for h in hows if h}
    if not hows:
        return []
    if hows == {"ci"}:
        return [("whisker", "whiskers: 95% interval of the median")]
    if hows == {"range"}:
        return [("whisker", "whiskers: min to max of the repetitions")]
    return [("whisker", "whiskers: 95% interval of the median (min to max where none was recorded)")]


def _time_dots(name, title, axis, entries, reference_name=None):
    panels, hows = [], []
    for workload, mine in _group(_ok(entries)).items():
        panel = Panel(workload, {})
        for b in mine:
            m = b["metrics"]["ns_per_op"]
            if b["strategy"] == FLOOR:
                panel.floor = m["median"]
                continue
            low, high, how = stats.whisker(m)
            hows.append(how)
            panel.series[b["strategy"]] = (m["median"], low, high)
            if b["strategy"] == reference_name:
                panel.reference = (m["median"], reference_name)
        if panel.series:
            panels.append(panel)
    if not panels:
        return None
    notes = _whisker_note(hows)
    if any(p.floor is not None for p in panels):
        notes.append(("floor", BUMP_NOTE))
    if any(p.reference for p in panels):
        notes.append(("reference", f"{reference_name}: no collector, explicit delete"))
    return Figure(name, title, DOTS, axis, panels, fields=("median", "low", "high"), notes=notes)


def _alloc(data):
    return [b for b in data.get("benchmarks", []) if summary.kind(b) == "alloc"]


def _gc(data):
    return [b for b in data.get("benchmarks", []) if summary.kind(b) == "gc"]


def time_per_op(data):
    return _time_dots("time_per_op", "Time per allocator operation (median; lower is better)", "ns/op",
                      _alloc(data))


def time_per_object(data):
    return _time_dots("time_per_object", "Collectors: time per object (median; lower is better)", "ns/object",
                      _gc(data), summary.GC_REFERENCE)


def fragmentation(data):
    panels = []
    for workload, mine in _group([b for b in _alloc(data) if not b.get("error")]).items():
        held = {b["strategy"]: 1 + summary.median(b, "frag") for b in mine
                if summary.median(b, "frag") is not None and b["strategy"] != FLOOR}
        if summary.too_small(mine):
            panels.append(Panel(workload, {}, note=TOO_SMALL))
        elif held:
            panels.append(Panel(workload, {s: (v, None, None) for s, v in held.items()}, reference=(1.0, "")))
    if not any(p.series for p in panels):
        return None
    notes = [("reference", "1 = no byte held beyond the live data")]
    if any(b["strategy"] == FLOOR for b in _alloc(data)):
        notes.append(("text", "bump left out: it frees nothing, so its footprint is all the run ever allocated"))
    return Figure("fragmentation", "Memory held per byte live, at the peaks (J&W measure 4; lower is better)",
                  DOTS, "peak footprint / peak live", panels, fields=("ratio",), notes=notes)


def pareto(points):
    """Indices of the points no other point beats on both x and y (lower is better), by x."""
    front = []
    for i, (x, y) in enumerate(points):
        if not any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for j, (x2, y2) in enumerate(points) if j != i):
            front.append(i)
    return sorted(front, key=lambda i: points[i])


def time_vs_memory(data):
    panels = []
    for workload, mine in _group(_ok(_alloc(data), "peak_footprint")).items():
        if summary.too_small(mine):
            panels.append(Panel(workload, {}, note=TOO_SMALL))
            continue
        panel = Panel(workload, {})
        for b in mine:
            ns = summary.median(b, "ns_per_op")
            if ns is None:
                continue
            if b["strategy"] == FLOOR:
                panel.floor = ns
            else:
                panel.series[b["strategy"]] = (summary.median(b, "peak_footprint") / MIB, ns)
        names = list(panel.series)
        panel.front = [names[i] for i in pareto([panel.series[n] for n in names])]
        if panel.series:
            panels.append(panel)
    if not any(p.series for p in panels):
        return None
    notes = [("front", "Pareto front: nothing else both faster and smaller")]
    if any(p.floor is not None for p in panels):
        notes.append(("floor", BUMP_NOTE + "; its footprint grows with the run"))
    return Figure("time_vs_memory", "Time against memory (best: lower left)", SCATTER, "ns/op", panels,
                  other_axis="peak footprint (MiB)", fields=("footprint_mib", "ns_per_op", "pareto"), notes=notes)


def cost_growth(data):
    sweep = [b for b in _ok(data.get("sweep", [])) if b.get("sweep")]
    if not sweep:
        return None
    series = {}
    for b in sweep:
        series.setdefault((b["workload"], b["sweep"]["param"]), {}).setdefault(b["strategy"], []).append(
            (float(b["sweep"]["value"]), b["metrics"]["ns_per_op"]))
    params = {w["name"]: w.get("params", {}) for w in data.get("workloads", []) if isinstance(w, dict)}
    for b in _ok(data.get("benchmarks", [])):  # the main benchmark is the sweep's point at its own setting
        for (w, p), by in series.items():
            own = params.get(w, {}).get(p)
            if b["workload"] == w and own is not None and b["strategy"] in by:
                by[b["strategy"]].append((float(own), b["metrics"]["ns_per_op"]))
    panels, hows = [], []
    for (w, p), by in series.items():
        panel = Panel(f"{w}, as {p} grows", {}, key=f"{w}-{p}")
        for s, pts in by.items():
            line = []
            for x, m in sorted(pts, key=lambda t: t[0]):
                low, high, how = stats.whisker(m)
                hows.append(how)
                line.append((x, m["median"], low, high))
            panel.series[s] = line
        panels.append(panel)
    params_named = sorted({p for _, p in series})
    return Figure("cost_growth", "Cost as the live set grows (lower is better)", LINES, "ns/op", panels,
                  other_axis=f"{', '.join(params_named)} (blocks alive at once)", fields=("ns_per_op", "low", "high"),
                  notes=_whisker_note(hows))


def pauses(data):
    panels = []
    for workload, mine in _group([b for b in _gc(data) if not b.get("error")]).items():
        rows = {}
        for b in mine:
            values = [summary.median(b, k) for k in RANGE_KEYS]
            if all(v is not None and v > 0 for v in values):
                rows[b["strategy"]] = tuple(v / 1000 for v in values)
        if rows:
            panels.append(Panel(workload, rows))
    if not panels:
        return None
    return Figure("pauses", "Collector pauses: p50, p99 and the longest (lower is better)", RANGES, "pause (µs)",
                  panels, fields=("p50_us", "p99_us", "max_us"),
                  notes=[("ranges", "dot: p50; thick to p99; thin to the longest pause (the heap's marker)")])


FIGURES = [time_per_op, time_per_object, fragmentation, time_vs_memory, cost_growth, pauses]


def figures(data):
    """Every Figure the results support, in FIGURES order."""
    return [f for f in (make(data) for make in FIGURES) if f is not None]


# ---- the numbers of a figure, for pgfplots --------------------------------------------------------


def data_csv(fig):
    """The figure's numbers as CSV, one row per series (strategy or heap; for LINES, per x
    value) and the columns PANEL-FIELD (a workload's "churn-median"), plain decimals, nan
    where a panel lacks the row: what pgfplots' \\addplot table reads."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if fig.kind == LINES:
        xs = sorted({pt[0] for p in fig.panels for line in p.series.values() for pt in line})
        cols = [(p, s, i) for p in fig.panels for s in sorted(p.series, key=order_key) for i in range(3)]
        w.writerow([fig.other_axis.split(" ")[0]] + [f"{p.name}-{s}" + ("", "-low", "-high")[i] for p, s, i in cols])
        for x in xs:
            row = [table.plain(x)]
            for p, s, i in cols:
                pt = next((pt for pt in p.series[s] if pt[0] == x), None)
                value = pt[1 + i] if pt else None
                row.append("nan" if value is None else table.plain(value))
            w.writerow(row)
        return buf.getvalue()
    w.writerow(["strategy"] + [f"{p.name}-{f}" for p in fig.panels for f in fig.fields])
    for name in fig.names():
        row = [name]
        for p in fig.panels:
            values = p.series.get(name)
            if values is not None and fig.kind == SCATTER:
                values = (*values, int(name in p.front))
            for i in range(len(fig.fields)):
                v = values[i] if values is not None and i < len(values) else None
                row.append("nan" if v is None else table.plain(v))
        w.writerow(row)
    return buf.getvalue()


# ---- styles and drawing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    width: float            # inches: the figure's width (at most, when not fixed)
    font: float             # points
    formats: tuple
    folder: str             # under the output folder
    dpi: int = 150          # PNG
    fixed_width: bool = False
    height: float | None = None  # fixed height (slides)
    aspect: float = 9 / 16  # the tallest a figure may be, as height / width, before panels go side by side
    serif: bool = False
    titled: bool = True
    suffix: str = ""        # after the figure's name: "-1col"
    per_panel: bool = False  # a file per panel ("time_per_op-churn-1col"), not the grid


STYLES = {
    "default": [Style(12.8, 10, ("png", "svg"), "charts")],
    "slide": [Style(13.34, 12, ("png", "svg", "pdf"), os.path.join("charts", "slide"), dpi=144,
                    fixed_width=True, height=7.5)],
    "paper": [Style(3.4, 9, ("pdf", "svg"), os.path.join("charts", "paper"), fixed_width=True, aspect=1.5,
                    serif=True, titled=False, suffix="-1col", per_panel=True),
              Style(7.0, 9, ("pdf", "svg"), os.path.join("charts", "paper"), fixed_width=True, aspect=0.8,
                    serif=True, titled=False, suffix="-2col")],
}
CSV_STYLE = "paper"  # the style that also writes each figure's numbers


def _plt():
    # matplotlib is heavy (a second to import) and optional (make_all without it draws
    # nothing): imported only when a chart is drawn
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _rc(style):
    sans = {"font.family": "sans-serif"}
    serif = {"font.family": "serif", "font.serif": ["STIXGeneral", "DejaVu Serif"], "mathtext.fontset": "stix"}
    return {**(serif if style.serif else sans), "font.size": style.font, "axes.titlesize": style.font,
            "axes.labelsize": style.font * 0.9, "xtick.labelsize": style.font * 0.85,
            "ytick.labelsize": style.font * 0.85, "legend.fontsize": style.font * 0.85,
            "axes.spines.top": False, "axes.spines.right": False, "axes.linewidth": 0.6,
            "xtick.major.width": 0.6, "ytick.major.width": 0.6, "svg.hashsalt": "mmbench", "svg.fonttype": "none",
            "pdf.fonttype": 42, "figure.dpi": 100, "lines.linewidth": 1.2}


def _log(values):
    values = [v for v in values if v is not None and v > 0]
    return bool(values) and max(values) / min(values) > LOG_SPAN


def _tick(v, _pos=None):
    """Tick labels without exponents: 0.5, 20, 300, 4000, 50k, 6M."""
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


@dataclass
class Layout:
    """Where everything goes, in inches from the top left: panels in a cols x rows grid,
    then the legends, each (x, y, columns)."""
    width: float
    height: float
    cols: int
    rows: int
    left: float      # the grid's left edge
    top: float       # the grid's top edge
    panel_w: float
    panel_h: float
    gap_w: float
    gap_h: float
    legends: list    # [(x, y, ncol)] for the series' legend and the notes' legend


def _line(style):
    return style.font * 1.45 / 72  # one line of text, inches


def _text_w(text, style, scale=1.0):
    return len(text) * style.font * scale * 0.56 / 72


def _legend_block(labels, style, room):
    """(columns, rows, width) of a legend of `labels` in `room` inches: the most columns
    that fit, matplotlib filling each column before the next."""
    if not labels:
        return 0, 0, 0.0
    em = style.font * 0.85 / 72
    widths = [_text_w(t, style, 0.85) + 4.0 * em for t in labels]  # handle, padding, column spacing
    for ncol in range(len(labels), 0, -1):
        rows = math.ceil(len(labels) / ncol)
        width = sum(max(widths[c:c + rows]) for c in range(0, len(labels), rows))
        if width <= room or ncol == 1:
            return math.ceil(len(labels) / rows), rows, width


def layout(fig, style, series, notes):
    """The grid that fits the style: the fewest columns whose figure is no taller than
    style.aspect x its width (slides: their fixed height) with panels still readable,
    then as few as give the same number of rows. The legends (labels of the series and
    of the notes) go above the grid, or beside it when a narrow figure has room."""
    line, n = _line(style), len(fig.panels)
    legend_row = style.font * 0.85 * 1.55 / 72
    categorical = fig.kind in (DOTS, RANGES)
    names = fig.names()
    label_w = max((_text_w(s, style, 0.85) for s in names), default=0) + 0.15
    scale = style.font / 10
    gap_w = 0.15 if categorical else 0.25 + 4 * _text_w("0", style, 0.85) + line
    first = label_w if categorical else gap_w
    gap_h, bottom, right, title_h = 3.0 * line, 2.3 * line, 0.2, 1.7 * line if style.titled else 0.05
    min_w, pref_w = (1.3 * scale, 3.2 * scale) if categorical else (2.0 * scale, (3.6 if n > 2 else 5.2) * scale)

    def panel_h(panel_w):
        if categorical:
            return max(1.2 * scale, len(names) * line * 0.85 * 1.05 + 0.25)  # a row per name, as tall as its label
        return min(3.6 * scale, max(1.5 * scale, 0.7 * panel_w))

    def grid(cols, width):
        rows = math.ceil(n / cols)
        pw = (width - first - right - (cols - 1) * gap_w) / cols
        return rows, pw, rows * panel_h(pw) + (rows - 1) * gap_h + bottom

    beside_w = 0.0  # a narrow figure's legend goes to the right of the grid, within style.width
    if not style.fixed_width and n <= 2 and series:
        beside_w = max(_legend_block(series, style, 0)[2], _legend_block(notes, style, 6.0 * scale)[2]) + 0.1
        if style.width - beside_w < first + n * min_w + (n - 1) * gap_w + right:
            beside_w = 0.0
    beside, most = beside_w > 0, style.width - beside_w
    legend_h = 0.0
    for _ in range(2):  # the legend's height depends on the width, the width on the grid
        choice = None
        for cols in range(1, n + 1):
            width = style.width if style.fixed_width else min(most, first + cols * pref_w + (cols - 1) * gap_w + right)
            rows, pw, grid_h = grid(cols, width)
            if pw < min_w and cols > 1:
                break
            choice = cols, width
            top = title_h + (0 if beside else legend_h) + 1.2 * line
            room = (style.height or style.aspect * width) - top
            if grid_h <= room:
                break
        cols, width = choice
        cols = math.ceil(n / math.ceil(n / cols))  # as few columns as give the same rows
        if not style.fixed_width:
            width = min(most, first + cols * pref_w + (cols - 1) * gap_w + right)
        room = 6.0 * scale if beside else width - 0.2
        blocks = [_legend_block(series, style, room if not beside else 0), _legend_block(notes, style, room)]
        legend_h = sum(r for _, r, _ in blocks) * legend_row + (0.1 if all(r for _, r, _ in blocks) else 0)
    rows, pw, grid_h = grid(cols, width)
    ph = panel_h(pw)
    top = title_h + (0 if beside else legend_h) + 1.2 * line  # the first row's panel titles
    if style.height:  # a slide: the rows share the height there is
        ph = max(0.5, (style.height - top - bottom - (rows - 1) * gap_h) / rows)
    grid_w = first + cols * pw + (cols - 1) * gap_w + right
    legends, y = [], title_h
    for ncol, rows_b, w in blocks:
        legends.append((grid_w if beside else 0.1, y, ncol))
        y += rows_b * legend_row + (0.1 if rows_b else 0)
    height = style.height or max(top + rows * ph + (rows - 1) * gap_h + bottom, y if beside else 0)
    if beside:
        width = grid_w + max(w for _, _, w in blocks) + 0.1
    if not style.fixed_width:  # the title and the longest note line fit too (a one-panel grid is narrow)
        title_w = _text_w(fig.title, style, 1.35) if style.titled else 0.0
        width = max(width, min(style.width, max([title_w] + [w for _, _, w in blocks]) + 0.2))
    return Layout(width, height, cols, rows, first, top, pw, ph, gap_w, gap_h, legends)


def _legend_items(fig, k):
    """([(handle, label)] of the series, where rows do not name them; the same of the notes)."""
    from matplotlib.lines import Line2D  # noqa: the optional library, imported once drawing starts
    grey = "#555555"
    series = []
    if fig.kind in (SCATTER, LINES):
        for name in fig.names():
            lk = look(name)
            series.append((Line2D([], [], color=lk.colour, marker=lk.marker, markersize=6 * k,
                                  markerfacecolor=lk.colour if lk.built_here else "white",
                                  linestyle="--" if name == FLOOR else ("-" if fig.kind == LINES else "none")),
                           f"{name} (frees nothing)" if name == FLOOR else name))
    notes = []
    for what, text in fig.notes:
        handle = {
            "floor": lambda: Line2D([], [], color=look(FLOOR).colour, linestyle="--", linewidth=1.4 * k),
            "reference": lambda: Line2D([], [], color=grey, linestyle=":", linewidth=1.2 * k),
            "whisker": lambda: Line2D([], [], color=grey, marker="|", markersize=8 * k, linewidth=0.9 * k),
            "front": lambda: Line2D([], [], color=grey, linestyle=":", marker="o", markersize=10 * k,
                                    markerfacecolor="none", markeredgecolor=grey),
            "ranges": lambda: Line2D([], [], color=grey, marker="o", markersize=3 * k, linewidth=2.6 * k),
        }.get(what, lambda: Line2D([], [], linestyle="none"))()
        notes.append((handle, text))
    if any(not look(n).built_here for n in fig.names()):
        notes.append((Line2D([], [], color=grey, marker="o", markerfacecolor="white", linestyle="none"),
                      "hollow: not built here (the C library's malloc, peer libraries)"))
    return series, notes


def draw(fig, style, folder):
    """Writes `fig` in `style` into folder/style.folder; returns the paths written."""
    plt = _plt()
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator  # noqa: the optional library
    with plt.rc_context(_rc(style)):
        k = style.font / 10  # marker and line sizes follow the type
        series, notes = _legend_items(fig, k)
        lay = layout(fig, style, [t for _, t in series], [t for _, t in notes])
        figure = plt.figure(figsize=(lay.width, lay.height))
        rows = fig.names()
        for i, panel in enumerate(fig.panels):
            col, row = i % lay.cols, i // lay.cols
            x0 = lay.left + col * (lay.panel_w + lay.gap_w)
            y0 = lay.height - lay.top - row * (lay.panel_h + lay.gap_h) - lay.panel_h
            ax = figure.add_axes([x0 / lay.width, y0 / lay.height, lay.panel_w / lay.width, lay.panel_h / lay.height])
            ax.set_title(panel.title, loc="left", fontweight="bold", pad=3, y=1.0)  # y: no search for a place
            if panel.note:
                ax.text(0.5, 0.5, panel.note, transform=ax.transAxes, ha="center", va="center", color="#555555")
                ax.set_xticks([])
                ax.set_yticks([])
                for side in ax.spines.values():
                    side.set_visible(False)
                continue
            measured = {DOTS: _dots, RANGES: _ranges, SCATTER: _scatter, LINES: _lines}[fig.kind](ax, panel, rows, k)
            scale = "log" if _log(measured) else "linear"
            label = fig.axis + (", log" if scale == "log" else "")
            if fig.kind in (DOTS, RANGES):
                ax.set_xscale(scale)
                ax.set_xlabel(label)
                if col:
                    ax.set_yticklabels([])
                axes = [ax.xaxis]
            else:
                ax.set_yscale(scale)
                ax.set_ylabel(label)
                ax.set_xscale("log" if _log([pt[0] for pt in _points(panel)]) else "linear")
                ax.set_xlabel(fig.other_axis + (", log" if ax.get_xscale() == "log" else ""))
                axes = [ax.xaxis, ax.yaxis]
            for axis in axes:  # minor ticks at 2 and 5 of each decade (each tick costs time),
                axis.set_major_formatter(FuncFormatter(_tick))  # labelled when under 2 decades are shown
                log = (ax.get_xscale() if axis is ax.xaxis else ax.get_yscale()) == "log"
                low, high = axis.get_view_interval()
                axis.set_minor_formatter(FuncFormatter(_tick) if log and high < 100 * low else NullFormatter())
                axis.set_minor_locator(LogLocator(subs=(2, 5)) if log else NullLocator())
            ax.grid(True, axis="x" if fig.kind in (DOTS, RANGES) else "both", color="#e6e6e6", linewidth=0.6)
            ax.set_axisbelow(True)
        if style.titled:
            figure.text(0.1 / lay.width, 1 - 0.3 * _line(style) / lay.height, fig.title, ha="left", va="top",
                        fontsize=style.font * 1.2, fontweight="bold")
        for items, (x, y, ncol) in zip((series, notes), lay.legends):
            if items:
                figure.legend([h for h, _ in items], [t for _, t in items], loc="upper left", ncol=ncol, frameon=False,
                              borderaxespad=0, borderpad=0, handlelength=2.0, columnspacing=1.2,
                              bbox_to_anchor=(x / lay.width, 1 - y / lay.height))
        written = _save(figure, fig.name + style.suffix, style, folder)
        plt.close(figure)
    return written


def _points(panel):
    out = []
    for v in panel.series.values():
        out.extend(v if isinstance(v, list) else [v])
    return out


def _mark(ax, name, x, y, size, k, zorder=3):
    lk = look(name)
    ax.plot([x], [y], linestyle="none", marker=lk.marker, markersize=size * k, color=lk.colour,
            markerfacecolor=lk.colour if lk.built_here else "white", markeredgewidth=1.1 * k, zorder=zorder)


def _categorical(ax, rows):
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), rows)
    for tick, name in zip(ax.get_yticklabels(), rows):
        tick.set_color(look(name).colour)
    ax.tick_params(axis="y", length=0)


def _baselines(ax, panel, vertical, k):
    line = ax.axvline if vertical else ax.axhline
    if panel.floor is not None:
        line(panel.floor, color=look(FLOOR).colour, linestyle="--", linewidth=1.4 * k, zorder=2)
    if panel.reference:
        line(panel.reference[0], color="#555555", linestyle=":", linewidth=1.2 * k, zorder=2)


def _dots(ax, panel, rows, k):
    measured = []
    for name, (value, low, high) in panel.series.items():
        y = rows.index(name)
        if low is not None:
            ax.plot([low, high], [y, y], color=look(name).colour, linewidth=1.0 * k, marker="|", markersize=5 * k, zorder=2)
            measured += [low, high]
        _mark(ax, name, value, y, 6, k)
        measured.append(value)
    _baselines(ax, panel, True, k)
    measured += [v for v in (panel.floor, panel.reference and panel.reference[0]) if v]
    _categorical(ax, rows)
    return measured


def _ranges(ax, panel, rows, k):
    measured = []
    for name, (p50, p99, top) in panel.series.items():
        y, colour = rows.index(name), look(name).colour
        ax.plot([p50, p99], [y, y], color=colour, linewidth=3.0 * k, solid_capstyle="butt", zorder=2)
        ax.plot([p99, top], [y, y], color=colour, linewidth=0.9 * k, zorder=2)
        ax.plot([p50], [y], linestyle="none", marker="o", markersize=3 * k, color=colour, zorder=3)
        _mark(ax, name, top, y, 6, k)
        measured += [p50, p99, top]
    _categorical(ax, rows)
    return measured


def _scatter(ax, panel, rows, k):
    for name, (x, y) in panel.series.items():
        _mark(ax, name, x, y, 7, k)
    if panel.front:
        xs = [panel.series[n][0] for n in panel.front]
        ys = [panel.series[n][1] for n in panel.front]
        ax.plot(xs, ys, color="#555555", linestyle=":", linewidth=1.1 * k, zorder=1)
        ax.plot(xs, ys, linestyle="none", marker="o", markersize=14 * k, markerfacecolor="none",
                markeredgecolor="#555555", markeredgewidth=0.8 * k, zorder=1)
    _baselines(ax, panel, False, k)
    return [y for _, y in panel.series.values()] + ([panel.floor] if panel.floor else [])


def _lines(ax, panel, rows, k):
    measured = []
    for name in sorted(panel.series, key=order_key):
        pts = panel.series[name]
        lk = look(name)
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        ax.plot(xs, ys, color=lk.colour, linestyle="--" if name == FLOOR else "-", marker=lk.marker, markersize=5 * k,
                linewidth=1.2 * k, markerfacecolor=lk.colour if lk.built_here else "white", zorder=3)
        for x, y, low, high in pts:
            if low is not None:
                ax.plot([x, x], [low, high], color=lk.colour, linewidth=0.8 * k, zorder=2)
                measured += [low, high]
        measured += ys
    return measured


def _save(figure, name, style, folder):
    base = os.path.join(folder, style.folder, name)
    os.makedirs(os.path.dirname(base), exist_ok=True)
    written = []
    for fmt in style.formats:
        tmp = f"{base}.tmp.{fmt}"
        figure.savefig(tmp, format=fmt, dpi=style.dpi,
                       metadata={"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else None))
        os.replace(tmp, f"{base}.{fmt}")
        written.append(f"{base}.{fmt}")
    return written


def available():
    try:
        import matplotlib  # noqa: F401  (optional and heavy: see _plt)
        return True
    except ImportError:
        return False


def make_all(data, folder, style="default", quiet=False):
    """Draws every figure the data supports in `style` (a STYLES key) under `folder`;
    returns the files written. Without matplotlib, returns [] (quiet) or raises ImportError."""
    if not available():
        if quiet:
            return []
        raise ImportError("matplotlib")
    made = []
    for fig in figures(data):
        for size in STYLES[style]:
            if size.per_panel and len(fig.panels) > 1:
                for panel in fig.panels:
                    if not panel.note:
                        made += draw(replace(fig, name=f"{fig.name}-{panel.name}", panels=[panel]), size, folder)
            else:
                made += draw(fig, size, folder)
        if style == CSV_STYLE:
            path = os.path.join(folder, STYLES[style][0].folder, fig.name + ".csv")
            results.write_atomic(path, data_csv(fig))
            made.append(path)
    _tidy(os.path.join(folder, STYLES[style][0].folder), made)
    return made


def _tidy(folder, made):
    """Removes the figures an earlier drawing left in `folder` that this one did not make
    (a workload no longer in the results, a format no longer drawn)."""
    ours = tuple(make.__name__ for make in FIGURES)
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        path = os.path.join(folder, name)
        stem, dot, ext = name.partition(".")
        if dot and ext in ("png", "svg", "pdf", "csv") and stem.split("-")[0] in ours and path not in made:
            os.unlink(path)


def existing(folder):
    """The default style's PNG charts already in a results folder, in FIGURES order."""
    out = []
    for make in FIGURES:
        path = os.path.join(folder, STYLES["default"][0].folder, make.__name__ + ".png")
        if os.path.exists(path):
            out.append(path)
    return out
