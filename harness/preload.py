"""./mmbench preload STRATEGY -- COMMAND ARGS...: a whole program on one strategy.

How a strategy becomes a program's malloc depends on what it is (from the binary's
registry, never from a list here):
- in-house (it takes memory from the page layer: capability "limit"): the drop-in library
  bazel-bin/allocators/preload/libmmpreload.so, with MMBENCH_STRATEGY naming the strategy
  (allocators/preload/preload.c; one lock around the heap);
- a peer (the registry names its "library"): that library itself, LD_PRELOADed, which is
  how its users run it;
- system: the program as it is (its malloc is already the C library's).
A peer whose library is missing is refused with the loader's reason.
"""
import os
import shutil
import signal
import subprocess
import sys

from harness import build, paths
from harness.errors import SetupError, UserError
from harness.registry import Registry, preload_env

PRELOAD_TARGET = "//allocators/preload:libmmpreload.so"
PRELOAD_LIBRARY = os.path.join(paths.BAZEL_BIN, "allocators", "preload", "libmmpreload.so")


def kind(strategy):
    """'in-house', 'peer' or 'system' for a registry entry."""
    if "limit" in strategy["caps"]:
        return "in-house"
    # a peer names its library; one whose library is missing names none, but is unavailable
    return "peer" if strategy.get("library") or not strategy.get("available", True) else "system"


def environment(strategy, base=None, limit=None, options=None):
    """The environment that runs a program on `strategy` (a registry entry)."""
    env = dict(os.environ if base is None else base)
    how = kind(strategy)
    if how == "system":
        return env
    if not strategy.get("available", True):
        raise SetupError(f"{strategy['name']} is unavailable: {strategy.get('unavailable')}")
    env = preload_env(PRELOAD_LIBRARY if how == "in-house" else strategy["library"], env)
    if how == "in-house":
        env["MMBENCH_STRATEGY"] = strategy["name"]
        if limit is not None:
            env["MMBENCH_LIMIT"] = str(limit)
        if options:
            env["MMBENCH_OPTIONS"] = options
    return env


def note(strategy):
    """A line to tell the user before running, or None."""
    if kind(strategy) == "in-house" and "free" not in strategy["caps"]:
        return (f"{strategy['name']} never frees: the program's total allocation must fit under the limit "
                "(2 GiB unless --limit says otherwise); past it malloc returns NULL")
    return None


def prepare(names=None):
    """Builds the benchmark binary and the drop-in library; returns the registry."""
    build.build(targets=(paths.BENCH_TARGET, PRELOAD_TARGET))
    return Registry.load()


def find(registry, name):
    for s in registry.strategies:
        if s["name"] == name:
            return s
    raise UserError(f"unknown allocator '{name}' (valid: {', '.join(registry.strategy_names())})")


def execute(name, command, limit=None, strategy_options=None):
    """Runs `command` (argv) on strategy `name`; returns its exit status (128 + N when
    signal N killed it)."""
    if not command:
        raise UserError("no command to run (usage: ./mmbench preload STRATEGY -- COMMAND ARGS...)")
    if shutil.which(command[0]) is None:
        raise UserError(f"command not found: {command[0]}")
    registry = prepare()
    strategy = find(registry, name)
    env = environment(strategy, limit=limit, options=strategy_options)
    message = note(strategy)
    if message:
        print(f"mmbench: {message}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, env=env)
    except OSError as e:
        raise UserError(f"cannot run {command[0]}: {e.strerror}") from None
    if done.returncode < 0:
        print(f"mmbench: {command[0]} died of {signal.Signals(-done.returncode).name} on {name}",
              file=sys.stderr)
        return 128 - done.returncode
    return done.returncode
