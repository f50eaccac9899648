/* theory.c — checks of what the textbooks say the classic strategies do. They can fail.
 *
 *   theory.buddy-internal     binary buddy rounds every request up to a power of two. For
 *                             sizes uniform within octaves (2^k, 2^(k+1)] the block is
 *                             2^(k+1) and the mean request 1.5 * 2^k, so the heap hands out
 *                             4/3 of what was asked (1.33x) and a quarter of every block is
 *                             waste (Knuth TAOCP 2.5; Peterson & Norman 1977). Measured
 *                             through usable_size over many blocks.
 *   theory.placement[policy]  holes of known sizes are cut into a fresh heap (freed
 *                             blocks between live guards, so nothing coalesces); a shadow
 *                             model of the holes predicts where each request must land:
 *                               best-fit      in a hole of the smallest capacity that fits
 *                               first-fit-ao  in the lowest-addressed hole that fits
 *                               first-fit     in the most recently freed hole that fits
 *                             or, when no hole fits, outside every hole. Each probe is freed
 *                             again at once, which restores the hole (its remainder merges
 *                             back), so one set of holes answers many probes.
 * A strategy missing from the registry is skipped, saying so. Seeded (TAP_SEED replays).
 */
#include "allocators/mm.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
enum { ROUNDS = 4 };
#else
enum { ROUNDS = 40 };
#endif
enum { CANDIDATES = 160, PROBES = 400, BUDDY_BLOCKS = 40000 };

static mm_heap *open_named(const char *name) {
    const mm_strategy *s = mm_strategy_find(name);
    if (s == NULL) {
        tap_skip("no strategy named %s is registered", name);
        return NULL;
    }
    mm_error err = {{0}};
    mm_heap *h = mm_open(s, NULL, &err);
    EXPECT(h != NULL, "%s failed to open: %s", name, err.message);
    return h;
}

static void buddy_internal(unsigned long long seed) {
    mm_heap *h = open_named("buddy");
    if (!h) return;
    wl_rng r;
    wl_rng_seed(&r, seed);
    void **blocks = calloc(BUDDY_BLOCKS, sizeof *blocks);
    double requested = 0, usable = 0;
    for (size_t i = 0; i < BUDDY_BLOCKS; i++) {
        unsigned k = (unsigned)wl_rng_range(&r, 4, 13); /* octaves (16, 32] .. (8 KiB, 16 KiB] */
        size_t n = wl_rng_range(&r, ((size_t)1 << k) + 1, (size_t)1 << (k + 1));
        blocks[i] = mm_alloc(h, n, 0);
        if (!EXPECT(blocks[i] != NULL, "alloc(%zu) failed", n)) break;
        requested += (double)n;
        usable += (double)mm_usable_size(h, blocks[i]);
    }
    double over = usable / requested, waste = 1 - requested / usable;
    printf("# buddy: %.4fx over-allocation, %.2f%% of every block wasted (theory: 1.3333x, 25%%)\n", over,
           100 * waste);
    EXPECT(over > 1.30 && over < 1.37, "over-allocation %.4f is not near 4/3", over);
    EXPECT(waste > 0.23 && waste < 0.27, "waste %.4f is not near 1/4", waste);
    mm_stats st;
    mm_stats_get(h, &st);
    EXPECT((double)st.footprint >= usable, "footprint %zu below the usable bytes handed out", st.footprint);
    for (size_t i = 0; i < BUDDY_BLOCKS; i++) mm_free(h, blocks[i]);
    EXPECT(mm_check(h) == 0, "check() after freeing everything");
    free(blocks);
    mm_close(h);
}

typedef struct hole {
    unsigned char *p; /* payload of the freed block */
    size_t usable;    /* its capacity: a request of n fits when n <= usable */
    size_t order;     /* when it was freed */
} hole;

typedef enum { BEST, ADDRESS, LIFO } rule;

/* The hole the policy must choose for a request of n, or NULL when none fits. */
static const hole *predict(const hole *holes, size_t count, size_t n, rule policy) {
    const hole *pick = NULL;
    for (size_t i = 0; i < count; i++) {
        const hole *x = &holes[i];
        if (x->usable < n) continue;
        if (pick == NULL || (policy == BEST && x->usable < pick->usable) || (policy == ADDRESS && x->p < pick->p) ||
            (policy == LIFO && x->order > pick->order))
            pick = x;
    }
    return pick;
}

static const hole *containing(const hole *holes, size_t count, const unsigned char *q) {
    for (size_t i = 0; i < count; i++)
        if (q >= holes[i].p && q < holes[i].p + holes[i].usable) return &holes[i];
    return NULL;
}

static void placement(const char *name, rule policy, unsigned long long seed) {
    const mm_strategy *s = mm_strategy_find(name);
    if (s == NULL) {
        tap_skip("no strategy named %s is registered", name);
        return;
    }
    wl_rng r;
    wl_rng_seed(&r, seed);
    size_t probes = 0, into_holes = 0;
    for (int round = 0; round < ROUNDS && tap_case_failures() == 0; round++) {
        mm_heap *h = open_named(name);
        if (!h) return;
        void *cand[CANDIDATES], *guard[CANDIDATES];
        hole holes[CANDIDATES];
        size_t count = 0;
        for (size_t i = 0; i < CANDIDATES; i++) {
            cand[i] = mm_alloc(h, wl_rng_range(&r, 16, 2048), 0);
            guard[i] = mm_alloc(h, 16, 0); /* keeps the hole before it from merging */
        }
        for (size_t i = 0; i < CANDIDATES; i++) {
            if (wl_rng_below(&r, 2)) continue;
            holes[count] = (hole){cand[i], mm_usable_size(h, cand[i]), count};
            count++;
            mm_free(h, cand[i]);
            cand[i] = NULL;
        }
        for (int k = 0; k < PROBES; k++, probes++) {
            size_t n = wl_rng_range(&r, 1, 2200);
            const hole *want = predict(holes, count, n, policy);
            unsigned char *q = mm_alloc(h, n, 0);
            if (!EXPECT(q != NULL, "round %d: alloc(%zu) failed", round, n)) break;
            const hole *got = containing(holes, count, q);
            if (want == NULL) {
                EXPECT(got == NULL, "round %d: alloc(%zu) landed in a hole of %zu bytes, yet none fits", round, n,
                       got ? got->usable : 0);
            } else if (policy == BEST) {
                EXPECT(got != NULL && got->usable == want->usable,
                       "round %d: alloc(%zu) took %s of %zu bytes; the smallest hole that fits has %zu", round, n,
                       got ? "a hole" : "memory outside every hole", got ? got->usable : 0, want->usable);
            } else {
                EXPECT(got == want, "round %d: alloc(%zu) took %p; the %s hole that fits is at %p", round, n,
                       (void *)q, policy == ADDRESS ? "lowest" : "latest freed", (void *)want->p);
            }
            into_holes += got != NULL;
            /* a hole taken whole comes back as a fresh free block: for LIFO, the newest */
            if (got && mm_usable_size(h, q) == got->usable) ((hole *)got)->order = count + (size_t)probes;
            mm_free(h, q);
            if (tap_case_failures()) break;
        }
        EXPECT(mm_check(h) == 0, "round %d: check() after the probes", round);
        for (size_t i = 0; i < CANDIDATES; i++) mm_free(h, cand[i]), mm_free(h, guard[i]);
        mm_close(h);
    }
    printf("# %s: %zu probes, %zu placed in a hole\n", name, probes, into_holes);
    EXPECT(into_holes > probes / 4, "too few probes exercised the holes (%zu of %zu)", into_holes, probes);
}

int main(void) {
    unsigned long long seed = tap_seed(20261121);
    tap_case("theory.buddy-internal");
    buddy_internal(seed);
    tap_case("theory.placement[best-fit]");
    placement("best-fit", BEST, seed + 1);
    tap_case("theory.placement[first-fit-ao]");
    placement("first-fit-ao", ADDRESS, seed + 2);
    tap_case("theory.placement[first-fit]");
    placement("first-fit", LIFO, seed + 3);
    return tap_finish();
}
