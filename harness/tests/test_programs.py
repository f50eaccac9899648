"""Real programs on every in-house strategy as their malloc, output compared with a normal
run (harness/programs.py): CPython's own regression tests, sqlite3, gcc, and a Python
script with threads and fork, all on the drop-in's default per-thread heaps; beside them
CPython's thread tests (THREADED), and the threads-and-fork script again with
threads=shared (one heap behind one lock). One case per program and strategy, generated
from the binary's registry, so strategies added to strategies.def are picked up.
`./mmbench test --full` adds the heavier programs. Also: ./mmbench preload's user errors."""
import os
import signal
import shutil
import subprocess
import unittest

from harness import preload, programs
from harness.registry import Registry
from harness.tests.support import error_line, mmbench

FULL = os.environ.get("MMBENCH_TEST_FULL") == "1"


def _registry():
    try:
        return Registry.load()
    except (OSError, ValueError):
        return None


REGISTRY = _registry()
IN_HOUSE = [s for s in (REGISTRY.strategies if REGISTRY else []) if preload.kind(s) == "in-house"]


class ProgramsTest(unittest.TestCase):
    references = {}

    def reference(self, program):
        if program.name not in self.references:
            done = program.run()
            self.assertEqual(done.returncode, 0, f"{program.name} fails even on the C library: {done.stderr[-500:]}")
            self.references[program.name] = program.essence(done)
        return self.references[program.name]


def _case(program, strategy):
    def test(self):
        why = program.missing() or program.unsuitable(strategy)
        if why:
            self.skipTest(why)
        want = self.reference(program)
        done = program.run(strategy)
        self.assertEqual(program.essence(done), want,
                         f"{program.name} on {strategy['name']} differs from the C library's run; "
                         f"stderr: {done.stderr[-800:]}")
    return test


# CPython's tests of threads themselves (start, join, locks, fork with threads running),
# on every in-house strategy.
THREADED = programs.Program("cpython-threads", [programs.PYTHON, "-m", "test", "test_thread", "test_threading"],
                            env={"PYTHONMALLOC": "malloc"}, match="verdict")
# The threads-and-fork script on the drop-in's other way to serve threads, one heap behind
# one lock, on the strategies that need no scan: six threads' garbage in one heap makes
# the list-scanning fits crawl (minutes), which tells nothing about the lock.
SHARED = programs.Program("python-threads-fork-shared", [programs.PYTHON, "-c", programs.THREADS_SCRIPT],
                          env={"PYTHONMALLOC": "malloc", "MMBENCH_OPTIONS": "threads=shared"})
SHARED_ON = ("pool", "buddy", "best-fit", "bump")

for _program in programs.selected(full=FULL) + [THREADED, SHARED]:
    for _strategy in IN_HOUSE:
        if _program is SHARED and _strategy["name"] not in SHARED_ON:
            continue
        setattr(ProgramsTest, f"test_{_program.name.replace('-', '_')}_on_{_strategy['name'].replace('-', '_')}",
                _case(_program, _strategy))


# The malloc family's own contract, called through ctypes in a process running on the
# drop-in library: prints one line per broken promise, then "done".
API_SCRIPT = r"""
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
for name, res, args in [("malloc", ctypes.c_void_p, [ctypes.c_size_t]), ("free", None, [ctypes.c_void_p]),
                        ("calloc", ctypes.c_void_p, [ctypes.c_size_t] * 2),
                        ("realloc", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t]),
                        ("reallocarray", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]),
                        ("posix_memalign", ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p)] + [ctypes.c_size_t] * 2),
                        ("aligned_alloc", ctypes.c_void_p, [ctypes.c_size_t] * 2),
                        ("memalign", ctypes.c_void_p, [ctypes.c_size_t] * 2),
                        ("valloc", ctypes.c_void_p, [ctypes.c_size_t]), ("pvalloc", ctypes.c_void_p, [ctypes.c_size_t]),
                        ("malloc_usable_size", ctypes.c_size_t, [ctypes.c_void_p])]:
    f = getattr(libc, name); f.restype = res; f.argtypes = args
def bad(what): print("broken:", what)
p = libc.malloc(300); ctypes.memset(p, 0xAB, 300); libc.free(p)
q = libc.calloc(30, 10)
if ctypes.string_at(q, 300) != bytes(300): bad("calloc is not zeroed")
if libc.malloc_usable_size(q) < 300: bad("usable size below the request")
ctypes.memmove(q, b"prefix", 6); q = libc.realloc(q, 100000)
if ctypes.string_at(q, 6) != b"prefix": bad("realloc lost the prefix")
libc.free(q)
for align in (16, 64, 256, 4096):
    out = ctypes.c_void_p()
    if libc.posix_memalign(ctypes.byref(out), align, 100) != 0 or out.value % align: bad(f"posix_memalign {align}")
    libc.free(out)
    for f in (libc.aligned_alloc, libc.memalign):
        r = f(align, 2 * align)
        if not r or r % align: bad(f"{f.__name__} {align}")
        libc.free(r)
if libc.posix_memalign(ctypes.byref(ctypes.c_void_p()), 24, 10) != errno.EINVAL: bad("alignment 24 accepted")
for f in (libc.valloc, libc.pvalloc):
    r = f(100)
    if not r or r % 4096: bad(f.__name__ + " not page-aligned")
    libc.free(r)
if libc.reallocarray(None, 1 << 62, 16) is not None or ctypes.get_errno() != errno.ENOMEM: bad("reallocarray overflow")
if libc.calloc(1 << 62, 16) is not None: bad("calloc overflow")
libc.free(None)
print("done")
"""


def _api_case(strategy):
    def test(self):
        env = preload.environment(strategy)
        done = subprocess.run([programs.PYTHON, "-c", API_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=120)
        self.assertEqual((done.returncode, done.stdout), (0, "done\n"), done.stderr[-800:])
    return test


class MallocApiTest(unittest.TestCase):
    pass


for _strategy in IN_HOUSE:
    setattr(MallocApiTest, f"test_malloc_family_on_{_strategy['name'].replace('-', '_')}", _api_case(_strategy))


class PreloadCliTest(unittest.TestCase):
    def test_runs_a_program_and_passes_its_exit_status(self):
        done = mmbench("preload", "bump", "--", "sh", "-c", "exit 7")
        self.assertEqual(done.returncode, 7, done.stderr)

    def test_a_bad_threads_option_is_one_line_and_status_2(self):
        env = preload.environment(IN_HOUSE[0], options="threads=sometimes") if IN_HOUSE else None
        if env is None:
            self.skipTest("no in-house strategy is registered")
        done = subprocess.run([programs.PYTHON, "-c", "print('never')"], env=env, capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertEqual(done.stdout, "")
        self.assertEqual(len(done.stderr.strip().splitlines()), 1, done.stderr)
        self.assertIn("threads=per-thread or threads=shared", done.stderr)

    def test_threads_option_and_strategy_options_mix(self):
        pool = [s for s in IN_HOUSE if s["name"] == "pool"]
        if not pool:
            self.skipTest("pool is not registered")
        for options in ("threads=shared,cache=0", "cache=0,threads=per-thread", "threads=shared"):
            env = preload.environment(pool[0], options=options)
            done = subprocess.run([programs.PYTHON, "-c", "print(sum(len(str(i)) for i in range(10**5)))"], env=env,
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual((done.returncode, done.stdout), (0, "488890\n"), f"{options}: {done.stderr[-500:]}")

    def test_unknown_strategy_is_a_user_error(self):
        done = mmbench("preload", "no-such", "--", "true")
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown allocator 'no-such'", error_line(done))

    def test_missing_command_is_a_user_error(self):
        for args in (["preload", "bump"], ["preload", "bump", "--", "no-such-command-x"]):
            done = mmbench(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertEqual(len(done.stderr.strip().splitlines()[-1:]), 1)

    def test_the_library_really_replaces_malloc(self):
        # a limit of 1 MiB on bump: the program's allocations must hit it (so they went through us)
        done = mmbench("preload", "bump", "--limit", "1M", "--", programs.PYTHON, "-c", "x = [str(i) for i in range(10**6)]")
        self.assertNotEqual(done.returncode, 0)

    def test_system_runs_natively_and_peers_through_their_library(self):
        for s in REGISTRY.strategies if REGISTRY else []:
            env = preload.environment(s, base={}) if s.get("available", True) else None
            if preload.kind(s) == "system":
                self.assertNotIn("LD_PRELOAD", env)
            elif preload.kind(s) == "peer" and env is not None:
                self.assertTrue(os.path.exists(env["LD_PRELOAD"]), env["LD_PRELOAD"])
            elif preload.kind(s) == "in-house":
                self.assertEqual(env["MMBENCH_STRATEGY"], s["name"])


class ProgramBenchmarkTest(unittest.TestCase):
    def test_a_run_times_programs_per_strategy(self):
        if not shutil.which("hyperfine") or not shutil.which("sqlite3"):
            self.skipTest("hyperfine or sqlite3 is not installed")
        import tempfile
        from harness import results
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "run")
            done = mmbench("run", "--out", out, "--workloads", "churn", "--allocators", "system,bump",
                           "--param", "churn.live=100", "--param", "churn.steps=1000", "--repetitions", "2",
                           "--hyperfine-runs", "2", "--sweep", "none", "--no-charts", "--programs", "sqlite")
            self.assertEqual(done.returncode, 0, done.stderr[-2000:])
            rows = results.load(out)["programs"]
            self.assertEqual([(r["program"], r["strategy"]) for r in rows], [("sqlite", "system"), ("sqlite", "bump")])
            for r in rows:
                self.assertIsNone(r["error"])
                self.assertGreater(r["mean_s"], 0)
                self.assertEqual(r["runs"], 2)
                self.assertGreater(r["rss_peak"], 1 << 20)
                self.assertTrue(os.path.isfile(os.path.join(out, r["raw"])))
            self.assertIn("sqlite         bump", done.stdout)

    def test_unknown_program_is_a_user_error(self):
        done = mmbench("run", "--programs", "nope")
        self.assertEqual(done.returncode, 2)
        self.assertIn("unknown program 'nope'", error_line(done))


if __name__ == "__main__":
    unittest.main()


class SignalsTest(unittest.TestCase):
    def test_a_program_gets_sigint_at_its_default_even_from_a_background_harness(self):
        probe = programs.Program("probe", [programs.PYTHON, "-c", "import signal; print(signal.getsignal(signal.SIGINT))"])
        before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a job a shell put in the background
        try:
            done = probe.run()
        finally:
            signal.signal(signal.SIGINT, before)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("default_int_handler", done.stdout)
