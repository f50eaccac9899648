/* system_test.c — the system strategy's cheap footprint agrees with glibc's own count. */
#define _GNU_SOURCE
#include "allocators/mm.h"
#include "conformance/tap.h"

#include <malloc.h>

int main(void) {
    tap_case("system.footprint-vs-mallinfo2");
#if defined(__SANITIZE_ADDRESS__)
    tap_skip("under AddressSanitizer malloc is the sanitizer's");
#else
    mm_heap *h = mm_open(mm_strategy_find("system"), NULL, NULL);
    EXPECT(h != NULL, "open");
    struct mallinfo2 before = mallinfo2();
    static void *blocks[20000];
    for (int i = 0; i < 20000; i++) blocks[i] = mm_alloc(h, 16 + (size_t)(i * 37) % 500, 0);
    void *big = mm_alloc(h, 8u << 20, 0); /* past the mmap threshold: a chunk of its own */
    mm_stats st;
    mm_stats_get(h, &st);
    struct mallinfo2 after = mallinfo2();
    size_t glibc_grew = (after.arena + after.hblkhd) - (before.arena + before.hblkhd);
    EXPECT(st.footprint >= (8u << 20), "the 8 MiB mmapped chunk is counted: footprint %zu", st.footprint);
    EXPECT(st.footprint + 256 * 1024 >= glibc_grew && st.footprint <= glibc_grew + 256 * 1024,
           "footprint %zu vs mallinfo2 growth %zu (within 256 KiB)", st.footprint, glibc_grew);
    mm_free(h, big);
    mm_stats_get(h, &st);
    EXPECT(st.peak_footprint >= (8u << 20) && st.footprint < st.peak_footprint, "freeing the chunk lowers the footprint");
    for (int i = 0; i < 20000; i++) mm_free(h, blocks[i]);
    mm_close(h);
#endif
    return tap_finish();
}
