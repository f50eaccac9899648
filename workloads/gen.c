/* gen.c — the parametric churn generator: size distribution × lifetime model × phase
 * shape × operation count × seed, with named presets for the common cases.
 *
 * Vocabulary
 *   target    how many blocks the phase shape wants alive at this point of the run,
 *             target(t) for t = op / ops in [0, 1), at most `live`:
 *               steady     live
 *               ramp       live·t                    (a heap that only grows; freed at exit)
 *               peak       live·(1 − |2t − 1|)       (up to a peak, then all the way down)
 *               plateau    live·min(1, t/0.2, (1−t)/0.2)
 *               alternate  `cycles` phases: live in the first half of each, live/8 in the second
 *   step      one operation, an alloc or a free. P(alloc) = 1/2 + (target − alive)/(2·band),
 *             clamped to [0, 1], band = live/20 + 1: far below the target it only
 *             allocates, far above it only frees, near it a random walk (churn).
 *   pool      the live blocks, kept in a ring in birth order; the lifetime model says which
 *             one a free takes: lifo (newest: a stack), fifo (oldest: a queue), random
 *             (random replacement), mixed (each block is born short-lived with probability
 *             short_fraction; a free takes the oldest short-lived block with that
 *             probability, else a random long-lived one: generational behaviour).
 *   sizes     fixed (min_size), uniform [min_size, max_size], pow2 (powers of two in the
 *             range), pareto (min_size / U^(1/alpha), cut at max_size), python (pyobj.h:
 *             the requests of a 64-bit CPython's objects), trace (sizes drawn from the
 *             allocations of the trace named by gen.hist: an empirical histogram).
 *   preset    sets every shape parameter the user did not set with --param.
 *
 * Invariants
 *   a pool's ring holds exactly its live blocks; alive = Σ pool counts <= capacity;
 *   the operation stream depends only on the parameters and the seed (ops_checksum).
 * Teardown frees what is alive at the end, outside the timed loop.
 */
#include "workloads/pyobj.h"
#include "workloads/trace/trace.h"
#include "workloads/wl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { P_PRESET, P_SIZES, P_LIFETIME, P_PHASE, P_OPS, P_LIVE, P_MIN, P_MAX, P_ALPHA, P_SHORT, P_CYCLES, P_SEED, P_HIST };
enum { BATCH = 1000 };

#define SIZES "fixed|uniform|pow2|pareto|python|trace"
#define LIFETIMES "lifo|fifo|random|mixed"
#define PHASES "steady|ramp|peak|plateau|alternate"
enum { S_FIXED, S_UNIFORM, S_POW2, S_PARETO, S_PYTHON, S_TRACE };
enum { L_LIFO, L_FIFO, L_RANDOM, L_MIXED };
enum { F_STEADY, F_RAMP, F_PEAK, F_PLATEAU, F_ALTERNATE };

static wl_param gen_params[] = {
    [P_PRESET] = {"preset", "a named shape (docs/workloads.md); parameters given with --param win over it", .text = "server",
                  .choices = "server|steady|stack|queue|batch|python"},
    [P_SIZES] = {"sizes", "size distribution (unless set: the preset's)", .text = "pareto", .choices = SIZES},
    [P_LIFETIME] = {"lifetime", "which live block a free takes (unless set: the preset's)", .text = "mixed", .choices = LIFETIMES},
    [P_PHASE] = {"phase", "how the live set moves over the run (unless set: the preset's)", .text = "plateau", .choices = PHASES},
    [P_OPS] = {"ops", "timed operations (allocs + frees), a multiple of 1000", 1000000, 1000, 1e10, true},
    [P_LIVE] = {"live", "blocks alive at the top of the phase shape", 50000, 1, 1e8, true},
    [P_MIN] = {"min_size", "smallest block in bytes (unless set: the preset's)", 16, 0, 1 << 30, true},
    [P_MAX] = {"max_size", "largest block in bytes (unless set: the preset's)", 65536, 0, 1 << 30, true},
    [P_ALPHA] = {"alpha", "pareto tail index, smaller is heavier (unless set: the preset's)", 1.2, 0.1, 10, false},
    [P_SHORT] = {"short_fraction", "mixed lifetimes: share of blocks born short-lived", 0.9, 0, 1, false},
    [P_CYCLES] = {"cycles", "alternate: number of big/small phase pairs", 4, 1, 1000, true},
    [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},
    [P_HIST] = {"hist", "sizes=trace: the trace whose allocation sizes are drawn", .text = ""},
};

/* What a preset sets; NULL / negative = leave the parameter's own value. The parameters'
 * defaults are the default preset's (server), so ./mmbench list shows what runs. */
typedef struct preset {
    const char *name, *sizes, *lifetime, *phase;
    double min, max, alpha;
} preset;

static const preset presets[] = {
    {"server", "pareto", "mixed", "plateau", 16, 65536, 1.2},  /* requests: short-lived buffers beside a long-lived cache */
    {"steady", "uniform", "random", "steady", 16, 512, -1},  /* random replacement at a constant live set (the classic) */
    {"stack", "pow2", "lifo", "alternate", 16, 4096, -1},  /* recursion and arenas: build up, unwind, again */
    {"queue", "fixed", "fifo", "steady", 256, 256, -1},  /* a message queue or buffer pool: first in, first out */
    {"batch", "pareto", "random", "peak", 16, 16384, 1.5},  /* a batch job or compiler pass: grow to a peak, free it all */
    {"python", "python", "mixed", "ramp", 24, 4096, -1},  /* an interpreter's object heap: young objects die, the heap grows */
};

typedef struct gen_config {
    int sizes, lifetime, phase;
    uint64_t ops, live, min, max, cycles, seed;
    double alpha, short_fraction;
} gen_config;

static int choice_of(const char *choices, const char *text) {
    wl_param p = {.text = text, .choices = choices};
    return wl_param_choice(&p);
}

/* The parameters after the preset: --param values win over the preset's. */
static gen_config resolve(const double *param) {
    const preset *ps = &presets[0];
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        if (strcmp(presets[i].name, gen_params[P_PRESET].text) == 0) ps = &presets[i];
    const wl_param *g = gen_params;
#define PICK_TEXT(i, preset_value) (g[i].set || !(preset_value) ? g[i].text : (preset_value))
#define PICK_NUM(i, preset_value) (g[i].set || (preset_value) < 0 ? param[i] : (preset_value))
    gen_config c = {
        .sizes = choice_of(SIZES, PICK_TEXT(P_SIZES, ps->sizes)),
        .lifetime = choice_of(LIFETIMES, PICK_TEXT(P_LIFETIME, ps->lifetime)),
        .phase = choice_of(PHASES, PICK_TEXT(P_PHASE, ps->phase)),
        .ops = (uint64_t)param[P_OPS],
        .live = (uint64_t)param[P_LIVE],
        .min = (uint64_t)PICK_NUM(P_MIN, ps->min),
        .max = (uint64_t)PICK_NUM(P_MAX, ps->max),
        .alpha = PICK_NUM(P_ALPHA, ps->alpha),
        .short_fraction = param[P_SHORT],
        .cycles = (uint64_t)param[P_CYCLES],
        .seed = (uint64_t)param[P_SEED],
    };
#undef PICK_TEXT
#undef PICK_NUM
    return c;
}

/* sizes=trace: the allocation sizes of gen.hist, loaded once. */
static struct {
    char path[4096];
    uint64_t *sizes;
    size_t count;
    char error[4400];
} hist;

static const char *load_hist(void) {
    const char *path = gen_params[P_HIST].text;
    if (!path[0]) return "gen.sizes=trace needs gen.hist=FILE (a trace whose allocation sizes to draw)";
    if (hist.sizes && strcmp(hist.path, path) == 0) return NULL;
    wl_replay_prog p;
    wl_trace_error err = {0};
    if (!wl_replay_load(path, &p, false, &err)) {
        snprintf(hist.error, sizeof hist.error, "%s: byte %llu: %s", path, (unsigned long long)err.offset, err.message);
        return hist.error;
    }
    if (hist.sizes) wl_scratch_free(hist.sizes, hist.count * sizeof *hist.sizes);
    hist.count = 0;
    for (size_t i = 0; i < p.count; i++) hist.count += p.ops[i].kind == WL_REPLAY_ALLOC || p.ops[i].kind == WL_REPLAY_CALLOC;
    hist.sizes = wl_scratch_alloc(hist.count * sizeof *hist.sizes);
    for (size_t i = 0, k = 0; hist.sizes && i < p.count; i++)
        if (p.ops[i].kind == WL_REPLAY_ALLOC || p.ops[i].kind == WL_REPLAY_CALLOC) hist.sizes[k++] = p.ops[i].size;
    wl_replay_free(&p);
    snprintf(hist.path, sizeof hist.path, "%s", path);
    return hist.sizes ? NULL : "no memory for the size histogram";
}

static int64_t gen_iterations(const double *param) { return (int64_t)param[P_OPS] / BATCH; }

static const char *gen_validate(const double *param) {
    static char msg[300];
    gen_config c = resolve(param);
    if ((int64_t)param[P_OPS] % BATCH) return "gen.ops must be a multiple of 1000";
    if (c.min > c.max) {
        snprintf(msg, sizeof msg, "gen.min_size (%llu) must not exceed gen.max_size (%llu) (preset %s)",
                 (unsigned long long)c.min, (unsigned long long)c.max, gen_params[P_PRESET].text);
        return msg;
    }
    if (c.sizes == S_TRACE) return load_hist();
    return NULL;
}

static inline uint64_t draw_size(const gen_config *g, wl_rng *r) {
    switch (g->sizes) {
    case S_FIXED: return g->min;
    case S_UNIFORM: return wl_rng_range(r, g->min, g->max);
    case S_POW2: {
        unsigned lo = 0, hi = 0;
        while (((uint64_t)1 << lo) < g->min) lo++;
        while (hi < 62 && ((uint64_t)2 << hi) <= g->max) hi++;
        return hi < lo ? g->min : (uint64_t)1 << wl_rng_range(r, lo, hi);
    }
    case S_PARETO: {
        double u = ((double)(wl_rng_next(r) >> 11) + 1.0) * 0x1p-53; /* (0, 1] */
        double s = (double)(g->min ? g->min : 1) * exp(-log(u) / g->alpha);
        return s >= (double)g->max ? g->max : (uint64_t)s;
    }
    case S_PYTHON: return wl_py_sample_size(r);
    default: return hist.sizes[wl_rng_below(r, hist.count)];
    }
}

static inline uint64_t target_at(const gen_config *g, uint64_t op) {
    double t = (double)op / (double)g->ops, live = (double)g->live, f;
    switch (g->phase) {
    case F_RAMP: f = t; break;
    case F_PEAK: f = 1.0 - fabs(2.0 * t - 1.0); break;
    case F_PLATEAU: f = fmin(1.0, fmin(t / 0.2, (1.0 - t) / 0.2)); break;
    case F_ALTERNATE: f = fmod(t * (double)g->cycles, 1.0) < 0.5 ? 1.0 : 0.125; break;
    default: f = 1.0;
    }
    return (uint64_t)(live * f);
}

/* A ring of live blocks in birth order. */
typedef struct pool {
    void **ptr;
    uint32_t *size;
    size_t head, count, cap; /* cap: a power of two */
} pool;

static inline size_t at(const pool *p, size_t k) { return (p->head + k) & (p->cap - 1); }

static inline void pool_push(pool *p, void *block, uint32_t size) {
    size_t i = at(p, p->count++);
    p->ptr[i] = block;
    p->size[i] = size;
}

/* Removes the k-th oldest block (k = 0 oldest, count-1 newest) into *block / *size. A
 * middle block is replaced by the newest, so only random victims disturb birth order. */
static inline void pool_take(pool *p, size_t k, void **block, uint32_t *size) {
    size_t i = at(p, k);
    *block = p->ptr[i];
    *size = p->size[i];
    if (k == 0) {
        p->head = (p->head + 1) & (p->cap - 1);
    } else if (k != p->count - 1) {
        size_t last = at(p, p->count - 1);
        p->ptr[i] = p->ptr[last];
        p->size[i] = p->size[last];
    }
    p->count--;
}

static inline __attribute__((always_inline)) void gen_body(wl_ctx *c, const bool metered) {
    const gen_config g = resolve(c->param);
    size_t cap = 1024;
    while (cap < g.live * 2 + 1024) cap <<= 1;
    pool pools[2] = {{0}}; /* [0] long-lived (or the only pool), [1] short-lived (mixed) */
    for (int k = 0; k < 2; k++) {
        pools[k].cap = cap;
        pools[k].ptr = wl_scratch_alloc(cap * sizeof(void *));
        pools[k].size = wl_scratch_alloc(cap * sizeof(uint32_t));
        if (!pools[k].ptr || !pools[k].size) {
            c->error = "no memory for the live-block pools";
            goto out;
        }
    }
    if (g.sizes == S_TRACE && load_hist()) {
        c->error = load_hist();
        goto out;
    }
    wl_rng r;
    wl_rng_seed(&r, g.seed);
    const double band = (double)g.live / 20.0 + 1.0;
    uint64_t op = 0;
    int64_t left = c->iterations;
    while (wl_next(c, &left)) {
        for (int b = 0; b < BATCH; b++, op++) {
            const size_t alive = pools[0].count + pools[1].count;
            const double p_alloc = 0.5 + ((double)target_at(&g, op) - (double)alive) / (2.0 * band);
            const bool alloc = alive == 0 || (alive < cap - 1 && (double)(wl_rng_next(&r) >> 11) * 0x1p-53 < p_alloc);
            if (alloc) {
                uint32_t n = (uint32_t)draw_size(&g, &r);
                bool is_short = g.lifetime == L_MIXED && (double)(wl_rng_next(&r) >> 11) * 0x1p-53 < g.short_fraction;
                void *block = wl_alloc(c, n, metered);
                if (!block) goto out;
                pool_push(&pools[is_short], block, n);
                continue;
            }
            pool *p = &pools[0];
            size_t k;
            switch (g.lifetime) {
            case L_LIFO: k = p->count - 1; break;
            case L_FIFO: k = 0; break;
            case L_RANDOM: k = wl_rng_below(&r, p->count); break;
            default: { /* mixed: the oldest short-lived block, or a random long-lived one */
                bool take_short = pools[1].count &&
                                  (!pools[0].count || (double)(wl_rng_next(&r) >> 11) * 0x1p-53 < g.short_fraction);
                p = &pools[take_short];
                k = take_short ? 0 : wl_rng_below(&r, p->count);
            }
            }
            void *block;
            uint32_t n;
            pool_take(p, k, &block, &n);
            if (metered) wl_meter_mix(&c->meter, k ^ (uint64_t)(p - pools) << 40);
            wl_free(c, block, n, metered);
        }
    }
    c->ops = (int64_t)g.ops;
out:
    for (int k = 0; k < 2; k++) {
        while (pools[k].ptr && pools[k].size && pools[k].count) {
            void *block;
            uint32_t n;
            pool_take(&pools[k], pools[k].count - 1, &block, &n);
            wl_free(c, block, n, metered);
        }
        wl_scratch_free(pools[k].ptr, cap * sizeof(void *));
        wl_scratch_free(pools[k].size, cap * sizeof(uint32_t));
    }
}

WL_PASSES(gen_run, gen_body)

wl_workload wl_gen = {
    .name = "gen",
    .summary = "parametric churn: sizes x lifetimes x phase shape, presets steady|stack|queue|server|batch|python",
    .origin = "Wilson et al. 1995 and Johnstone & Wilson 1998: real programs ramp, peak and plateau, and "
              "lifetimes follow size and age; default preset 'server' (pareto sizes, mixed lifetimes, plateau)",
    .threads = 1,
    .params = gen_params,
    .param_count = sizeof gen_params / sizeof gen_params[0],
    .iterations = gen_iterations,
    .validate = gen_validate,
    .run = gen_run,
};
