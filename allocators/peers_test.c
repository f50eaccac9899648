/* peers_test.c — the peers are loaded privately and their footprints are believable.
 *
 * For each peer (skipped, with the loader's reason, when its library is absent):
 *   peers.private[P]    after the peer is in use, the process's `malloc` still resolves to
 *                       the C library (or to the sanitizer's), never to the peer's library;
 *   peers.footprint[P]  the footprint from the peer's own statistics grows with what is
 *                       allocated, and agrees with the growth of the resident set (RSS)
 *                       when every page of 64 MiB of blocks is touched.
 */
#define _GNU_SOURCE
#include "allocators/mm.h"
#include "allocators/peers.h"
#include "conformance/tap.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK = 1000, COUNT = 64 * 1024 }; /* 64 MiB of small blocks, as a program would */

static size_t rss_bytes(void) {
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* A fresh heap reads the library's statistics at once (no sampling in between). */
static size_t fresh_footprint(const mm_strategy *s) {
    mm_heap *h = mm_open(s, NULL, NULL);
    mm_stats st = {0};
    if (h) mm_stats_get(h, &st), mm_close(h);
    return st.footprint;
}

static void check_private(const mm_strategy *s) {
    mm_heap *h = mm_open(s, NULL, NULL);
    EXPECT(h != NULL, "open %s", s->name);
    if (!h) return;
    void *p = mm_alloc(h, 100, 0);
    Dl_info process = {0}, peer = {0};
    void *process_malloc = dlsym(RTLD_DEFAULT, "malloc");
    EXPECT(dladdr(process_malloc, &process) && process.dli_fname, "the process's malloc has a home");
    const char *library = mm_peer_library(s);
    EXPECT(library != NULL, "%s names its library", s->name);
    if (library && process.dli_fname) {
        EXPECT(strstr(process.dli_fname, library) == NULL && strstr(library, process.dli_fname) == NULL,
               "the process's malloc comes from %s, the peer's library", process.dli_fname);
#if !defined(__SANITIZE_ADDRESS__)
        EXPECT(strstr(process.dli_fname, "libc.so") != NULL, "the process's malloc is %s, not the C library's",
               process.dli_fname);
#endif
    }
    /* and the peer's block really is the peer's: its code holds the pointer's allocator */
    EXPECT(dladdr((void *)s->alloc, &peer), "the strategy's code is somewhere");
    EXPECT(mm_usable_size(h, p) >= 100, "usable size through the peer");
    mm_free(h, p);
    mm_close(h);
}

static void check_footprint(const mm_strategy *s) {
    mm_heap *h = mm_open(s, NULL, NULL);
    EXPECT(h != NULL, "open %s", s->name);
    if (!h) return;
    static void *blocks[COUNT];
    size_t rss0 = rss_bytes(), f0 = fresh_footprint(s);
    for (size_t i = 0; i < COUNT; i++) {
        blocks[i] = mm_alloc(h, BLOCK, 0);
        if (!EXPECT(blocks[i] != NULL, "alloc %zu", i)) break;
        memset(blocks[i], (int)i, BLOCK); /* every page resident */
    }
    size_t rss1 = rss_bytes(), f1 = fresh_footprint(s);
    size_t grew = f1 > f0 ? f1 - f0 : 0, rss_grew = rss1 > rss0 ? rss1 - rss0 : 0;
    const size_t asked = (size_t)BLOCK * COUNT;
    printf("# %s: footprint %zu -> %zu (+%zu), rss +%zu, requested %zu\n", s->name, f0, f1, grew, rss_grew, asked);
    EXPECT(grew >= asked, "footprint grew %zu for %zu bytes requested", grew, asked);
    EXPECT(grew <= 2 * asked, "footprint grew %zu, over twice the %zu requested", grew, asked);
#if defined(__SANITIZE_ADDRESS__)
    (void)rss_grew; /* the sanitizer's shadow memory moves the resident set too */
#else
    /* touched pages are resident: the footprint covers them; untouched ones it may hold too */
    EXPECT(grew + grew / 10 >= rss_grew, "footprint grew %zu but RSS %zu", grew, rss_grew);
    EXPECT(rss_grew + rss_grew / 4 + (8u << 20) >= grew, "footprint grew %zu, far past RSS growth %zu", grew,
           rss_grew);
#endif
    for (size_t i = 0; i < COUNT; i++) mm_free(h, blocks[i]);
    mm_close(h);
}

int main(int argc, char **argv) {
    (void)argc;
    mm_peers_reexec(argv);
    size_t peers = 0;
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        if (!mm_peer_library(s) && !(mm_strategy_unavailable(s) && s->unavailable)) continue; /* not a peer */
        peers++;
        const char *why = mm_strategy_unavailable(s);
        tap_case("peers.private[%s]", s->name);
        if (why) tap_skip("%s", why);
        else check_private(s);
        tap_case("peers.footprint[%s]", s->name);
        if (why) tap_skip("%s", why);
        else check_footprint(s);
    }
    tap_case("peers.listed");
    EXPECT(peers == 3, "jemalloc, mimalloc and tcmalloc are in strategies.def (found %zu peers)", peers);
    return tap_finish();
}
