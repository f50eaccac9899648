/* gc_bench.h — the GC side of mmbench_bench (gc_bench.c), called from bench_main.c. */
#ifndef WL_GC_BENCH_H
#define WL_GC_BENCH_H

#include "workloads/wl.h"

#include <stddef.h>

/* One strategy's or collector's options, "key=value,...", as --param gave them ("" none). */
enum { BENCH_OPTIONS_MAX = 512 };
typedef char bench_options[BENCH_OPTIONS_MAX];

/* Opens each collector that has options once (over the system allocator): a bad option
 * gets the collector's one-line reason on stderr and exit status 2. `collector_options`
 * is indexed as gc_collectors. */
void gc_bench_check_options(const bench_options *collector_options);
/* Registers every GC workload on every heap of gc_matrix_list(GC_MATRIX_ALL) as "W/C/S"
 * ("W/C" for a collector over its own allocator). Options are indexed as mm_strategies
 * and gc_collectors; `how` is the driver's sampling (kept, read when a benchmark runs). */
void gc_bench_register(const bench_options *strategy_options, const bench_options *collector_options, size_t limit,
                       const wl_sampling *how);
/* Prints `, "collectors": [...], "gc_default_allocators": [...], "gc_heaps": [...]` for
 * --list-json, strings through the driver's `json_string`. A collector is {"name",
 * "summary", "own_allocator", "options" (its defaults, "key=value,...")}. gc_heaps is the
 * matrix: one {"name", "collector", "allocator" (null: its own), "default" (in a default
 * run)} each. */
void gc_bench_list_json(void (*json_string)(const char *s));

#endif
