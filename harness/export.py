"""./mmbench export --format FORMAT RESULTS: the results in another tool's format.

github-action-benchmark   the "customSmallerIsBetter" tool: a JSON array of
                          {name, unit, value, range?, extra?}; name is "BENCHMARK METRIC",
                          range is "± stddev", extra says the spread and repetitions
bencher                   Bencher Metric Format (BMF): {benchmark: {measure: {value,
                          lower_value?, upper_value?}}}; measures are slugs
                          (ns-per-op, instructions-per-op, ...); lower/upper are the min
                          and max of the samples

Only lower-is-better metrics of the catalog (metrics.py) are exported, allocator and
collector ones alike (both targets want one direction), and only benchmarks that ran; a
failed benchmark has no value to give. Units are the catalog's.
"""
import json

from harness import metrics


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
        if m.get("n", 1) > 1:
            entry["range"] = f"± {m.get('stddev', 0):.6g}"
            entry["extra"] = f"median of {m['n']} samples; spread {m.get('spread', 0):.1%}"
        out.append(entry)
    return out


def bencher(data):
    out = {}
    for name, key, m in _values(data):
        measure = {"value": m["median"]}
        if isinstance(m.get("min"), (int, float)) and isinstance(m.get("max"), (int, float)):
            measure["lower_value"], measure["upper_value"] = m["min"], m["max"]
        out.setdefault(name, {})[key.replace("_", "-")] = measure
    return out


FORMATS = {"github-action-benchmark": github_action_benchmark, "bencher": bencher}


def render(data, fmt):
    return json.dumps(FORMATS[fmt](data), indent=1) + "\n"
