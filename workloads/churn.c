/* churn.c — random-replacement churn: N live slots; each step frees the block in a
 * random slot and allocates a new one of a random size in [min_size, max_size].
 *
 * The classic synthetic allocator workload (Zorn & Grunwald's random-replacement model):
 * a steady state with no phases, so it measures raw speed and the fragmentation a policy
 * settles into. Setup fills every slot (untimed); the timed loop runs `steps` steps in
 * batches of BATCH. Each step is two operations (one free, one alloc).
 */
#include "workloads/wl.h"

enum { P_LIVE, P_STEPS, P_MIN, P_MAX, P_SEED };
enum { BATCH = 1000 };

static wl_param churn_params[] = {
    [P_LIVE] = {"live", "blocks alive at once", 100000, 1, 1e8, true},
    [P_STEPS] = {"steps", "timed replacements, a multiple of 1000", 500000, 1000, 1e10, true},
    [P_MIN] = {"min_size", "smallest block in bytes", 16, 0, 1 << 30, true},
    [P_MAX] = {"max_size", "largest block in bytes", 512, 0, 1 << 30, true},
    [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},
};

static int64_t churn_iterations(const double *param) { return (int64_t)param[P_STEPS] / BATCH; }

static const char *churn_validate(const double *param) {
    if (param[P_MIN] > param[P_MAX]) return "churn.min_size must not exceed churn.max_size";
    if ((int64_t)param[P_STEPS] % BATCH) return "churn.steps must be a multiple of 1000";
    return NULL;
}

static inline __attribute__((always_inline)) void churn_body(wl_ctx *c, const bool metered) {
    const size_t live = (size_t)c->param[P_LIVE];
    const uint64_t lo = (uint64_t)c->param[P_MIN], hi = (uint64_t)c->param[P_MAX];
    wl_rng r;
    wl_rng_seed(&r, (uint64_t)c->param[P_SEED]);
    void **slot = wl_scratch_alloc(live * sizeof *slot);
    uint32_t *size = wl_scratch_alloc(live * sizeof *size);
    if (!slot || !size) {
        c->error = "no memory for the slot table";
        goto out;
    }
    for (size_t i = 0; i < live; i++) {
        size[i] = (uint32_t)wl_rng_range(&r, lo, hi);
        if ((slot[i] = wl_alloc(c, size[i], metered)) == NULL) goto out;
    }
    int64_t left = c->iterations;
    while (wl_next(c, &left)) {
        for (int k = 0; k < BATCH; k++) {
            size_t i = (size_t)wl_rng_below(&r, live);
            uint32_t n = (uint32_t)wl_rng_range(&r, lo, hi);
            wl_free(c, slot[i], size[i], metered);
            if ((slot[i] = wl_alloc(c, n, metered)) == NULL) goto out;
            size[i] = n;
        }
    }
    c->ops = c->iterations * BATCH * 2;
out:
    if (slot && size)
        for (size_t i = 0; i < live; i++)
            if (slot[i]) wl_free(c, slot[i], size[i], metered);
    wl_scratch_free(slot, live * sizeof *slot);
    wl_scratch_free(size, live * sizeof *size);
}

WL_PASSES(churn_run, churn_body)

wl_workload wl_churn = {
    .name = "churn",
    .summary = "random-replacement churn: N live blocks, each step frees a random one and allocates a new one",
    .origin = "Zorn & Grunwald's random-replacement model; uniform sizes, steady state",
    .threads = 1,
    .params = churn_params,
    .param_count = sizeof churn_params / sizeof churn_params[0],
    .iterations = churn_iterations,
    .validate = churn_validate,
    .run = churn_run,
};
