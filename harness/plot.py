"""Charts of a results folder: charts/<name>.{svg,pdf,png}.

  time_per_op      median ns/op per workload and strategy; whiskers span min..max of the
                   repetitions; bump drawn as a dashed floor line, not a bar
  fragmentation    per strategy: J&W measure 4 (frag), measure 3 (frag@peak), internal
  time_vs_memory   one point per strategy (per workload): ns/op against peak footprint;
                   the Pareto front (no other strategy is both faster and smaller) joined
  cost_growth      ns/op as the live set grows (the sweep); bump as a dashed line
  pauses           collectors' pause statistics, when the results have any (metrics whose
                   name holds "pause"); absent otherwise

Every strategy keeps one colour and marker in every chart: its position in the run's
strategy list (the registry's order) picks from a colour-blind-safe palette (Okabe & Ito,
then Paul Tol's muted set). Files are reproducible (no dates, fixed SVG ids).
"""
import os

# Okabe & Ito's eight, black last; then Tol's muted scheme for the 9th strategy onwards.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p", "d", "8", "H", "1", "2"]
FLOOR = "bump"
FORMATS = ("svg", "pdf", "png")
MIB = 1024 * 1024


def _plt():
    # matplotlib is heavy (a second to import) and optional (make_all without it draws
    # nothing): imported only when a chart is drawn
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.hashsalt": "mmbench", "font.size": 9, "axes.titlesize": 10,
                         "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100})
    return plt


def style(data):
    """{strategy: (colour, marker)} in the run's strategy order."""
    names = [s["name"] for s in data.get("strategies", []) if isinstance(s, dict) and "name" in s]
    for b in data.get("benchmarks", []) + data.get("sweep", []):
        if b.get("strategy") not in names:
            names.append(b.get("strategy"))
    return {n: (PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]) for i, n in enumerate(names)}


def _ok(entries):
    return [b for b in entries if not b.get("error") and (b.get("metrics") or {}).get("ns_per_op")]


def _save(fig, folder, name, made):
    base = os.path.join(folder, "charts", name)
    os.makedirs(os.path.dirname(base), exist_ok=True)
    for fmt in FORMATS:
        tmp = f"{base}.tmp.{fmt}"
        fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=150,
                    metadata={"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else None))
        os.replace(tmp, f"{base}.{fmt}")
    made.append(f"{base}.png")


def _workloads(entries):
    out = []
    for b in entries:
        if b["workload"] not in out:
            out.append(b["workload"])
    return out


def time_per_op(plt, data, colours, folder, made):
    entries = _ok(data.get("benchmarks", []))
    if not entries:
        return
    workloads = _workloads(entries)
    strategies = [s for s in colours if any(b["strategy"] == s for b in entries) and s != FLOOR]
    fig, ax = plt.subplots(figsize=(max(5, 1.2 + 0.5 * len(strategies) * len(workloads)), 3.6))
    width = 0.8 / max(1, len(strategies))
    for i, s in enumerate(strategies):
        xs, ys, lo, hi = [], [], [], []
        for wi, w in enumerate(workloads):
            b = next((b for b in entries if b["workload"] == w and b["strategy"] == s), None)
            if b:
                m = b["metrics"]["ns_per_op"]
                xs.append(wi - 0.4 + width * (i + 0.5))
                ys.append(m["median"])
                lo.append(m["median"] - m.get("min", m["median"]))
                hi.append(m.get("max", m["median"]) - m["median"])
        ax.bar(xs, ys, width * 0.9, yerr=[lo, hi], capsize=2, color=colours[s][0], label=s,
               error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    for wi, w in enumerate(workloads):
        b = next((b for b in entries if b["workload"] == w and b["strategy"] == FLOOR), None)
        if b:
            ax.hlines(b["metrics"]["ns_per_op"]["median"], wi - 0.45, wi + 0.45, colors=colours[FLOOR][0],
                      linestyles="dashed", linewidth=1.4, label="bump (floor: pointer increment)" if wi == 0 else None)
    ax.set_xticks(range(len(workloads)), workloads)
    ax.set_xlabel("workload")
    ax.set_ylabel("wall time per allocator operation (ns, median)")
    ax.set_title("Time per operation, by strategy (whiskers: min–max of the repetitions; lower is better)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _save(fig, folder, "time_per_op", made)
    plt.close(fig)


def fragmentation(plt, data, colours, folder, made):
    entries = [b for b in data.get("benchmarks", []) if not b.get("error") and (b.get("metrics") or {}).get("frag")]
    if not entries:
        return
    workloads = _workloads(entries)
    fig, axes = plt.subplots(1, len(workloads), figsize=(max(5, 4.5 * len(workloads)), 3.6), squeeze=False)
    kinds = [("frag", "peak footprint / peak live (J&W measure 4)", ""),
             ("frag_at_peak", "footprint at peak live / peak live (measure 3)", "//"),
             ("internal_frag", "usable / requested (internal)", "..")]
    for ax, w in zip(axes[0], workloads):
        mine = [b for b in entries if b["workload"] == w]
        for si, b in enumerate(mine):
            for ki, (key, _, hatch) in enumerate(kinds):
                m = b["metrics"].get(key)
                if m:
                    x, ratio = si - 0.27 + 0.27 * ki, max(1 + m["median"], 1e-3)
                    ax.bar(x, ratio, 0.25, color=colours[b["strategy"]][0], hatch=hatch,
                           edgecolor="white" if not hatch else "#222222", linewidth=0.3)
                    ax.annotate(f"{m['median']:+.0%}", (x, ratio), textcoords="offset points", xytext=(0, 2),
                                ha="center", fontsize=6.5)
        ax.set_xticks(range(len(mine)), [b["strategy"] for b in mine], rotation=30, ha="right")
        ax.set_yscale("log")
        ax.set_title(f"Fragmentation on {w} (lower is better)")
        ax.set_ylabel("bytes held per byte live (log; 1 = no waste)")
        ax.axhline(1, color="#444444", linewidth=0.6)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor="#bbbbbb", hatch=h, edgecolor="#222222", linewidth=0.3)
               for _, _, h in kinds]
    fig.legend(handles, [label for _, label, _ in kinds], fontsize=8, frameon=False, loc="lower center",
               ncol=3, bbox_to_anchor=(0.5, -0.12))
    _save(fig, folder, "fragmentation", made)
    plt.close(fig)


def pareto(points):
    """Indices of the points no other point beats on both x and y (lower is better), by x."""
    front = []
    for i, (x, y) in enumerate(points):
        if not any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for j, (x2, y2) in enumerate(points) if j != i):
            front.append(i)
    return sorted(front, key=lambda i: points[i])


def time_vs_memory(plt, data, colours, folder, made):
    entries = [b for b in _ok(data.get("benchmarks", [])) if b["metrics"].get("peak_footprint")]
    if not entries:
        return
    workloads = _workloads(entries)
    fig, axes = plt.subplots(1, len(workloads), figsize=(max(5, 4.8 * len(workloads)), 3.8), squeeze=False)
    for ax, w in zip(axes[0], workloads):
        mine = [b for b in entries if b["workload"] == w]
        pts = [(b["metrics"]["peak_footprint"]["median"] / MIB, b["metrics"]["ns_per_op"]["median"]) for b in mine]
        for b, (x, y) in zip(mine, pts):
            c, mk = colours[b["strategy"]]
            ax.scatter([x], [y], color=c, marker=mk, s=45, zorder=3, label=b["strategy"])
            ax.annotate(b["strategy"], (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
        front = pareto(pts)
        if front:
            ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], color="#555555", linestyle=":",
                    linewidth=1.2, zorder=2)
            ax.scatter([pts[i][0] for i in front], [pts[i][1] for i in front], s=160, facecolors="none",
                       edgecolors="#555555", linewidths=1.0, zorder=2, label="Pareto front (ringed)")
        ax.set_xlabel("peak footprint (MiB; memory held from the OS)")
        ax.set_ylabel("time per operation (ns, median)")
        ax.set_title(f"Time vs memory on {w} (best: lower left)")
        ax.legend(fontsize=7, frameon=False)
    _save(fig, folder, "time_vs_memory", made)
    plt.close(fig)


def cost_growth(plt, data, colours, folder, made):
    sweep = [b for b in _ok(data.get("sweep", [])) if b.get("sweep")]
    if not sweep:
        return
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
    fig, axes = plt.subplots(1, len(series), figsize=(max(5, 5 * len(series)), 3.8), squeeze=False)
    for ax, ((w, p), by) in zip(axes[0], series.items()):
        for s, pts in by.items():
            pts.sort(key=lambda t: t[0])
            xs = [x for x, _ in pts]
            ys = [m["median"] for _, m in pts]
            err = [[m["median"] - m.get("min", m["median"]) for _, m in pts],
                   [m.get("max", m["median"]) - m["median"] for _, m in pts]]
            c, mk = colours[s]
            ax.errorbar(xs, ys, yerr=err, color=c, marker=mk, markersize=4, capsize=2, linewidth=1.3,
                        linestyle="--" if s == FLOOR else "-", label=f"{s} (floor)" if s == FLOOR else s)
        ax.set_xscale("log")
        ax.set_xlabel(f"{w}.{p} (blocks alive at once, log scale)")
        ax.set_ylabel("time per operation (ns, median)")
        ax.set_title(f"Cost as the live set grows ({w})")
        ax.legend(fontsize=8, frameon=False)
    _save(fig, folder, "cost_growth", made)
    plt.close(fig)


def _quantile_order(key):
    """Pause statistics left to right as a distribution reads: p50, p90, p95, p99, p999, max."""
    for rank, mark in enumerate(("p50", "p90", "p95", "p99", "p999", "max")):
        if mark in key.split("_") or key.endswith(mark):
            return (rank, key)
    return (9, key)


def pauses(plt, data, colours, folder, made):
    entries = [b for b in data.get("benchmarks", []) if not b.get("error")]
    keys = sorted({k for b in entries for k, m in (b.get("metrics") or {}).items()
                   if "pause" in k and isinstance(m, dict) and isinstance(m.get("median"), (int, float))},
                  key=_quantile_order)
    if not keys:
        return
    with_pauses = [b for b in entries if any(k in (b.get("metrics") or {}) for k in keys)]
    fig, ax = plt.subplots(figsize=(max(5, 1.5 + 0.9 * len(keys)), 3.6))
    lines = ["-", "--", ":", "-."]  # the workload; the colour and marker are the strategy's
    workloads = _workloads(with_pauses)
    for b in with_pauses:
        c, mk = colours[b["strategy"]]
        xs = [i for i, k in enumerate(keys) if b["metrics"].get(k)]
        ys = [b["metrics"][keys[i]]["median"] for i in xs]
        ax.plot(xs, ys, color=c, marker=mk, label=b["name"], linewidth=1.2,
                linestyle=lines[workloads.index(b["workload"]) % len(lines)])
    ax.set_xticks(range(len(keys)), [k.replace("_", " ") for k in keys], rotation=20, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("pause (as reported; log scale)")
    ax.set_xlabel("point of the pause distribution")
    ax.set_title("Collector pauses, median → tail (lower is better)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _save(fig, folder, "pauses", made)
    plt.close(fig)


CHARTS = [time_per_op, fragmentation, time_vs_memory, cost_growth, pauses]


def available():
    try:
        import matplotlib  # noqa: F401  (optional and heavy: see _plt)
        return True
    except ImportError:
        return False


def make_all(data, folder, quiet=False):
    """Draws every chart the data supports; returns the PNG paths. Without matplotlib,
    returns [] (quiet) or raises ImportError."""
    if not available():
        if quiet:
            return []
        raise ImportError("matplotlib")
    plt = _plt()
    colours = style(data)
    made = []
    for chart in CHARTS:
        chart(plt, data, colours, folder, made)
    return made


def existing(folder):
    """The PNG charts already in a results folder, in CHARTS order."""
    out = []
    for chart in CHARTS:
        path = os.path.join(folder, "charts", chart.__name__ + ".png")
        if os.path.exists(path):
            out.append(path)
    return out
