/* peers_test.c — a peer runs only as the process's malloc.
 *
 * Built as peers_test (nothing preloaded; and peers_test_asan) and as peers_test_<peer>,
 * with that peer's library preloaded (allocators/peers.bzl). For each peer P:
 *   peers.in-charge[P]  where P's library is preloaded: P is available, the process's
 *                       malloc resolves to P's library, which is the file the test target
 *                       preloaded (peers.bzl and peers.c name the same library), and a
 *                       block from P's heap is one malloc_usable_size knows. Elsewhere: P
 *                       is unavailable, open() fails with the reason, and the reason says
 *                       how to run it (LD_PRELOAD=<its library>; in a sanitizer build,
 *                       that the optimised build tests it).
 * Footprints: conformance/footprint.c (footprint_<peer>), on every workload.
 */
#define _GNU_SOURCE
#include "allocators/mm.h"
#include "allocators/peers.h"
#include "conformance/tap.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Does LD_PRELOAD name this file (by its name, as the BUILD file writes it)? */
static bool preloaded(const char *file) {
    const char *list = getenv("LD_PRELOAD");
    return list && strstr(list, base_name(file)) != NULL;
}

static void check_in_charge(const mm_strategy *s, const char *why) {
    const char *library = mm_peer_library(s);
    if (!EXPECT(library != NULL, "%s names the library to preload", s->name)) return;
    if (why && preloaded(library)) { /* only a machine without the library excuses this */
        if (EXPECT(strstr(why, "is it installed?") != NULL, "%s is preloaded here, yet unavailable: %s", s->name, why))
            tap_skip("%s", why);
        return;
    }
    if (why) {
        mm_error err = {{0}};
        EXPECT(mm_open(s, NULL, &err) == NULL, "%s opens where it is not the process's malloc", s->name);
        EXPECT(strstr(err.message, why) && strstr(err.message, "unavailable"), "open's error gives the reason: %s",
               err.message);
#if defined(__SANITIZE_ADDRESS__)
        EXPECT(strstr(why, "AddressSanitizer") != NULL, "the reason names the sanitizer: %s", why);
#else
        char how[300];
        snprintf(how, sizeof how, "LD_PRELOAD=%s", library);
        EXPECT(strstr(why, how) != NULL, "the reason says how to run %s (%s): %s", s->name, how, why);
#endif
        return;
    }
    EXPECT(preloaded(library), "%s is in charge, but LD_PRELOAD (%s) does not name %s", s->name,
           getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "unset", library);
    Dl_info process = {0};
    EXPECT(dladdr(dlsym(RTLD_DEFAULT, "malloc"), &process) && process.dli_fname &&
               strcmp(process.dli_fname, library) == 0,
           "the process's malloc comes from %s, not %s", process.dli_fname ? process.dli_fname : "nowhere", library);
    mm_heap *h = mm_open(s, NULL, NULL);
    if (!EXPECT(h != NULL, "open %s", s->name)) return;
    void *p = mm_alloc(h, 100, 0);
    EXPECT(p && mm_usable_size(h, p) >= 100 && mm_usable_size(h, p) == malloc_usable_size(p),
           "a block of %s is the process malloc's", s->name);
    mm_free(h, p);
    mm_close(h);
}

int main(void) {
    size_t peers = 0;
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        if (s->unavailable == NULL) continue; /* only peers can be unavailable */
        peers++;
        const char *why = mm_strategy_unavailable(s);
        tap_case("peers.in-charge[%s]", s->name);
        check_in_charge(s, why);
    }
    tap_case("peers.listed");
    EXPECT(peers == 3, "jemalloc, mimalloc and tcmalloc are in strategies.def (found %zu peers)", peers);
    return tap_finish();
}
