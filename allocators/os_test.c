/* os_test.c — the page layer counts every byte, honours its limit and aligns. */
#include "allocators/mm.h"
#include "conformance/tap.h"

#include <string.h>

int main(void) {
    const size_t page = mm_page_size();

    tap_case("pages.accounting");
    mm_pages pg = {0};
    void *a = mm_pages_map(&pg, 1, 0), *b = mm_pages_map(&pg, 3 * page + 1, 0);
    EXPECT(a && b, "maps succeed");
    EXPECT(pg.mapped == 5 * page, "1 byte and 3 pages + 1 byte map 5 pages, not %zu bytes", pg.mapped);
    EXPECT(((char *)a)[0] == 0 && ((char *)b)[3 * page] == 0, "fresh pages read zero");
    mm_pages_unmap(&pg, a, 1);
    EXPECT(pg.mapped == 4 * page && pg.peak_mapped == 5 * page, "mapped %zu, peak %zu", pg.mapped, pg.peak_mapped);
    mm_pages_unmap(&pg, b, 3 * page + 1);
    EXPECT(pg.mapped == 0 && pg.map_calls == 2 && pg.unmap_calls == 2, "all unmapped and counted");
    mm_stats st;
    mm_pages_stats(&pg, &st);
    EXPECT(st.footprint == 0 && st.peak_footprint == 5 * page, "stats mirror the counters");

    tap_case("pages.alignment");
    for (size_t align = page; align <= ((size_t)1 << 22); align *= 2) {
        char *p = mm_pages_map(&pg, page, align);
        EXPECT(p && ((uintptr_t)p & (align - 1)) == 0, "map aligned to %zu gave %p", align, (void *)p);
        EXPECT(pg.mapped == page, "aligned map counts only its own page, not the trimmed excess");
        memset(p, 1, page);
        mm_pages_unmap(&pg, p, page);
    }

    tap_case("pages.limit");
    mm_pages lim = {.limit = 8 * page};
    void *x = mm_pages_map(&lim, 6 * page, 0);
    EXPECT(x != NULL, "under the limit");
    EXPECT(mm_pages_map(&lim, 3 * page, 0) == NULL, "past the limit: NULL");
    EXPECT(lim.mapped == 6 * page, "a refused map changes nothing");
    void *y = mm_pages_map(&lim, 2 * page, 0);
    EXPECT(y != NULL, "exactly up to the limit is allowed");
    mm_pages_unmap(&lim, x, 6 * page);
    mm_pages_unmap(&lim, y, 2 * page);
    EXPECT(mm_pages_map(&lim, SIZE_MAX, 0) == NULL && mm_pages_map(&pg, SIZE_MAX - page, 0) == NULL,
           "absurd sizes fail cleanly");
    return tap_finish();
}
