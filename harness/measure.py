"""One measurement: a single process of the benchmark binary, three ways.

  gbench     mmbench_bench --benchmark_filter=^W/S/ --benchmark_format=json: the project's
             metrics (ns_per_op and the counters), plus the peak RSS of the process as the
             kernel reports it to the parent (wait4), not as the process reports itself
  hyperfine  the same command as a whole process, N runs under hyperfine: wall time of
             startup + metered pass + timed pass + teardown (metric process_s)
  counts     the same command under `valgrind --tool=callgrind --collect-atstart=no`: the
             shim switches collection on for exactly the timed loop, so the collected
             instruction count divided by the loop's operations is instructions per
             operation, the same on every run of the same binary (metric instructions_per_op)

Each returns (sample, error): sample is {metric: value} or {metric: [values]}; error is a
one-line string (a crash names its signal). Raw output is kept beside the results,
written atomically. A Ctrl-C while the child runs stops the child and raises Interrupted.

`config` is the run's plan.RunConfig: its page-layer `limit` and time `budget` go to the
binary, its `timeout` bounds the child, its `hyperfine_runs` is hyperfine's count.

The timeout: each child runs in a process group of its own; if it is still running
`timeout` seconds after it started (the run's --timeout, by default derived from the
budget: plan.default_timeout), the whole group is killed (hyperfine's children with it) and
the measurement's error is "timed out after N s". hyperfine gets the timeout once per run
it makes, callgrind COUNTS_SLOWDOWN times it.
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

from harness import metrics, paths, results


class Interrupted(Exception):
    """Ctrl-C arrived while a measurement was running; that measurement is lost."""


class TimedOut(Exception):
    """The child ran past its timeout and was killed, with its process group."""


COUNTS_SLOWDOWN = 20  # callgrind runs the same program this many times slower, at most (its timeout)


def _pattern(name):
    """A benchmark name as a Google Benchmark filter. Its POSIX-style regex refuses
    escapes of ordinary characters (re.escape writes 'first\\-fit'), so only the real
    metacharacters are escaped."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name)


def param_args(params):
    """{NAME.KEY: VALUE} -> the benchmark binary's --param flags."""
    return [f"--param={k}={v}" for k, v in params.items()]


def command(name, params, config):
    """The argv that runs benchmark `name` ("W/S") with its parameters, alone, under the
    run's page-layer limit and time budget."""
    args = [paths.bench_binary(), f"--benchmark_filter=^{_pattern(name)}/", "--benchmark_format=json"]
    args += param_args(params)
    if config.limit is not None:
        args.append(f"--limit={config.limit}")
    if config.budget:
        args.append(f"--budget={config.budget}")
    return args


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


def _run(args, out_path, timeout=0):
    """Runs args, in a process group of its own, with stdout into out_path (atomically);
    returns (status, stderr, rusage). Past `timeout` seconds (0: none) the group is killed,
    nothing is written and TimedOut is raised; on Ctrl-C the group gets SIGINT (SIGKILL
    5 s later) and Interrupted is raised."""
    folder = os.path.dirname(out_path)
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".tmp-", delete=False) as out, \
            tempfile.TemporaryFile("w+") as err:
        os.fchmod(out.fileno(), results.file_mode())
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
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


def gbench(name, params, config, raw_path):
    """One Google Benchmark run; sample has the metrics of docs/metrics.md and process_rss_peak."""
    try:
        status, stderr, usage = _run(command(name, params, config), raw_path, config.timeout)
    except TimedOut as e:
        return None, str(e)
    if status != 0:
        return None, _failure(status, stderr)
    try:
        run, context = _one_result(raw_path)
        sample = metrics.from_gbench(run)
    except (ValueError, KeyError, OSError) as e:
        return None, str(e).splitlines()[0] if str(e) else type(e).__name__
    sample["process_rss_peak"] = usage.ru_maxrss * 1024
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
        status, stderr, _ = _run(args, log, config.timeout * runs)
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


def counts(name, params, config, raw_path):
    """One run under callgrind; sample {instructions_per_op, instructions, ops}.

    ASLR is switched off for the child (setarch -R) so nothing in the run depends on where
    the kernel put things; the count is exact for a given binary and input."""
    folder = os.path.dirname(raw_path)
    out_file = os.path.join(folder, f".tmp-callgrind-{os.getpid()}.out")
    args = ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out_file}"]
    if shutil.which("setarch"):
        args = ["setarch", os.uname().machine, "-R", *args]
    try:
        status, stderr, _ = _run(args + command(name, params, config), raw_path, config.timeout * COUNTS_SLOWDOWN)
        if status != 0:
            return None, "callgrind: " + _failure(status, stderr)
        run, _ = _one_result(raw_path)
        ops = run.get("ops")
        instructions = None
        with open(out_file) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    instructions = int(line.split()[1])
        if not ops or instructions is None:
            return None, "callgrind: no instruction total or operation count in the output"
        if instructions == 0:
            return None, ("callgrind collected nothing: the binary was built without <valgrind/callgrind.h> "
                          "(install valgrind and rebuild)")
        results.write_atomic(raw_path.replace(".json", ".callgrind.txt"), f"Ir {instructions}\nops {int(ops)}\n")
        return {"instructions_per_op": instructions / ops, "instructions": instructions, "ops": int(ops)}, None
    except TimedOut as e:
        return None, f"callgrind: {e}"
    except (ValueError, KeyError, OSError) as e:
        return None, f"callgrind output unreadable: {e}"
    finally:
        if os.path.exists(out_file):
            os.unlink(out_file)
