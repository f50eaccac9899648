// shim.cc — the C API of bench.h on top of Google Benchmark (libbenchmark-dev).
#include "workloads/shim/bench.h"

#include <benchmark/benchmark.h>

struct wl_bench {
  benchmark::State *state;
};

extern "C" void wl_bench_register(const char *name, wl_bench_fn fn, void *arg, int64_t iterations) {
  auto *b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
    wl_bench handle{&state};
    fn(&handle, arg);
  });
  b->Unit(benchmark::kNanosecond)->UseRealTime();
  if (iterations > 0) b->Iterations(iterations);
}

extern "C" bool wl_bench_next(wl_bench *b) { return b->state->KeepRunning(); }

extern "C" void wl_bench_set_items(wl_bench *b, int64_t items) { b->state->SetItemsProcessed(items); }

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
