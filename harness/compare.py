"""./mmbench compare BASE NEW: what changed, and whether any of it is a regression.

First, whether the two runs can be compared at all (differences()): the machine (CPU
model, cores, transparent huge pages) and the settings that change the work (--budget,
--limit, --param, a param's input file by content) must be the same, as must the
operations each benchmark's counted run did. Where not, compare refuses (UserError: one
line, exit 2) unless forced, and then lists the differences first. Anchor: pyperf's
checked metadata.

Then, for every benchmark in both runs (main benchmarks and sweep points, matched by name)
and every metric of the catalog with a direction (metrics.judged(): allocator and
collector metrics alike):
  change       median(NEW) / median(BASE) − 1, in exact decimal arithmetic on the numbers
               as results.json writes them, so "more than 3%" means more: 3.0% is not
  drift        a clock metric (the catalog's `clock`: ns/op, process time, pauses, user
               and system time) is also judged relative to the machine's speed: each
               sample is divided by the gauge of its round, the geometric mean over the
               controls (benchmarks of code this repository does not change: system, the
               peer allocators, the collectors with an allocator of their own) of their
               ns/op over their BASE median; samples of no round (hyperfine's) by the
               run's median gauge. `relative` = median ratio of those − 1, and the run-wide
               shift of the gauge is reported as machine drift. With no controls in both
               runs, clock metrics are judged by `change` alone, and compare says so.
  exact        metrics that do not vary between repetitions (the catalog's `varies`: the
               counts, leaked objects) and metrics whose samples did not vary in either run
               (footprints over fixed work): any difference is significant
  significant  otherwise a two-sided Mann-Whitney U test on the (drift-divided) samples,
               its p adjusted by Holm's step-down over every U test of this compare, so the
               chance that noise alone fails a compare stays under alpha
  regression   `relative` (else `change`) worse than the threshold, the metric's direction
               deciding which way is worse, AND significant; improvement: the other way
Not compared (listed, never silently): a benchmark the time budget cut short in either
run (its work differs: only its counts, which do the whole workload, are compared), the
counts of a benchmark whose counted run hit its runaway guard, benchmarks in one run only.
A benchmark that ran in BASE and fails in NEW is a regression too. Power: per metric, the
smallest p its sample sizes allow, against what Holm asks of a lone change, and the
repetitions that would reach it. The summary gives the geometric mean of NEW/BASE per
metric. Exit status 1 when anything regressed, 0 otherwise, 2 for input that cannot be
compared.
"""
import math
import statistics
from fractions import Fraction

from harness import metrics, results, stats
from harness.errors import UserError

VERDICT_SCHEMA = "mmbench.verdict/1"

# ---- what must be the same (pyperf's checked metadata: equal, or absent from both) -----------

# Transparent huge pages are the machine's too: a strategy that asks for them (pool's
# arenas) is far slower where they are off (docs/peers.md, results/peers-churn-nothp).
CHECKED = [("CPU model", "environment", "cpu"), ("cores", "environment", "cores"),
           ("transparent huge pages", "environment", "transparent_hugepages"),
           ("budget", "config", "budget"), ("limit", "config", "limit")]


def _params(data):
    """The run's --params, a parameter naming a file by its content where it was recorded."""
    config = data.get("config") or {}
    inputs = config.get("inputs") or {}
    return {k: (f"file sha256:{inputs[k][:12]}" if k in inputs else v) for k, v in (config.get("params") or {}).items()}


def differences(base, new):
    """What makes BASE and NEW not comparable, each in words ([] when nothing does)."""
    out = []
    for what, section, key in CHECKED:
        b, n = (base.get(section) or {}).get(key), (new.get(section) or {}).get(key)
        if b != n:
            out.append(f"{what} differs (BASE {b!r}, NEW {n!r})")
    pb, pn = _params(base), _params(new)
    for key in sorted(set(pb) | set(pn)):
        if pb.get(key) != pn.get(key):
            out.append(f"--param {key} differs (BASE {pb.get(key)!r}, NEW {pn.get(key)!r})")
    old, now = _entries(base), _entries(new)
    for name in sorted(set(old) & set(now)):
        if _guarded(old[name]) or _guarded(now[name]):
            continue  # its counts are left out anyway (not_compared)
        ob, nb = _values(old[name], "ops"), _values(now[name], "ops")
        if ob and nb and set(ob) != set(nb):
            out.append(f"{name}: the counted runs did different operations (BASE {_listed(ob)}, NEW {_listed(nb)})")
    return out


def _listed(values):
    return ", ".join(f"{v:g}" for v in sorted(set(values)))


# ---- the benchmarks and their samples -----------------------------------------------------------


def _entries(data):
    return {b["name"]: b for b in data.get("benchmarks", []) + data.get("sweep", []) if isinstance(b, dict)}


def _values(entry, key):
    values = (entry.get("samples") or {}).get(key)
    if isinstance(values, list):
        return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return []


def _samples(entry, key):
    """The samples of `key`, or its recorded median alone, or None."""
    values = _values(entry, key)
    if values:
        return values
    m = (entry.get("metrics") or {}).get(key)
    if isinstance(m, dict) and isinstance(m.get("median"), (int, float)):
        return [m["median"]]
    return None


def _least(entry, key):
    values = _values(entry, key)
    return min(values) if values else 1.0


def _cut(entry):
    """The time budget stopped this benchmark's run before the end of its workload."""
    return _least(entry, "completed") < 1


def _guarded(entry):
    """Its counted run hit the runaway guard (measure.COUNTS_GUARD_SECONDS)."""
    return _least(entry, "counts_completed") < 1


def _exact(value):
    """A number as results.json writes it (the shortest decimal that reads back as it), exactly."""
    return Fraction(value) if isinstance(value, int) else Fraction(repr(float(value)))


def _median(values):
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _change(base, new):
    """median(new) / median(base) − 1, exactly (a Fraction), or ±inf from a zero base."""
    b, n = _median([_exact(v) for v in base]), _median([_exact(v) for v in new])
    if b == 0:
        return Fraction(0) if n == 0 else math.inf
    return n / b - 1


# ---- machine drift: the controls' gauge ---------------------------------------------------------

ROUND_SOURCES = {"timer", "benchmark", "collector", "wait4"}  # taken once per repetition, in its round


def is_control(entry, data):
    """A benchmark of code this repository does not change: an allocator without the page
    layer (system, the peers: no `limit` capability) or a collector with an allocator of
    its own (Boehm)."""
    if entry.get("kind") == "gc":
        collector = next((c for c in data.get("collectors") or [] if c.get("name") == entry.get("strategy")), None)
        return bool(collector and collector.get("own_allocator"))
    strategy = next((s for s in data.get("strategies") or [] if s.get("name") == entry.get("strategy")), None)
    return strategy is not None and "limit" not in strategy.get("caps", [])


class Gauge:
    """The machine's speed in one run, from its controls, relative to the controls in BASE:
    per round (the geometric mean of each control's ns/op over its BASE median, over the
    controls measured in that round) and for the whole run (the median over its rounds;
    for results without rounds, the geometric mean of the controls' medians)."""

    def __init__(self, controls, entries, reference):
        by_round = {}
        for name in controls:
            for r, x in results.by_round(entries[name], "ns_per_op").items():
                if x > 0:
                    by_round.setdefault(r, []).append(math.log(x / reference[name]))
        self.per_round = {r: math.exp(statistics.fmean(logs)) for r, logs in by_round.items()}
        if self.per_round:
            self.level = statistics.median(self.per_round.values())
        else:
            medians = [(_median(_samples(entries[c], "ns_per_op")), reference[c]) for c in controls]
            logs = [math.log(m / ref) for m, ref in medians if m > 0]
            self.level = math.exp(statistics.fmean(logs)) if logs else 1.0

    def divide(self, entry, metric):
        """The samples of `metric` of `entry`, each divided by the gauge of its round (or of
        the run, for samples not taken in rounds)."""
        if metric.source in ROUND_SOURCES:
            paired = results.by_round(entry, metric.key)
            if paired:
                return [x / self.per_round.get(r, self.level) for r, x in sorted(paired.items())]
        return [x / self.level for x in _samples(entry, metric.key)]


def _drift(base, new, old, now):
    """(controls, BASE gauge, NEW gauge), or ([], None, None) when the runs share none."""
    controls = sorted(name for name in set(old) & set(now)
                      if is_control(old[name], base) and is_control(now[name], new)
                      and not any(e.get("error") or _cut(e) for e in (old[name], now[name]))
                      and _samples(old[name], "ns_per_op") and _samples(now[name], "ns_per_op")
                      and _median(_samples(old[name], "ns_per_op")) > 0)
    if not controls:
        return [], None, None
    reference = {c: _median(_samples(old[c], "ns_per_op")) for c in controls}
    return controls, Gauge(controls, old, reference), Gauge(controls, now, reference)


# ---- judging ------------------------------------------------------------------------------------


def smallest_p(n1, n2):
    """The smallest two-sided p a U test on n1 and n2 samples can give: every sample of one
    beyond every sample of the other (2 of the C(n1+n2, n1) orderings)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def repetitions_for(level):
    """The fewest repetitions on each side with which a U test can reach p < level."""
    n = 1
    while smallest_p(n, n) >= level:
        n += 1
    return n


def judge(metric, base, new, threshold=0.03, alpha=0.05, base_divided=None, new_divided=None):
    """One metric (a catalog entry) of one benchmark, alone (no other test to adjust for):
    {metric, base, new, change, relative, p, exact, significant, verdict}. base_divided and
    new_divided: the samples divided by the drift gauge, for a clock metric."""
    row = _measure(metric, base, new, base_divided, new_divided)
    _decide([row], threshold, alpha)
    return row


def _measure(metric, base, new, base_divided=None, new_divided=None):
    """A comparison before the decision: the changes and, unless exact, the U test's p."""
    change = _change(base, new)
    relative = None
    if base_divided is not None and new_divided is not None:
        b, n = _median(base_divided), _median(new_divided)
        relative = (n / b - 1) if b else (0.0 if n == 0 else math.inf)
    # a metric that did not vary across repetitions in either run is deterministic: compare exactly
    constant = len(base) > 1 and len(new) > 1 and len(set(base)) == 1 and len(set(new)) == 1
    exact = not metric.varies or constant
    p = None
    if not exact:
        p = stats.mann_whitney(base_divided if relative is not None else base,
                               new_divided if relative is not None else new)[1]
    judged = relative if relative is not None and not exact else change  # an exact one is judged as it is
    worse = judged if metric.better == metrics.LOWER else -judged
    return {"metric": metric.key, "base": float(_median(base)), "new": float(_median(new)),
            "change": float(change), "relative": relative, "p": p, "exact": exact, "n": (len(base), len(new)),
            "differs": change != 0, "_worse": worse}


def _decide(rows, threshold, alpha):
    """Significance (exact, or Holm-adjusted p < alpha over every U-tested row of `rows`)
    and each row's verdict. The threshold is compared in exact arithmetic where the change
    is exact (a drift-divided change is a float)."""
    tested = sorted((r for r in rows if not r["exact"]), key=lambda r: r["p"])
    m = len(tested)
    running = 0.0
    for k, row in enumerate(tested):  # Holm: p_(k) × (m − k), never below an earlier one
        running = max(running, min(1.0, row["p"] * (m - k)))
        row["p_holm"] = running
    limit = Fraction(repr(float(threshold)))
    for row in rows:
        row["significant"] = row["differs"] if row["exact"] else row["p_holm"] < alpha
        worse = row.pop("_worse")
        if isinstance(worse, float) and math.isfinite(worse):
            worse = Fraction(worse)
        verdict = "same"
        if row["significant"] and worse > limit:
            verdict = "regression"
        elif row["significant"] and worse < -limit:
            verdict = "improvement"
        row["verdict"] = verdict
        row.pop("differs")
    return m


def _power(rows, alpha):
    """Per metric judged by a U test: the sample sizes, the smallest p they allow, what
    Holm asks of a lone change among this compare's tests, and the repetitions needed."""
    tested = [r for r in rows if not r["exact"]]
    m = len(tested)
    out = []
    for key in dict.fromkeys(r["metric"] for r in tested):
        sizes = [r["n"] for r in tested if r["metric"] == key]
        n1, n2 = statistics.mode(sizes)  # the metric's usual sample sizes
        lone = alpha / m
        best = smallest_p(n1, n2)
        out.append({"metric": key, "comparisons": len(sizes), "samples": [n1, n2], "smallest_p": best,
                    "needed_p": lone, "reachable": best < alpha, "reachable_alone": best < lone,
                    "repetitions_needed": repetitions_for(lone)})
    return out


def compare(base, new, threshold=0.03, alpha=0.05, force=False):
    """The verdict: rows per benchmark and metric, regressions, drift, power, geometric
    means. Raises UserError when the runs differ (differences()) and not `force`."""
    found = differences(base, new)
    if found and not force:
        more = f" (and {len(found) - 1} more difference{'s' if len(found) > 2 else ''})" if len(found) > 1 else ""
        raise UserError(f"BASE and NEW are not comparable: {found[0]}{more}; compare runs of one machine "
                        "and one setting, or add --force")
    old, now = _entries(base), _entries(new)
    controls, base_gauge, new_gauge = _drift(base, new, old, now)
    rows, failures, not_compared = [], [], []
    for name, nb in now.items():
        ob = old.get(name)
        if ob is None:
            continue
        if nb.get("error") and not ob.get("error"):
            failures.append({"benchmark": name, "error": nb["error"]})
            continue
        if nb.get("error") or ob.get("error"):
            not_compared.append({"benchmark": name, "reason": "failed in " + ("both runs" if nb.get("error") and ob.get(
                "error") else "BASE")})
            continue
        cut = _cut(ob) or _cut(nb)
        guarded = _guarded(ob) or _guarded(nb)
        if cut:
            not_compared.append({"benchmark": name, "reason": (
                f"cut short by the time budget (BASE {_least(ob, 'completed'):.0%}, NEW {_least(nb, 'completed'):.0%} "
                "of steps): its work differs; only its counts, over the whole workload, are compared")})
        if guarded:
            not_compared.append({"benchmark": name, "reason": (
                f"its counted run hit the runaway guard (BASE {_least(ob, 'counts_completed'):.0%}, "
                f"NEW {_least(nb, 'counts_completed'):.0%} of steps): its counts are left out")})
        for metric in metrics.judged():
            if (cut and metric.source != "callgrind") or (guarded and metric.source == "callgrind"):
                continue
            bs, ns = _samples(ob, metric.key), _samples(nb, metric.key)
            if not bs or not ns:
                continue
            divided = (base_gauge.divide(ob, metric), new_gauge.divide(nb, metric)) if (
                metric.clock and controls) else (None, None)
            row = _measure(metric, bs, ns, *divided)
            row["benchmark"] = name
            rows.append(row)
    family = _decide(rows, threshold, alpha)
    ratios = {}
    for row in rows:
        if row["base"] > 0 and row["new"] > 0:
            ratios.setdefault(row["metric"], []).append(row["new"] / row["base"])
    regressions = [r for r in rows if r["verdict"] == "regression"] + failures
    shift = new_gauge.level / base_gauge.level - 1 if controls else None
    return {"schema": VERDICT_SCHEMA, "differences": found, "forced": bool(found) and force,
            "rows": rows, "failures": failures, "regressions": regressions,
            "improvements": [r for r in rows if r["verdict"] == "improvement"],
            "drift": {"controls": controls, "shift": shift, "by_round": bool(controls and new_gauge.per_round),
                      "is_drift": shift is not None and abs(shift) > threshold},
            "tests": family, "power": _power(rows, alpha),
            "geomean": {k: stats.geomean(v) for k, v in ratios.items()},
            "not_compared": not_compared + [{"benchmark": n, "reason": "only in BASE"} for n in sorted(set(old) - set(now))]
            + [{"benchmark": n, "reason": "only in NEW"} for n in sorted(set(now) - set(old))],
            "threshold": threshold, "alpha": alpha}


# ---- output -------------------------------------------------------------------------------------


def _num(v):
    if v == 0 or 0.01 <= abs(v) < 1e6:
        return f"{v:.4g}"
    return f"{v:.4e}"


def _pct(v):
    return "—" if v is None else (f"{v:+.2%}" if math.isfinite(v) else "new")


def status(verdict):
    return "REGRESSED" if verdict["regressions"] else "no regression"


def _finite(row):
    """A row as strict JSON has it: a change from zero (infinite) is null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def as_json(verdict, base_name, new_name):
    """The verdict for bots: everything compare() found, with the two runs named."""
    return dict(verdict, base=base_name, new=new_name, verdict=status(verdict),
                exit_status=1 if verdict["regressions"] else 0,
                **{key: [_finite(r) for r in verdict[key]] for key in ("rows", "regressions", "improvements")})


def markdown(verdict, base_name, new_name):
    titles = {m.key: m.name for m in metrics.CATALOG}
    drift = verdict["drift"]
    out = ["# mmbench compare", "",
           f"BASE `{base_name}` → NEW `{new_name}`; a regression is a change of more than "
           f"{verdict['threshold']:.1%} the wrong way that is significant: exactly for counts and for metrics that "
           f"did not vary, else by a Mann-Whitney U test (p < {verdict['alpha']:g}, Holm-adjusted over the "
           f"{verdict['tests']} tests of this compare).", ""]
    if verdict["differences"]:
        out += ["## Differences (compared anyway: --force)", ""] + [f"- {d}" for d in verdict["differences"]] + [""]
    if drift["controls"]:
        shown = ", ".join(f"`{c}`" for c in drift["controls"][:6]) + (
            f" and {len(drift['controls']) - 6} more" if len(drift["controls"]) > 6 else "")
        out += [("**Machine drift**: " if drift["is_drift"] else "Machine drift: ") +
                f"the controls (code this repository does not change: {shown}) moved {drift['shift']:+.2%}"
                f"{' round by round' if drift['by_round'] else ''}; clock metrics are judged relative to them "
                "(column `vs drift`), beside their plain change.", ""]
    else:
        out += ["No control strategy (system, a peer, Boehm) ran in both: clock metrics are judged by their plain "
                "change, so a drift of the machine would read as one.", ""]
    n = len(verdict["regressions"])
    out += [f"**{n} regression{'s' if n != 1 else ''}**, {len(verdict['improvements'])} improvement(s), "
            f"{len(verdict['rows'])} comparisons.", ""]
    weak = [p for p in verdict["power"] if not p["reachable_alone"]]
    if weak:
        out += ["## Power: changes these samples cannot show", "",
                "| metric | comparisons | samples | smallest p | a lone change needs | repetitions that can |",
                "|---|---:|---:|---:|---:|---:|"]
        for p in weak:
            out.append(f"| {titles.get(p['metric'], p['metric'])} | {p['comparisons']} | {p['samples'][0]} vs "
                       f"{p['samples'][1]} | {p['smallest_p']:.3g}{'' if p['reachable'] else ' (never < alpha)'} | "
                       f"p < {p['needed_p']:.2g} | {p['repetitions_needed']} |")
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
    for title, kind in (("Regressions", "regression"), ("Improvements", "improvement")):
        rows = [r for r in verdict["rows"] if r["verdict"] == kind]
        if not rows:
            continue
        out += [f"## {title}", "", "| benchmark | metric | base | new | change | vs drift | p |",
                "|---|---|---:|---:|---:|---:|---:|"]
        for r in rows:
            p = "exact" if r["p"] is None else f"{r['p_holm']:.3g}"
            out.append(f"| `{r['benchmark']}` | {titles.get(r['metric'], r['metric'])} | {_num(r['base'])} | "
                       f"{_num(r['new'])} | {_pct(r['change'])} | {_pct(r['relative'])} | {p} |")
        out.append("")
    if verdict["not_compared"]:
        out += ["## Not compared", ""] + [f"- `{n['benchmark']}`: {n['reason']}" for n in verdict["not_compared"]]
        out.append("")
    out.append("Verdict: " + status(verdict))
    return "\n".join(out) + "\n"
