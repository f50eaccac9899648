/* large.c — multi-MiB blocks: `live` buffers of min_size..max_size bytes (default 10 of
 * 2-15 MiB, mimalloc's malloc-large test shape); each step frees a random one and
 * allocates another of a random size, writing a byte in every page of it, as a program
 * that uses its buffers does.
 *
 * Every request is past the strategies' large thresholds (pool hands it to its fallback,
 * buddy and the fits give it a mapping of its own), so this measures how they get big
 * blocks from the OS: with a cache of freed mappings (the page layer's, and glibc's
 * heap under its dynamic mmap threshold) a step makes no system call and takes no page
 * fault; without one, every step maps, faults in every page, and unmaps. The pages the
 * cache keeps show in the footprint. Each step is two operations (one free, one alloc).
 * A strategy that never frees (bump) is refused with the reason: it would hold every
 * buffer ever allocated, gigabytes, resident.
 */
#include "workloads/wl.h"

enum { P_LIVE, P_STEPS, P_MIN, P_MAX, P_SEED };
enum { PAGE = 4096 };

static wl_param large_params[] = {
    [P_LIVE] = {"live", "buffers alive at once", 10, 1, 1000, true},
    [P_STEPS] = {"steps", "timed replacements", 1000, 1, 1e7, true},
    [P_MIN] = {"min_size", "smallest buffer in bytes", 2 << 20, 4096, 1 << 30, true},
    [P_MAX] = {"max_size", "largest buffer in bytes", 15 << 20, 4096, 1 << 30, true},
    [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},
};

static int64_t large_iterations(const double *param) { return (int64_t)param[P_STEPS]; }

static const char *large_validate(const double *param) {
    return param[P_MIN] > param[P_MAX] ? "large.min_size must not exceed large.max_size" : NULL;
}

/* A fresh buffer with a byte written in every page. */
static inline __attribute__((always_inline)) void *take(wl_ctx *c, uint32_t size, const bool metered) {
    unsigned char *p = wl_alloc(c, size, metered);
    for (uint32_t at = PAGE; p && at < size; at += PAGE) p[at] = (unsigned char)at;
    return p;
}

static inline __attribute__((always_inline)) void large_body(wl_ctx *c, const bool metered) {
    const size_t live = (size_t)c->param[P_LIVE];
    const uint64_t lo = (uint64_t)c->param[P_MIN], hi = (uint64_t)c->param[P_MAX];
    wl_rng r;
    wl_rng_seed(&r, (uint64_t)c->param[P_SEED]);
    void *slot[1000] = {0};
    uint32_t size[1000] = {0};
    for (size_t i = 0; i < live; i++) {
        size[i] = (uint32_t)wl_rng_range(&r, lo, hi);
        if ((slot[i] = take(c, size[i], metered)) == NULL) goto out;
    }
    int64_t left = c->iterations;
    while (wl_next(c, &left)) {
        size_t i = (size_t)wl_rng_below(&r, live);
        uint32_t n = (uint32_t)wl_rng_range(&r, lo, hi);
        wl_free(c, slot[i], size[i], metered);
        if ((slot[i] = take(c, n, metered)) == NULL) goto out;
        size[i] = n;
    }
    c->ops = c->iterations * 2;
out:
    for (size_t i = 0; i < live; i++)
        if (slot[i]) wl_free(c, slot[i], size[i], metered);
}

wl_workload wl_large;

static void large_run(wl_ctx *c) {
    if ((c->error = wl_refusal(&wl_large, c->heap->strategy)) != NULL) return;
    if (c->timer) large_body(c, false);
    else large_body(c, true);
}

wl_workload wl_large = {
    .name = "large",
    .summary = "multi-MiB blocks: 10 buffers of 2-15 MiB, each step frees one and allocates another, touching every page",
    .origin = "mimalloc-bench's malloc-large (a cache of freed mappings is what keeps it fast)",
    .threads = 1,
    .params = large_params,
    .param_count = sizeof large_params / sizeof large_params[0],
    .iterations = large_iterations,
    .validate = large_validate,
    .run = large_run,
    .refuses_no_free = "never frees: it would hold every buffer this workload allocates, gigabytes",
};
