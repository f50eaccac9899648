// shim.cc — the C API of bench.h on top of Google Benchmark (libbenchmark-dev).
#include "workloads/shim/bench.h"

#include <benchmark/benchmark.h>

// Under `valgrind --tool=callgrind --collect-atstart=no` (./mmbench run --counts), the
// instructions collected are exactly those of the timed loop: collection is switched on at
// the first wl_bench_next and off when it returns false. Outside valgrind the requests
// are a few no-op instructions, once per benchmark run.
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define WL_COLLECT_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#else
#define WL_COLLECT_TOGGLE() ((void)0)
#endif

struct wl_bench {
  benchmark::State *state;
  bool collecting;
};

extern "C" void wl_bench_register(const char *name, wl_bench_fn fn, void *arg, int64_t iterations) {
  auto *b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &state) {
    wl_bench handle{&state, false};
    fn(&handle, arg);
  });
  b->Unit(benchmark::kNanosecond)->UseRealTime();
  if (iterations > 0) b->Iterations(iterations);
}

extern "C" bool wl_bench_next(wl_bench *b) {
  if (!b->collecting) {
    b->collecting = true;
    WL_COLLECT_TOGGLE();
  }
  bool more = b->state->KeepRunning();
  if (!more) WL_COLLECT_TOGGLE();
  return more;
}

// items_per_second is a rate; the exact count is reported too ("ops"), for --counts.
extern "C" void wl_bench_set_items(wl_bench *b, int64_t items) {
  b->state->SetItemsProcessed(items);
  b->state->counters["ops"] = benchmark::Counter(static_cast<double>(items));
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
