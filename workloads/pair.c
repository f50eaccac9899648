/* pair.c — a tight alloc/free pair of one fixed size: the allocator's fast path alone.
 *
 * Each step allocates a block of `size` bytes, writes it, reads it back and frees it, so a
 * strategy that caches the last freed block hands the same memory back every time: this
 * measures the per-call cost of the alloc and free paths (two operations per step) with
 * everything in cache, the number production allocators optimise first. A few blocks stay
 * live beside it (`live`), so the pair runs in a heap that is not empty.
 */
#include "workloads/wl.h"

enum { P_SIZE, P_STEPS, P_LIVE };
enum { BATCH = 1000 };

static wl_param pair_params[] = {
    [P_SIZE] = {"size", "bytes per block", 32, 0, 1 << 30, true},
    [P_STEPS] = {"steps", "timed alloc/free pairs, a multiple of 1000", 2000000, 1000, 1e10, true},
    [P_LIVE] = {"live", "blocks kept alive beside the pair", 16, 0, 1e6, true},
};

static int64_t pair_iterations(const double *param) { return (int64_t)param[P_STEPS] / BATCH; }

static const char *pair_validate(const double *param) {
    return (int64_t)param[P_STEPS] % BATCH ? "pair.steps must be a multiple of 1000" : NULL;
}

static inline __attribute__((always_inline)) void pair_body(wl_ctx *c, const bool metered) {
    const size_t size = (size_t)c->param[P_SIZE], live = (size_t)c->param[P_LIVE];
    void **slot = wl_scratch_alloc(live * sizeof *slot);
    size_t kept = 0;
    if (!slot) {
        c->error = "no memory for the slot table";
        return;
    }
    for (; kept < live; kept++)
        if ((slot[kept] = wl_alloc(c, size, metered)) == NULL) goto out;
    int64_t left = c->iterations;
    while (wl_next(c, &left)) {
        for (int k = 0; k < BATCH; k++) {
            void *p = wl_alloc(c, size, metered);
            if (p == NULL) goto out;
            wl_free(c, p, size, metered);
        }
    }
    c->ops = c->iterations * BATCH * 2;
out:
    for (size_t i = 0; i < kept; i++) wl_free(c, slot[i], size, metered);
    wl_scratch_free(slot, live * sizeof *slot);
}

WL_PASSES(pair_run, pair_body)

wl_workload wl_pair = {
    .name = "pair",
    .summary = "a tight alloc/free pair of one fixed size (default 32 B): the fast path alone",
    .origin = "the microbenchmark every production allocator is tuned on",
    .threads = 1,
    .params = pair_params,
    .param_count = sizeof pair_params / sizeof pair_params[0],
    .iterations = pair_iterations,
    .validate = pair_validate,
    .run = pair_run,
};
