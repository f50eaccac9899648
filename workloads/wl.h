/* wl.h — workloads: operation streams that drive a strategy through the mm.h table.
 *
 * Vocabulary
 *   workload   a named generator (wl_workload) with typed parameters and a run function,
 *              listed once in workloads.def.
 *   pass       the driver (bench_main.c) runs a workload twice on fresh heaps, with the
 *              same seed and therefore the same operations:
 *                metered pass  untimed; every operation also updates the meter, which reads
 *                              the strategy's stats after each one (exact peaks);
 *                timed pass    the same operations with no metering, under Google Benchmark.
 *              A workload's body is written once, as an always-inline function taking
 *              `metered` as a constant, so the timed pass carries no metering code at all
 *              (WL_PASSES below makes its run function from it).
 *   step       one unit of a workload's timed loop; an operation is one alloc or one free.
 *
 * The meter's definitions are the project's metrics (docs/metrics.md):
 *   peak_live          most requested bytes alive at once
 *   peak_footprint     most bytes the heap held from the OS at once
 *   footprint_at_peak  footprint at the moment live bytes peaked
 *   usable_at_peak     sum of usable_size over the blocks alive at that moment
 */
#ifndef WL_H
#define WL_H

#include "allocators/mm.h"
#include "workloads/rng.h"
#include "workloads/shim/bench.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wl_param {
    const char *name;
    const char *help;
    double value; /* the default until --param sets it */
    double min, max;
    bool integer;
    /* A text-valued parameter (a preset name, a file path) has `text` non-NULL: its
     * default, replaced by --param; `value` is then unused. `choices`, when non-NULL, is a
     * '|'-separated list the text must be one of. `set` records that --param gave it. */
    const char *text;
    const char *choices;
    bool set;
} wl_param;

typedef struct wl_meter {
    size_t live, live_usable;
    size_t peak_live, footprint_at_peak, usable_at_peak;
    size_t peak_footprint;
    uint64_t checksum; /* of the operation stream: same seed, same checksum */
} wl_meter;

typedef struct wl_ctx {
    mm_heap *heap;   /* the driver checks and closes whatever heap is here after the run: a
                      * workload may put another in its place (threads.c wraps it) */
    mm_config config; /* what `heap` was opened with, for a workload that opens more */
    wl_bench *bench; /* the timed pass's Google Benchmark state; NULL in the metered pass */
    const double *param;  /* the workload's parameter values, in declaration order */
    int64_t iterations;   /* timed-loop iterations (the same in both passes) */
    double deadline;      /* metered pass: wl_now() after which wl_next stops; 0 = none */
    int64_t done;         /* metered pass: iterations run */
    bool cut;             /* metered pass: the deadline stopped it before `iterations` */
    int64_t ops;          /* allocator operations in the timed loop */
    wl_meter meter;
    const char *error;    /* set by a workload that could not go on (allocation failed) */
    unsigned char sink;   /* bytes read back from blocks, so no alloc/free pair is elided */
    struct gc_heap *gc;   /* GC workloads: the collector under test (heap is the allocator below it) */
} wl_ctx;

typedef struct wl_workload {
    const char *name;
    const char *summary; /* what it models */
    const char *origin;  /* where its shape comes from */
    int threads;         /* 1: single-threaded */
    wl_param *params;
    size_t param_count;
    /* Timed-loop iterations for these parameters (fixed, so every repetition does the same
     * work); and a cross-parameter check returning a message, or NULL when fine. */
    int64_t (*iterations)(const double *param);
    const char *(*validate)(const double *param);
    void (*run)(wl_ctx *c); /* runs one pass; see wl_next */
    bool collected;         /* a GC workload: runs on a collector, named W/COLLECTOR/STRATEGY (gc_bench.c) */
    const char *refuses_no_free; /* non-NULL: why a strategy without MM_CAP_FREE cannot run it */
} wl_workload;

/* The registry, from workloads.def. */
extern wl_workload *const wl_workloads[];
extern const size_t wl_workload_count;
wl_workload *wl_workload_find(const char *name);

/* Sets workload parameter `name` from text; returns NULL or a one-line error. */
const char *wl_param_set(wl_workload *w, const char *name, const char *text, char *buf, size_t cap);
/* The index of `text` in a parameter's '|'-separated choices, or -1. */
int wl_param_choice(const wl_param *p);

/* The time budget: the metered pass runs first and stops at its deadline (checked every
 * 16 iterations); the timed pass then runs exactly as many iterations, so both passes
 * still do the same operations. A strategy whose cost grows with the heap (a linear
 * free-list scan) is then measured over a prefix of the work instead of for an hour; the
 * `completed` counter says how much (1 = all of it). */
double wl_now(void);

/* The timed loop's condition. Metered pass: a countdown of c->iterations, cut short by the
 * deadline. Timed pass: Google Benchmark's loop for the same count; iterations it was
 * registered with beyond that (the budget cut the metered pass) are drained empty. */
static inline bool wl_next(wl_ctx *c, int64_t *left) {
    if (c->bench) {
        if (*left > 0) {
            (*left)--;
            return wl_bench_next(c->bench);
        }
        while (wl_bench_next(c->bench)) {
        }
        return false;
    }
    if (*left <= 0) return false;
    if (c->deadline > 0 && (c->done & 15) == 0 && c->done > 0 && wl_now() > c->deadline) {
        c->cut = true;
        return false;
    }
    (*left)--;
    c->done++;
    return true;
}

/* THE bench/meter dispatch: defines `static void run(wl_ctx *c)`, one pass of a workload
 * whose body is an always-inline `body(c, metered)`: the metered pass (no c->bench) calls
 * it with `metered` true, the timed pass with false, so each is compiled on its own and
 * the timed one carries no metering code (see "pass" above). */
#define WL_PASSES(run, body)                                                                  \
    static void run(wl_ctx *c) {                                                              \
        if (c->bench) body(c, false);                                                         \
        else body(c, true);                                                                   \
    }

/* Memory for a workload's own tables: mapped directly, so it never shows in the footprint
 * of the strategy under test (the system strategy shares the process's malloc). */
void *wl_scratch_alloc(size_t bytes);
void wl_scratch_free(void *p, size_t bytes);

void wl_meter_sample(wl_ctx *c);
static inline void wl_meter_mix(wl_meter *m, uint64_t v) {
    m->checksum = (m->checksum ^ v) * 0x100000001B3ull + 0x9E3779B97F4A7C15ull;
}

/* Writes into a fresh block so its pages are really touched (and the pair is not dead). */
static inline void wl_touch(void *p, size_t size, uint64_t tag) {
    if (size >= sizeof tag) {
        __builtin_memcpy(p, &tag, sizeof tag);
        ((unsigned char *)p)[size - 1] = (unsigned char)tag;
    } else if (size) {
        *(unsigned char *)p = (unsigned char)tag;
    }
}

/* The two operations every workload uses. `metered` is a compile-time constant at every
 * call site, so the timed pass compiles to the bare table call plus the touch. */
static inline __attribute__((always_inline)) void *wl_alloc_aligned(wl_ctx *c, size_t size, size_t align,
                                                                    bool metered) {
    void *p = mm_alloc(c->heap, size, align);
    if (metered) {
        wl_meter_mix(&c->meter, size);
        if (p) {
            c->meter.live += size;
            c->meter.live_usable += mm_usable_size(c->heap, p);
            wl_meter_sample(c);
        }
    }
    if (__builtin_expect(p != NULL, 1)) wl_touch(p, size, (uintptr_t)p);
    else c->error = "allocation failed";
    return p;
}

static inline __attribute__((always_inline)) void *wl_alloc(wl_ctx *c, size_t size, bool metered) {
    return wl_alloc_aligned(c, size, 0, metered);
}

/* Resizes a block of `old` requested bytes to `size`; on failure sets c->error, returns
 * NULL and the old block stays valid (and counted). */
static inline __attribute__((always_inline)) void *wl_realloc(wl_ctx *c, void *p, size_t old, size_t size,
                                                              bool metered) {
    if (old) c->sink ^= *(volatile unsigned char *)p;
    size_t old_usable = metered ? mm_usable_size(c->heap, p) : 0;
    void *q = mm_realloc(c->heap, p, size);
    if (__builtin_expect(q == NULL, 0)) {
        c->error = "reallocation failed";
        return NULL;
    }
    if (metered) {
        wl_meter_mix(&c->meter, size ^ 0x5245ull << 48);
        c->meter.live += size - old;
        c->meter.live_usable += mm_usable_size(c->heap, q) - old_usable;
        wl_meter_sample(c);
    }
    if (size > old) wl_touch((char *)q + old, size - old, (uintptr_t)q);
    return q;
}

static inline __attribute__((always_inline)) void wl_free(wl_ctx *c, void *p, size_t size, bool metered) {
    if (size) c->sink ^= *(volatile unsigned char *)p;
    if (metered) {
        c->meter.live -= size;
        c->meter.live_usable -= mm_usable_size(c->heap, p);
    }
    mm_free(c->heap, p);
    if (metered) wl_meter_sample(c);
}

#endif
