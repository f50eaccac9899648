"""report.html: one self-contained page per results folder (no network needed to view it).

The table of the run, the charts (PNG, embedded as data: URLs), the sweep, warnings,
failures and the environment, in one file that can be mailed or attached to a CI job.
A small inline script counts the charts that decoded and writes the count into
<body data-charts-shown=N> — the test suite opens the page in headless chromium and reads
it back.
"""
import base64
import html
import json
import os

from harness import metrics, results, table

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .6em;border-bottom:1px solid #eee}
th{text-align:left;background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.failed{color:#b00020}.warn{background:#fff6d6;padding:.5em .8em;border-left:4px solid #e6a100}
figure{margin:1em 0}figure img{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}
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
CAPTIONS = {
    "time_per_op": "Wall time per allocator operation; bars are medians, whiskers span the repetitions; "
                   "the dashed line is bump, the floor.",
    "fragmentation": "Memory held beyond what is live: Johnstone & Wilson's measures 4 and 3, and internal fragmentation.",
    "time_vs_memory": "One point per strategy; the dotted line joins the Pareto front.",
    "cost_growth": "How the cost per operation grows with the live set (the sweep).",
    "pauses": "Collector pause statistics.",
}


def _table(rows, numeric_from=2, row_class=None):
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in rows[0]) + "</tr>"]
    for r in rows[1:]:
        cls = ' class="failed"' if row_class and row_class(r) else ""
        cells = "".join(f'<td class="num">{html.escape(c)}</td>' if i >= numeric_from else f"<td>{html.escape(c)}</td>"
                        for i, c in enumerate(r))
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def _sweep_rows(data):
    rows = [["benchmark", "point", "ns/op", "peak footprint"]]
    for b in data.get("sweep", []):
        m = b.get("metrics") or {}
        ns, fp = m.get("ns_per_op") or {}, m.get("peak_footprint") or {}
        point = f"{b['sweep']['param']}={b['sweep']['value']}" if b.get("sweep") else ""
        if b.get("error"):
            rows.append([f"{b['workload']}/{b['strategy']}", point, f"FAILED: {b['error']}", ""])
            continue
        rows.append([f"{b['workload']}/{b['strategy']}", point,
                     table.cell(metrics.METRICS["ns_per_op"], ns or None),
                     f"{fp['median'] / 1048576:.1f} MiB" if fp else "—"])
    return rows


def render(data, charts):
    title = "mmbench results"
    created = data.get("created", "")
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             f"<title>{html.escape(title)} {html.escape(created)}</title>",
             f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>Run of {html.escape(created or 'unknown date')}: <code>{html.escape(' '.join(data.get('command', [])))}</code></p>"]
    if data.get("complete") is False:
        parts.append(f'<p class="warn">Incomplete run: {data.get("missing", "?")} measurement(s) missing; '
                     f"finish it with <code>./mmbench run --resume DIR</code>.</p>")
    for w in data.get("warnings", []) + (data.get("environment") or {}).get("warnings", []):
        parts.append(f'<p class="warn">{html.escape(str(w))}</p>')
    parts.append("<h2>Results</h2>")
    parts.append(_table(table.rows(data), row_class=lambda r: r[2].startswith("FAILED")))
    note = table.footnote(data)
    parts.append("<p>Medians over the processes; ± is the half-width of the median's 95% interval. "
                 "Definitions: docs/metrics.md." + (f" {html.escape(note)}" if note else "") + "</p>")
    for path in charts:
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, "rb") as f:
            data_url = "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")
        parts.append(f'<figure class="chart" id="chart-{html.escape(name)}"><img alt="{html.escape(name)} chart" '
                     f'src="{data_url}"><figcaption>{html.escape(CAPTIONS.get(name, name))} '
                     f"(SVG and PDF: <code>charts/{html.escape(name)}.svg</code>, <code>.pdf</code>)</figcaption></figure>")
    if data.get("sweep"):
        parts.append("<h2>Live-set sweep</h2>")
        parts.append(_table(_sweep_rows(data), row_class=lambda r: r[2].startswith("FAILED")))
    parts.append("<h2>Environment</h2>")
    env_rows = [["what", "value"]] + [[k, v if isinstance(v, str) else json.dumps(v)]
                                      for k, v in (data.get("environment") or {}).items()]
    parts.append(_table(env_rows, numeric_from=99))
    cfg = data.get("config")
    if cfg:
        parts.append(f"<h2>Configuration</h2><pre>{html.escape(json.dumps(cfg, indent=1))}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(data, folder, charts):
    path = os.path.join(folder, "report.html")
    results.write_atomic(path, render(data, charts))
    return path
