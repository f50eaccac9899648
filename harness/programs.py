"""Real programs: as conformance (output on a strategy == output on the C library's
malloc) and as benchmarks (hyperfine wall time and peak RSS per strategy and peer).

A program here is a command, its stdin and what of its output must match. Every program
runs with the strategy as its malloc (harness/preload.py decides how); the reference is
the same command with nothing preloaded. `FAST` programs run in `./mmbench test`;
`FULL` adds the heavier ones (`./mmbench test --full`).
"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile

from harness import preload, results
from harness.errors import UserError

PYTHON = "/usr/bin/python3"  # Debian's: its test package is libpython3.11-testsuite
REGRTEST = "/usr/lib/python3.11/test/test_list.py"


def _c_source(functions=60):
    """A deterministic C file for gcc to compile: loops, switches, structs, recursion."""
    out = ["struct point { long x, y; double w; };", "static long table[256];"]
    for i in range(functions):
        out.append(f"""
long f{i}(long n, struct point *p) {{
    long acc = {i};
    for (long k = 0; k < n; k++) {{
        switch ((k + {i}) % 5) {{
        case 0: acc += p[k % 7].x * {i % 13 + 1}; break;
        case 1: acc ^= table[(k + acc) & 255]; break;
        case 2: acc -= (long)(p[k % 3].w * {i + 0.5}); break;
        case 3: acc = acc * 31 + {i * 7}; break;
        default: acc += {'f%d(n / 2, p)' % (i - 1) if i else '0'};
        }}
    }}
    return acc + p->y;
}}""")
    return "\n".join(out) + "\n"


SQL = """
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60000)
INSERT INTO t SELECT i, printf('name-%d-%s', i, hex(i * 2654435761 % 4294967296)), i % 97, (i * 7919) % 1000 / 3.0 FROM c;
CREATE INDEX t_name ON t(name);
CREATE INDEX t_grp ON t(grp, val);
SELECT grp, count(*), round(sum(val), 3), min(name), max(name) FROM t GROUP BY grp ORDER BY grp LIMIT 12;
SELECT count(*) FROM t a JOIN t b ON a.grp = b.grp AND a.id = b.id + 97;
UPDATE t SET name = name || '-x' WHERE id % 3 = 0;
DELETE FROM t WHERE val > 300;
SELECT count(*), group_concat(substr(name, 1, 9), '') FROM (SELECT name FROM t ORDER BY name DESC LIMIT 40);
VACUUM;
SELECT count(*), round(avg(val), 6) FROM t;
"""

THREADS_SCRIPT = r"""
import os, threading, json
results = [None] * 6
def work(n):
    d = {}
    for i in range(40000):
        d[str(i * n)] = [i] * (i % 7)
        if i % 3 == 0:
            d.pop(str((i - 3) * n), None)
    results[n] = sum(len(v) for v in d.values())
threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
for t in threads: t.start()
for t in threads: t.join()
print(results)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, json.dumps({"child": [x * 2 for x in range(1000)][-1]}).encode())
    os._exit(0)
os.close(w)
print(os.read(r, 1000).decode())
os.waitpid(pid, 0)
"""


def _signals_as_started_by_hand():
    """preexec_fn of every program: SIGINT at its default. A shell starts a background job
    (and some CI runners their steps) with SIGINT ignored, a program inherits that, and
    CPython's test_threading, which interrupts itself, then fails on every strategy."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Program:
    def __init__(self, name, argv, stdin=None, env=None, match="stdout", full=False, needs_free=False):
        self.name, self.argv, self.stdin, self.env, self.match, self.full = name, argv, stdin, env or {}, match, full
        self.needs_free = needs_free  # allocates far more in total than it keeps: not for bump

    def missing(self):
        """Why this program cannot run on this machine at all, or None."""
        if not shutil.which(self.argv[0]):
            return f"{self.argv[0]} is not installed"
        if "-m" in self.argv and "test" in self.argv and not os.path.exists(REGRTEST):
            return "CPython's test package is not installed (Debian package libpython3.11-testsuite)"
        if not os.path.exists(preload.PRELOAD_LIBRARY):
            return f"{preload.PRELOAD_LIBRARY} is not built"
        return None

    def unsuitable(self, strategy):
        """Why `strategy` cannot run this program to the end, or None."""
        if self.needs_free and "free" not in strategy["caps"]:
            return (f"{strategy['name']} never frees and {self.name} allocates more in total than the "
                    "drop-in's 2 GiB limit for such strategies")
        return None

    def run(self, strategy=None, timeout=600):
        """Runs on `strategy` (a registry entry; None: as is). Returns CompletedProcess."""
        base = dict(os.environ, **self.env)
        env = preload.environment(strategy, base) if strategy else base
        with tempfile.TemporaryDirectory() as tmp:  # gcc, python -m test write beside them
            return subprocess.run(self.argv, input=self.stdin, env=env, capture_output=True, text=True,
                                  timeout=timeout, cwd=tmp, preexec_fn=_signals_as_started_by_hand)

    def essence(self, done):
        """What must be the same on every strategy."""
        if self.match == "stdout":
            return done.returncode, done.stdout
        # regrtest prints timings; its verdict line and exit status are what count
        verdict = [l for l in done.stdout.splitlines() if l.startswith("Tests result:")]
        return done.returncode, verdict[-1:] if verdict else done.stdout[-2000:]


PROGRAMS = [
    Program("cpython-tests", [PYTHON, "-m", "test", "test_list", "test_dict", "test_json", "test_re"],
            env={"PYTHONMALLOC": "malloc"}, match="verdict"),
    Program("sqlite", ["sqlite3", ":memory:"], stdin=SQL),
    Program("gcc", ["gcc", "-O2", "-S", "-o", "-", "-x", "c", "-"], stdin=_c_source()),
    Program("python-threads-fork", [PYTHON, "-c", THREADS_SCRIPT], env={"PYTHONMALLOC": "malloc"}),
    Program("cpython-tests-more", [PYTHON, "-m", "test", "test_set", "test_tuple", "test_unicode",
                                   "test_collections", "test_itertools", "test_sort", "test_bytes",
                                   "test_threading", "test_subprocess", "test_pickle"],
            env={"PYTHONMALLOC": "malloc"}, match="verdict", full=True, needs_free=True),
]


def selected(full=False):
    return [p for p in PROGRAMS if full or not p.full]


def peak_rss(program, strategy):
    """Peak resident set (bytes) of one run: the largest of the process and its children."""
    base = dict(os.environ, **program.env)
    env = preload.environment(strategy, base) if strategy else base
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(program.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env, cwd=tmp, text=True,
                                preexec_fn=_signals_as_started_by_hand)
        if program.stdin:
            proc.stdin.write(program.stdin)
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024, proc.returncode


def hyperfine(program, strategy, runs, raw_path):
    """Mean and stddev wall time (s) of `runs` runs, through hyperfine; its JSON is kept."""
    base = dict(os.environ, **program.env)
    env = preload.environment(strategy, base) if strategy else base
    extra = {k: v for k, v in env.items() if os.environ.get(k) != v}
    command = ["env", *[f"{k}={v}" for k, v in sorted(extra.items())], *program.argv]
    with tempfile.TemporaryDirectory() as tmp:
        stdin_args = []
        if program.stdin:
            path = os.path.join(tmp, "stdin")
            with open(path, "w") as f:
                f.write(program.stdin)
            stdin_args = ["--input", path] if _hyperfine_has_input() else []
            if not stdin_args:  # hyperfine 1.15 has no --input: a shell redirect instead
                command = ["sh", "-c", " ".join(shlex.quote(a) for a in command) + f" < {shlex.quote(path)}"]
        export = os.path.join(tmp, "hf.json")
        args = ["hyperfine", "-N", "--style", "none", "--runs", str(runs), "--warmup", "1",
                "--export-json", export, *stdin_args, " ".join(shlex.quote(a) for a in command)]
        done = subprocess.run(args, capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            return None, done.stderr.strip()[-300:]
        with open(export) as f:
            text = f.read()
    results.write_atomic(raw_path, text)
    r = json.loads(text)["results"][0]
    return {"mean_s": r["mean"], "stddev_s": r["stddev"], "runs": len(r["times"])}, None


def _hyperfine_has_input():
    done = subprocess.run(["hyperfine", "--help"], capture_output=True, text=True)
    return "--input" in done.stdout


# ---- as benchmarks, in ./mmbench run --------------------------------------------------

BENCHMARKS = ["cpython-tests", "sqlite", "gcc"]  # the programs a run times (names above)


def benchmark_programs(text):
    """--programs: 'all' (default), 'none', or names from BENCHMARKS."""
    if text is None or text.strip() == "all":
        return [p for p in PROGRAMS if p.name in BENCHMARKS]
    if text.strip() == "none":
        return []
    wanted = [t.strip() for t in text.split(",") if t.strip()]
    for name in wanted:
        if name not in BENCHMARKS:
            raise UserError(f"unknown program '{name}' (valid: {', '.join(BENCHMARKS)}, all, none)")
    return [p for p in PROGRAMS if p.name in wanted]


def measure(registry, strategy_names, chosen, runs, folder, log):
    """Times every chosen program on every named strategy (hyperfine, `runs` runs after a
    warm-up) and takes its peak RSS from one more run. A program that fails or prints
    something else than on the C library is recorded with the error, not timed."""
    rows = []
    if not chosen:
        return rows
    os.makedirs(os.path.join(folder, "raw"), exist_ok=True)
    entries = [s for s in registry.strategies if s["name"] in strategy_names and s.get("available", True)]
    for program in chosen:
        why = program.missing()
        if why:
            print(f"mmbench: skipping program {program.name}: {why}", file=log, flush=True)
            continue
        reference = program.essence(program.run())
        for s in entries:
            row = {"program": program.name, "strategy": s["name"], "error": None}
            env_strategy = None if preload.kind(s) == "system" else s
            if program.unsuitable(s):
                print(f"mmbench: skipping {program.name} on {s['name']}: {program.unsuitable(s)}", file=log)
                continue
            done = program.run(env_strategy)
            if program.essence(done) != reference:
                row["error"] = f"output differs from the C library's run (exit {done.returncode})"
            else:
                raw = os.path.join(folder, "raw", f"program.{program.name}.{s['name']}.hyperfine.json")
                timing, error = hyperfine(program, env_strategy, runs, raw)
                row["error"] = error
                if timing:
                    row.update(timing)
                    row["raw"] = os.path.relpath(raw, folder)
                    row["rss_peak"], _ = peak_rss(program, env_strategy)
            note = row["error"] or f"{row['mean_s'] * 1000:8.1f} ms  rss {row['rss_peak'] / 2**20:6.1f} MiB"
            print(f"[program] {program.name + '/' + s['name']:<28} {note}", file=log, flush=True)
            rows.append(row)
    return rows


def table_rows(rows):
    """The programs' table as cells: a heading, then wall time, spread, ratio to the C
    library's time and peak RSS of each program on each strategy."""
    base = {r["program"]: r.get("mean_s") for r in rows if r["strategy"] == "system"}
    out = [["program", "strategy", "time", "±", "× system", "rss peak"]]
    for r in rows:
        if r["error"]:
            out.append([r["program"], r["strategy"], f"FAILED: {r['error']}", "", "", ""])
            continue
        ratio = f"{r['mean_s'] / base[r['program']]:.2f}" if base.get(r["program"]) else "-"
        spread = f"{100 * r['stddev_s'] / r['mean_s']:.0f}%" if r["mean_s"] and r.get("stddev_s") is not None else "-"
        out.append([r["program"], r["strategy"], f"{r['mean_s'] * 1000:.1f} ms", spread, ratio,
                    f"{r['rss_peak'] / 2**20:.1f} MiB"])
    return out


def table(rows):
    """The programs' table as text (table_rows, aligned)."""
    if not rows:
        return ""
    lines = [""]
    for c in table_rows(rows):
        lines.append(f"{c[0]:<14} {c[1]:<12} {c[2]}" if c[2].startswith("FAILED") else
                     f"{c[0]:<14} {c[1]:<12} {c[2]:>10} {c[3]:>6} {c[4]:>9} {c[5]:>10}")
    return "\n".join(lines) + "\n"
