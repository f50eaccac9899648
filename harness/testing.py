"""./mmbench test: every test in the tree, counted case by case.

1. `bazel test //...` runs the C tests (each in its optimised and ASan+UBSan variant).
   Every C test speaks TAP (tap.py counts it); the log of each test (and shard) is found
   through Bazel's build event file and its "ok"/"not ok" lines are counted. A test
   process that failed without a "not ok" line (a crash, a timeout) counts as one failure.
2. The harness's own tests (harness/tests, unittest).
3. With --full: fuzzing and valgrind (harness/full.py).
What may be skipped (optional()): a peer or a tool the suite can do without
(deps.OPTIONAL) is skipped only when it is not installed here and could not be
(deps.offer tried first). One that is installed must load: a peer the registry lists as
unavailable although its library is there, or a tool that does not start, is a failure
with its reason, never a skip (harness/tests/test_skips.py holds this machine to it).
The last line is "N passed, N failed, N skipped"; the exit status is 0 only when nothing
failed and something ran.
"""
import json
import os
import re
import subprocess
import tempfile
import unittest
import urllib.parse

from harness import build, deps, full, paths
from harness.tap import Tally, count_tap

# How to tell that an installed tool of deps.PROGRAMS works: a command that must succeed.
STARTS = {
    "sqlite3": ["sqlite3", "-version"],
    "CPython's regression tests": ["/usr/bin/python3", "-c", "import test.libregrtest"],
    "hyperfine": ["hyperfine", "--version"],
}


def bazel_tests(tally, targets=("//...",)):
    with tempfile.TemporaryDirectory() as tmp:
        events_path = os.path.join(tmp, "events.json")
        done = build.bazel(["test", f"--build_event_json_file={events_path}", *targets], quiet=False)
        # 0: all passed; 3: some tests failed (counted below); anything else: no tests ran
        if done.returncode not in (0, 3):
            tally.add("not ok", f"bazel test exited {done.returncode} (build failure: see above)")
            return
        with open(events_path) as f:
            events = [json.loads(line) for line in f if line.strip()]
    for event in events:
        result = event.get("testResult")
        if result is None:
            continue
        label = event["id"]["testResult"]["label"]
        log = next((o["uri"] for o in result.get("testActionOutput", []) if o["name"] == "test.log"), None)
        shard = re.search(r"/(shard_\d+_of_\d+)/", log or "")
        if shard:
            label += f" ({shard.group(1).replace('_', ' ')})"
        text = ""
        if log:
            try:
                with open(urllib.parse.unquote(urllib.parse.urlparse(log).path), errors="replace") as f:
                    text = f.read()
            except OSError:
                pass
        failures = count_tap(text, label, tally)
        if result.get("status") != "PASSED" and failures == 0:
            tally.add("not ok", f"{label}: {result.get('status', 'FAILED')} with no failing case reported")


def _switched_off(name):
    """A peer the user switched off on purpose (MMBENCH_UNAVAILABLE, allocators/peers.c)."""
    return name in os.environ.get("MMBENCH_UNAVAILABLE", "").split(",")


def _starts(argv):
    """None when `argv` runs and exits 0, else why not (one line)."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    tail = (done.stderr.strip().splitlines() or [""])[-1][:200]
    return None if done.returncode == 0 else f"'{' '.join(argv)}' exits {done.returncode}: {tail}"


def optional(strategies, peers=deps.PEERS, programs=deps.PROGRAMS, starts=STARTS):
    """[(outcome, what, why)] for each optional peer and tool: "ok" when it is installed
    and loads, "skip" when it is not installed (or switched off on purpose), "not ok"
    when it is installed and does not load. strategies: the registry's entries."""
    out = []
    listed = {s["name"]: s for s in strategies}
    for what, present, package in peers:
        entry = listed.get(what, {"available": False, "unavailable": "the benchmark binary does not list it"})
        if not present():
            out.append(("skip", what, f"not installed here (Debian package {package})"))
        elif entry.get("available", True):
            out.append(("ok", what, "installed, and it loads"))
        elif _switched_off(what):
            out.append(("skip", what, "switched off by MMBENCH_UNAVAILABLE"))
        else:
            out.append(("not ok", what, f"installed (Debian package {package}) but it does not load: "
                                        f"{entry.get('unavailable', 'unavailable')}"))
    for what, present, package in programs:
        if not present():
            out.append(("skip", what, f"not installed here (Debian package {package})"))
            continue
        why = _starts(starts[what])
        out.append(("ok", what, "installed, and it starts") if why is None else
                   ("not ok", what, f"installed but it does not start: {why}"))
    return out


class _Result(unittest.TextTestResult):
    def __init__(self, stream, descriptions, verbosity, tally):
        super().__init__(stream, descriptions, verbosity)
        self.tally = tally

    def addSuccess(self, test):
        super().addSuccess(test)
        self.tally.add("ok", f"harness: {test.id()}")
        print(f"ok - {test.id()}", flush=True)

    def _fail(self, test, err):
        self.tally.add("not ok", f"harness: {test.id()}")
        print(f"not ok - {test.id()}\n{self._exc_info_to_string(err, test)}", flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):
        # a failing subtest reaches neither addFailure nor addSuccess: count it here
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._fail(subtest, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.tally.add("skip", f"harness: {test.id()}")
        print(f"ok - {test.id()} # SKIP {reason}", flush=True)


def harness_tests(tally):
    suite = unittest.defaultTestLoader.discover(os.path.join(paths.ROOT, "harness", "tests"), top_level_dir=paths.ROOT)
    runner = unittest.TextTestRunner(stream=open(os.devnull, "w"), verbosity=0,
                                     resultclass=lambda s, d, v: _Result(s, d, v, tally))
    runner.run(suite)


def execute(with_full, fuzz_seconds):
    """Every test (with_full: and the long checks, fuzzing each target fuzz_seconds);
    returns the exit status."""
    deps.ensure(deps.FULL if with_full else deps.TEST)
    deps.offer(deps.OPTIONAL)  # peers and real programs: skipped with a note where absent
    if with_full:
        os.environ["MMBENCH_TEST_FULL"] = "1"  # read by harness/tests/test_programs.py
    tally = Tally()
    print("== C tests (bazel test //...)", flush=True)
    bazel_tests(tally)
    print("== harness tests", flush=True)
    harness_tests(tally)
    if with_full:
        full.execute(tally, fuzz_seconds)
    if tally.failures:
        print("\nfailed:")
        for name in tally.failures:
            print(f"  {name}")
    ran = tally.passed + tally.failed
    if ran == 0:
        print("no test ran: that is a failure")
        tally.failed += 1
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped", flush=True)
    return 0 if tally.failed == 0 else 1
