#!/bin/sh
# measure.sh — preload_bench (preload_bench.c) timed with hyperfine under glibc and under
# the drop-in: small-object churn on 1 and 2 threads (per-thread heaps and threads=shared),
# and the multi-MiB loop on every in-house strategy that frees. Markdown tables on stdout
# (hyperfine's, with its `Relative` column), hyperfine's JSON in OUT (default: a new
# temporary folder). Wall-clock numbers: run it alone, e.g. under a lock shared by
# everything that times on the machine.
#
#   allocators/preload/measure.sh [OUT] [RUNS] [CHURN_STEPS] [BIG_STEPS]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
runs=${2:-5}
churn_steps=${3:-6000000}
big_steps=${4:-400}
mkdir -p "$out"
cd "$here"
bazel build //allocators/preload:libmmpreload.so //allocators/preload:preload_bench >&2
bench=$here/bazel-bin/allocators/preload/preload_bench
lib=$here/bazel-bin/allocators/preload/libmmpreload.so
on() { # on STRATEGY THREADS-MODE: the command prefix that preloads the drop-in
    echo "env MMBENCH_STRATEGY=$1 MMBENCH_OPTIONS=threads=$2 LD_PRELOAD=$lib"
}
time_it() { # time_it NAME then pairs of LABEL COMMAND
    name=$1
    shift
    set -- hyperfine -N --warmup 1 --runs "$runs" --style basic --export-json "$out/$name.json" \
        --export-markdown "$out/$name.md" "$@"
    "$@" >&2
    echo "### $name"
    cat "$out/$name.md"
    echo
}
for threads in 1 2; do
    set --
    for s in pool best-fit; do
        for mode in per-thread shared; do
            set -- "$@" -n "$s $mode" "$(on "$s" "$mode") $bench churn $threads $churn_steps"
        done
    done
    time_it "churn-$threads-threads" -n "glibc" "$bench churn $threads $churn_steps" "$@"
done
set --
for s in pool buddy first-fit first-fit-ao next-fit best-fit; do
    set -- "$@" -n "$s" "$(on "$s" per-thread) $bench big $big_steps"
done
time_it "big-blocks" -n "glibc" "$bench big $big_steps" "$@"
echo "hyperfine's JSON: $out" >&2
