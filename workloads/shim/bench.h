/* bench.h — Google Benchmark, for C. The shim (shim.cc) is the only C++ in the tree.
 *
 * Google Benchmark here is the runner and the reporter: it registers the benchmarks,
 * selects them (--benchmark_filter) and writes their counters (--benchmark_format=json).
 * It does not time them: a benchmark runs once per process (one iteration of Google
 * Benchmark's loop, whose own times cover everything the function does and mean nothing)
 * and times its passes itself (wl.h: wl_timer, wl_sample_passes), reporting the times
 * as counters.
 *
 *   static void run(wl_bench *b, void *arg) {
 *       ...passes, timed by the workload driver...
 *       wl_bench_counter(b, "peak_live", bytes);
 *   }
 *   wl_bench_register("churn/pool", run, arg);
 *   return wl_bench_main(argc, argv);
 */
#ifndef WL_BENCH_H
#define WL_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wl_bench wl_bench;
typedef void (*wl_bench_fn)(wl_bench *b, void *arg);

/* Registers `fn` under `name`, to be called once per run of the benchmark. */
void wl_bench_register(const char *name, wl_bench_fn fn, void *arg);
/* A plain counter, reported as is. */
void wl_bench_counter(wl_bench *b, const char *name, double value);
/* Marks the run failed with a message (shown in the output; counters are dropped). */
void wl_bench_fail(wl_bench *b, const char *message);
/* Runs the registered benchmarks selected by Google Benchmark's flags; returns the exit
 * status (2 for an unrecognised flag). */
int wl_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
