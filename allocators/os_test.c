/* os_test.c — the page layer counts every byte, honours its limit and aligns; its cache of
 * large-block mappings reuses, merges, stays in budget and counts; owned pages are recorded. */
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

    tap_case("pages.cache");
    const size_t MiB = (size_t)1 << 20;
    mm_pages c = {0};
    void *heap = mm_pages_map(&c, page, 0); /* stands for the heap's own struct */
    char *big = mm_pages_map_cached(&c, 3 * MiB, 0);
    memset(big, 7, 3 * MiB);
    mm_pages_unmap_cached(&c, big, 3 * MiB);
    EXPECT(c.mapped == page && c.cached == 3 * MiB && c.unmap_calls == 0, "kept: mapped %zu, cached %zu", c.mapped,
           c.cached);
    mm_pages_stats(&c, &st);
    EXPECT(st.footprint == page + 3 * MiB, "a cached mapping is held: it counts (%zu)", st.footprint);
    char *again = mm_pages_map_cached(&c, 2 * MiB, 0), *rest = mm_pages_map_cached(&c, MiB, 0);
    EXPECT(again == big && rest == big + 2 * MiB && c.map_calls == 2 && c.cached == 0,
           "both come from the cache (best fit, the rest stays): %p %p, %zu maps", (void *)again, (void *)rest,
           c.map_calls);
    EXPECT(again[0] == 7 && rest[MiB - 1] == 7, "a reused range is not zeroed (and not touched)");
    mm_pages_unmap_cached(&c, again, 2 * MiB);
    mm_pages_unmap_cached(&c, rest, MiB);
    EXPECT(c.cache[0].start + c.cache[1].start + c.cache[2].start == (uintptr_t)big && c.cached == 3 * MiB,
           "neighbours merge into one range");
    char *aligned = mm_pages_map_cached(&c, MiB, MM_HUGE_PAGE);
    EXPECT(((uintptr_t)aligned & (MM_HUGE_PAGE - 1)) == 0 && c.map_calls == 2,
           "an aligned request is cut from a cached range when one holds it");
    mm_pages_unmap_cached(&c, aligned, MiB);
    char *more[6];
    size_t unmaps = c.unmap_calls;
    for (int i = 0; i < 6; i++) more[i] = mm_pages_map_cached(&c, 4 * MiB, 0);
    for (int i = 0; i < 6; i++) mm_pages_unmap_cached(&c, more[i], 4 * MiB);
    EXPECT(c.cached <= 16 * MiB && c.unmap_calls > unmaps,
           "the cache keeps at most four times the largest block mapping: %zu, the rest went back", c.cached);
    size_t largest = 0, before = c.cached;
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++)
        if (c.cache[i].bytes > largest) largest = c.cache[i].bytes;
    char *grown = mm_pages_map_cached(&c, 20 * MiB, 0);
    EXPECT(grown != NULL && largest > 0 && c.cached == before - largest,
           "no range holds 20 MiB: the largest (%zu) grew to it, out of the cache (%zu -> %zu)", largest, before, c.cached);
    grown[20 * MiB - 1] = 1;
    mm_pages_unmap_cached(&c, grown, 20 * MiB);
    mm_pages_unmap(&c, heap, page);
    EXPECT(c.mapped == 0 && c.cached == 0, "the heap's last unmap gives the cache back (cached %zu)", c.cached);

    tap_case("pages.cache_limit");
    mm_pages cl = {.limit = 6 * MiB};
    heap = mm_pages_map(&cl, page, 0);
    big = mm_pages_map_cached(&cl, 4 * MiB, 0);
    mm_pages_unmap_cached(&cl, big, 4 * MiB);
    void *plain = mm_pages_map(&cl, 3 * MiB, 0);
    EXPECT(plain != NULL && cl.cached == 0, "past the limit the cache goes first: cached %zu", cl.cached);
    mm_pages_unmap(&cl, plain, 3 * MiB);
    mm_pages_unmap(&cl, heap, page);

    tap_case("pages.owner");
    mm_pagemap map = {.limit = 8 * MiB};
    mm_owner me = {&map};
    mm_pages own = {.owner = &me};
    char *o = mm_pages_map(&own, 2 * page, 0), *ob = mm_pages_map_cached(&own, 3 * MiB, 0);
    EXPECT(mm_pagemap_find(&map, o) == &me && mm_pagemap_find(&map, o + 2 * page - 1) == &me &&
               mm_pagemap_find(&map, ob + 3 * MiB - 1) == &me,
           "every page mapped is recorded as the owner's");
    EXPECT(mm_pagemap_find(&map, &map) == NULL && mm_pagemap_find(&map, (void *)(uintptr_t)-4096) == NULL,
           "anything else is nobody's");
    EXPECT(atomic_load(&map.held) == 2 * page + 3 * MiB + mm_pagemap_node_bytes(&map), "held counts pages and nodes");
    mm_pages_unmap_cached(&own, ob, 3 * MiB);
    EXPECT(mm_pagemap_find(&map, ob) == &me, "a cached range is still held, so still recorded");
    void *six = mm_pages_map(&own, 6 * MiB, 0);
    EXPECT(six != NULL && own.cached == 0 && atomic_load(&map.held) <= 8 * MiB,
           "under the pagemap's limit, the owner's cache goes first: held %zu", atomic_load(&map.held));
    EXPECT(mm_pages_map(&own, 3 * MiB, 0) == NULL, "past the pagemap's limit: NULL");
    mm_pages_unmap(&own, six, 6 * MiB);
    mm_pages_unmap(&own, o, 2 * page);
    EXPECT(mm_pagemap_bytes(&map, NULL) == 0 && own.cached == 0, "unmapped and released: nothing recorded (%zu)",
           mm_pagemap_bytes(&map, NULL));
    mm_pagemap_release(&map);
    EXPECT(atomic_load(&map.held) == 0, "with its nodes gone, the pagemap holds nothing");
    return tap_finish();
}
