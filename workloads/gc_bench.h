/* gc_bench.h — the GC side of mmbench_bench (gc_bench.c), called from bench_main.c. */
#ifndef WL_GC_BENCH_H
#define WL_GC_BENCH_H

#include <stddef.h>

enum { GC_BENCH_OPTIONS_MAX = 512 };

/* Takes the collector options (--param rc-gen.threshold0=700) out of argv, checks them
 * (exit 2 on a bad one) and returns the new argc. */
int gc_bench_args(int argc, char **argv);
/* Registers every GC workload × collector × strategy (boehm: × nothing) as "W/C/S". */
void gc_bench_register(char (*strategy_options)[GC_BENCH_OPTIONS_MAX], size_t limit);
/* Prints `, "collectors": [...], "gc_default_allocators": [...]` for --list-json, strings
 * through the driver's `json_string`. */
void gc_bench_list_json(void (*json_string)(const char *s));

#endif
