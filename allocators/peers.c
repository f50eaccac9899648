/* peers.c — jemalloc, mimalloc and tcmalloc as strategies, through the same table.
 *
 * Vocabulary
 *   peer       a production allocator a user would pick instead of ours. Each is reached
 *              through its own prefixed entry points (jemalloc: mallocx/dallocx/sallocx/
 *              rallocx; mimalloc: mi_*; tcmalloc: tc_*), never through `malloc`.
 *   library    the peer's shared object, dlopen'ed with RTLD_LOCAL on the first open():
 *              its unprefixed malloc/free never enter the process's global symbol scope,
 *              so the process's own malloc stays glibc's (peers_test checks it with
 *              dladdr). Nothing is linked at build time: a machine without the library
 *              builds and runs everything else.
 *   unavailable  the library (or one of its symbols) could not be loaded: the strategy's
 *              `unavailable()` returns the reason ("libjemalloc.so.2: cannot open shared
 *              object file ... (Debian package libjemalloc2)"), open() fails with it, and
 *              runs and tests skip the strategy saying so.
 *   footprint  the peer's own statistics, read process-wide:
 *                jemalloc  mallctl "stats.mapped" after an "epoch" refresh
 *                mimalloc  mi_process_info's current_commit (committed OS memory)
 *                tcmalloc  "generic.heap_size" - "tcmalloc.pageheap_unmapped_bytes"
 *              Refreshing costs microseconds (jemalloc merges every arena), so stats()
 *              reads the library every STATS_EVERY calls and returns the last reading in
 *              between: peaks are sampled, not exact (no MM_CAP_EXACT_FOOTPRINT).
 *
 * Invariants and limits
 *   A peer heap is the peer's process-wide allocator: like `system`, open/close cannot
 *   isolate heaps, and the footprint counts everything the library holds. Loading
 *   happens once per process (pthread_once) and the handle is never closed: memory the
 *   library handed out must stay valid until exit.
 *   Peers are thread-safe (MM_CAP_THREADS); they have no limit and no heap walk.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "allocators/peers.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { STATS_EVERY = 64 };
#define PEERS_TUNABLE "glibc.rtld.optional_static_tls=8192" /* see mm_peers_reexec */

/* One peer library: where it lives and the entry points we use. */
typedef struct peer {
    const char *name;    /* the strategy's name */
    const char *soname;  /* what dlopen asks for */
    const char *package; /* the Debian package that brings it */
    const char *const *symbols;
    void **slots; /* where each symbol lands, in `symbols` order */
    size_t count;
    pthread_once_t once;
    void *handle;
    char failure[200]; /* empty when loaded */
    char path[256];    /* the file the loader found */
} peer;

/* MMBENCH_UNAVAILABLE="jemalloc,tcmalloc" makes peers unavailable on purpose: to run
 * without them, and for the tests of what happens where a library is missing. */
static bool peer_switched_off(const char *name) {
    const char *list = getenv("MMBENCH_UNAVAILABLE");
    size_t n = strlen(name);
    for (const char *at = list; at && (at = strstr(at, name)) != NULL; at += n)
        if ((at == list || at[-1] == ',') && (at[n] == '\0' || at[n] == ',')) return true;
    return false;
}

static void peer_load(peer *p) {
    if (peer_switched_off(p->name)) {
        snprintf(p->failure, sizeof p->failure, "switched off by MMBENCH_UNAVAILABLE");
        return;
    }
    p->handle = dlopen(p->soname, RTLD_NOW | RTLD_LOCAL);
    if (p->handle == NULL) {
        const char *why = dlerror();
        bool tls = why && strstr(why, "static TLS");
        snprintf(p->failure, sizeof p->failure, "%s (%s)", why ? why : p->soname,
                 tls ? "run with GLIBC_TUNABLES=" PEERS_TUNABLE : p->package);
        return;
    }
    for (size_t i = 0; i < p->count; i++) {
        p->slots[i] = dlsym(p->handle, p->symbols[i]);
        if (p->slots[i] == NULL) {
            snprintf(p->failure, sizeof p->failure, "%s lacks the symbol %s", p->soname, p->symbols[i]);
            return;
        }
    }
    struct link_map *map = NULL;
    if (dlinfo(p->handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name)
        snprintf(p->path, sizeof p->path, "%s", map->l_name);
}

/* Per peer: loading once (pthread_once wants a plain function), availability, open. */
#define PEER_ONCE(name)                                                                            \
    static void name##_load_once(void);                                                            \
    static const char *name##_unavailable(void) {                                                  \
        pthread_once(&name##_peer.once, name##_load_once);                                         \
        return name##_peer.failure[0] ? name##_peer.failure : NULL;                                \
    }                                                                                              \
    static void name##_load_once(void) { peer_load(&name##_peer); }                                \
    static mm_heap *name##_open(const mm_config *config, mm_error *err) {                          \
        return peer_open(#name, name##_unavailable, config, err);                                  \
    }

typedef struct peer_heap {
    mm_heap base;
    size_t calls;     /* stats() calls, for sampling */
    size_t footprint; /* last reading */
    size_t peak;
} peer_heap;

/* The heap struct comes from the page layer, never from malloc (the process's or the peer's). */
static mm_heap *peer_open(const char *name, const char *(*unavailable)(void), const mm_config *config,
                          mm_error *err) {
    if (!mm_options_parse(name, config->options, NULL, 0, err)) return NULL;
    const char *why = unavailable();
    if (why) {
        mm_error_set(err, "%s is unavailable: %s", name, why);
        return NULL;
    }
    mm_pages pages = {0};
    peer_heap *h = mm_pages_map(&pages, sizeof *h, 0);
    if (h == NULL) mm_error_set(err, "%s: out of memory opening the heap", name);
    return h ? &h->base : NULL;
}

static void peer_close(mm_heap *heap) {
    mm_pages pages = {.mapped = mm_align_up(sizeof(peer_heap), mm_page_size())};
    mm_pages_unmap(&pages, heap, sizeof(peer_heap));
}

static size_t peer_check(mm_heap *heap) {
    (void)heap;
    return 0; /* no peer offers a heap walk through its public API */
}

/* Records a reading (or reuses the last one between samples). */
static void peer_stats(mm_heap *heap, mm_stats *out, size_t (*read)(void)) {
    peer_heap *h = (peer_heap *)heap;
    if (h->calls++ % STATS_EVERY == 0) h->footprint = read();
    if (h->footprint > h->peak) h->peak = h->footprint;
    memset(out, 0, sizeof *out);
    out->footprint = h->footprint;
    out->peak_footprint = h->peak;
}

/* The interface's alignment rule, shared by every peer: 0 means MM_MIN_ALIGN, and
 * anything else must be a power of two up to MM_MAX_ALIGN. Returns 0 to refuse. */
static size_t peer_align(size_t align) { return mm_effective_align(align); }

/* Sizes no allocator can give; refused before the peer sees them (some print warnings). */
#define PEER_TOO_BIG(size) ((size) > ((size_t)1 << 48))

/* The table of one peer: every peer names its functions <peer>_open, <peer>_alloc, ... */
#define PEER_STRATEGY(id, text)                                                                    \
    const mm_strategy mm_##id = {                                                                  \
        .name = #id,                                                                               \
        .summary = text,                                                                           \
        .caps = MM_CAP_FREE | MM_CAP_THREADS,                                                      \
        .open = id##_open,                                                                         \
        .close = peer_close,                                                                       \
        .alloc = id##_alloc,                                                                       \
        .free = id##_free,                                                                         \
        .realloc = id##_realloc,                                                                   \
        .usable_size = id##_usable,                                                                \
        .stats = id##_stats,                                                                       \
        .check = peer_check,                                                                       \
        .unavailable = id##_unavailable,                                                           \
    }

/* ---- jemalloc ------------------------------------------------------------------------ */

static struct {
    void *(*mallocx)(size_t, int);
    void (*dallocx)(void *, int);
    size_t (*sallocx)(const void *, int);
    void *(*rallocx)(void *, size_t, int);
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
} je;
static const char *const je_symbols[] = {"mallocx", "dallocx", "sallocx", "rallocx", "mallctl"};
static peer jemalloc_peer = {"jemalloc", "libjemalloc.so.2", "libjemalloc2", je_symbols, (void **)&je, 5,
                             PTHREAD_ONCE_INIT};
PEER_ONCE(jemalloc)
_Static_assert(sizeof je == 5 * sizeof(void *), "one slot per jemalloc symbol");

/* MALLOCX_ALIGN(a) is log2(a): used only above 16, where the size classes' natural
 * alignment is not enough (the flag takes jemalloc off its fast path). */
static int jemalloc_align_flags(size_t a) { return __builtin_ctzl(a); }

static void *jemalloc_alloc(mm_heap *h, size_t size, size_t align) {
    (void)h;
    size_t a = peer_align(align);
    if (a == 0 || PEER_TOO_BIG(size)) return NULL;
    /* Sizes from 16 up are 16-aligned in jemalloc's size classes: no flag, its fast path */
    if (a == MM_MIN_ALIGN) return je.mallocx(size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size, 0);
    return je.mallocx(size ? size : 1, jemalloc_align_flags(a)); /* mallocx(0) is undefined */
}
static void jemalloc_free(mm_heap *h, void *p) {
    (void)h;
    if (p) je.dallocx(p, 0);
}
static void *jemalloc_realloc(mm_heap *h, void *p, size_t size) {
    if (p == NULL) return jemalloc_alloc(h, size, 0);
    if (PEER_TOO_BIG(size)) return NULL;
    return je.rallocx(p, size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size, 0);
}
static size_t jemalloc_usable(mm_heap *h, const void *p) {
    (void)h;
    return je.sallocx(p, 0);
}
static size_t jemalloc_read(void) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch, mapped = 0, mlen = sizeof mapped;
    je.mallctl("epoch", &epoch, &len, &epoch, len); /* refreshes the merged statistics */
    if (je.mallctl("stats.mapped", &mapped, &mlen, NULL, 0) != 0) return 0;
    return mapped;
}
static void jemalloc_stats(mm_heap *h, mm_stats *out) { peer_stats(h, out, jemalloc_read); }

PEER_STRATEGY(jemalloc, "peer: jemalloc 5 (FreeBSD, Firefox) through mallocx/dallocx, loaded privately");

/* ---- mimalloc ------------------------------------------------------------------------ */

static struct {
    void *(*malloc)(size_t); /* 16-aligned from 16 bytes up */
    void *(*malloc_aligned)(size_t, size_t);
    void (*free)(void *);
    size_t (*usable_size)(const void *);
    void *(*realloc)(void *, size_t);
    void (*process_info)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *);
} mi;
static const char *const mi_symbols[] = {"mi_malloc", "mi_malloc_aligned", "mi_free", "mi_usable_size", "mi_realloc",
                                         "mi_process_info"};
static peer mimalloc_peer = {"mimalloc", "libmimalloc.so.2", "libmimalloc2.0", mi_symbols, (void **)&mi, 6,
                             PTHREAD_ONCE_INIT};
PEER_ONCE(mimalloc)
_Static_assert(sizeof mi == 6 * sizeof(void *), "one slot per mimalloc symbol");

static void *mimalloc_alloc(mm_heap *h, size_t size, size_t align) {
    (void)h;
    size_t a = peer_align(align);
    if (a == 0 || PEER_TOO_BIG(size)) return NULL;
    /* mimalloc 2.0.9 (Debian 12) hands out misaligned blocks for an alignment above 16
     * when the size is a multiple of it (alloc(512, 256) came back 128-aligned): its
     * shortcut trusts size classes to be naturally aligned. One byte more avoids it. */
    if (a == MM_MIN_ALIGN) return mi.malloc(size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size); /* 8-aligned below 16 */
    if (size % a == 0) size++;
    return mi.malloc_aligned(size, a);
}
static void mimalloc_free(mm_heap *h, void *p) {
    (void)h;
    mi.free(p);
}
static void *mimalloc_realloc(mm_heap *h, void *p, size_t size) {
    (void)h;
    if (PEER_TOO_BIG(size)) return NULL;
    return mi.realloc(p, size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size); /* 8-aligned below 16 */
}
static size_t mimalloc_usable(mm_heap *h, const void *p) {
    (void)h;
    return mi.usable_size(p);
}
static size_t mimalloc_read(void) {
    size_t elapsed, user, sys, rss, peak_rss, commit = 0, peak_commit, faults;
    mi.process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    return commit;
}
static void mimalloc_stats(mm_heap *h, mm_stats *out) { peer_stats(h, out, mimalloc_read); }

PEER_STRATEGY(mimalloc, "peer: mimalloc 2 (Microsoft) through mi_malloc/mi_free, loaded privately");

/* ---- tcmalloc (gperftools) ----------------------------------------------------------- */

static struct {
    void *(*malloc)(size_t);
    void *(*memalign)(size_t, size_t);
    void (*free)(void *);
    size_t (*malloc_size)(void *);
    void *(*realloc)(void *, size_t);
    int (*property)(const char *, size_t *);
} tc;
static const char *const tc_symbols[] = {"tc_malloc", "tc_memalign", "tc_free", "tc_malloc_size", "tc_realloc",
                                         "MallocExtension_GetNumericProperty"};
static peer tcmalloc_peer = {"tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", tc_symbols, (void **)&tc, 6,
                             PTHREAD_ONCE_INIT};
PEER_ONCE(tcmalloc)
_Static_assert(sizeof tc == 6 * sizeof(void *), "one slot per tcmalloc symbol");

static void *tcmalloc_alloc(mm_heap *h, size_t size, size_t align) {
    (void)h;
    size_t a = peer_align(align);
    if (a == 0 || PEER_TOO_BIG(size)) return NULL;
    /* tc_malloc's blocks are 16-aligned from 16 bytes up; smaller ones only 8 */
    if (a == MM_MIN_ALIGN) return tc.malloc(size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size);
    return tc.memalign(a, size ? size : 1);
}
static void tcmalloc_free(mm_heap *h, void *p) {
    (void)h;
    tc.free(p);
}
static void *tcmalloc_realloc(mm_heap *h, void *p, size_t size) {
    (void)h;
    if (PEER_TOO_BIG(size)) return NULL;
    return tc.realloc(p, size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size);
}
static size_t tcmalloc_usable(mm_heap *h, const void *p) {
    (void)h;
    return tc.malloc_size((void *)p);
}
static size_t tcmalloc_read(void) {
    size_t heap = 0, unmapped = 0;
    tc.property("generic.heap_size", &heap);
    tc.property("tcmalloc.pageheap_unmapped_bytes", &unmapped);
    return heap > unmapped ? heap - unmapped : 0;
}
static void tcmalloc_stats(mm_heap *h, mm_stats *out) { peer_stats(h, out, tcmalloc_read); }

PEER_STRATEGY(tcmalloc, "peer: tcmalloc (gperftools, Google) through tc_malloc/tc_free, loaded privately");

/* ---- what the harness and the preload library need to know ---------------------------- */

const char *mm_peer_library(const mm_strategy *s) {
    peer *p = s == &mm_jemalloc ? &jemalloc_peer : s == &mm_mimalloc ? &mimalloc_peer
            : s == &mm_tcmalloc ? &tcmalloc_peer : NULL;
    if (p == NULL || s->unavailable()) return NULL;
    return p->path[0] ? p->path : p->soname;
}

/* jemalloc's library uses initial-exec TLS (2.6 KiB), more than glibc reserves for
 * libraries loaded after start (512 bytes by default): dlopen then fails with "cannot
 * allocate memory in static TLS block". The reserve is a tunable read only at exec, so a
 * program that wants every peer re-executes itself once with it raised. */
void mm_peers_reexec(char **argv) {
    const char *old = getenv("GLIBC_TUNABLES");
    if (old && strstr(old, "optional_static_tls")) return; /* already set: by us or by the user */
    char value[1024];
    int n = snprintf(value, sizeof value, "%s%s%s", old ? old : "", old ? ":" : "", PEERS_TUNABLE);
    if (n < 0 || (size_t)n >= sizeof value) return;
    if (setenv("GLIBC_TUNABLES", value, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed: go on; jemalloc will report itself unavailable with the loader's reason */
}

#if defined(__SANITIZE_ADDRESS__)
/* tcmalloc registers a C++ object at load time that it never frees: not ours to report.
 * LeakSanitizer asks the program for this list. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libtcmalloc_minimal.so\n"; }
#endif
