"""./mmbench export --format FORMAT RESULTS: the results in another tool's format.

github-action-benchmark   the "customSmallerIsBetter" tool: a JSON array of
                          {name, unit, value, range?, extra?}; name is "BENCHMARK METRIC",
                          range is "± half the 95% interval of the median" (min..max where
                          no interval was recorded), extra says which and over how many
bencher                   Bencher Metric Format (BMF): {benchmark: {measure: {value,
                          lower_value?, upper_value?}}}; measures are slugs
                          (ns-per-op, instructions-per-op, ...); lower/upper are the 95%
                          interval of the median (min and max where none was recorded)

The bounds are the ones the tables and charts show (stats.whisker).

Only lower-is-better metrics of the catalog (metrics.py) are exported, allocator and
collector ones alike (both targets want one direction), and only benchmarks that ran; a
failed benchmark has no value to give. Units are the catalog's.
"""
import json

from harness import metrics, stats


def _values(data):
    """(benchmark, metric key, summary) for every lower-is-better metric that has a value."""
    lower = [m.key for m in metrics.judged() if m.better == metrics.LOWER]
    for b in data.get("benchmarks", []) + data.get("sweep", []):
        if b.get("error"):
            continue
        for key in lower:
            m = (b.get("metrics") or {}).get(key)
            if isinstance(m, dict) and isinstance(m.get("median"), (int, float)):
                yield b["name"], key, m


def github_action_benchmark(data):
    out = []
    for name, key, m in _values(data):
        entry = {"name": f"{name} {key}", "unit": metrics.METRICS[key].unit, "value": m["median"]}
        low, high, how = stats.whisker(m)
        if how:
            entry["range"] = f"± {(high - low) / 2:.6g}"
            bounds = "95% interval of the median" if how == "ci" else "min to max"
            entry["extra"] = f"median of {m['n']} processes; {bounds} [{low:.6g}, {high:.6g}]"
        out.append(entry)
    return out


def bencher(data):
    out = {}
    for name, key, m in _values(data):
        measure = {"value": m["median"]}
        low, high, how = stats.whisker(m)
        if how:
            measure["lower_value"], measure["upper_value"] = low, high
        out.setdefault(name, {})[key.replace("_", "-")] = measure
    return out


FORMATS = {"github-action-benchmark": github_action_benchmark, "bencher": bencher}


def render(data, fmt):
    return json.dumps(FORMATS[fmt](data), indent=1) + "\n"
