"""Where things are: the repository root and the built binaries."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAZEL_BIN = os.path.join(ROOT, "bazel-bin")
BENCH_TARGET = "//workloads:mmbench_bench"
BENCH_BINARY = os.path.join(BAZEL_BIN, "workloads", "mmbench_bench")
DEFAULT_RUNS = os.path.join(ROOT, "results", "runs")
