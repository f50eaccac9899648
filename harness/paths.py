"""Where things are: the repository root and the built binaries."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAZEL_BIN = os.path.join(ROOT, "bazel-bin")
BENCH_TARGET = "//workloads:mmbench_bench"
BENCH_BINARY = os.path.join(BAZEL_BIN, "workloads", "mmbench_bench")  # as built; the harness runs bench_binary()
DEFAULT_RUNS = os.path.join(ROOT, "results", "runs")


def bench_binary():
    """The benchmark binary every measurement, registry listing and parameter check runs:
    the built one, or $MMBENCH_BENCH_BINARY (a stand-in the harness's own tests use, e.g.
    one that crashes on purpose and hands everything else to the built one)."""
    return os.environ.get("MMBENCH_BENCH_BINARY") or BENCH_BINARY
