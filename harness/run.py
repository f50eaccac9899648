"""./mmbench run: every selected workload × strategy, measured and tabulated.

Each measurement is its own process (`mmbench_bench --benchmark_filter=^W/S/`), so the
peak RSS is the strategy's own, a crash inside one strategy is that strategy's failure
only, and the system allocator starts each run on a clean heap. Repetitions are
interleaved (every benchmark once, then every benchmark again, ...) so drift on a noisy
machine hits all strategies alike.
"""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time

from harness import build, deps, env, metrics, paths, plan, programs, results, table
from harness.errors import UserError
from harness.registry import Registry


def parse_params(items):
    """--param NAME.KEY=VALUE, repeatable -> {NAME.KEY: VALUE} (values checked by the binary)."""
    params = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or "." not in key or not value:
            raise UserError(f"--param '{item}' needs the form NAME.KEY=VALUE (e.g. churn.live=1000)")
        params[key] = value
    return params


def param_args(params):
    return [f"--param={k}={v}" for k, v in params.items()]


def validate_with_binary(params, limit):
    args = [paths.BENCH_BINARY, "--validate", *param_args(params)]
    if limit is not None:
        args.append(f"--limit={limit}")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode == 2:
        raise UserError(done.stderr.strip().removeprefix("mmbench_bench: "))
    if done.returncode != 0:
        raise RuntimeError(f"mmbench_bench --validate failed: {done.stderr.strip()}")


def measure_once(name, params, limit, raw_path):
    """Runs one benchmark in its own process; returns (sample, error)."""
    # Google Benchmark's regex rejects Python's escapes of '-' (best-fit, larson-1): escape metacharacters only
    pattern = re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name)
    args = [paths.BENCH_BINARY, f"--benchmark_filter=^{pattern}/", "--benchmark_format=json",
            *param_args(params)]
    if limit is not None:
        args.append(f"--limit={limit}")
    done = subprocess.run(args, capture_output=True, text=True)
    results.write_atomic(raw_path, done.stdout)
    if done.returncode < 0:
        return None, f"crashed ({signal.Signals(-done.returncode).name})"
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    try:
        report = json.loads(done.stdout)
        runs = [b for b in report.get("benchmarks", []) if b.get("run_type", "iteration") == "iteration"]
        if len(runs) != 1:
            return None, f"expected one result, got {len(runs)}"
        sample = metrics.from_gbench(runs[0])
        sample["_context"] = report.get("context", {})
        return sample, None
    except (ValueError, KeyError) as e:
        return None, str(e)


def execute(args):
    deps.offer(deps.OPTIONAL)  # peers and real programs: skipped with a note where absent
    build.build()
    registry = Registry.load()
    selected = plan.benchmarks(registry, args)
    for name, reason in plan.unavailable(registry, args).items():
        print(f"mmbench: skipping {name}: {reason}", file=sys.stderr)
    params = parse_params(args.param)
    validate_with_binary(params, args.limit)
    chosen_programs = programs.benchmark_programs(args.programs)  # real programs (harness/programs.py)
    if chosen_programs:
        build.build(targets=(programs.preload.PRELOAD_TARGET,))
    out = args.out or os.path.join(paths.DEFAULT_RUNS, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))

    names = [name for name, _, _ in selected]
    samples = {name: [] for name in names}
    errors = {}
    context = {}
    total = len(names) * args.repetitions
    started = time.monotonic()
    with results.Staging(out) as folder:
        os.mkdir(os.path.join(folder, "raw"))
        step = 0
        for rep in range(1, args.repetitions + 1):
            for name in names:
                step += 1
                raw = os.path.join(folder, "raw", f"{name.replace('/', '.')}.rep{rep}.json")
                if name in errors:
                    continue
                sample, error = measure_once(name, params, args.limit, raw)
                if error:
                    errors[name] = error
                    note = f"FAILED: {error}"
                else:
                    context = sample.pop("_context")
                    samples[name].append(sample)
                    note = f"{sample['ns_per_op']:8.1f} ns/op"
                print(f"[{step:>{len(str(total))}}/{total}] {name:<28} rep {rep}/{args.repetitions}  {note}",
                      file=sys.stderr, flush=True)

        data = assemble(registry, selected, params, args, samples, errors, context)
        data["programs"] = programs.measure(registry, {s for _, _, s in selected}, chosen_programs,
                                            args.repetitions, folder, sys.stderr)
        results.write_atomic(os.path.join(folder, "programs.txt"), programs.table(data["programs"]))
        data["elapsed_seconds"] = round(time.monotonic() - started, 1)
        results.write_atomic(os.path.join(folder, "results.json"), json.dumps(data, indent=1) + "\n")
        results.write_atomic(os.path.join(folder, "table.md"), table.markdown(data))
        results.write_atomic(os.path.join(folder, "table.csv"), table.csv_text(data))
    print(table.text(data) + programs.table(data["programs"]), end="")
    print(f"\nresults: {os.path.relpath(os.path.abspath(out))}", file=sys.stderr)
    return 1 if errors else 0


def assemble(registry, selected, params, args, samples, errors, context):
    benchmarks = []
    for name, w, s in selected:
        runs = samples[name]
        keys = sorted({k for r in runs for k in r})
        entry = {
            "name": name, "workload": w, "strategy": s, "error": errors.get(name),
            "samples": {k: [r.get(k) for r in runs] for k in keys},
            "metrics": {k: metrics.summarise([r.get(k) for r in runs]) for k in keys},
            "raw": [f"raw/{name.replace('/', '.')}.rep{i}.json" for i in range(1, len(runs) + 1)],
        }
        benchmarks.append(entry)
    environment = env.collect()
    environment["gbench_library_build_type"] = context.get("library_build_type")
    if context.get("library_build_type") == "debug":
        environment["warnings"] = ["Debian's libbenchmark is built as DEBUG; it only affects the harness's "
                                   "own loop, not the code measured"]
    return {
        "schema": results.SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": ["./mmbench", *sys.argv[1:]],
        "environment": environment,
        "config": {"repetitions": args.repetitions, "params": params, "limit": args.limit},
        "strategies": [s for s in registry.strategies if s["name"] in {b[2] for b in selected}],
        "workloads": [dict(w, params=registry.workload_params(w["name"], params))
                      for w in registry.workloads if w["name"] in {b[1] for b in selected}],
        "benchmarks": benchmarks,
        "skipped": plan.unavailable(registry, args),
    }
