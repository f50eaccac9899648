"""./mmbench compare BASE NEW: what changed, and whether any of it is a regression.

For every benchmark in both runs (main benchmarks and sweep points, matched by name) and
every metric of the catalog with a direction (metrics.judged(): allocator and collector
metrics alike, e.g. ns/op, footprints, GC pauses, leaked objects):
  change       median(NEW) / median(BASE) − 1
  significant  metrics that do not vary between repetitions (the catalog's `varies`:
               instructions_per_op, leaked objects) and metrics whose samples did not vary
               in either run (footprints, fragmentation): the values differ at all;
               otherwise a two-sided Mann-Whitney U test on the raw samples, p < alpha
  regression   change > threshold the wrong way (up for a lower-is-better metric, down
               for a higher-is-better one) AND significant
  improvement  change > threshold the right way AND significant
A benchmark that ran in BASE and fails in NEW is a regression too. The summary gives the
geometric mean of NEW/BASE per metric over the benchmarks both have. Exit status 1 when
anything regressed, 0 otherwise (2 for unreadable input, as everywhere).
"""
from harness import metrics, stats


def _entries(data):
    return {b["name"]: b for b in data.get("benchmarks", []) + data.get("sweep", []) if isinstance(b, dict)}


def _samples(entry, key):
    values = (entry.get("samples") or {}).get(key)
    if isinstance(values, list):
        values = [v for v in values if isinstance(v, (int, float))]
        if values:
            return values
    m = (entry.get("metrics") or {}).get(key)
    if isinstance(m, dict) and isinstance(m.get("median"), (int, float)):
        return [m["median"]]
    return None


def _median(values):
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def judge(metric, base, new, threshold, alpha):
    """One metric (a catalog entry) of one benchmark: {metric, base, new, change, p,
    significant, verdict}."""
    b, n = _median(base), _median(new)
    if b == 0:
        change = 0.0 if n == 0 else float("inf")
    else:
        change = n / b - 1
    # a metric that did not vary across repetitions in either run is deterministic: compare exactly
    constant = len(base) > 1 and len(new) > 1 and len(set(base)) == 1 and len(set(new)) == 1
    if not metric.varies or constant:
        p = None
        significant = b != n
    else:
        _, p = stats.mann_whitney(base, new)
        significant = p < alpha
    worse = change if metric.better == metrics.LOWER else -change
    verdict = "same"
    if significant and worse > threshold:
        verdict = "regression"
    elif significant and worse < -threshold:
        verdict = "improvement"
    return {"metric": metric.key, "base": b, "new": n, "change": change, "p": p, "significant": significant,
            "verdict": verdict}


def compare(base, new, threshold=0.03, alpha=0.05):
    """The verdict: rows per benchmark and metric, regressions, geometric means."""
    old, now = _entries(base), _entries(new)
    rows, failures = [], []
    ratios = {}
    for name, nb in now.items():
        ob = old.get(name)
        if ob is None:
            continue
        if nb.get("error") and not ob.get("error"):
            failures.append({"benchmark": name, "error": nb["error"]})
            continue
        if nb.get("error") or ob.get("error"):
            continue
        for metric in metrics.judged():
            bs, ns = _samples(ob, metric.key), _samples(nb, metric.key)
            if not bs or not ns:
                continue
            row = judge(metric, bs, ns, threshold, alpha)
            row["benchmark"] = name
            rows.append(row)
            if row["base"] > 0 and row["new"] > 0:
                ratios.setdefault(metric.key, []).append(row["new"] / row["base"])
    regressions = [r for r in rows if r["verdict"] == "regression"] + failures
    return {"rows": rows, "failures": failures, "regressions": regressions,
            "improvements": [r for r in rows if r["verdict"] == "improvement"],
            "geomean": {k: stats.geomean(v) for k, v in ratios.items()},
            "only_base": sorted(set(old) - set(now)), "only_new": sorted(set(now) - set(old)),
            "threshold": threshold, "alpha": alpha}


def _num(v):
    if v == 0 or 0.01 <= abs(v) < 1e6:
        return f"{v:.4g}"
    return f"{v:.4e}"


def markdown(verdict, base_name, new_name):
    titles = {m.key: m.name for m in metrics.judged()}
    out = ["# mmbench compare", "",
           f"BASE `{base_name}` → NEW `{new_name}`; a regression is a change over "
           f"{verdict['threshold']:.1%} that is significant (Mann-Whitney U, p < {verdict['alpha']:g}; "
           f"exact comparison for instruction counts and for metrics that do not vary).", ""]
    n = len(verdict["regressions"])
    out.append(f"**{n} regression{'s' if n != 1 else ''}**, {len(verdict['improvements'])} improvement(s), "
               f"{len(verdict['rows'])} comparisons.")
    out.append("")
    if verdict["geomean"]:
        out += ["## Geometric mean of NEW / BASE", "", "| metric | ratio | change |", "|---|---:|---:|"]
        for key, g in verdict["geomean"].items():
            if g is not None:
                out.append(f"| {titles.get(key, key)} | {g:.4f} | {g - 1:+.2%} |")
        out.append("")
    if verdict["failures"]:
        out += ["## Benchmarks that now fail", ""]
        out += [f"- `{f['benchmark']}`: {f['error']}" for f in verdict["failures"]]
        out.append("")
    flagged = [r for r in verdict["rows"] if r["verdict"] != "same"]
    for title, rows in (("Regressions", [r for r in flagged if r["verdict"] == "regression"]),
                        ("Improvements", [r for r in flagged if r["verdict"] == "improvement"])):
        if not rows:
            continue
        out += [f"## {title}", "", "| benchmark | metric | base | new | change | p |", "|---|---|---:|---:|---:|---:|"]
        for r in rows:
            p = "exact" if r["p"] is None else f"{r['p']:.3g}"
            out.append(f"| `{r['benchmark']}` | {titles.get(r['metric'], r['metric'])} | {_num(r['base'])} | "
                       f"{_num(r['new'])} | {r['change']:+.2%} | {p} |")
        out.append("")
    if verdict["only_base"] or verdict["only_new"]:
        out += ["## Not compared", ""]
        out += [f"- only in BASE: `{n}`" for n in verdict["only_base"]]
        out += [f"- only in NEW: `{n}`" for n in verdict["only_new"]]
        out.append("")
    out.append("Verdict: " + ("REGRESSED" if verdict["regressions"] else "no regression"))
    return "\n".join(out) + "\n"
