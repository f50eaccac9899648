"""./mmbench test --full: the long checks, after the normal test run.

1. Fuzzing. Every fuzz target (a cc_library tagged `mm_fuzz_target`, made by
   mm_fuzz_target in conformance/fuzz/fuzz.bzl) runs under libFuzzer for --fuzz-seconds,
   seeded with its committed corpus (conformance/fuzz/corpus/NAME). Bazel's C toolchain
   here is gcc, which has no libFuzzer, and switching Bazel to clang would rebuild (and
   later re-rebuild) the whole tree; so the harness asks Bazel for the C sources the target
   depends on (`bazel query`) and compiles them itself with clang
   -fsanitize=fuzzer,address,undefined, linking what those libraries' linkopts ask for
   (-lgc for the collectors). The list of sources and libraries stays Bazel's.
   The committed corpus is never written: new inputs go to a scratch folder. A failure
   keeps its scratch folder and names the saved input and the command that replays it.
2. valgrind memcheck over the conformance suites (VALGRIND_SUITES), limited to the
   in-house strategies as the registry tells them apart (harness/preload.kind: those that
   take memory from the page layer, which annotate their blocks for memcheck; the system
   strategy reads glibc's chunk headers, which valgrind's own malloc does not have). The
   peers are switched off (MMBENCH_UNAVAILABLE), so their libraries are not even loaded:
   tcmalloc's load-time allocation is not ours to report.
Each becomes TAP-like cases in the same tally as the rest of `./mmbench test`.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from harness import build, paths, preload
from harness.errors import SetupError
from harness.registry import Registry
from harness.tap import count_tap

FUZZ_TAG = "mm_fuzz_target"
# libFuzzer glue compiled beside every target (fuzz.h's FUZZ_FAIL aborts there).
FUZZ_GLUE = "conformance/fuzz/fuzz_libfuzzer.c"
CLANG_FLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-DMM_DEBUG", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
               "-Wshadow", "-Wstrict-prototypes", "-Wno-missing-field-initializers",
               "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
FUZZ_FLAGS = ["-max_len=4096", "-timeout=30", "-rss_limit_mb=2048", "-print_final_stats=1"]
# The conformance suites valgrind runs (optimised builds; each honours MM_TEST_STRATEGIES).
VALGRIND_SUITES = ["//conformance:contract", "//conformance:limits"]
VALGRIND_FLAGS = ["-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                  "--show-leak-kinds=definite"]


def _query(expression):
    done = build.bazel(["query", "--noshow_progress", expression])
    if done.returncode != 0:
        raise RuntimeError(f"bazel query {expression!r} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.split()


def _label_path(label):
    """//allocators:bump.c -> allocators/bump.c"""
    package, _, name = label[2:].partition(":")
    return os.path.join(package, name) if package else name


def fuzz_targets():
    """[(name, label)] of every fuzz target, e.g. ("alloc", "//conformance/fuzz:alloc_fuzz")."""
    labels = _query(f'attr(tags, "{FUZZ_TAG}", kind(cc_library, //...))')
    targets = []
    for label in sorted(labels):
        name = label.partition(":")[2]
        if name.endswith("_fuzz"):  # not the _asan variant
            targets.append((name[: -len("_fuzz")], label))
    return targets


def fuzz_sources(label):
    """The C files of `label` and everything it depends on, as paths in the tree."""
    files = _query(f'kind("source file", deps({label}))')
    return sorted(_label_path(f) for f in files if f.startswith("//") and f.endswith(".c"))


def fuzz_linkopts(label):
    """The linkopts of `label` and the project's libraries it depends on (-lgc, -ldl ...),
    in Bazel's order, each once."""
    done = build.bazel(["query", "--noshow_progress", "--output=build",
                        f"kind(cc_library, deps({label})) intersect //..."])
    if done.returncode != 0:
        raise RuntimeError(f"bazel query of {label}'s linkopts failed: {done.stderr.strip()[-500:]}")
    opts = []
    for listed in re.findall(r"^\s*linkopts = \[(.*?)\]", done.stdout, re.M | re.S):
        for opt in re.findall(r'"((?:[^"\\]|\\.)*)"', listed):
            if opt not in opts:
                opts.append(opt)
    return opts


def build_fuzzer(sources, binary, linkopts=()):
    """Compiles a libFuzzer binary; returns None, or the compiler's complaint."""
    cmd = ["clang", *CLANG_FLAGS, "-I", paths.ROOT, *sources, os.path.join(paths.ROOT, FUZZ_GLUE),
           "-o", binary, "-lm", "-lpthread", *linkopts]
    done = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return None if done.returncode == 0 else (done.stderr.strip() or f"clang exited {done.returncode}")


def run_fuzzer(binary, corpus, seconds, scratch):
    """Fuzzes for `seconds` from `corpus`; returns (ok, detail). New inputs go to scratch."""
    work, artifacts = os.path.join(scratch, "corpus"), os.path.join(scratch, "artifacts")
    os.makedirs(work, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    cmd = [binary, f"-max_total_time={seconds}", *FUZZ_FLAGS, f"-artifact_prefix={artifacts}/", work, corpus]
    done = subprocess.run(cmd, capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL)
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
    if done.returncode == 0:
        return True, f"{runs.group(1) if runs else '?'} inputs in {seconds} s"
    saved = sorted(glob.glob(os.path.join(artifacts, "*")))
    lines = [l for l in done.stderr.splitlines() if l.strip() and "WARNING: AddressSanitizer failed to allocate" not in l]
    why = next((l for l in lines if l.startswith("fuzz failure") or "ERROR:" in l or "SUMMARY:" in l),
               f"exit {done.returncode}" + (f" after: {lines[-1][:200]}" if lines else ""))
    where = f"; input saved as {saved[0]}; replay: {binary} {saved[0]}" if saved else ""
    return False, why.strip() + where


def fuzz_one(name, label, seconds, scratch):
    binary = os.path.join(scratch, f"{name}_fuzzer")
    complaint = build_fuzzer(fuzz_sources(label), binary, fuzz_linkopts(label))
    if complaint:
        lines = complaint.splitlines()
        return False, "clang could not build it: " + next((l for l in lines if "error:" in l), lines[-1])
    corpus = os.path.join(paths.ROOT, "conformance", "fuzz", "corpus", name)
    return run_fuzzer(binary, corpus, seconds, scratch)


def fuzz(tally, seconds, log=print):
    targets = fuzz_targets()
    if not targets:
        tally.add("not ok", "fuzz: no fuzz target found (tag mm_fuzz_target)")
        return
    for name, label in targets:
        case = f"fuzz: {name} (libFuzzer, {seconds} s)"
        scratch = tempfile.mkdtemp(prefix=f"mmbench-fuzz-{name}-")
        try:
            ok, detail = fuzz_one(name, label, seconds, scratch)
        except BaseException:  # interrupted: leave no scratch folder behind
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        tally.add("ok" if ok else "not ok", f"{case}: {detail}")
        log(f"{'ok' if ok else 'not ok'} - {case}: {detail}", flush=True)
        if ok:
            shutil.rmtree(scratch, ignore_errors=True)


def in_house(registry):
    return [s["name"] for s in registry.strategies if preload.kind(s) == "in-house"]


def memcheck_env(registry, base=None):
    """The environment of the memcheck pass: the in-house strategies selected, peers off."""
    env = dict(os.environ if base is None else base)
    env["MM_TEST_STRATEGIES"] = ",".join(in_house(registry))
    peers = [s["name"] for s in registry.strategies if preload.kind(s) == "peer"]
    off = [n for n in env.get("MMBENCH_UNAVAILABLE", "").split(",") if n] + peers
    if off:
        env["MMBENCH_UNAVAILABLE"] = ",".join(off)
    return env


def memcheck(binary, case, tally, env=None, log=print):
    """Runs a TAP test binary under memcheck: its cases count, and memcheck's findings
    (errors, definite leaks) are one more failure, with memcheck's report printed."""
    done = subprocess.run(["valgrind", *VALGRIND_FLAGS, binary], env=env, capture_output=True, text=True,
                          errors="replace", stdin=subprocess.DEVNULL)
    failures = count_tap(done.stdout, case, tally)
    report = [l for l in done.stderr.splitlines() if l.startswith("==")]
    if done.returncode == 99:
        first = next((l.split("== ", 1)[-1] for l in report if "== " in l and l.split("== ", 1)[-1].strip()),
                     "errors")
        tally.add("not ok", f"{case}: memcheck: {first}")
        log("\n".join(report[:40]), flush=True)
    elif done.returncode != 0 and failures == 0:
        tally.add("not ok", f"{case}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.returncode


def valgrind(tally, log=print):
    build.build([paths.BENCH_TARGET, *VALGRIND_SUITES], config="memcheck")
    info = build.bazel(["info", "--config=memcheck", "bazel-bin"])
    if info.returncode != 0:
        raise SetupError("bazel info --config=memcheck bazel-bin failed: " + info.stderr.strip()[-300:])
    bin_dir = info.stdout.strip()
    registry = Registry.load()
    names = in_house(registry)
    env = memcheck_env(registry)
    for label in VALGRIND_SUITES:
        case = f"valgrind {label}"
        status = memcheck(os.path.join(bin_dir, _label_path(label)), case, tally, env, log)
        log(f"{case} ({', '.join(names)}): exit {status}", flush=True)


def execute(tally, seconds):
    """The --full checks, counted into `tally` (tap.Tally, testing.py's)."""
    print(f"== fuzzing ({seconds} s per target, clang + libFuzzer)", flush=True)
    fuzz(tally, seconds)
    print("== valgrind memcheck (in-house strategies)", flush=True)
    valgrind(tally)
