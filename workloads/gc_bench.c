/* gc_bench.c — GC workloads as Google Benchmarks: every workload of workloads.def marked
 * `collected`, on every heap of the collector x allocator matrix (gc.h, gc_matrix_list:
 * every collector over every strategy available here, "binary-trees/rc-gen/system"; boehm,
 * over its own allocator, is "binary-trees/boehm").
 *
 * One benchmark iteration is one run of the workload (gc_workloads.c); items are objects
 * created, so ns/op is time per object. Counters (docs/metrics.md, "Collectors"):
 *   gc_collections0..2, gc_collected0..2 and gc_uncollectable0..2 (and their totals
 *   gc_collected, gc_uncollectable), gc_finalizers, gc_leaked (objects alive at the end:
 *   rc's leaked cycles), gc_time_frac (time in pauses / wall time), pause_max_ns,
 *   pause_p50_ns, pause_p99_ns, gc_pauses, peak_footprint (the allocator's, or libgc's
 *   heap), rss_peak, check_failures, pauses_realtime (1 if the counted pass ran at
 *   real-time priority: never, as counted_pass says). boehm keeps no object counts: no
 *   gc_leaked/collected.
 * GC workloads have no metered pass. In its place each process first runs the counted
 * pass: untimed, at the normal priority (wl_realtime_suspend says why), the one whose
 * counters and pauses are reported. The times come from the samples that follow it
 * (wl.h, wl_sample_passes), so no sample is ever the counted pass.
 */
#include "workloads/gc_bench.h"

#include "allocators/gc/gc.h"
#include "workloads/wl.h"

#include <gc/gc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct gc_case {
    wl_workload *workload;
    const char *name; /* COLLECTOR/STRATEGY or COLLECTOR (gc_matrix_list) */
    const char *options;       /* the collector's, from --param; NULL for none */
    const char *alloc_options; /* the strategy's */
    size_t limit;
    double param[32];
    /* the first pass's counters (reported), and what every pass adds */
    gc_stats stats;
    uint64_t wall_ns;
    bool pauses_realtime; /* the counted pass ran at real-time priority (it should not) */
    double footprint;
    bool counted;
    size_t check_failures;
    unsigned char sink;
    char error[sizeof(mm_error)];
} gc_case;

static const wl_sampling *sampling; /* the driver's (gc_bench_register) */

enum { HEAPS_MAX = 256 };
static gc_matrix_heap heaps[HEAPS_MAX];

/* The heaps of every GC benchmark: the whole matrix (gc.h, gc_matrix_list). */
static size_t matrix(void) {
    size_t n = gc_matrix_list(GC_MATRIX_ALL, heaps, HEAPS_MAX);
    if (n > HEAPS_MAX) {
        fprintf(stderr, "mmbench_bench: more than %d collector heaps\n", HEAPS_MAX);
        exit(1);
    }
    return n;
}

static size_t index_of_collector(const gc_collector *c) {
    size_t i = 0;
    while (gc_collectors[i] != c) i++;
    return i;
}

static size_t index_of_strategy(const mm_strategy *s) {
    size_t i = 0;
    while (mm_strategies[i] != s) i++;
    return i;
}

static const char *given(const char *options) { return options[0] ? options : NULL; }

void gc_bench_check_options(const bench_options *collector_options) {
    for (size_t k = 0; k < gc_collector_count; k++) { /* each collector once, over the system allocator */
        if (!collector_options[k][0]) continue;
        char name[GC_HEAP_NAME_MAX];
        snprintf(name, sizeof name, "%s%s", gc_collectors[k]->name,
                 (gc_collectors[k]->caps & GC_CAP_OWN_ALLOCATOR) ? "" : "/system");
        mm_error err = {{0}};
        gc_config cfg = {.options = collector_options[k]};
        gc_heap *h = gc_open_named(name, &cfg, &err);
        if (h == NULL) {
            fprintf(stderr, "mmbench_bench: %s\n", err.message);
            exit(2);
        }
        gc_close(h);
    }
}

/* One pass on a fresh heap; the counted one keeps its counters. */
static int64_t gc_pass_on_fresh_heap(gc_case *k, bool counted, wl_timer *timer, const char **error) {
    mm_error err = {{0}};
    gc_config cfg = {.limit = k->limit, .options = k->options, .alloc_options = k->alloc_options};
    gc_heap *h = gc_open_named(k->name, &cfg, &err);
    if (h == NULL) {
        snprintf(k->error, sizeof k->error, "%s", err.message);
        *error = k->error;
        return -1;
    }
    wl_ctx c;
    memset(&c, 0, sizeof c);
    c.gc = h;
    c.heap = h->alloc;
    c.param = k->param;
    c.iterations = k->workload->iterations(k->param);
    c.timer = timer;
    uint64_t started = gc_now_ns();
    k->workload->run(&c);
    wl_timer_stop(timer); /* a loop left early (an error) */
    if (counted) {
        k->wall_ns = gc_now_ns() - started;
        gc_stats_get(h, &k->stats);
        if (h->alloc) {
            mm_stats ms;
            mm_stats_get(h->alloc, &ms);
            k->footprint = (double)ms.peak_footprint;
        } else {
            k->footprint = (double)GC_get_heap_size();
        }
        k->counted = h->collector->caps & (GC_CAP_COUNTS | GC_CAP_DELETE); /* boehm keeps no object counts */
    }
    k->check_failures += gc_check(h);
    k->sink ^= c.sink;
    gc_close(h);
    *error = c.error;
    return c.error ? -1 : c.ops;
}

/* The counted pass: first in the process, untimed, at the normal priority: its pauses are
 * wall time (wl_realtime_suspend says why). */
static bool counted_pass(wl_bench *b, gc_case *k) {
    wl_timer untimed = {0};
    const char *error = NULL;
    bool suspended = wl_realtime_suspend();
    k->pauses_realtime = sched_getscheduler(0) == SCHED_FIFO;
    int64_t ops = gc_pass_on_fresh_heap(k, true, &untimed, &error);
    wl_realtime_resume(suspended);
    if (ops < 0) wl_bench_fail(b, error);
    return ops >= 0;
}

/* A warm-up or a sample (wl_pass_fn), at the process's priority. */
static int64_t timed_pass(void *arg, wl_timer *timer, const char **error) {
    return gc_pass_on_fresh_heap(arg, false, timer, error);
}

static void run_gc_passes(wl_bench *b, void *arg) {
    gc_case *k = arg;
    k->check_failures = 0;
    if (!counted_pass(b, k) || !wl_sample_passes(b, sampling, timed_pass, k)) return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const gc_stats *s = &k->stats;
    for (int g = 0; g < GC_GENERATIONS; g++) {
        char name[32];
        snprintf(name, sizeof name, "gc_collections%d", g);
        wl_bench_counter(b, name, (double)s->collections[g]);
        if (!k->counted) continue;
        snprintf(name, sizeof name, "gc_collected%d", g);
        wl_bench_counter(b, name, (double)s->collected[g]);
        snprintf(name, sizeof name, "gc_uncollectable%d", g);
        wl_bench_counter(b, name, (double)s->uncollectable[g]);
    }
    if (k->counted) {
        wl_bench_counter(b, "gc_collected", (double)(s->collected[0] + s->collected[1] + s->collected[2]));
        wl_bench_counter(b, "gc_uncollectable",
                         (double)(s->uncollectable[0] + s->uncollectable[1] + s->uncollectable[2]));
        wl_bench_counter(b, "gc_leaked", (double)s->objects_live);
        wl_bench_counter(b, "gc_finalizers", (double)s->finalizers_run);
    }
    wl_bench_counter(b, "gc_time_frac", k->wall_ns ? (double)s->gc_ns / (double)k->wall_ns : 0.0);
    wl_bench_counter(b, "gc_pauses", (double)s->pauses);
    wl_bench_counter(b, "pause_max_ns", (double)s->pause_max_ns);
    wl_bench_counter(b, "pause_p50_ns", (double)s->pause_p50_ns);
    wl_bench_counter(b, "pause_p99_ns", (double)s->pause_p99_ns);
    wl_bench_counter(b, "collection_time_frac", k->wall_ns ? (double)s->collection_ns / (double)k->wall_ns : 0.0);
    wl_bench_counter(b, "gc_collection_pauses", (double)s->collection_pauses);
    wl_bench_counter(b, "collection_pause_max_ns", (double)s->collection_pause_max_ns);
    wl_bench_counter(b, "collection_pause_p50_ns", (double)s->collection_pause_p50_ns);
    wl_bench_counter(b, "collection_pause_p99_ns", (double)s->collection_pause_p99_ns);
    wl_bench_counter(b, "peak_footprint", k->footprint);
    wl_bench_counter(b, "rss_peak", (double)ru.ru_maxrss * 1024.0);
    wl_bench_counter(b, "check_failures", (double)k->check_failures);
    wl_bench_counter(b, "pauses_realtime", k->pauses_realtime);
    wl_bench_counter(b, "sink", (double)(k->sink & 1));
}

static void run_gc_case(wl_bench *b, void *arg) {
    gc_case *k = arg;
    wl_run_benchmark(b, sampling, k->workload->threads, run_gc_passes, k);
}

void gc_bench_register(const bench_options *strategy_options, const bench_options *collector_options, size_t limit,
                       const wl_sampling *how) {
    static gc_case cases[4096];
    sampling = how;
    size_t n = 0, heap_count = matrix();
    for (size_t w = 0; w < wl_workload_count; w++) {
        wl_workload *wl = wl_workloads[w];
        if (!wl->collected) continue;
        for (size_t i = 0; i < heap_count && n < sizeof cases / sizeof *cases; i++) {
            const gc_matrix_heap *heap = &heaps[i];
            gc_case *k = &cases[n++];
            *k = (gc_case){.workload = wl, .name = heap->name, .limit = limit,
                           .options = given(collector_options[index_of_collector(heap->collector)]),
                           .alloc_options = heap->strategy ? given(strategy_options[index_of_strategy(heap->strategy)]) : NULL};
            for (size_t p = 0; p < wl->param_count; p++) k->param[p] = wl->params[p].value;
            char bench_name[200];
            snprintf(bench_name, sizeof bench_name, "%s/%s", wl->name, k->name);
            wl_bench_register(bench_name, run_gc_case, k);
        }
    }
}

void gc_bench_list_json(void (*json_name)(const char *s)) {
    printf(",\n\"collectors\": [");
    for (size_t i = 0; i < gc_collector_count; i++) {
        const gc_collector *c = gc_collectors[i];
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_name(c->name);
        printf(", \"summary\": ");
        json_name(c->summary);
        printf(", \"own_allocator\": %s, \"options\": ", (c->caps & GC_CAP_OWN_ALLOCATOR) ? "true" : "false");
        json_name(c->defaults);
        printf("}");
    }
    printf("],\n\"gc_default_allocators\": [");
    for (size_t i = 0; gc_default_allocators[i]; i++) {
        printf("%s", i ? ", " : "");
        json_name(gc_default_allocators[i]);
    }
    printf("],\n\"gc_heaps\": [");
    for (size_t i = 0, n = matrix(); i < n; i++) {
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_name(heaps[i].name);
        printf(", \"collector\": ");
        json_name(heaps[i].collector->name);
        printf(", \"allocator\": ");
        if (heaps[i].strategy) json_name(heaps[i].strategy->name);
        else printf("null");
        printf(", \"default\": %s}", heaps[i].in_default ? "true" : "false");
    }
    printf("]");
}
