"""./mmbench run: every selected workload × strategy, measured and tabulated.

Each measurement is its own process (`mmbench_bench --benchmark_filter=^W/S/`), so the
peak RSS is the strategy's own, a crash inside one strategy is that strategy's failure
only, and the system allocator starts each run on a clean heap. Repetitions are
interleaved (every benchmark once, then every benchmark again, ...) so drift on a noisy
machine hits all strategies alike. The measuring, journaling and resuming is in
runner.py; this module reads the command line.
"""
import datetime
import os
import subprocess
import sys

from harness import build, deps, measure, paths, plan, programs, runner
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


def validate_with_binary(params, limit):
    args = [paths.bench_binary(), "--validate", *measure.param_args(params)]
    if limit is not None:
        args.append(f"--limit={limit}")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode == 2:
        raise UserError(done.stderr.strip().removeprefix("mmbench_bench: "))
    if done.returncode != 0:
        raise RuntimeError(f"mmbench_bench --validate failed: {done.stderr.strip()}")


def execute(args):
    """A fresh run (or, with --resume DIR, the rest of an earlier one)."""
    deps.ensure(deps.RUN)
    deps.offer(deps.OPTIONAL)  # peers and real programs: skipped with a note where absent
    if getattr(args, "resume", None):
        return runner.resume(args.resume, args)
    plan.apply_suite(args)  # --suite fills the options the command line left unset
    build.build()
    registry = Registry.load()
    selected = plan.benchmarks(registry, args)
    for name, reason in plan.unavailable(registry, args).items():
        print(f"mmbench: skipping {name}: {reason}", file=sys.stderr)
    params = parse_params(args.param)
    validate_with_binary(params, args.limit)
    out = args.out or os.path.join(paths.DEFAULT_RUNS, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    chosen_programs = programs.benchmark_programs(getattr(args, "programs", "none"))  # harness/programs.py; only run asks
    if chosen_programs:
        build.build(targets=(programs.preload.PRELOAD_TARGET,))
    return runner.start(out, registry, selected, params, args, [p.name for p in chosen_programs])
