/* limits.c — every strategy that honours a page-layer limit (MM_CAP_LIMIT), driven to the
 * limit and back, with several size mixes; pool also over every fallback it accepts, since
 * its limit covers its fallback's memory. Cases "limits.<mix>[<strategy>]" and
 * "limits.<mix>[pool.fallback=<strategy>]"; a strategy without the capability is skipped
 * with the reason.
 *
 * Vocabulary
 *   mix      a way of choosing request sizes and alignments (MIXES below).
 *   round    allocate blocks of the mix until the first NULL (the limit), check the heap
 *            there, then come back: free everything (or, for a strategy that never frees,
 *            close the heap and open a fresh one).
 *
 * What each round asserts (mm.h's contract under a limit)
 *   - allocation does reach the limit (a NULL comes before MAX_BLOCKS), and the memory
 *     under it is really used: the first round's blocks add up to more than a quarter of
 *     the limit in requested bytes;
 *   - footprint and peak footprint are within the limit after every NULL and after coming
 *     back: whatever the heap keeps for itself (a spare segment or arena, a cache, its
 *     fallback's memory) is counted, and counted within it;
 *   - at the limit the program keeps working: further requests are NULL or good blocks,
 *     a request larger than the limit is NULL, a realloc past it is NULL and leaves the
 *     block intact, every live block keeps its bytes, and check() == 0;
 *   - coming back part way: with every other block freed, a request the size of a freed
 *     one succeeds again (a strategy that frees);
 *   - after coming back, allocation succeeds again, and the next round fits at least half
 *     as many blocks as the first (the memory really came back).
 * A limit so small the heap cannot even open must be a clean refusal with a message.
 */
#include "allocators/mm.h"
#include "conformance/select.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BLOCKS = 400000, ROUNDS = 3 };
static const size_t LIMIT = 4u << 20;

typedef struct mix {
    const char *name;
    size_t min, max;  /* request sizes, uniform */
    bool aligned;     /* alignments 16..4096 too */
} mix;

static const mix MIXES[] = {
    {"tiny", 1, 64, false},
    {"medium", 100, 4000, false},
    {"large", 16u << 10, 300u << 10, false},
    {"mixed", 0, 70000, true},
};

typedef struct block {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} block;

static bool intact(const block *b) {
    return b->size == 0 || (b->p[0] == b->fill && memcmp(b->p, b->p + 1, b->size - 1) == 0);
}

static block take(mm_heap *h, const mix *m, wl_rng *r, unsigned char fill) {
    block b = {.size = (size_t)wl_rng_range(r, m->min, m->max), .fill = fill};
    size_t align = m->aligned ? (size_t)1 << wl_rng_range(r, 4, 12) : 0;
    b.p = mm_alloc(h, b.size, align);
    if (b.p) {
        EXPECT(((uintptr_t)b.p & ((align ? align : MM_MIN_ALIGN) - 1)) == 0, "block %p not aligned", (void *)b.p);
        memset(b.p, fill, b.size);
    }
    return b;
}

static bool all_intact(const block *blocks, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!EXPECT(intact(&blocks[i]), "block %zu (%zu bytes) changed at the limit", i, blocks[i].size)) return false;
    return true;
}

/* The footprint (and its peak) is within the limit: after every NULL, whatever memory
 * the strategy keeps for itself (a spare, a cache, its fallback's) is counted in it. */
static bool within_limit(mm_heap *h, const char *after) {
    mm_stats st;
    mm_stats_get(h, &st);
    return EXPECT(st.footprint <= LIMIT && st.peak_footprint <= LIMIT, "after %s: footprint %zu / peak %zu past the limit %zu",
                  after, st.footprint, st.peak_footprint, LIMIT);
}

/* Fills the heap to the limit and checks it there; returns how many blocks fit. */
static size_t to_the_limit(mm_heap *h, const mix *m, wl_rng *r, block *blocks) {
    size_t n = 0;
    while (n < MAX_BLOCKS && (blocks[n] = take(h, m, r, (unsigned char)(n * 13 + 1))).p != NULL) n++;
    EXPECT(n < MAX_BLOCKS, "no NULL after %d blocks under a %zu-byte limit", MAX_BLOCKS, LIMIT);
    within_limit(h, "the first NULL");
    EXPECT(mm_check(h) == 0, "check() at the limit");
    /* the program keeps working: more requests are NULL or good blocks */
    for (int k = 0; k < 50 && n < MAX_BLOCKS; k++) {
        block b = take(h, m, r, (unsigned char)(k + 200));
        if (b.p) blocks[n++] = b;
        else if (!within_limit(h, "a NULL at the limit")) break;
    }
    void *past = mm_alloc(h, LIMIT + 1, 0), *half = mm_alloc(h, LIMIT / 2, 4096);
    EXPECT(past == NULL, "a request larger than the limit is NULL");
    EXPECT(half == NULL, "half the limit, when the heap is full, is NULL");
    within_limit(h, "a request past the limit, and one of half the limit");
    mm_free(h, past);
    mm_free(h, half);
    if (n > 0) {
        block *b = &blocks[n / 2];
        EXPECT(mm_realloc(h, b->p, LIMIT) == NULL, "realloc past the limit is NULL");
        EXPECT(intact(b), "a failed realloc left its block intact");
        within_limit(h, "a realloc past the limit");
    }
    all_intact(blocks, n);
    EXPECT(mm_check(h) == 0, "check() after the requests at the limit");
    return n;
}

/* What a case opens: a strategy with options ("fallback=best-fit" for pool), or none. */
typedef struct heap_spec {
    const mm_strategy *strategy;
    const char *options;
} heap_spec;

static mm_heap *open_limited(const heap_spec *spec, size_t limit, mm_error *err) {
    mm_config cfg = {.limit = limit, .options = spec->options};
    return mm_test_open(spec->strategy, &cfg, err);
}

static void check_mix(const heap_spec *spec, const mix *m, unsigned long long seed) {
    const mm_strategy *s = spec->strategy;
    if (!(s->caps & MM_CAP_LIMIT)) {
        tap_skip("%s does not take memory from the page layer", s->name);
        return;
    }
    block *blocks = calloc(MAX_BLOCKS, sizeof *blocks);
    wl_rng r;
    wl_rng_seed(&r, seed);
    mm_error err = {{0}};
    mm_heap *h = open_limited(spec, LIMIT, &err);
    EXPECT(h != NULL, "open under a %zu-byte limit: %s", LIMIT, err.message);
    size_t first = 0;
    for (int round = 0; h && round < ROUNDS && tap_case_failures() == 0; round++) {
        size_t n = to_the_limit(h, m, &r, blocks);
        if (round == 0) {
            first = n;
            size_t requested = 0;
            for (size_t i = 0; i < n; i++) requested += blocks[i].size;
            EXPECT(requested > LIMIT / 4, "only %zu requested bytes in %zu blocks fit under a %zu-byte limit",
                   requested, n, LIMIT);
        }
        EXPECT(n > 0, "round %d: not one block fit under the limit", round);
        EXPECT(n >= first / 2, "round %d: only %zu blocks fit, the first round had %zu", round, n, first);
        if (s->caps & MM_CAP_FREE) {
            for (size_t i = 0; i < n; i += 2) mm_free(h, blocks[i].p), blocks[i].p = NULL;
            if (n > 0) { /* half way back: the room a freed block left serves its size again */
                void *again = mm_alloc(h, blocks[0].size, 0);
                EXPECT(again != NULL, "round %d: with every other block freed, alloc(%zu) still fails", round,
                       blocks[0].size);
                EXPECT(mm_check(h) == 0, "check() after freeing every other block (round %d)", round);
                mm_free(h, again);
            }
            for (size_t i = 1; i < n; i += 2) mm_free(h, blocks[i].p);
            EXPECT(mm_check(h) == 0, "check() after freeing everything (round %d)", round);
            within_limit(h, "freeing everything");
        } else { /* never frees: coming back means a fresh heap */
            mm_close(h);
            h = open_limited(spec, LIMIT, &err);
            EXPECT(h != NULL, "reopen under the limit: %s", err.message);
            if (!h) break;
        }
        block again = take(h, m, &r, 7);
        EXPECT(again.p != NULL, "after coming back (round %d), allocation works again", round);
        mm_free(h, again.p);
    }
    if (h) {
        EXPECT(mm_check(h) == 0, "check() at the end");
        mm_close(h);
    }
    free(blocks);
}

/* Limits smaller than a strategy's smallest need: a clean refusal, or a heap that says no. */
static void check_tiny_limits(const heap_spec *spec) {
    const mm_strategy *s = spec->strategy;
    if (!(s->caps & MM_CAP_LIMIT)) {
        tap_skip("%s does not take memory from the page layer", s->name);
        return;
    }
    const size_t limits[] = {1, mm_page_size(), 2 * mm_page_size(), 64u << 10};
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        mm_error err = {{0}};
        mm_heap *h = open_limited(spec, limits[i], &err);
        if (h == NULL) {
            EXPECT(err.message[0] != '\0' && strchr(err.message, '\n') == NULL,
                   "a refused open under limit %zu gives one line of reason: '%s'", limits[i], err.message);
            continue;
        }
        void *p;
        size_t got = 0;
        while (got < 100000 && (p = mm_alloc(h, 100, 0)) != NULL) memset(p, 1, 100), got++;
        EXPECT(got < 100000, "limit %zu: allocation never stopped", limits[i]);
        mm_stats st;
        mm_stats_get(h, &st);
        EXPECT(st.peak_footprint <= limits[i], "limit %zu: peak footprint %zu", limits[i], st.peak_footprint);
        EXPECT(mm_check(h) == 0, "limit %zu: check()", limits[i]);
        mm_close(h);
    }
}

/* The heaps every case runs on: each strategy with its defaults, then pool over every
 * fallback it accepts (another strategy that frees), whose memory its limit covers too. */
static size_t heap_specs(heap_spec *out, char (*options)[64], size_t cap) {
    size_t n = 0;
    const mm_strategy *pool = mm_strategy_find("pool");
    for (size_t i = 0; i < mm_strategy_count && n < cap; i++)
        if (mm_test_selected(mm_strategies[i])) out[n++] = (heap_spec){mm_strategies[i], NULL};
    for (size_t i = 0; pool && mm_test_selected(pool) && i < mm_strategy_count && n < cap; i++) {
        const mm_strategy *f = mm_strategies[i];
        /* a peer is pool's fallback only where it is the process's malloc (its own
         * preloaded targets test it there, peers.bzl); elsewhere pool refuses it */
        if (f == pool || !(f->caps & MM_CAP_FREE) || !mm_test_selected(f) || mm_strategy_unavailable(f)) continue;
        snprintf(options[n], 64, "fallback=%s", f->name);
        out[n] = (heap_spec){pool, options[n]};
        n++;
    }
    return n;
}

int main(void) {
    unsigned long long seed = tap_seed(20261121);
    size_t item = 0;
    heap_spec specs[64];
    char options[64][64];
    size_t count = heap_specs(specs, options, 64);
    for (size_t i = 0; i < count; i++) {
        const heap_spec *spec = &specs[i];
        char name[96];
        if (spec->options) snprintf(name, sizeof name, "%s.%s", spec->strategy->name, spec->options);
        else snprintf(name, sizeof name, "%s", spec->strategy->name);
        for (size_t k = 0; k < sizeof MIXES / sizeof *MIXES; k++) {
            if (!tap_shard_owns(item++)) continue;
            tap_case("limits.%s[%s]", MIXES[k].name, name);
            check_mix(spec, &MIXES[k], seed + i * 31 + k);
        }
        if (tap_shard_owns(item++)) {
            tap_case("limits.tiny-limit[%s]", name);
            check_tiny_limits(spec);
        }
    }
    return tap_finish();
}
