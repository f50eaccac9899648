/* pool_test.c — pool's front cache: it serves a freed block again first, it never makes
 * the heap grow (cached blocks go back to their pools before a new arena is mapped), and
 * with cache=0 a freed block is back in its pool at once (CPython's behaviour). */
#include "allocators/mm.h"
#include "conformance/tap.h"

enum { SMALL = 16, LARGE = 512 };

static mm_heap *open_pool(const char *options) {
    mm_config config = {.options = options};
    mm_error err = {0};
    mm_heap *h = mm_open(mm_strategy_find("pool"), &config, &err);
    EXPECT(h != NULL, "open pool with %s: %s", options, err.message);
    return h;
}

static size_t footprint(mm_heap *h) {
    mm_stats st;
    mm_stats_get(h, &st);
    return st.footprint;
}

/* Fills one 64 KiB arena (16 pools of 4 KiB) with 16-byte blocks, frees them all, then
 * asks for the same room in 512-byte blocks: the footprint must not grow. */
static void no_growth(const char *options) {
    mm_heap *h = open_pool(options);
    if (h == NULL) return;
    static void *blocks[4096];
    size_t n = 0;
    blocks[n++] = mm_alloc(h, SMALL, 0);
    size_t one_arena = footprint(h);
    while (n < 4096 && footprint(h) == one_arena) blocks[n++] = mm_alloc(h, SMALL, 0);
    mm_free(h, blocks[--n]); /* the block that needed a second arena */
    EXPECT(n > 1000, "%zu blocks fit one arena", n);
    while (n) mm_free(h, blocks[--n]);
    EXPECT(mm_check(h) == 0, "check() after freeing everything");
    size_t big = 0;
    while (big < 4096 / (LARGE / SMALL) - 8 && footprint(h) <= one_arena) blocks[big++] = mm_alloc(h, LARGE, 0);
    EXPECT(footprint(h) <= one_arena, "%zu blocks of %d B reuse the arena the %d B blocks left: footprint %zu, was %zu",
           big, LARGE, SMALL, footprint(h), one_arena);
    EXPECT(mm_check(h) == 0, "check() after reuse");
    while (big) mm_free(h, blocks[--big]);
    mm_close(h);
}

int main(void) {
    tap_case("pool.cache-serves-last-freed");
    mm_heap *h = open_pool("cache=8");
    if (h) {
        void *a = mm_alloc(h, 100, 0), *b = mm_alloc(h, 100, 0), *c = mm_alloc(h, 300, 0);
        mm_free(h, a);
        mm_free(h, c);
        mm_free(h, b);
        EXPECT(mm_alloc(h, 112, 0) == b && mm_alloc(h, 97, 0) == a, "same class: newest freed first");
        EXPECT(mm_alloc(h, 300, 0) == c, "each class has its own list");
        void *many[40];
        for (int i = 0; i < 40; i++) many[i] = mm_alloc(h, 64, 0);
        for (int i = 0; i < 40; i++) mm_free(h, many[i]);
        EXPECT(mm_check(h) == 0, "check() with 40 frees through a cache of 8 (drained in halves)");
        mm_free(h, a), mm_free(h, b), mm_free(h, c);
        mm_close(h);
    }

    tap_case("pool.cache-never-grows-the-heap");
    no_growth("pool=4K,arena=64K,cache=64");
    tap_case("pool.no-cache-grows-never-either");
    no_growth("pool=4K,arena=64K,cache=0");
    return tap_finish();
}
