"""Building with Bazel: quiet when it works, the whole story when it does not."""
import subprocess
import sys

from harness import deps, paths
from harness.errors import SetupError


def bazel(args, quiet=True):
    """Runs `bazel ARGS` in the repository; returns the CompletedProcess."""
    cmd = ["bazel", *args]
    if quiet:
        return subprocess.run(cmd, cwd=paths.ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    return subprocess.run(cmd, cwd=paths.ROOT, stdin=subprocess.DEVNULL)


def build(targets=(paths.BENCH_TARGET,), config=None):
    """Builds `targets` (installing build dependencies first), under the .bazelrc `config`
    when one is named; raises SetupError on failure."""
    deps.ensure(deps.BUILD)
    print("mmbench: building " + " ".join(targets) + (f" (bazel, --config={config})" if config else " (bazel)"),
          file=sys.stderr, flush=True)
    done = bazel(["build", *([f"--config={config}"] if config else []), *targets])
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-6000:])
        raise SetupError("the build failed (bazel output above)")
