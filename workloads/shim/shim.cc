// shim.cc — the C API of bench.h on top of Google Benchmark (libbenchmark-dev).
#include "workloads/shim/bench.h"

#include <benchmark/benchmark.h>

struct wl_bench {
  benchmark::State *state;
};

// One iteration: the function runs once and times its own passes (bench.h).
extern "C" void wl_bench_register(const char *name, wl_bench_fn fn, void *arg) {
  benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
    wl_bench handle{&state};
    for (auto _ : state) fn(&handle, arg);
  })->Iterations(1);
}

extern "C" void wl_bench_counter(wl_bench *b, const char *name, double value) {
  b->state->counters[name] = benchmark::Counter(value);
}

extern "C" void wl_bench_fail(wl_bench *b, const char *message) { b->state->SkipWithError(message); }

extern "C" int wl_bench_main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
