/* bench.h — Google Benchmark, for C. The shim (shim.cc) is the only C++ in the tree.
 *
 * A benchmark is a plain C function over an opaque wl_bench (Google Benchmark's State):
 *
 *   static void run(wl_bench *b, void *arg) {
 *       ...untimed setup...
 *       while (wl_bench_next(b)) { ...one iteration, timed... }
 *       ...untimed teardown, then counters...
 *       wl_bench_set_items(b, operations);
 *       wl_bench_counter(b, "peak_live", bytes);
 *   }
 *   wl_bench_register("churn/pool", run, arg, iterations);
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

/* Registers `fn` under `name`. iterations > 0 fixes the iteration count (deterministic
 * runs: the same operations every repetition); 0 lets Google Benchmark choose. */
void wl_bench_register(const char *name, wl_bench_fn fn, void *arg, int64_t iterations);
/* True while another timed iteration should run (Google Benchmark's KeepRunning). */
bool wl_bench_next(wl_bench *b);
/* Operations done in all: Google Benchmark reports items_per_second from it. */
void wl_bench_set_items(wl_bench *b, int64_t items);
/* A plain counter, reported as is beside the timing. */
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
