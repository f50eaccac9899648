/* wl.h — workloads: operation streams that drive a strategy through the mm.h table.
 *
 * Vocabulary
 *   workload   a named generator (wl_workload) with typed parameters and a run function,
 *              listed once in workloads.def.
 *   pass       one run of a workload on a fresh heap; every pass of a benchmark has the
 *              same seed and therefore the same operations:
 *                metered pass  untimed, first; every operation also updates the meter,
 *                              which reads the strategy's stats after each one (exact peaks);
 *                timed pass    the same operations with no metering, its timed loop under
 *                              a wl_timer (c->timer).
 *              A workload's body is written once, as an always-inline function taking
 *              `metered` as a constant, so the timed pass carries no metering code at all
 *              (WL_PASSES below makes its run function from it).
 *   sample     one timed pass whose clocks are recorded. A process runs its untimed first
 *              pass (an allocator workload's metered pass, a GC workload's counted pass:
 *              the process's warm-up), then `warmups` timed passes unrecorded, then up to
 *              `samples` recorded ones (wl_sampling, wl_sample_passes): each a whole pass
 *              of the same operations from a fresh heap, so samples are alike by
 *              construction, whatever shape the workload has over time (gen's phases, a
 *              trace's program).
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
    struct wl_timer *timer; /* the timed pass's clocks; NULL in the metered pass */
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
    const char *full_suite_only; /* non-NULL: why a run measures it only in the full suite or when
                                  * named (the harness's choice; the binary registers it always) */
} wl_workload;

/* Why `w` cannot run on strategy `s` (refuses_no_free for a strategy that never frees),
 * or NULL: such a pair is never registered as a benchmark. */
const char *wl_refusal(const wl_workload *w, const mm_strategy *s);

/* The registry, from workloads.def. */
extern wl_workload *const wl_workloads[];
extern const size_t wl_workload_count;
wl_workload *wl_workload_find(const char *name);

/* Sets workload parameter `name` from text; returns NULL or a one-line error. */
const char *wl_param_set(wl_workload *w, const char *name, const char *text, char *buf, size_t cap);
/* The index of `text` in a parameter's '|'-separated choices, or -1. */
int wl_param_choice(const wl_param *p);

/* The time budget: the metered pass runs first and stops at its deadline (checked every
 * 16 iterations); the timed passes then run exactly as many iterations, so every pass
 * still does the same operations. A strategy whose cost grows with the heap (a linear
 * free-list scan) is then measured over a prefix of the work instead of for an hour; the
 * `completed` counter says how much (1 = all of it). */
double wl_now(void);

/* The clocks of one timed pass, read when its timed loop starts (the first wl_next) and
 * when it ends (wl_next returning false), so they cover the loop alone, setup and teardown
 * left out:
 *   wall  CLOCK_MONOTONIC
 *   cpu   CLOCK_PROCESS_CPUTIME_ID: the CPU time of every thread of the process. For a
 *         single-threaded workload that is its one thread's time (nothing else runs during
 *         the loop), plus what a helper thread of the strategy does for it (Boehm's
 *         parallel markers), which the thread's own clock would leave out; for a
 *         multi-threaded one, the CPU time of all its threads together.
 * A timer that `collects` also switches callgrind's collection on and off at the same two
 * points (./mmbench run --counts: instructions of the timed loop alone; outside valgrind a
 * few no-op instructions). A loop that never started (an error first) reads 0 on both. */
typedef struct wl_timer {
    bool collects;
    bool running;
    double wall0, cpu0;
    double wall_ns, cpu_ns; /* the loop's, once it has ended */
} wl_timer;

void wl_timer_start(wl_timer *t);
void wl_timer_stop(wl_timer *t);

/* The timed loop's condition. Metered pass: a countdown of c->iterations, cut short by the
 * deadline. Timed pass: the same countdown, which starts the clocks at its first call and
 * stops them when it runs out. */
static inline bool wl_next(wl_ctx *c, int64_t *left) {
    if (c->timer) {
        if (*left > 0) {
            if (__builtin_expect(!c->timer->running, 0)) wl_timer_start(c->timer);
            (*left)--;
            return true;
        }
        wl_timer_stop(c->timer);
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

/* How a process samples (the driver's --warmups, --samples, --budget and --realtime):
 * after the untimed first pass (metered or counted), `warmups` timed passes unrecorded,
 * then recorded ones until there are `samples`, or until the recorded passes (setup and
 * teardown included) have taken `budget` seconds (0: no limit); at least one is always
 * recorded. With `realtime`, a single-threaded benchmark runs at the lowest real-time
 * priority (SCHED_FIFO 1) when the system allows it (root, CAP_SYS_NICE or
 * RLIMIT_RTPRIO), its metered pass too (so the budget cuts it at the same step however
 * busy the machine is): other jobs then wait for it instead of preempting it (the kernel
 * still keeps 5% of each CPU for them, sched_rt_runtime_us). A GC workload's counted pass
 * is the exception: it runs at the normal priority (gc_bench.c, wl_realtime_suspend).
 * Workloads with threads of their own stay at the normal priority: at real-time priority
 * they could take every core. */
typedef struct wl_sampling {
    int warmups;
    int samples;
    double budget;
    bool realtime;
} wl_sampling;

/* One timed pass of a benchmark: runs it under `timer` and returns the operations of its
 * timed loop, or -1 with *error set (the benchmark failed). */
typedef int64_t (*wl_pass_fn)(void *arg, wl_timer *timer, const char **error);

/* Runs a benchmark's timed passes as `how` says and reports them as counters: `samples`
 * (how many were recorded), `wall_ns_per_op.K` and `cpu_ns_per_op.K` for K = 1..samples
 * (each sample's time per operation on each clock) and `ops` (operations of all recorded
 * loops: what callgrind's count, collected over exactly those loops, is divided by).
 * Returns false when a pass failed (the benchmark is then marked failed with its error). */
bool wl_sample_passes(wl_bench *b, const wl_sampling *how, wl_pass_fn pass, void *arg);

/* A process at real-time priority (wl_run_benchmark) goes back to the normal one until
 * wl_realtime_resume(true); false (nothing to resume) when it was not at real-time priority.
 * For a pass whose pauses are timed on the wall clock: back-to-back real-time processes
 * exhaust the kernel's real-time share (sched_rt_runtime_us, 950 ms of each second), and
 * its throttle, a stop of up to 50 ms, would land inside whatever pause is being timed. */
bool wl_realtime_suspend(void);
void wl_realtime_resume(bool suspended);

/* Runs `run(b, arg)`, a whole benchmark of `threads` threads, at real-time priority when
 * `how` asks for it and the system allows it (see wl_sampling), and reports the counter
 * `realtime` (1 when it did). */
void wl_run_benchmark(wl_bench *b, const wl_sampling *how, int threads, void (*run)(wl_bench *b, void *arg),
                      void *arg);

/* THE bench/meter dispatch: defines `static void run(wl_ctx *c)`, one pass of a workload
 * whose body is an always-inline `body(c, metered)`: the metered pass (no c->timer) calls
 * it with `metered` true, the timed pass with false, so each is compiled on its own and
 * the timed one carries no metering code (see "pass" above). */
#define WL_PASSES(run, body)                                                                  \
    static void run(wl_ctx *c) {                                                              \
        if (c->timer) body(c, false);                                                         \
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
