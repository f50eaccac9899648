"""One measurement: a single process of the benchmark binary, three ways.

  gbench     mmbench_bench --benchmark_filter=^W/S/ --benchmark_format=json: the project's
             metrics (ns_per_op and the counters), plus what the kernel reports to the
             parent as the process ends (wait4's rusage, which the process cannot
             misreport): peak RSS, user and system seconds, minor and major page faults
  hyperfine  the same command as a whole process, N runs under hyperfine: wall time of
             startup + metered pass + timed pass + teardown (metric process_s)
  counts     the same command under `valgrind --tool=callgrind --collect-atstart=no
             --cache-sim=yes`: the shim switches collection on for exactly the timed loop,
             so the collected counts divided by the loop's operations are instructions and
             estimated cycles per operation, the same on every run of the same binary
             (metrics instructions_per_op, cycles_per_op; estimated_cycles says how)

The counted run always does the whole fixed workload: the run's time budget does not
apply under valgrind (it would cut a slower strategy's run short, and the counts of two
strategies would cover different operations). Its only limit is a runaway guard,
counts_guard() seconds for the metered pass (the binary's --budget); a strategy that hits it
is measured over fewer steps, its counts_completed is below 1, the table marks it and
compare leaves its counts out.

A peer's benchmark process starts with the peer's library preloaded (environment(): the
run's config maps each peer to the file its registry entry names; under valgrind the
variable reaches the client), since a peer runs only as the process's malloc.

Each returns (sample, error): sample is {metric: value} or {metric: [values]}; error is a
one-line string (a crash names its signal). Raw output is kept beside the results,
written atomically. A Ctrl-C while the child runs stops the child and raises Interrupted.

`config` is the run's plan.RunConfig: its page-layer `limit` and time `budget` go to the
binary (the budget not to the counted run), its `timeout` bounds the child, its
`hyperfine_runs` is hyperfine's count.

The timeout: each child runs in a process group of its own; if it is still running
`timeout` seconds after it started (the run's --timeout, by default derived from the
budget: plan.default_timeout), the whole group is killed (hyperfine's children with it) and
the measurement's error is "timed out after N s". hyperfine gets the timeout once per run
it makes; the counted run gets the timeout its guard would give as a budget
(plan.default_timeout), unless the run has no timeout at all.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading

from harness import metrics, paths, plan, registry, results


class Interrupted(Exception):
    """Ctrl-C arrived while a measurement was running; that measurement is lost."""


class TimedOut(Exception):
    """The child ran past its timeout and was killed, with its process group."""


# The counted run's runaway guard: seconds its metered pass may take under valgrind (30 to
# 100 times slower than natively). A guard against a strategy whose cost explodes, not a
# budget: it stops only the list-scanning fits on churn's 100k live blocks (first-fit did
# 42% of its steps in it on the loaded 2-core machine, 33 minutes for the whole counted
# process), which are then marked and left out of comparisons (docs/metrics.md).
# $MMBENCH_COUNTS_GUARD sets another (the tests make one trip).
COUNTS_GUARD_SECONDS = 900


def counts_guard():
    return float(os.environ.get("MMBENCH_COUNTS_GUARD") or COUNTS_GUARD_SECONDS)


# The cache valgrind simulates, fixed so that the estimate is the same on every machine: a
# common x86-64 shape (32 KiB 8-way L1 instruction and data caches, 8 MiB 16-way last level,
# 64-byte lines) instead of the host's, which valgrind would otherwise detect.
CACHE_SHAPE = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"]


def _pattern(name):
    """A benchmark name as a Google Benchmark filter. Its POSIX-style regex refuses
    escapes of ordinary characters (re.escape writes 'first\\-fit'), so only the real
    metacharacters are escaped."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name)


def param_args(params):
    """{NAME.KEY: VALUE} -> the benchmark binary's --param flags."""
    return [f"--param={k}={v}" for k, v in params.items()]


def command(name, params, config, budget=None):
    """The argv that runs benchmark `name` ("W/S") with its parameters, alone, under the
    run's page-layer limit and time budget (or `budget` seconds, when given)."""
    args = [paths.bench_binary(), f"--benchmark_filter=^{_pattern(name)}/", "--benchmark_format=json"]
    args += param_args(params)
    if config.limit is not None:
        args.append(f"--limit={config.limit}")
    budget = config.budget if budget is None else budget
    if budget:
        args.append(f"--budget={budget:g}")
    return args


def environment(name, config):
    """The environment of benchmark `name`'s process: with its strategy's library
    preloaded when it is a peer (config.preload: {strategy: file}), else None (the
    harness's own)."""
    library = config.preload.get(name.rsplit("/", 1)[-1])
    return registry.preload_env(library) if library else None


def _describe_status(status):
    if status < 0:
        try:
            return f"crashed ({signal.Signals(-status).name})"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit {status}"


def _signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(proc, timeout):
    """wait4 for proc -> (status, rusage), killing its process group at the timeout (then
    TimedOut). The child is first waited for without being reaped (WNOWAIT), so its pid,
    which is also its group's id, cannot be reused while the timer might still fire."""
    lock = threading.Lock()
    state = {"waiting": True, "expired": False}

    def expire():
        with lock:
            if state["waiting"]:
                state["expired"] = True
                _signal_group(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, expire) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    finally:
        with lock:
            state["waiting"] = False
        if timer:
            timer.cancel()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if state["expired"]:
        raise TimedOut(f"timed out after {timeout:g} s (killed; see --timeout)")
    return proc.returncode, usage


def _run(args, out_path, timeout=0, env=None):
    """Runs args, in a process group of its own, with stdout into out_path (atomically);
    returns (status, stderr, rusage). Past `timeout` seconds (0: none) the group is killed,
    nothing is written and TimedOut is raised; on Ctrl-C the group gets SIGINT (SIGKILL
    5 s later) and Interrupted is raised."""
    folder = os.path.dirname(out_path)
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".tmp-", delete=False) as out, \
            tempfile.TemporaryFile("w+") as err:
        os.fchmod(out.fileno(), results.file_mode())
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
                                env=env)
        try:
            status, usage = _wait(proc, timeout)
        except KeyboardInterrupt:
            _signal_group(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
            os.unlink(out.name)
            raise Interrupted() from None
        except TimedOut:
            os.unlink(out.name)
            raise
        err.seek(0)
        stderr = err.read()
    os.replace(out.name, out_path)
    return status, stderr, usage


def _failure(status, stderr):
    tail = " ".join(stderr.strip().splitlines()[-2:])[-200:]
    text = _describe_status(status)
    return f"{text}: {tail}" if tail and status > 0 else text


def _one_result(stdout_path):
    with open(stdout_path) as f:
        report = json.load(f)
    runs = [b for b in report.get("benchmarks", []) if b.get("run_type", "iteration") == "iteration"]
    if len(runs) != 1:
        raise ValueError(f"expected one result, got {len(runs)}")
    return runs[0], report.get("context", {})


def rusage_sample(usage):
    """The measured process's own accounting, from wait4's rusage (the catalog's "wait4"
    metrics): every thread of it, and nothing of the harness."""
    return {"process_rss_peak": usage.ru_maxrss * 1024, "user_seconds": usage.ru_utime,
            "sys_seconds": usage.ru_stime, "minor_faults": usage.ru_minflt, "major_faults": usage.ru_majflt}


def gbench(name, params, config, raw_path):
    """One Google Benchmark run; sample has the metrics of docs/metrics.md and the process's
    rusage (rusage_sample)."""
    try:
        status, stderr, usage = _run(command(name, params, config), raw_path, config.timeout,
                                     environment(name, config))
    except TimedOut as e:
        return None, str(e)
    if status != 0:
        return None, _failure(status, stderr)
    try:
        run, context = _one_result(raw_path)
        sample = metrics.from_gbench(run)
    except (ValueError, KeyError, OSError) as e:
        return None, str(e).splitlines()[0] if str(e) else type(e).__name__
    sample.update(rusage_sample(usage))
    sample["_context"] = context
    return sample, None


def hyperfine(name, params, config, raw_path):
    """config.hyperfine_runs whole-process runs under hyperfine; sample {process_s: [seconds per run]}."""
    runs = config.hyperfine_runs
    cmd = " ".join(shlex.quote(a) for a in command(name, params, config))
    folder = os.path.dirname(raw_path)
    tmp = os.path.join(folder, f".tmp-hyperfine-{os.getpid()}.json")
    args = ["hyperfine", "--style", "none", "--runs", str(runs), "--warmup", "0", "-N",
            "--command-name", name, "--export-json", tmp, cmd]
    log = raw_path + ".log"
    try:
        status, stderr, _ = _run(args, log, config.timeout * runs, environment(name, config))
    except TimedOut as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        return None, f"hyperfine: {e}"
    os.unlink(log)
    if status != 0 or not os.path.exists(tmp):
        if os.path.exists(tmp):
            os.unlink(tmp)
        return None, "hyperfine: " + _failure(status, stderr)
    os.replace(tmp, raw_path)
    try:
        with open(raw_path) as f:
            result = json.load(f)["results"][0]
        return {"process_s": [float(t) for t in result["times"]]}, None
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return None, f"hyperfine output unreadable: {e}"


# The weights of the cycle estimate (estimated_cycles), per access: a hit in L1, in the last
# level, or in memory (a last-level miss). Itamar Turner-Trauring's estimate for CI
# ("CI for performance: reliable benchmarking in noisy environments", pythonspeed.com, 2021;
# the EstimatedCycles of the iai and iai-callgrind benchmark harnesses): roughly the
# latencies of a recent x86 core in cycles, divided by an L1 hit's.
CYCLE_WEIGHTS = {"l1": 1, "ll": 5, "ram": 35}


def estimated_cycles(events):
    """Cycles estimated from callgrind's cache simulation ({event: count}): every
    instruction fetch and data access costs what the level that served it costs
    (CYCLE_WEIGHTS)."""
    accesses = events["Ir"] + events["Dr"] + events["Dw"]
    l1_misses = events["I1mr"] + events["D1mr"] + events["D1mw"]
    ll_misses = events["ILmr"] + events["DLmr"] + events["DLmw"]
    return (CYCLE_WEIGHTS["l1"] * (accesses - l1_misses) + CYCLE_WEIGHTS["ll"] * (l1_misses - ll_misses) +
            CYCLE_WEIGHTS["ram"] * ll_misses)


def _callgrind_totals(path):
    """{event: count} of a callgrind output file (its events: line and totals)."""
    names, totals = None, None
    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("totals:", "summary:")):
                totals = [int(v) for v in line.split()[1:]]
    if not names or totals is None:
        return None
    return dict(zip(names, totals + [0] * (len(names) - len(totals))))


def counts_timeout(config):
    """Seconds the counted run may take before it is killed: what its guard would give as a
    budget, or none when the run has no timeout at all (--timeout 0)."""
    return plan.default_timeout(counts_guard()) if config.timeout else 0


def counts(name, params, config, raw_path):
    """One run under callgrind over the whole workload (the runaway guard aside); sample
    {instructions_per_op, cycles_per_op, instructions, ops, counts_completed}.

    ASLR is switched off for the child (setarch -R) so nothing in the run depends on where
    the kernel put things; the counts are exact for a given binary and input."""
    folder = os.path.dirname(raw_path)
    out_file = os.path.join(folder, f".tmp-callgrind-{os.getpid()}.out")
    args = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--cache-sim=yes", *CACHE_SHAPE,
            f"--callgrind-out-file={out_file}"]
    if shutil.which("setarch"):
        args = ["setarch", os.uname().machine, "-R", *args]
    try:
        status, stderr, _ = _run(args + command(name, params, config, budget=counts_guard()), raw_path,
                                 counts_timeout(config), environment(name, config))
        if status != 0:
            return None, "callgrind: " + _failure(status, stderr)
        run, _ = _one_result(raw_path)
        ops = run.get("ops")
        events = _callgrind_totals(out_file)
        if not ops or not events or "Ir" not in events:
            return None, "callgrind: no instruction total or operation count in the output"
        if events["Ir"] == 0:
            return None, ("callgrind collected nothing: the binary was built without <valgrind/callgrind.h> "
                          "(install valgrind and rebuild)")
        cycles = estimated_cycles(events)
        results.write_atomic(raw_path.replace(".json", ".callgrind.txt"),
                             "".join(f"{k} {v}\n" for k, v in events.items()) + f"estimated_cycles {cycles}\n"
                             f"ops {int(ops)}\n")
        return {"instructions_per_op": events["Ir"] / ops, "cycles_per_op": cycles / ops,
                "instructions": events["Ir"], "ops": int(ops), "counts_completed": run.get("completed", 1.0)}, None
    except TimedOut as e:
        return None, f"callgrind: {e}"
    except (ValueError, KeyError, OSError) as e:
        return None, f"callgrind output unreadable: {e}"
    finally:
        if os.path.exists(out_file):
            os.unlink(out_file)
