"""Taking a run's measurements, surviving interruption, and finishing later.

A fresh run plans every measurement (journal.py), stages the folder as DIR.partial, and
takes the measurements one by one, journaling each as it finishes. Then:
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

from harness import build, deps, env, journal, measure, plan, plot, programs, report, results, sweep, table
from harness.errors import UserError
from harness.registry import Registry

OUTPUTS = ("results.json", "table.md", "table.csv")


def start(config, registry, selected):
    """Plans the `selected` benchmarks ([(name, workload, strategy)], plan.benchmarks) of
    `config`, stages config.out and measures; returns the exit status."""
    sweeps = sweep.parse(config.sweep, registry, {w for _, w, _ in selected})
    deps.ensure((deps.COUNTS if config.counts else []) + (deps.HYPERFINE if config.hyperfine_runs else []))
    stage = results.Staging(config.out)  # refuses an existing --out before any work is done
    try:
        config = plan.prepare(selected, config).with_preload(registry)  # e.g. records the trace a replay needs
        params = dict(config.params)
        jobs = [{"name": name, "bench": name, "workload": w, "strategy": s, "params": dict(params), "sweep": None,
                 "kind": "gc" if registry.is_gc(w) else "alloc"}
                for name, w, s in selected]
        jobs += sweep.jobs(selected, sweeps, params, lambda w: registry.workload_params(w, params))
        for job in jobs:  # a GC heap with collector options is named after them (plan.configured)
            label = plan.configured(job["strategy"], registry, params) if registry.is_gc(job["workload"]) else None
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
            "skipped": plan.unavailable(registry, config),
            "jobs": jobs,
        }
        j = journal.Journal.create(stage.dir, the_plan)
    except BaseException:
        stage.discard()
        raise
    return _measure_and_publish(j, config, stage.dir, stage)


def _locate(path):
    """The folder of a run to resume: DIR itself (published, incomplete) or DIR.partial."""
    path = os.path.abspath(path)
    for folder in (path, f"{path}.partial"):
        if os.path.isfile(os.path.join(folder, "plan.json")):
            return folder
    if os.path.isdir(path) or os.path.isdir(f"{path}.partial"):
        raise UserError(f"--resume {path}: not a run that can be resumed (no plan.json)")
    raise UserError(f"--resume {path}: no such run (nor {os.path.basename(path)}.partial)")


def resume(path, charts=True):
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
    config = plan.RunConfig.from_plan(j.plan["config"], out, charts)
    build.build()
    registry = Registry.load()
    names = set(registry.strategy_names()) | {h["name"] for h in registry.gc_heaps}
    gone = sorted({plan.heap_of(job["strategy"]) for job in j.plan["jobs"]} - names)
    if gone:
        raise UserError(f"--resume {path}: the binary no longer has strategy {', '.join(gone)}")
    todo = j.missing()
    print(f"mmbench: resuming {os.path.relpath(out)}: {len(todo)} measurement(s) missing", file=sys.stderr)
    return _measure_and_publish(j, config, folder, None)


def _progress(step, total, name, label, note):
    print(f"[{step:>{len(str(total))}}/{total}] {name:<34} {label:<10} {note}", file=sys.stderr, flush=True)


def _take(j, config, job, kind, n):
    """Takes one measurement and journals it; returns the note for the progress line."""
    raw = j.raw_path(job, kind, n)
    if kind == "gbench":
        sample, error = measure.gbench(job["bench"], job["params"], config, raw)
        if sample:
            context = sample.pop("_context", {})
            j.record(job, kind, n, sample=sample, raw=raw)
            if not os.path.exists(os.path.join(j.folder, "context.json")):
                results.write_atomic(os.path.join(j.folder, "context.json"), json.dumps(context) + "\n")
            return f"{sample['ns_per_op']:8.1f} ns/op"
    elif kind == "hyperfine":
        sample, error = measure.hyperfine(job["bench"], job["params"], config, raw)
        if sample:
            j.record(job, kind, n, sample=sample, raw=raw)
            return f"{sorted(sample['process_s'])[len(sample['process_s']) // 2]:8.3f} s/process"
    else:
        sample, error = measure.counts(job["bench"], job["params"], config, raw)
        if sample:
            j.record(job, kind, n, sample=sample, raw=raw)
            guard = (f" [hit the runaway guard at {sample['counts_completed']:.0%} of steps]"
                     if sample["counts_completed"] < 1 else "")
            return f"{sample['instructions_per_op']:8.1f} instructions/op{guard}"
    j.record(job, kind, n, error=error, raw=raw if os.path.exists(raw) else None)
    return f"FAILED: {error}"


def _measure_and_publish(j, config, folder, stage):
    """Takes the journal's missing measurements into `folder` (config.out, or its
    .partial), then writes results, tables, charts and report and publishes the folder as
    config.out (stage: a fresh run's Staging; None when resuming)."""
    out = config.out
    started = time.monotonic()
    todo = j.missing()
    interrupted = False
    try:
        print(f"mmbench: {config.describe()}", file=sys.stderr, flush=True)
        first = {}  # job name -> (job, its first gbench repetition still to take)
        for job, kind, n in todo:
            if kind == "gbench":
                first.setdefault(job["name"], (job, n))
        failed = set()
        for _ in range(config.warmup):
            for job, n in first.values():
                if job["name"] in failed:
                    continue
                _progress(0, len(todo), job["name"], "warm-up", "")
                _, error = measure.gbench(job["bench"], job["params"], config,
                                          os.path.join(folder, "raw", ".warmup.json"))
                if error:  # crashed or timed out before any repetition: that is its result, not tried again
                    j.record(job, "gbench", n, error=f"{error} (in the warm-up)")
                    failed.add(job["name"])
                    _progress(0, len(todo), job["name"], "warm-up", f"FAILED: {error}")
        for step, (job, kind, n) in enumerate(todo, 1):
            if job["name"] in failed:
                continue
            label = f"rep {n}" if kind == "gbench" else kind
            try:
                note = _take(j, config, job, kind, n)
            except measure.Interrupted:
                j.record(job, kind, n, error=journal.INTERRUPTED)
                _progress(step, len(todo), job["name"], label, "INTERRUPTED")
                interrupted = True
                break
            if note.startswith("FAILED"):
                failed.add(job["name"])
            _progress(step, len(todo), job["name"], label, note)
    except (KeyboardInterrupt, measure.Interrupted):
        interrupted = True  # in a warm-up or between two measurements: nothing recorded was lost
    finally:
        warmup = os.path.join(folder, "raw", ".warmup.json")
        if os.path.exists(warmup):
            os.unlink(warmup)
    if not j.records():
        if stage:
            stage.discard()
        print("mmbench: interrupted before any measurement finished; nothing was written", file=sys.stderr)
        return 130
    if not interrupted:
        _measure_programs(config, folder, data_strategies(j))
    data = j.assemble()
    data["programs"] = _read_programs(folder)
    data["elapsed_seconds"] = round(time.monotonic() - started, 1)
    _note_context(folder, data)
    write_outputs(folder, data, charts=config.charts)
    if stage:
        stage.publish()
    elif folder != out:  # a resumed DIR.partial becomes DIR once it is written
        os.rename(folder, out)
    print(table.text(data) + programs.table(data["programs"]), end="")
    shown = os.path.relpath(out)
    if not data["complete"]:
        print(f"\nmmbench: {data['missing']} measurement(s) missing; finish with: ./mmbench run --resume {shown}",
              file=sys.stderr)
    for warning in data.get("warnings", []):
        print(f"mmbench: warning: {warning}", file=sys.stderr)
    print(f"\nresults: {shown}", file=sys.stderr)
    if interrupted:
        return 130
    return 1 if any(b.get("error") for b in data["benchmarks"] + data["sweep"]) else 0


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
            "Debian's libbenchmark is built as DEBUG; it only affects the harness's own loop, not the code measured")


def write_outputs(folder, data, charts=True):
    """results.json and the tables, then charts and the HTML report (each file atomic)."""
    results.write_atomic(os.path.join(folder, "results.json"), json.dumps(data, indent=1) + "\n")
    results.write_atomic(os.path.join(folder, "table.md"), table.markdown(data))
    results.write_atomic(os.path.join(folder, "table.csv"), table.csv_text(data))
    if data.get("programs"):
        results.write_atomic(os.path.join(folder, "programs.txt"), programs.table(data["programs"]))
    made = plot.make_all(data, folder, quiet=True) if charts else []
    report.write(data, folder, made)

