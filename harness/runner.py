"""Taking a run's measurements, surviving interruption, and finishing later.

A fresh run plans every measurement (journal.py), stages the folder as DIR.partial, and
takes the measurements one by one, journaling each as it finishes: the rounds of
--repetitions, then extra rounds (up to --max-repetitions) for the benchmarks whose ns/op
or its ratio to its workload's reference is not yet within --precision (±5%, the table's
`!`, unless asked for tighter), each with that reference in the same round so that its
ratio has a pair, while the measuring stays within --max-time, then hyperfine and
callgrind. The terminal gets a machine header first and a progress line with the time
left (progress.py), and at the end the tables, split to its width. Then:
  - everything done: results.json, tables, charts and report are written and DIR.partial
    becomes DIR;
  - a strategy crashed (a segfault in the strategy under test): that benchmark is marked
    failed, with the signal, and the run goes on with the others;
  - Ctrl-C: the measurement in flight is stopped and marked "interrupted (Ctrl-C)", the
    run stops, and what was measured is published to DIR as an incomplete run (the table
    shows which benchmarks are missing); `./mmbench run --resume DIR` takes the rest;
  - the harness itself dies (kill -9, power cut): DIR.partial keeps the finished
    measurements and `--resume DIR` picks it up there, from the same source tree only
    (env.source_tree: the commit and the hash of any uncommitted change).
Every file is written whole (temporary file + rename), so no result file is ever half there.
"""
import datetime
import json
import os
import sys
import time

from harness import build, deps, env, journal, measure, plan, plot, programs, progress, report, results, stats, sweep, \
    table
from harness.errors import UserError
from harness.registry import Registry

OUTPUTS = ("results.json", "table.md", "table.csv")


def _own(params, workload, strategy):
    """The --params (NAME.KEY) that concern one benchmark: its workload's, its allocator's
    and its collector's (a heap "rc-gen/pool" names both). The run's other parameters are
    not this benchmark's: a churn job recorded with the replay's trace would read as if it
    depended on it."""
    names = {workload, *strategy.split("/")}
    return {k: v for k, v in params.items() if k.split(".", 1)[0] in names}


def start(config, registry, selected, began):
    """Plans the `selected` benchmarks ([(name, workload, strategy)], plan.benchmarks) of
    `config`, stages config.out and measures; returns the exit status. `began`: when the
    command began (time.monotonic()), so the run's time covers its build and inputs."""
    sweeps = sweep.parse(config.sweep, registry, {w for _, w, _ in selected})
    deps.ensure((deps.COUNTS if config.counts else []) + (deps.HYPERFINE if config.hyperfine_runs else []))
    stage = results.Staging(config.out)  # refuses an existing --out before any work is done
    try:
        config = plan.prepare(selected, config).with_preload(registry)  # e.g. records the trace a replay needs
        params = dict(config.params)
        jobs = [{"name": name, "bench": name, "workload": w, "strategy": s, "params": dict(params), "sweep": None}
                for name, w, s in selected]
        jobs += sweep.jobs(selected, sweeps, params, lambda w: registry.workload_params(w, params))
        threads = {w["name"]: w.get("threads", 1) for w in registry.workloads}
        for job in jobs:  # a GC heap with collector options is named after them (plan.configured)
            job["params"] = _own(job["params"], job["workload"], job["strategy"])
            job["kind"] = "gc" if registry.is_gc(job["workload"]) else "alloc"  # sweep points too
            job["clock"] = config.clock_of(threads.get(job["workload"], 1))
            label = plan.configured(job["strategy"], registry, params) if job["kind"] == "gc" else None
            if label and label != job["strategy"]:
                job["name"] = f"{job['workload']}/{label}{job['name'][len(job['bench']):]}"
                job["strategy"] = label
        the_plan = {
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": ["./mmbench", *sys.argv[1:]],
            "environment": env.collect(),
            "config": dict(config.plan_config(sweeps), inputs=env.input_digests(config.params)),
            "strategies": [s for s in registry.strategies if s["name"] in {b[2] for b in selected}],
            "collectors": [c for c in registry.collectors
                           if c["name"] in {b[2].split("/")[0] for b in selected if registry.is_gc(b[1])}],
            "workloads": [dict(w, params=registry.workload_params(w["name"], params))
                          for w in registry.workloads if w["name"] in {b[1] for b in selected}],
            "skipped": plan.skipped(registry, config),
            "jobs": jobs,
        }
        j = journal.Journal.create(stage.dir, the_plan)
    except BaseException:
        stage.discard()
        raise
    return _measure_and_publish(j, config, stage.dir, stage, began)


def _locate(path):
    """The folder of a run to resume: DIR itself (published, incomplete) or DIR.partial."""
    path = os.path.abspath(path)
    for folder in (path, f"{path}.partial"):
        if os.path.isfile(os.path.join(folder, "plan.json")):
            return folder
    if os.path.isdir(path) or os.path.isdir(f"{path}.partial"):
        raise UserError(f"--resume {path}: not a run that can be resumed (no plan.json)")
    raise UserError(f"--resume {path}: no such run (nor {os.path.basename(path)}.partial)")


def resume(path, began, charts=True, wide=False):
    """Takes the measurements missing from the run in `path` (or path.partial) with the
    options its plan recorded (plan.RunConfig.from_plan), and publishes it."""
    folder = _locate(path)
    j = journal.Journal.open(folder, path)
    mixed = env.same_tree(j.plan.get("environment") or {}, env.source_tree())
    if mixed:  # one run, one tree: its measurements would not be of one program
        raise UserError(f"--resume {path}: {mixed}; check that tree out again to finish it, or start a new run")
    out = folder[:-len(".partial")] if folder.endswith(".partial") else folder
    if folder != out and os.path.exists(out):
        raise UserError(f"--resume {path}: both {out} and {folder} exist; move one away")
    config = plan.RunConfig.from_plan(j.plan["config"], out, charts, wide)
    build.build()
    registry = Registry.load()
    names = set(registry.strategy_names()) | {h["name"] for h in registry.gc_heaps}
    gone = sorted({plan.heap_of(job["strategy"]) for job in j.plan["jobs"]} - names)
    if gone:
        raise UserError(f"--resume {path}: the binary no longer has strategy {', '.join(gone)}")
    todo = j.missing()
    print(f"mmbench: resuming {os.path.relpath(out)}: {len(todo)} measurement(s) missing", file=sys.stderr)
    return _measure_and_publish(j, config, folder, None, began)


def _take(j, config, job, kind, n):
    """Takes one measurement and journals it; returns (note for the progress line, failed,
    seconds it took)."""
    raw = j.raw_path(job, kind, n)
    began = time.monotonic()
    if kind == "gbench":
        sample, error = measure.gbench(job["bench"], job["params"], config, raw, job.get("clock") or "cpu")
    elif kind == "hyperfine":
        sample, error = measure.hyperfine(job["bench"], job["params"], config, raw)
    else:
        sample, error = measure.counts(job["bench"], job["params"], config, raw)
    seconds = time.monotonic() - began
    if not sample:
        j.record(job, kind, n, error=error, raw=raw if os.path.exists(raw) else None, seconds=seconds)
        return f"FAILED: {error}", True, seconds
    if kind == "gbench":
        context = sample.pop("_context", {})
        if not os.path.exists(os.path.join(j.folder, "context.json")):
            results.write_atomic(os.path.join(j.folder, "context.json"), json.dumps(context) + "\n")
        note = f"{sample['ns_per_op']:.1f} ns/op ({job.get('clock') or 'cpu'})"
    elif kind == "hyperfine":
        note = f"{sorted(sample['process_s'])[len(sample['process_s']) // 2]:.3f} s/process"
    else:
        guard = (f" [hit the runaway guard at {sample['counts_completed']:.0%} of steps]"
                 if sample["counts_completed"] < 1 else "")
        note = f"{sample['instructions_per_op']:.1f} instructions/op{guard}"
    j.record(job, kind, n, sample=sample, raw=raw, seconds=seconds)
    return note, False, seconds


class Timing:
    """How long measurements took, to say how long the rest will: a job's own earlier
    measurements of the same kind, else the average of that kind so far."""

    def __init__(self, j):
        self.seen = {}
        for r in j.records().values():
            if r.get("seconds") is not None:
                self.add(r["job"], r["kind"], r["seconds"])

    def add(self, name, kind, seconds):
        self.seen.setdefault((name, kind), []).append(seconds)

    def estimate(self, name, kind):
        own = self.seen.get((name, kind))
        if own:
            return sorted(own)[len(own) // 2]
        same = [t for (_, k), ts in self.seen.items() if k == kind for t in ts]
        return sum(same) / len(same) if same else None

    def left(self, steps):
        """Seconds the measurements `steps` [(job, kind, n)] should take; None while nothing is known."""
        guesses = [self.estimate(job["name"], kind) for job, kind, _ in steps]
        return sum(g for g in guesses if g is not None) if any(g is not None for g in guesses) else None


def _take_steps(j, config, steps, shown, timing, failed):
    """Takes `steps` in order, showing progress; a benchmark that fails is not measured
    again. Returns True when Ctrl-C stopped it."""
    for i, (job, kind, n) in enumerate(steps):
        if job["name"] in failed:
            continue
        what = f"rep {n}" if kind == "gbench" else kind
        try:
            note, bad, seconds = _take(j, config, job, kind, n)
        except measure.Interrupted:
            j.record(job, kind, n, error=journal.INTERRUPTED)
            shown.show(i + 1, len(steps), job["name"], what, "INTERRUPTED", failed=True)
            return True
        timing.add(job["name"], kind, seconds)
        if bad:
            failed.add(job["name"])
        shown.show(i + 1, len(steps), job["name"], what, note, left=timing.left(steps[i + 1:]), failed=bad)
    return False


def widest(entry, reference):
    """The wider of a benchmark's two intervals, each as a half-width over its median: its
    ns/op's and, when `reference` (its workload's reference entry, None for the reference
    itself) ran, its ratio to it round by round (the number a paper quotes: both must be
    within --precision); 1.0 for an interval not yet had. 0 when the benchmark failed or
    has no ns/op."""
    m = (entry.get("metrics") or {}).get("ns_per_op")
    if entry.get("error") or m is None:
        return 0.0
    width = m.get("half_width", 1.0)
    if reference is not None and not reference.get("error"):
        ratio = stats.per_round(results.by_round(entry, "ns_per_op"), results.by_round(reference, "ns_per_op"))
        width = max(width, stats.ratio_half_width(ratio))
    return width


def reference_of(config, entry):
    """The benchmark a main benchmark's ratio is taken to, in its workload."""
    name = table.GC_BASELINE if entry.get("kind") == "gc" else config.reference
    return f"{entry['workload']}/{name}"


def _extra_rounds(j, config, shown, timing, failed, started):
    """Rounds past --repetitions, up to --max-repetitions, for the main benchmarks whose
    ns/op or ratio to the reference is not yet within --precision (widest), each with its
    workload's reference, the widest intervals first, while the measuring stays within
    --max-time. Returns True when Ctrl-C stopped it."""
    jobs = {job["name"]: job for job in j.plan["jobs"] if not job.get("sweep")}
    goal = f"±{config.precision * 100:g}%"
    for n in range(config.repetitions + 1, config.max_repetitions + 1):
        entries = {b["name"]: b for b in j.assemble()["benchmarks"]}
        refs = {name: reference_of(config, entries[name]) for name in jobs if name in entries}
        width = {name: widest(entries[name], entries.get(ref) if ref != name else None) for name, ref in refs.items()}
        open_names = sorted((name for name, w in width.items() if w > config.precision), key=lambda name: -width[name])
        if not open_names:
            return False
        have = j.records()
        chosen, cost = [], 0.0
        for name in open_names:
            ref = reference_of(config, entries[name])
            for member in [name] + ([ref] if ref in jobs and ref not in failed else []):
                if member in chosen or member in failed:
                    continue
                record = have.get((member, "gbench", n))
                if record and record.get("error") != journal.INTERRUPTED:
                    continue  # taken before an interruption: --resume
                guess = timing.estimate(member, "gbench") or 0
                if config.max_time and time.monotonic() - started + cost + guess > config.max_time:
                    break
                chosen.append(member)
                cost += guess
        if not chosen:
            shown.say(f"mmbench: {len(open_names)} benchmark(s) not yet within {goal} (ns/op or "
                      f"ratio); --max-time {config.max_time:g} s leaves no room for round {n}")
            return False
        shown.say(f"mmbench: round {n} of at most {config.max_repetitions}: {len(open_names)} benchmark(s) not yet "
                  f"within {goal} (ns/op or ratio), measuring {len(chosen)} again")
        if _take_steps(j, config, [(jobs[name], "gbench", n) for name in chosen], shown, timing, failed):
            return True
    return False


def _measure_and_publish(j, config, folder, stage, began):
    """Takes the journal's missing measurements into `folder` (config.out, or its
    .partial), then writes results, tables, charts and report and publishes the folder as
    config.out (stage: a fresh run's Staging; None when resuming). The run's
    elapsed_seconds count from `began`, the command's start (its build check and, for a
    replay, the trace it records included), to its charts drawn."""
    out = config.out
    started = time.monotonic()
    todo = j.missing()
    clocks = sorted({job.get("clock") or "cpu" for job in j.plan["jobs"]})
    shown = progress.Progress()
    timing = Timing(j)
    failed = {k[0] for k, r in j.records().items() if r.get("error") and r["error"] != journal.INTERRUPTED}
    rounds = [step for step in todo if step[1] == "gbench"]
    interrupted = False
    try:
        shown.say(progress.header(j.plan.get("environment") or {}, config.describe(),
                                  config.clock or " and ".join(f"{c} ({_clock_for(c)})" for c in clocks)))
        interrupted = (_take_steps(j, config, rounds, shown, timing, failed) or
                       _extra_rounds(j, config, shown, timing, failed, started) or
                       _take_steps(j, config, [s for s in todo if s[1] != "gbench"], shown, timing, failed))
    except (KeyboardInterrupt, measure.Interrupted):
        interrupted = True  # between two measurements: nothing recorded was lost
    shown.clear()
    if all(r.get("error") == journal.INTERRUPTED for r in j.records().values()):
        if stage:
            stage.discard()
        print("mmbench: interrupted before any measurement finished; nothing was written", file=sys.stderr)
        return 130
    if not interrupted:
        _measure_programs(config, folder, data_strategies(j))
    data = j.assemble(load_average_end=env.load_average())
    data["programs"] = _read_programs(folder)
    _note_context(folder, data)
    write_outputs(folder, data, began, charts=config.charts)
    if stage:
        stage.publish()
    elif folder != out:  # a resumed DIR.partial becomes DIR once it is written
        os.rename(folder, out)
    width = None if config.wide else progress.terminal_width()
    print(table.winners_text(data, width) + "\n" + table.text(data, width) + programs.table(data["programs"]), end="")
    where = os.path.relpath(out)
    if not data["complete"]:
        print(f"\nmmbench: {data['missing']} measurement(s) missing; finish with: ./mmbench run --resume {where}",
              file=sys.stderr)
    for warning in data.get("warnings", []):
        print(f"mmbench: warning: {warning}", file=sys.stderr)
    print(f"\nresults: {where}  ({progress.clock_text(time.monotonic() - began)} in all)", file=sys.stderr)
    if interrupted:
        return 130
    return 1 if any(b.get("error") for b in data["benchmarks"] + data["sweep"]) else 0


def _clock_for(clock):
    return "single-threaded workloads" if clock == "cpu" else "multi-threaded workloads"


def data_strategies(j):
    return {job["strategy"] for job in j.plan["jobs"] if job.get("kind", "alloc") == "alloc"}


def _measure_programs(config, folder, strategy_names):
    """The real programs (harness/programs.py) on every strategy of the run, once: a
    resumed run keeps programs.json when it is already there. hyperfine times each with
    the run's --hyperfine-runs, or 3 when the run asked for none of the benchmarks."""
    path = os.path.join(folder, "programs.json")
    if not config.programs or os.path.exists(path):
        return
    chosen = [p for p in programs.PROGRAMS if p.name in config.programs]
    registry = Registry.load()
    rows = programs.measure(registry, strategy_names, chosen, config.hyperfine_runs or 3, folder, sys.stderr)
    results.write_atomic(path, json.dumps(rows, indent=1) + "\n")


def _read_programs(folder):
    try:
        with open(os.path.join(folder, "programs.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def _note_context(folder, data):
    try:
        with open(os.path.join(folder, "context.json")) as f:
            context = json.load(f)
    except (OSError, ValueError):
        return
    environment = data.setdefault("environment", {})
    environment["gbench_library_build_type"] = context.get("library_build_type")
    if context.get("library_build_type") == "debug":
        environment.setdefault("warnings", []).append(
            "Debian's libbenchmark is built as DEBUG; it times nothing here (the passes time themselves)")


def write_outputs(folder, data, began, charts=True):
    """The charts, then results.json (its elapsed_seconds: from `began` to here, the
    charts drawn), the tables and the HTML report (each file atomic). A chart that fails
    leaves the run unpublished, its measurements in the journal for --resume."""
    made = plot.make_all(data, folder, quiet=True) if charts else []
    data["elapsed_seconds"] = round(time.monotonic() - began, 1)
    results.write_atomic(os.path.join(folder, "results.json"), json.dumps(data, indent=1) + "\n")
    results.write_atomic(os.path.join(folder, "table.md"), table.markdown(data))
    results.write_atomic(os.path.join(folder, "table.csv"), table.csv_text(data))
    if data.get("programs"):
        results.write_atomic(os.path.join(folder, "programs.txt"), programs.table(data["programs"]))
    report.write(data, folder, made)

