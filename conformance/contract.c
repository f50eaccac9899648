/* contract.c — the allocator contract (allocators/mm.h), checked against every registered
 * strategy. Each check is a TAP case named "contract.<check>[<strategy>]"; a strategy
 * skips only what its capabilities excuse (bump does not free; system has no heap walk),
 * and the skip says why. The page-layer limit has a suite of its own (limits.c).
 *
 * Shards: the (strategy, check) pairs are numbered and dealt across Bazel's shards.
 */
#include "allocators/mm.h"
#include "conformance/select.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} block;

static mm_heap *open_heap(const mm_strategy *s, size_t limit) {
    mm_error err = {{0}};
    mm_config cfg = {.limit = limit};
    mm_heap *h = mm_test_open(s, &cfg, &err);
    EXPECT(h != NULL, "%s failed to open: %s", s->name, err.message);
    return h;
}

static void fill(block *b) { memset(b->p, b->fill, b->size); }

static bool intact(const block *b) {
    for (size_t i = 0; i < b->size; i++)
        if (b->p[i] != b->fill) return false;
    return true;
}

/* Sizes that probe class boundaries: tiny, around powers of two, and a few large ones. */
static size_t probe_size(wl_rng *r) {
    switch (wl_rng_below(r, 4)) {
    case 0: return wl_rng_below(r, 33);
    case 1: { size_t p2 = (size_t)1 << wl_rng_range(r, 4, 12); return p2 + wl_rng_range(r, 0, 2) - 1; }
    case 2: return wl_rng_range(r, 1, 1024);
    default: return wl_rng_range(r, 1, 70000);
    }
}

static void check_open_close(const mm_strategy *s) {
    mm_error err = {{0}};
    mm_config bad = {.options = "no_such_option=1"};
    EXPECT(mm_test_open(s, &bad, &err) == NULL, "an unknown option must be refused");
    EXPECT(strstr(err.message, "no_such_option") != NULL, "the error names the option: '%s'", err.message);
    EXPECT(strchr(err.message, '\n') == NULL, "the error is one line: '%s'", err.message);
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    if (mm_test_per_thread()) EXPECT(h->strategy->caps & MM_CAP_THREADS, "per-thread heaps serve threads");
    else EXPECT(h->strategy == s, "the heap knows its strategy");
    EXPECT(mm_check(h) == 0, "a fresh heap is healthy");
    mm_close(h);
}

static void check_alignment(const mm_strategy *s) {
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    static const size_t sizes[] = {0, 1, 7, 16, 17, 100, 512, 513, 4095, 4096, 70000};
    for (size_t align = 0; align <= MM_MAX_ALIGN; align = align ? align * 2 : 1) {
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            void *p = mm_alloc(h, sizes[i], align);
            size_t want = align > MM_MIN_ALIGN ? align : MM_MIN_ALIGN;
            EXPECT(p != NULL, "alloc(%zu, %zu) failed", sizes[i], align);
            EXPECT(((uintptr_t)p & (want - 1)) == 0, "alloc(%zu, %zu) = %p is not %zu-aligned", sizes[i], align, p,
                   want);
            if (p) memset(p, 0xA5, sizes[i]);
            mm_free(h, p);
        }
    }
    EXPECT(mm_alloc(h, 64, 24) == NULL, "alignment 24 is not a power of two: NULL");
    EXPECT(mm_alloc(h, 64, MM_MAX_ALIGN * 2) == NULL, "alignment past MM_MAX_ALIGN: NULL");
    EXPECT(mm_check(h) == 0, "heap healthy after the alignment sweep");
    mm_close(h);
}

/* Many live blocks of mixed sizes: no two usable ranges overlap, contents survive
 * interleaved frees and allocations, usable_size covers the request. */
static int by_address(const void *a, const void *b) {
    const block *x = a, *y = b;
    return (x->p > y->p) - (x->p < y->p);
}

static void check_blocks(const mm_strategy *s, unsigned long long seed) {
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    enum { N = 3000 };
    block *live = calloc(N, sizeof *live);
    wl_rng r;
    wl_rng_seed(&r, seed);
    for (int round = 0; round < 4 && tap_case_failures() == 0; round++) {
        for (size_t i = 0; i < N; i++) {
            if (live[i].p && wl_rng_below(&r, 2) == 0) {
                EXPECT(intact(&live[i]), "block %zu (%zu bytes) changed before free", i, live[i].size);
                mm_free(h, live[i].p);
                live[i].p = NULL;
            }
            if (!live[i].p) {
                live[i].size = probe_size(&r);
                live[i].fill = (unsigned char)(i * 7 + round);
                live[i].p = mm_alloc(h, live[i].size, 0);
                EXPECT(live[i].p != NULL, "alloc(%zu) failed", live[i].size);
                if (!live[i].p) break;
                EXPECT(mm_usable_size(h, live[i].p) >= live[i].size, "usable_size %zu < requested %zu",
                       mm_usable_size(h, live[i].p), live[i].size);
                fill(&live[i]);
            }
        }
        block *sorted = malloc(N * sizeof *sorted);
        memcpy(sorted, live, N * sizeof *sorted);
        qsort(sorted, N, sizeof *sorted, by_address);
        for (size_t i = 0; i + 1 < N; i++) {
            if (!sorted[i].p) continue;
            size_t extent = sorted[i].size ? mm_usable_size(h, sorted[i].p) : 0;
            EXPECT(sorted[i].p + extent <= sorted[i + 1].p, "blocks at %p (+%zu) and %p overlap", (void *)sorted[i].p,
                   extent, (void *)sorted[i + 1].p);
        }
        free(sorted);
        for (size_t i = 0; i < N; i++)
            if (live[i].p) EXPECT(intact(&live[i]), "block %zu (%zu bytes) lost its contents", i, live[i].size);
        EXPECT(mm_check(h) == 0, "check() after round %d", round);
    }
    for (size_t i = 0; i < N; i++) mm_free(h, live[i].p);
    EXPECT(mm_check(h) == 0, "check() after freeing everything");
    free(live);
    mm_close(h);
}

static void check_realloc(const mm_strategy *s) {
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    unsigned char *p = mm_realloc(h, NULL, 40);
    EXPECT(p != NULL, "realloc(NULL, 40) allocates");
    if (!p) { mm_close(h); return; }
    for (int i = 0; i < 40; i++) p[i] = (unsigned char)i;
    static const size_t steps[] = {100, 1000, 24, 5000, 70000, 33, 300000, 17};
    size_t keep = 40;
    for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
        unsigned char *q = mm_realloc(h, p, steps[k]);
        EXPECT(q != NULL, "realloc to %zu failed", steps[k]);
        if (!q) break;
        EXPECT(((uintptr_t)q & (MM_MIN_ALIGN - 1)) == 0, "realloc result %p is not 16-aligned", (void *)q);
        if (keep > steps[k]) keep = steps[k];
        for (size_t i = 0; i < keep; i++)
            if (q[i] != (unsigned char)i) {
                EXPECT(false, "realloc to %zu lost byte %zu of the prefix", steps[k], i);
                break;
            }
        EXPECT(mm_usable_size(h, q) >= steps[k], "usable_size after realloc to %zu", steps[k]);
        for (size_t i = keep; i < steps[k]; i++) q[i] = (unsigned char)i;
        keep = steps[k];
        p = q;
        EXPECT(mm_check(h) == 0, "check() after realloc to %zu", steps[k]);
    }
    void *z = mm_realloc(h, p, 0);
    EXPECT(z != NULL, "realloc(p, 0) returns a size-0 block");
    mm_free(h, z);
    EXPECT(mm_check(h) == 0, "check() after the realloc sequence");
    mm_close(h);
}

static void check_zero_and_huge(const mm_strategy *s) {
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    void *a = mm_alloc(h, 0, 0), *b = mm_alloc(h, 0, 0);
    EXPECT(a != NULL && b != NULL, "alloc(0) returns a block");
    EXPECT(a != b, "two alloc(0) blocks are distinct");
    mm_free(h, a);
    mm_free(h, b);
    mm_free(h, NULL);
    static const size_t huge[] = {SIZE_MAX, SIZE_MAX - 4096, SIZE_MAX / 2, (size_t)1 << 62, (size_t)1 << 50};
    for (size_t i = 0; i < sizeof huge / sizeof *huge; i++) {
        EXPECT(mm_alloc(h, huge[i], 0) == NULL, "alloc(%zu) must fail cleanly", huge[i]);
        EXPECT(mm_alloc(h, huge[i], 4096) == NULL, "alloc(%zu, 4096) must fail cleanly", huge[i]);
    }
    void *p = mm_alloc(h, 100, 0);
    EXPECT(p != NULL, "the heap still works after refused huge requests");
    void *q = mm_realloc(h, p, SIZE_MAX / 2);
    EXPECT(q == NULL, "realloc to a huge size fails");
    mm_free(h, p); /* p is still valid after the failed realloc */
    EXPECT(mm_check(h) == 0, "check() after zero and huge requests");
    mm_close(h);
}

/* Freed memory is reused: churning one size keeps the footprint bounded. */
static void check_reuse(const mm_strategy *s) {
    if (!(s->caps & MM_CAP_FREE)) {
        tap_skip("%s never reuses memory, by design", s->name);
        return;
    }
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    mm_stats before, after;
    mm_stats_get(h, &before);
    for (int i = 0; i < 2000; i++) {
        void *p = mm_alloc(h, 48u << 10, 0);
        EXPECT(p != NULL, "alloc in round %d", i);
        if (p) memset(p, 3, 48u << 10);
        mm_free(h, p);
    }
    mm_stats_get(h, &after);
    EXPECT(after.peak_footprint - before.footprint < (2u << 20),
           "2000 rounds of alloc/free of 48 KiB grew the footprint by %zu bytes", after.peak_footprint - before.footprint);
    mm_close(h);
}

/* The footprint covers what is live, and peak_footprint bounds it. */
static void check_footprint(const mm_strategy *s) {
    if (!(s->caps & MM_CAP_EXACT_FOOTPRINT)) {
        tap_skip("%s has no page-layer footprint to check exactly", s->name);
        return;
    }
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    wl_rng r;
    wl_rng_seed(&r, 7);
    size_t usable = 0;
    void *blocks[2000];
    for (int i = 0; i < 2000; i++) {
        blocks[i] = mm_alloc(h, probe_size(&r), 0);
        usable += mm_usable_size(h, blocks[i]);
        mm_stats st;
        mm_stats_get(h, &st);
        if (!EXPECT(st.footprint >= usable && st.peak_footprint >= st.footprint,
                    "footprint %zu, peak %zu, live usable %zu", st.footprint, st.peak_footprint, usable))
            break;
    }
    for (int i = 0; i < 2000; i++) mm_free(h, blocks[i]);
    mm_close(h);
}

/* Random operations with check() after every single one. */
static void check_every_step(const mm_strategy *s, unsigned long long seed) {
    mm_heap *h = open_heap(s, 0);
    if (!h) return;
    enum { SLOTS = 64, OPS = 3000 };
    block live[SLOTS] = {{0}};
    wl_rng r;
    wl_rng_seed(&r, seed);
    for (int op = 0; op < OPS && tap_case_failures() == 0; op++) {
        block *b = &live[wl_rng_below(&r, SLOTS)];
        if (!b->p) {
            b->size = probe_size(&r);
            b->p = mm_alloc(h, b->size, (size_t)1 << wl_rng_below(&r, 8));
            b->fill = (unsigned char)op;
            if (b->p) fill(b);
        } else if (wl_rng_below(&r, 3) == 0) {
            size_t n = probe_size(&r);
            unsigned char *q = mm_realloc(h, b->p, n);
            EXPECT(q != NULL, "realloc(%zu) failed", n);
            if (q) {
                b->p = q;
                b->size = n < b->size ? n : b->size;
                EXPECT(intact(b), "realloc lost the prefix");
                b->size = n;
                fill(b);
            }
        } else {
            EXPECT(intact(b), "block changed before free");
            mm_free(h, b->p);
            b->p = NULL;
        }
        EXPECT(mm_check(h) == 0, "check() after operation %d", op);
    }
    for (int i = 0; i < SLOTS; i++) mm_free(h, live[i].p);
    mm_close(h);
}

int main(void) {
    unsigned long long seed = tap_seed(20261121);
    size_t item = 0;
#define CONTRACT_CASE(check_name, call)                                             \
    if (tap_shard_owns(item++)) {                                                   \
        tap_case("contract.%s[%s]", check_name, s->name);                            \
        if (mm_strategy_unavailable(s)) tap_skip("%s", mm_strategy_unavailable(s)); \
        else call;                                                                  \
    }
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        if (!mm_test_selected(s)) continue;
        CONTRACT_CASE("open-close", check_open_close(s));
        CONTRACT_CASE("alignment", check_alignment(s));
        CONTRACT_CASE("blocks", check_blocks(s, seed));
        CONTRACT_CASE("realloc", check_realloc(s));
        CONTRACT_CASE("zero-and-huge", check_zero_and_huge(s));
        CONTRACT_CASE("reuse", check_reuse(s));
        CONTRACT_CASE("footprint", check_footprint(s));
        CONTRACT_CASE("every-step", check_every_step(s, seed + i));
    }
    return tap_finish();
}
