/* bump_test.c — bump serves threads bare, each from chunks of its own.
 *
 *   bump.threads       4 threads allocate at once from one heap (mixed sizes, some over-
 *                      aligned, some past a chunk): every block keeps its bytes, no two
 *                      overlap, check() is clean and the footprint is the chunks mapped.
 *   bump.two-heaps     one thread alternating between two heaps goes back to its chunk of
 *                      each: the footprint stays one chunk per heap.
 *   bump.same-address  a heap opened where a closed one was (same address) never uses the
 *                      closed heap's chunk as its thread's current one.
 *   bump.reserve       the chunk a closed heap leaves is the next heap's first (already
 *                      faulted in), counted in that heap's footprint and limit.
 */
#include "allocators/mm.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THREADS = 4, BLOCKS = 20000, CHUNK = 64 * 1024 };

typedef struct block {
    unsigned char *p;
    size_t size;
    unsigned char fill;
} block;

typedef struct worker {
    mm_heap *heap;
    int index;
    block blocks[BLOCKS];
} worker;

static mm_heap *open_bump(void) {
    mm_config config = {.options = "chunk=64K"};
    mm_error err = {{0}};
    mm_heap *h = mm_open(mm_strategy_find("bump"), &config, &err);
    EXPECT(h != NULL, "open bump: %s", err.message);
    return h;
}

static void *allocate(void *arg) {
    worker *w = arg;
    wl_rng r;
    wl_rng_seed(&r, 100 + (uint64_t)w->index);
    for (int i = 0; i < BLOCKS; i++) {
        block *b = &w->blocks[i];
        uint64_t kind = wl_rng_below(&r, 100);
        b->size = kind == 0 ? CHUNK + wl_rng_below(&r, CHUNK) : kind < 5 ? 0 : wl_rng_range(&r, 1, 700);
        size_t align = kind >= 95 ? (size_t)64 << wl_rng_below(&r, 6) : 0;
        b->fill = (unsigned char)(w->index * 64 + i);
        b->p = mm_alloc(w->heap, b->size, align);
        if (b->p == NULL) return "alloc failed";
        if (align && ((uintptr_t)b->p & (align - 1))) return "misaligned block";
        memset(b->p, b->fill, b->size);
    }
    return NULL;
}

static int by_address(const void *a, const void *b) {
    const block *x = a, *y = b;
    return (x->p > y->p) - (x->p < y->p);
}

static void check_threads(void) {
    static worker workers[THREADS];
    static block all[THREADS * BLOCKS];
    mm_heap *h = open_bump();
    if (!h) return;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].heap = h, workers[i].index = i;
        EXPECT(pthread_create(&t[i], NULL, allocate, &workers[i]) == 0, "start thread %d", i);
    }
    for (int i = 0; i < THREADS; i++) {
        void *failure = NULL;
        pthread_join(t[i], &failure);
        EXPECT(failure == NULL, "thread %d: %s", i, (const char *)failure);
    }
    size_t n = 0, intact = 0;
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < BLOCKS; k++) {
            block b = workers[i].blocks[k];
            bool ok = b.p != NULL;
            for (size_t j = 0; ok && j < b.size; j++) ok = b.p[j] == b.fill;
            intact += ok;
            all[n++] = b;
        }
    EXPECT(intact == n, "%zu of %zu blocks kept their bytes", intact, n);
    qsort(all, n, sizeof *all, by_address);
    size_t overlaps = 0;
    for (size_t i = 1; i < n; i++)
        overlaps += all[i - 1].p && all[i - 1].p + mm_usable_size(h, all[i - 1].p) > all[i].p;
    EXPECT(overlaps == 0, "%zu blocks overlap the next one", overlaps);
    EXPECT(mm_check(h) == 0, "check() after the threads");
    mm_stats st;
    mm_stats_get(h, &st);
    EXPECT(st.footprint >= (size_t)THREADS * CHUNK, "footprint %zu: a chunk per thread at least", st.footprint);
    mm_close(h);
}

static size_t footprint(mm_heap *h) {
    mm_stats st;
    mm_stats_get(h, &st);
    return st.footprint;
}

static void check_two_heaps(void) {
    mm_heap *a = open_bump(), *b = open_bump();
    if (!a || !b) return;
    for (int i = 0; i < 1000; i++) {
        char *p = mm_alloc(a, 32, 0), *q = mm_alloc(b, 32, 0);
        if (!EXPECT(p && q, "alloc in round %d", i)) break;
        memset(p, 1, 32), memset(q, 2, 32);
    }
    /* 1000 blocks of 48 bytes fit one 64 KiB chunk; the heap struct is a page of its own */
    EXPECT(footprint(a) <= CHUNK + 4096 && footprint(b) <= CHUNK + 4096, "footprints %zu and %zu: one chunk each",
           footprint(a), footprint(b));
    EXPECT(mm_check(a) == 0 && mm_check(b) == 0, "both heaps healthy");
    mm_close(a);
    mm_close(b);
}

static void check_same_address(void) {
    mm_heap *a = open_bump();
    if (!a) return;
    EXPECT(mm_alloc(a, 100, 0) != NULL, "alloc in the first heap");
    mm_close(a);
    mm_heap *b = open_bump();
    if (!b) return;
    if (b != a) printf("# the second heap opened elsewhere (%p, not %p)\n", (void *)b, (void *)a);
    char *p = mm_alloc(b, 100, 0);
    EXPECT(p != NULL, "alloc in the second heap");
    if (p) memset(p, 3, 100);
    EXPECT(mm_check(b) == 0, "the second heap is healthy");
    EXPECT(footprint(b) > 4096, "the block came from a chunk of the second heap");
    mm_close(b);
}

static void check_reserve(void) {
    mm_heap *a = open_bump();
    if (!a) return;
    char *p = mm_alloc(a, 100, 0);
    mm_close(a);
    mm_heap *b = open_bump();
    if (!b) return;
    char *q = mm_alloc(b, 100, 0);
    EXPECT(q != NULL && q == p, "the next heap's first block %p is where the closed heap's was (%p)", (void *)q,
           (void *)p);
    EXPECT(footprint(b) == CHUNK + 4096, "footprint %zu: the reused chunk and the heap's page", footprint(b));
    EXPECT(mm_check(b) == 0, "the heap on a reused chunk is healthy");
    mm_close(b);
    mm_config limited = {.limit = CHUNK / 2, .options = "chunk=64K"};
    mm_heap *c = mm_open(mm_strategy_find("bump"), &limited, NULL);
    if (!EXPECT(c != NULL, "open under a limit")) return;
    char *r = mm_alloc(c, 100, 0);
    EXPECT(r != NULL && r != p, "a limit of half a chunk does not take the reserved chunk (%p)", (void *)r);
    mm_stats st;
    mm_stats_get(c, &st);
    EXPECT(st.footprint <= CHUNK / 2, "footprint %zu within the limit", st.footprint);
    mm_close(c);
}

int main(void) {
    tap_case("bump.threads");
    check_threads();
    tap_case("bump.two-heaps");
    check_two_heaps();
    tap_case("bump.same-address");
    check_same_address();
    tap_case("bump.reserve");
    check_reserve();
    return tap_finish();
}
