/* randomized.c — random operation sequences against every strategy that frees, checked
 * against a shadow model.
 *
 * Vocabulary
 *   slot     one entry of the shadow model: the block's address, its requested size and
 *            the byte it was filled with. An operation picks a random slot: an empty slot
 *            gets an alloc (sometimes over-aligned), a full one a free or a realloc.
 *   mix      where sizes come from, switched every batch: tiny (0..64), small (16..512,
 *            the churn range), powers of two give or take one, wide (1..16 KiB), and a
 *            rare large block (up to 256 KiB), so every strategy's paths (size classes,
 *            fallbacks, splits, large mappings) are crossed.
 *   batch    OPS_PER_BATCH operations; after each, check() must return 0, every live
 *            block must hold its fill byte, and no two live blocks' usable ranges overlap.
 *
 * Every failure names the strategy, the batch and the seed (TAP_SEED=... replays it).
 * Sized for millions of operations per strategy in the optimised build, a twentieth of
 * that under AddressSanitizer. Shards: one strategy per work item. MM_TEST_STRATEGIES
 * picks the strategies (conformance/select.h).
 */
#include "allocators/mm.h"
#include "conformance/select.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
enum { BATCHES = 40 };
#else
enum { BATCHES = 200 };
#endif
enum { SLOTS = 1024, OPS_PER_BATCH = 10000, MIXES = 5 };

typedef struct slot {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} slot;

static size_t draw_size(wl_rng *r, int mix) {
    switch (mix) {
    case 0: return wl_rng_below(r, 65);
    case 1: return wl_rng_range(r, 16, 512);
    case 2: return ((size_t)1 << wl_rng_range(r, 3, 13)) + wl_rng_range(r, 0, 2) - 1;
    case 3: return wl_rng_range(r, 1, 16384);
    default: return wl_rng_below(r, 100) == 0 ? wl_rng_range(r, 16384, 262144) : wl_rng_range(r, 1, 2048);
    }
}

static void fill(slot *s) { memset(s->p, s->fill, s->size); }

/* Does the block still hold its fill byte everywhere? Word at a time. */
static bool intact(const slot *s) {
    uint64_t want;
    memset(&want, s->fill, sizeof want);
    size_t i = 0;
    for (; i + 8 <= s->size; i += 8) {
        uint64_t w;
        memcpy(&w, s->p + i, 8);
        if (w != want) return false;
    }
    for (; i < s->size; i++)
        if (s->p[i] != s->fill) return false;
    return true;
}

static int by_address(const void *a, const void *b) {
    const slot *x = a, *y = b;
    return (x->p > y->p) - (x->p < y->p);
}

/* The whole shadow model against the heap: contents, usable sizes, no overlaps. */
static bool audit(mm_heap *h, const slot *live, slot *scratch, int batch) {
    size_t n = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        if (!live[i].p) continue;
        if (!EXPECT(intact(&live[i]), "batch %d: slot %zu (%zu bytes) lost its contents", batch, i, live[i].size))
            return false;
        scratch[n++] = live[i];
    }
    qsort(scratch, n, sizeof *scratch, by_address);
    for (size_t i = 0; i + 1 < n; i++) {
        size_t extent = mm_usable_size(h, scratch[i].p);
        if (!EXPECT(scratch[i].p + extent <= scratch[i + 1].p, "batch %d: %p (+%zu usable) overlaps %p", batch,
                    (void *)scratch[i].p, extent, (void *)scratch[i + 1].p))
            return false;
    }
    size_t broken = mm_check(h);
    return EXPECT(broken == 0, "batch %d: check() found %zu broken invariants", batch, broken);
}

static void run(const mm_strategy *s, const char *options, unsigned long long seed) {
    mm_error err = {{0}};
    mm_config cfg = {.options = options};
    mm_heap *h = mm_test_open(s, &cfg, &err);
    if (!EXPECT(h != NULL, "%s failed to open: %s", s->name, err.message)) return;
    slot *live = calloc(SLOTS, sizeof *live), *scratch = calloc(SLOTS, sizeof *scratch);
    wl_rng r;
    wl_rng_seed(&r, seed);
    size_t ops = 0;
    for (int batch = 0; batch < BATCHES && tap_case_failures() == 0; batch++) {
        int mix = (int)wl_rng_below(&r, MIXES);
        for (int k = 0; k < OPS_PER_BATCH; k++, ops++) {
            slot *b = &live[wl_rng_below(&r, SLOTS)];
            if (!b->p) {
                size_t align = wl_rng_below(&r, 16) == 0 ? (size_t)1 << wl_rng_range(&r, 5, 12) : 0;
                b->size = draw_size(&r, mix);
                b->fill = (unsigned char)wl_rng_next(&r);
                b->p = mm_alloc(h, b->size, align);
                if (!EXPECT(b->p != NULL, "batch %d: alloc(%zu, %zu) failed", batch, b->size, align)) break;
                size_t want = align > MM_MIN_ALIGN ? align : MM_MIN_ALIGN;
                EXPECT(((uintptr_t)b->p & (want - 1)) == 0, "batch %d: alloc(%zu, %zu) = %p misaligned", batch,
                       b->size, align, (void *)b->p);
                EXPECT(mm_usable_size(h, b->p) >= b->size, "batch %d: usable_size %zu < %zu", batch,
                       mm_usable_size(h, b->p), b->size);
                fill(b);
            } else if (wl_rng_below(&r, 4) == 0) {
                size_t n = draw_size(&r, mix);
                unsigned char *q = mm_realloc(h, b->p, n);
                if (!EXPECT(q != NULL, "batch %d: realloc(%zu -> %zu) failed", batch, b->size, n)) break;
                b->p = q;
                if (n < b->size) b->size = n;
                if (!EXPECT(intact(b), "batch %d: realloc to %zu lost the kept prefix", batch, n)) break;
                b->size = n;
                fill(b);
            } else {
                if (!EXPECT(intact(b), "batch %d: a block changed before its free", batch)) break;
                mm_free(h, b->p);
                b->p = NULL;
            }
        }
        if (tap_case_failures() == 0) audit(h, live, scratch, batch);
    }
    for (size_t i = 0; i < SLOTS; i++) mm_free(h, live[i].p);
    EXPECT(mm_check(h) == 0, "check() after freeing everything");
    if (s->caps & MM_CAP_EXACT_FOOTPRINT) {
        mm_stats st;
        mm_stats_get(h, &st);
        /* what stays mapped with nothing live: the heap's own pages and at most a spare */
        EXPECT(st.footprint <= (4u << 20), "%zu bytes still held after freeing everything", st.footprint);
    }
    printf("# %s%s%s: %zu operations\n", s->name, options ? " " : "", options ? options : "", ops);
    free(live);
    free(scratch);
    mm_close(h);
}

/* Non-default options, so small pools and arenas, tiny regions and segments (many of
 * them, large requests past them) and an exact fallback are crossed too. */
static const struct {
    const char *strategy, *options;
} variants[] = {
    {"pool", "fallback=best-fit"},
    {"pool", "pool=4K,arena=64K,fallback=buddy"},
    {"buddy", "min_block=64,max_block=64K"},
    {"best-fit", "segment=64K"},
    {"first-fit-ao", "segment=64K"},
};

int main(void) {
    unsigned long long seed = tap_seed(20261121);
    size_t item = 0;
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        if (!mm_test_selected(s) || !tap_shard_owns(item++)) continue;
        tap_case("randomized[%s]", s->name);
        if (mm_strategy_unavailable(s)) {
            tap_skip("%s", mm_strategy_unavailable(s));
            continue;
        }
        if (!(s->caps & MM_CAP_FREE)) {
            tap_skip("%s never frees, so a random free/realloc sequence would only grow it", s->name);
            continue;
        }
        run(s, NULL, seed + i);
    }
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        const mm_strategy *s = mm_strategy_find(variants[i].strategy);
        if ((s && !mm_test_selected(s)) || !tap_shard_owns(item++)) continue;
        tap_case("randomized[%s %s]", variants[i].strategy, variants[i].options);
        if (s == NULL) {
            tap_skip("no strategy named %s is registered", variants[i].strategy);
            continue;
        }
        run(s, variants[i].options, seed + 100 + i);
    }
    return tap_finish();
}
