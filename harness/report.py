"""report.html: one self-contained page per results folder, readable offline.

Sections, each only when the run has something for it, in this order: the run and its
warnings, stability in one line (summary.stability), who wins (summary.winners: the same
summary the terminal shows), the allocators' table, the collectors' table, the real
programs, the charts (the default style's PNGs, embedded as data: URLs), the live-set
sweep, the environment and the configuration as small tables (rounded, never raw JSON).
Every table has an id (TABLE_IDS) the browser test looks for.

results.json's own `warnings` are the stability advice (journal.py writes it from
summary.stability); the page recomputes that line from the metrics, so a results file
written before the advice existed shows one line too. Nothing is fetched: no external
stylesheet, font or script; one small inline script counts the charts that decoded into
<body data-charts-shown=N>.
"""
import base64
import html
import os

from harness import metrics, plot, programs, results, summary, table

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1180px;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{padding:.2em .55em;border-bottom:1px solid #eee}
th{text-align:left;background:#f6f6f6;font-weight:600}td,th{white-space:nowrap}table.wrap td{white-space:normal}td.num{text-align:right;font-variant-numeric:tabular-nums}
.wide{overflow-x:auto}.failed{color:#b00020}.note{color:#444}.warn{border-left:4px solid #e6a100;padding-left:.6em}
td.better{background:#e3f4e8}td.worse{background:#fbe7e4}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;display:block}figcaption{color:#555;font-size:.9em}
code{background:#f3f3f3;padding:0 .2em}
"""
SCRIPT = """
window.addEventListener('load', function () {
  var shown = 0;
  document.querySelectorAll('figure.chart img').forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) shown++;
  });
  document.body.setAttribute('data-charts-shown', String(shown));
});
"""
TABLE_IDS = ("winners", "ratios", "ratios-gc", "allocators", "collectors", "programs", "sweep", "environment",
             "configuration")
CAPTIONS = {
    "time_per_op": "Time per allocator operation on each workload: the dot is the median; the dashed line is bump, "
                   "which frees nothing: the least allocator work, but every block it hands out is fresh memory, "
                   "so an allocator that reuses blocks still in cache can come in under it.",
    "time_per_object": "Time per object on each collector workload; the dotted line is the program managing memory "
                       "by hand on the C library's malloc.",
    "fragmentation": "Memory held from the OS per byte live, at the peaks (Johnstone & Wilson's measure 4). "
                     "Measure 3 and internal fragmentation are in the table.",
    "time_vs_memory": "Each strategy's time against its footprint; the ringed points, joined, are the Pareto front.",
    "cost_growth": "How the cost per operation grows with the live set (the sweep).",
    "pauses": "Collector pauses: the median, the 99th percentile and the longest, per heap.",
}
BETTER, WORSE = 0.95, 1.05  # a ratio cell is coloured beyond these
CSS_DPI = 96  # a chart shows at its size in inches (its type at its size in points), or the page's width


def _table(rows, ident, numeric_from=2, row_class=None, cell_class=None, titles=None, text_columns=()):
    """An HTML table of text rows (the first is the heading); columns from numeric_from
    on, but for text_columns, are numbers (right-aligned)."""
    wrap = ' class="wrap"' if numeric_from >= len(rows[0]) else ""  # text only: long values wrap
    out = [f'<div class="wide"><table id="{ident}"{wrap}>',
           "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in rows[0]) + "</tr>"]
    for r, row in enumerate(rows[1:]):
        cls = ' class="failed"' if row_class and row_class(row) else ""
        cells = []
        for i, c in enumerate(row):
            classes = (["num"] if i >= numeric_from and i not in text_columns else []) + ([cell_class(r, i)] if cell_class and cell_class(r, i) else [])
            title = titles(r, i) if titles else None
            attrs = (f' class="{" ".join(classes)}"' if classes else "") + (f' title="{html.escape(title)}"' if title else "")
            cells.append(f"<td{attrs}>{html.escape(c)}</td>")
        out.append(f"<tr{cls}>{''.join(cells)}</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def _failed(row):
    return any(c.startswith("FAILED") for c in row)


def _winner_rows(found):
    rows = [["workload", "fastest", "ns/op", "smallest", "peak footprint", "ratios against"]]
    for w in found:
        rows.append([w.name, w.fastest.strategy if w.fastest else "—",
                     table.FORMATS[metrics.TIME](w.fastest.value) if w.fastest else "—",
                     w.smallest.strategy if w.smallest else "—",
                     table.FORMATS[metrics.MIB](w.smallest.value) if w.smallest else "—", w.reference])
        if w.too_small:
            rows[-1][3:5] = [table.TOO_SMALL, ""]
    return rows


def _ratio_table(found, ident):
    """Workloads down, strategies across: each one's time over the reference's, round by round."""
    names = sorted({s for w in found for s in w.ratios}, key=plot.order_key)
    rows = [["workload"] + names]
    cells = []
    for w in found:
        ratios = [w.ratios.get(s) for s in names]
        rows.append([w.name] + ["—" if r is None else table.ratio_text(r) for r in ratios])
        cells.append(ratios)

    def cls(r, i):
        ratio = cells[r][i - 1] if i else None
        return None if ratio is None else ("better" if ratio.median < BETTER else "worse" if ratio.median > WORSE else None)

    def title(r, i):
        ratio = cells[r][i - 1] if i else None
        return None if ratio is None else f"faster in {ratio.faster} of {ratio.rounds} rounds"

    return _table(rows, ident, numeric_from=1, cell_class=cls, titles=title)


def _winners(data):
    found = summary.winners(data)
    if not found:
        return []
    parts = ["<h2>Who wins</h2>",
             "<p class=\"note\">Per workload: the fastest and the smallest (bump frees nothing and is "
             "not in the running).</p>",
             _table(_winner_rows(found), "winners", numeric_from=2, text_columns=(3, 5))]
    for what, ident, ref in (("alloc", "ratios", summary.REFERENCE), ("gc", "ratios-gc", summary.GC_REFERENCE)):
        mine = [w for w in found if w.kind == what and any(w.ratios.values())]
        if not mine and any(w.kind == what for w in found):
            parts.append(f"<p class=\"note\">No ratios to {html.escape(ref)}: the results record no rounds "
                         "(written before they were), or it did not run.</p>")
        if mine:
            parts.append(f"<p>Time relative to <b>{html.escape(ref)}</b>, round by round: the median over the "
                         "repetitions of each strategy's time divided by the reference's in the same round "
                         "(below 1 is faster; hover a cell for how many rounds it won).</p>")
            parts.append(_ratio_table(mine, ident))
    return parts


def _sweep_rows(data):
    rows = [["benchmark", "point", "ns/op", "peak footprint"]]
    ns_metric, fp_metric = metrics.METRICS["ns_per_op"], metrics.METRICS["peak_footprint"]
    for b in data.get("sweep", []):
        m = b.get("metrics") or {}
        point = f"{b['sweep']['param']}={b['sweep']['value']}" if b.get("sweep") else ""
        if b.get("error"):
            rows.append([f"{b['workload']}/{b['strategy']}", point, f"FAILED: {b['error']}", ""])
            continue
        rows.append([f"{b['workload']}/{b['strategy']}", point, table.cell(ns_metric, m.get("ns_per_op")),
                     table.cell(fp_metric, m.get("peak_footprint"))])
    return rows


def _value(v):
    """An environment or configuration value as a short text: numbers rounded, lists and
    maps joined, nothing as JSON."""
    if v is None or v == "" or v == [] or v == {}:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_value(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v)
    return str(v)


ENVIRONMENT = [  # (key in results.json's environment, what the page calls it)
    ("cpu", "CPU"), ("cores", "cores"), ("os", "system"), ("kernel", "kernel"), ("compiler", "compiler"),
    ("compiler_flags", "compiler flags"), ("libraries", "libraries"), ("python", "Python"), ("bazel", "Bazel"),
    ("load_average", "load average (1, 5, 15 min) at the start"), ("cpu_governor", "CPU governor"),
    ("aslr", "ASLR"), ("transparent_hugepages", "transparent huge pages"),
    ("gbench_library_build_type", "Google Benchmark library build"),
]


def _environment_rows(env):
    rows = [["what", "value"]]
    known = {k for k, _ in ENVIRONMENT} | {"git_revision", "git_dirty", "warnings"}
    if env.get("git_revision"):
        rows.append(["source revision", env["git_revision"][:12] + (" (uncommitted changes)" if env.get("git_dirty") else "")])
    rows += [[label, _value(env[k])] for k, label in ENVIRONMENT if k in env]
    rows += [[k.replace("_", " "), _value(v)] for k, v in env.items() if k not in known]
    return rows


def _configuration_rows(cfg):
    rows = [["option", "value"]]
    for k, v in cfg.items():
        if k == "sweep":
            v = [f"{s['workload']}.{s['param']}={','.join(map(str, s['values']))}" for s in v or []
                 if isinstance(s, dict) and {"workload", "param", "values"} <= set(s)]
        elif k == "params":
            v = [f"{name}={value}" for name, value in (v or {}).items()]
        rows.append([k.replace("_", " "), _value(v) + (" s" if k in ("budget", "timeout") and v else "")])
    return rows


def _elapsed(seconds):
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.1f} s"


def render(data, charts):
    """The page, from results data and the charts drawn (plot.make_all: its PNGs are embedded)."""
    charts = [path for path in charts if path.endswith(".png")]
    created = data.get("created", "")
    suite = (data.get("config") or {}).get("suite")
    took = f", took {_elapsed(data['elapsed_seconds'])}" if isinstance(data.get("elapsed_seconds"), (int, float)) else ""
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             f"<title>mmbench results {html.escape(created)}</title>",
             f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body>",
             "<h1>mmbench results</h1>",
             f"<p>Run of {html.escape(created or 'unknown date')}" + (f", suite {html.escape(suite)}" if suite else "") +
             f"{took}: <code>{html.escape(' '.join(data.get('command', [])))}</code></p>"]
    if data.get("complete") is False:
        parts.append(f'<p class="warn">Incomplete run: {data.get("missing", "?")} measurement(s) missing; '
                     f"finish it with <code>./mmbench run --resume DIR</code>.</p>")
    for w in (data.get("environment") or {}).get("warnings", []):
        parts.append(f'<p class="warn">{html.escape(str(w))}</p>')
    advice = summary.stability(data)
    if advice:
        parts.append(f'<p class="warn">Stability: {html.escape(advice)}.</p>')
    parts += _winners(data)
    allocators, collectors = table.rows(data), table.gc_rows(data)
    if len(allocators) > 1:
        parts += ["<h2>Allocators</h2>", _table(allocators, "allocators", row_class=_failed)]
    if len(collectors) > 1:
        parts += ["<h2>Collectors</h2>", _table(collectors, "collectors", row_class=_failed)]
    notes = [n for n in table.footnote(data).splitlines() if n]
    parts.append("<p class=\"note\">Medians over the processes; ± is the half-width of the median's 95% interval, ! when "
                 "over ±5%. Definitions: "
                 "docs/metrics.md.</p>" + "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes))
    if data.get("programs"):
        parts += ["<h2>Real programs</h2>", "<p class=\"note\">Each program with the strategy as its malloc, "
                  "timed whole by hyperfine (mean ± spread), and its peak resident set.</p>",
                  _table(programs.table_rows(data["programs"]), "programs", row_class=_failed)]
    if charts:
        parts.append("<h2>Charts</h2>")
    for path in charts:
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, "rb") as f:
            png = f.read()
        data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        width = round(int.from_bytes(png[16:20], "big") * CSS_DPI / plot.STYLES["default"][0].dpi)
        parts.append(f'<figure class="chart" id="chart-{html.escape(name)}"><img alt="{html.escape(name)} chart" '
                     f'width="{width}" src="{data_url}"><figcaption>{html.escape(CAPTIONS.get(name, name))} '
                     f"(<code>charts/{html.escape(name)}.svg</code>; for a paper or a talk: "
                     "<code>./mmbench plot --style paper|slide</code>)</figcaption></figure>")
    if data.get("sweep"):
        parts += ["<h2>Live-set sweep</h2>", _table(_sweep_rows(data), "sweep", row_class=_failed)]
    parts += ["<h2>Environment</h2>", _table(_environment_rows(data.get("environment") or {}), "environment",
                                             numeric_from=99)]
    if data.get("config"):
        parts += ["<h2>Configuration</h2>", _table(_configuration_rows(data["config"]), "configuration",
                                                   numeric_from=99)]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(data, folder, charts):
    path = os.path.join(folder, "report.html")
    results.write_atomic(path, render(data, charts))
    return path
