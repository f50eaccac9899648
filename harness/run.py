"""A run from its RunConfig: every selected workload × strategy, measured and tabulated.

The engine's door for `./mmbench run` and `./mmbench trace replay`. Each measurement is
its own process (`mmbench_bench --benchmark_filter=^W/S/`), so the peak RSS is the
strategy's own, a crash inside one strategy is that strategy's failure only, and the
system allocator starts each run on a clean heap. Repetitions are interleaved (every
benchmark once, then every benchmark again, ...) so drift on a noisy machine hits all
strategies alike. This module checks what was asked against the binary and hands the
work to runner.py, which measures, journals, resumes and publishes.
"""
import subprocess
import sys
import time

from harness import build, deps, measure, paths, plan, programs, runner
from harness.errors import UserError
from harness.registry import Registry


def validate_with_binary(params, limit):
    """The binary's own check of every --param and --limit (UserError with its line)."""
    args = [paths.bench_binary(), "--validate", *measure.param_args(params)]
    if limit is not None:
        args.append(f"--limit={limit}")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode == 2:
        raise UserError(done.stderr.strip().removeprefix("mmbench_bench: "))
    if done.returncode != 0:
        raise RuntimeError(f"mmbench_bench --validate failed: {done.stderr.strip()}")


def execute(config):
    """A fresh run of `config` (plan.RunConfig); returns the exit status."""
    began = time.monotonic()
    deps.ensure(deps.RUN)
    deps.offer(deps.OPTIONAL)  # peers and real programs: skipped with a note where absent
    build.build()
    registry = Registry.load()
    if config.reference not in registry.strategy_names():
        raise UserError(f"--reference: unknown strategy '{config.reference}' "
                        f"(valid: {', '.join(registry.strategy_names())})")
    selected = plan.benchmarks(registry, config)
    for name, reason in plan.unavailable(registry, config).items():
        print(f"mmbench: skipping {name}: {reason}", file=sys.stderr)
    validate_with_binary(config.params, config.limit)
    if config.programs:
        build.build(targets=(programs.preload.PRELOAD_TARGET,))
    return runner.start(config, registry, selected, began)


def resume(path, charts=True, wide=False):
    """The rest of the run in `path` (or path.partial), with the options of its plan."""
    began = time.monotonic()
    deps.ensure(deps.RUN)
    deps.offer(deps.OPTIONAL)
    return runner.resume(path, began, charts, wide)
