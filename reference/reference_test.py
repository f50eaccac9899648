"""reference_test.py — mmbench measures each peer as its users run it: checked against a
churn program that shares no code with mmbench (reference/churn.c).

For glibc and each peer the registry offers (mmbench_bench --list-json, the library it
names preloaded), under callgrind:
  outside  churn.c with the library preloaded, at SHORT and LONG steps: the difference of
           the instruction totals over the difference of operations (2 per step) is the
           library's instructions per operation, start-up, fill and teardown cancelled;
  inside   mmbench_bench's churn (the same 100k live blocks of 16-512 B, STEPS steps, the
           whole fixed run: no --budget) with the library preloaded, counted over the
           timed loop alone (--collect-atstart=no, as ./mmbench run --counts does).
Case reference.ratio[P]: P's instructions per operation over glibc's inside mmbench is
within TOLERANCE of the same ratio outside. The overhead mmbench adds to every operation
(its generator, the table's indirect call) is the same for every library and pulls the
ratios inside towards 1 a little; the old way of calling peers (dlopen'ed, prefixed
entry points) put jemalloc at 1.09 against 0.67 outside.

Speaks TAP, like every test of the tree (harness/testing.py counts the lines).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

LIVE, SHORT, LONG, STEPS = 100000, 100000, 300000, 200000
TOLERANCE = 0.15


def runfile(path):
    return os.path.join(os.environ.get("TEST_SRCDIR", ""), "mmbench", path)


CHURN = runfile("reference/churn")
BENCH = runfile("workloads/mmbench_bench")


def env_with(library):
    env = dict(os.environ)
    if library:
        env["LD_PRELOAD"] = library
    return env


def callgrind(args, library, folder, collect_at_start=True):
    """Runs args under callgrind; returns (instructions, stdout)."""
    out = os.path.join(folder, "callgrind.out")
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    if not collect_at_start:
        command.append("--collect-atstart=no")
    if shutil.which("setarch"):
        command = ["setarch", os.uname().machine, "-R", *command]
    done = subprocess.run(command + args, env=env_with(library), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed under callgrind: {done.stderr.strip()[-300:]}")
    with open(out) as f:
        totals = [int(line.split()[1]) for line in f if line.startswith(("totals:", "summary:"))]
    os.unlink(out)
    return totals[-1], done.stdout


def outside(library, folder):
    short, _ = callgrind([CHURN, str(SHORT)], library, folder)
    long, _ = callgrind([CHURN, str(LONG)], library, folder)
    return (long - short) / (2 * (LONG - SHORT))


def inside(strategy, library, folder):
    instructions, out = callgrind([BENCH, f"--benchmark_filter=^churn/{strategy}/", "--benchmark_format=json",
                                   f"--param=churn.live={LIVE}", f"--param=churn.steps={STEPS}"],
                                  library, folder, collect_at_start=False)
    run = json.loads(out)["benchmarks"][0]
    if run.get("error_occurred"):
        raise RuntimeError(f"churn/{strategy}: {run.get('error_message')}")
    return instructions / run["ops"]


def peers():
    """[(name, library file, why not)] for the peers mmbench_bench lists."""
    listed = json.loads(subprocess.run([BENCH, "--list-json"], capture_output=True, text=True, check=True).stdout)
    found = []
    for s in listed["strategies"]:
        if not s.get("library"):
            continue
        again = json.loads(subprocess.run([BENCH, "--list-json"], env=env_with(s["library"]), capture_output=True,
                                          text=True, check=True).stdout)
        entry = next(e for e in again["strategies"] if e["name"] == s["name"])
        found.append((s["name"], entry.get("library"), entry.get("unavailable")))
    return found


def main():
    cases = []
    if shutil.which("valgrind") is None:
        print("ok 1 - reference.ratio # SKIP valgrind is not installed (./mmbench test installs it)")
        print("1..1")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        glibc_outside, glibc_inside = outside(None, folder), inside("system", None, folder)
        print(f"# glibc: {glibc_outside:.1f} instructions/op outside, {glibc_inside:.1f} inside mmbench")
        for name, library, why in peers():
            case = f"reference.ratio[{name}]"
            if why:
                cases.append((case, None, why))
                continue
            out_ratio = outside(library, folder) / glibc_outside
            in_ratio = inside(name, library, folder) / glibc_inside
            print(f"# {name}: {out_ratio:.3f} x glibc outside, {in_ratio:.3f} x inside mmbench "
                  f"({in_ratio / out_ratio - 1:+.1%})")
            ok = abs(in_ratio / out_ratio - 1) <= TOLERANCE
            cases.append((case, ok, f"inside {in_ratio:.3f} x glibc, outside {out_ratio:.3f} x: "
                                    f"{in_ratio / out_ratio - 1:+.1%}, past {TOLERANCE:.0%}"))
    failed = 0
    for n, (case, ok, note) in enumerate(cases, 1):
        if ok is None:
            print(f"ok {n} - {case} # SKIP {note}")
        elif ok:
            print(f"ok {n} - {case}")
        else:
            failed += 1
            print(f"not ok {n} - {case}\n#   {note}")
    print(f"1..{len(cases)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
