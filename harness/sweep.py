"""The live-set sweep: how each strategy's cost grows as the live set grows.

`--sweep auto` (the default suite's) sweeps random-replacement churn's `live` over 1k, 10k
and 100k blocks, when churn is selected, and `--sweep thorough` (the full suite's) adds 1M
(each 1M process spends seconds filling its live set, the list-scanning fits many): the
steady state where cost growth means the strategy and nothing else (the thread workloads,
whose setup is not budgeted, and pair, whose live set is a handful of blocks, would only
make the run longer);
`--sweep none` turns it off; `--sweep churn.live=1000,50000` names the points. The point
equal to the main benchmark's own setting is not measured twice: the main benchmark is
that point. Each point is its own job, "W/S/KEY=VALUE", measured and repeated like the
main benchmarks (interleaved with them).
"""
from harness.errors import UserError

AUTO_WORKLOAD = "churn"
AUTO_PARAM = "live"
AUTO_VALUES = [1000, 10000, 100000]
THOROUGH_VALUES = AUTO_VALUES + [1000000]


def parse(text, registry, workloads):
    """--sweep TEXT -> [(workload, key, [values])] for the selected workloads."""
    text = (text or "auto").strip()
    if text == "none":
        return []
    if text in ("auto", "thorough"):
        values = AUTO_VALUES if text == "auto" else THOROUGH_VALUES
        out = []
        for w in registry.workloads:
            if w["name"] not in workloads or w["name"] != AUTO_WORKLOAD:
                continue
            p = next((p for p in w["params"] if p["name"] == AUTO_PARAM), None)
            if p:
                out.append((w["name"], AUTO_PARAM, [v for v in values if p["min"] <= v <= p["max"]]))
        return out
    out = []
    for part in text.split(";"):
        key, eq, values = part.partition("=")
        wname, dot, param = key.strip().partition(".")
        if not eq or not dot:
            raise UserError(f"--sweep '{part}' needs the form WORKLOAD.KEY=V1,V2,... (or auto, thorough or none)")
        w = next((w for w in registry.workloads if w["name"] == wname), None)
        if w is None:
            raise UserError(f"--sweep: unknown workload '{wname}' (valid: {', '.join(registry.workload_names())})")
        p = next((p for p in w["params"] if p["name"] == param), None)
        if p is None:
            raise UserError(f"--sweep: workload {wname} has no parameter '{param}'")
        try:
            nums = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise UserError(f"--sweep '{part}': values must be numbers") from None
        if not nums:
            raise UserError(f"--sweep '{part}': no values")
        for v in nums:
            if not p["min"] <= v <= p["max"] or (p["integer"] and not v.is_integer()):
                raise UserError(f"--sweep: {wname}.{param}={v:g} is out of range ({p['min']:g} to {p['max']:g})")
        if wname in workloads:
            out.append((wname, param, [int(v) if v.is_integer() else v for v in nums]))
    return out


def jobs(selected, sweeps, params, effective):
    """The sweep's jobs. selected: [(name, workload, strategy)]; effective(workload) gives
    the main benchmark's parameter values, so its own point is not repeated."""
    out = []
    for wname, key, values in sweeps:
        own = effective(wname).get(key)
        for _, w, s in selected:
            if w != wname:
                continue
            for v in values:
                if own is not None and float(own) == float(v):
                    continue
                out.append({"name": f"{w}/{s}/{key}={v}", "bench": f"{w}/{s}", "workload": w, "strategy": s,
                            "params": dict(params, **{f"{w}.{key}": str(v)}), "sweep": {"param": key, "value": v}})
    return out
