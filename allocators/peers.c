/* peers.c — jemalloc, mimalloc and tcmalloc as strategies, each measured as the
 * process's malloc: the way its users run it.
 *
 * Vocabulary
 *   peer       a production allocator a user would pick instead of ours.
 *   in charge  a peer's library is the process's malloc: preloaded (LD_PRELOAD, which
 *              ./mmbench sets when it starts a peer's benchmark process) or linked in.
 *              Told at run time: the symbol only that library defines (its marker:
 *              mallctl, mi_heap_visit_blocks, MallocExtension_GetNumericProperty) and
 *              `malloc` resolve to the same file. Nothing is loaded or linked here: a
 *              machine without the libraries builds and runs everything else.
 *   strategy   the table of system.c (process_malloc.h): plain malloc, free, realloc and
 *              malloc_usable_size, so a peer pays exactly the call `system` pays. Only
 *              open, unavailable and the library whose statistics are read differ.
 *   unavailable  a peer not in charge: open() fails and unavailable() says why and how to
 *              run it ("start the process with LD_PRELOAD=libjemalloc.so.2"), so a peer
 *              never silently measures another malloc. A sanitizer build's malloc is the
 *              sanitizer's: peers are unavailable there, and tested in the optimised build.
 *   library file  what to preload (mm_peer_library): the file the loader found for a peer
 *              in charge, else its soname, which LD_PRELOAD looks up as the loader does.
 *   reading    (process_malloc.h) held / in_use from the peer's own statistics, looked up
 *              with dlsym(RTLD_DEFAULT):
 *                jemalloc  stats.resident / stats.allocated, after an "epoch" refresh.
 *                          resident counts the pages of live extents, metadata and the
 *                          dirty pages jemalloc keeps for reuse until they decay: memory it
 *                          holds, as glibc's arenas count their free chunks (active +
 *                          metadata would hide what its decay policy keeps).
 *                mimalloc  Σ capacity × block size / Σ used × block size over the pages of
 *                          the calling thread's heap (mi_heap_visit_blocks: the blocks its
 *                          pages have set up, i.e. touched), summed over the live threads'
 *                          latest readings. Its `committed` statistic counts whole 32 MiB
 *                          segments, committed eagerly because Linux overcommits: untouched
 *                          address space, 32 MiB for a handful of live bytes.
 *                tcmalloc  generic.heap_size − tcmalloc.pageheap_unmapped_bytes (pages
 *                          mapped and not released) / generic.current_allocated_bytes.
 *
 * Invariants: a peer in charge stays in charge for the life of the process (the verdict
 * is taken once); a peer heap is a view of the process-wide allocator, as system's is.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "allocators/peers.h"
#include "allocators/process_malloc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define PEERS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PEERS_SANITIZED 1
#endif
#endif

typedef struct peer {
    const char *name;    /* the strategy's name */
    const char *soname;  /* what LD_PRELOAD names */
    const char *package; /* the Debian package that brings it */
    const char *marker;  /* a symbol no other malloc defines */
    const char *const *symbols; /* its statistics' entry points */
    void **slots;               /* where each symbol lands, in `symbols` order */
    size_t count;
    mm_malloc_library library;
    pthread_once_t once;
    char failure[300]; /* empty when in charge */
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

static const char *file_of(void *symbol) {
    Dl_info info = {0};
    return symbol && dladdr(symbol, &info) && info.dli_fname ? info.dli_fname : NULL;
}

static void peer_identify(peer *p) {
    if (peer_switched_off(p->name)) {
        snprintf(p->failure, sizeof p->failure, "switched off by MMBENCH_UNAVAILABLE");
        return;
    }
#if defined(PEERS_SANITIZED)
    snprintf(p->failure, sizeof p->failure,
             "a sanitizer build's malloc is AddressSanitizer's, so %s cannot be the process's malloc here: "
             "it is tested in the optimised build",
             p->name);
    return;
#endif
    const char *library = file_of(dlsym(RTLD_DEFAULT, p->marker));
    const char *process_malloc = file_of(dlsym(RTLD_DEFAULT, "malloc"));
    const char *preload = getenv("LD_PRELOAD");
    if (library == NULL && preload && strstr(preload, p->soname)) {
        snprintf(p->failure, sizeof p->failure,
                 "LD_PRELOAD names %s but the loader did not load it: is it installed? (Debian package %s)",
                 p->soname, p->package);
        return;
    }
    if (library == NULL) {
        snprintf(p->failure, sizeof p->failure,
                 "%s is measured as the process's malloc: start the process with LD_PRELOAD=%s "
                 "(./mmbench does; docs/peers.md)",
                 p->name, p->soname);
        return;
    }
    if (process_malloc == NULL || strcmp(library, process_malloc) != 0) {
        snprintf(p->failure, sizeof p->failure,
                 "%s is loaded (%s) but the process's malloc comes from %s: put %s first in LD_PRELOAD", p->name,
                 library, process_malloc ? process_malloc : "nowhere", p->soname);
        return;
    }
    for (size_t i = 0; i < p->count; i++) {
        p->slots[i] = dlsym(RTLD_DEFAULT, p->symbols[i]);
        if (p->slots[i] == NULL) {
            snprintf(p->failure, sizeof p->failure, "%s lacks the symbol %s", library, p->symbols[i]);
            return;
        }
    }
    snprintf(p->path, sizeof p->path, "%s", library);
}

/* Per peer: the verdict once (pthread_once wants a plain function), unavailable, open. */
#define PEER_ONCE(id)                                                                              \
    static void id##_identify_once(void) { peer_identify(&id##_peer); }                           \
    static const char *id##_unavailable(void) {                                                    \
        pthread_once(&id##_peer.once, id##_identify_once);                                        \
        return id##_peer.failure[0] ? id##_peer.failure : NULL;                                   \
    }                                                                                              \
    static mm_heap *id##_open(const mm_config *config, mm_error *err) {                            \
        const char *why = id##_unavailable();                                                      \
        if (why) {                                                                                 \
            mm_error_set(err, "%s is unavailable: %s", #id, why);                                  \
            return NULL;                                                                           \
        }                                                                                          \
        return mm_malloc_open(#id, &id##_peer.library, config, err);                               \
    }

/* ---- jemalloc ------------------------------------------------------------------------ */

static struct {
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
} je;
static const char *const je_symbols[] = {"mallctl"};

static size_t jemalloc_stat(const char *name) {
    size_t value = 0, len = sizeof value;
    return je.mallctl(name, &value, &len, NULL, 0) == 0 ? value : 0;
}
static void jemalloc_read(mm_malloc_usage *out) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    je.mallctl("epoch", &epoch, &len, &epoch, len); /* refreshes the merged statistics */
    out->held = jemalloc_stat("stats.resident");
    out->in_use = jemalloc_stat("stats.allocated");
}

static peer jemalloc_peer = {"jemalloc", "libjemalloc.so.2", "libjemalloc2", "mallctl", je_symbols, (void **)&je, 1,
                             {"jemalloc", jemalloc_read}, PTHREAD_ONCE_INIT, "", ""};
PEER_ONCE(jemalloc)
_Static_assert(sizeof je == 1 * sizeof(void *), "one slot per jemalloc symbol");

MM_MALLOC_STRATEGY(jemalloc, "peer: jemalloc 5 (FreeBSD, Firefox) as the process's malloc (preloaded)", jemalloc_open,
                   jemalloc_unavailable);

/* ---- mimalloc ------------------------------------------------------------------------ */

typedef struct mi_area { /* mimalloc.h's mi_heap_area_t (2.0) */
    void *blocks;
    size_t reserved, committed, used, block_size, full_block_size;
} mi_area;
typedef bool mi_visitor(const void *heap, const mi_area *area, void *block, size_t block_size, void *arg);

static struct {
    void *(*heap_get_default)(void);
    bool (*heap_visit_blocks)(const void *heap, bool visit_blocks, mi_visitor *visitor, void *arg);
} mi;
static const char *const mi_symbols[] = {"mi_heap_get_default", "mi_heap_visit_blocks"};

/* mimalloc's heaps are per thread and visited only by their own thread: each thread's
 * latest reading is kept in a slot of its own, emptied when the thread exits (its pages
 * then wait, abandoned, for another thread to take them over). */
enum { MI_THREADS = 64 };
static mm_malloc_usage mi_thread_usage[MI_THREADS]; /* read and written with atomics */
static bool mi_slot_taken[MI_THREADS];
static pthread_key_t mi_slot_key;
static pthread_once_t mi_slot_once = PTHREAD_ONCE_INIT;

static void mi_slot_release(void *slot) {
    size_t i = (size_t)slot - 1;
    __atomic_store_n(&mi_thread_usage[i].held, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&mi_thread_usage[i].in_use, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&mi_slot_taken[i], false, __ATOMIC_RELEASE);
}
static void mi_slot_key_create(void) { pthread_key_create(&mi_slot_key, mi_slot_release); }

/* This thread's slot; the last one is shared by threads past MI_THREADS (their readings
 * then overwrite each other: an undercount, never double counting). */
static size_t mi_slot(void) {
    pthread_once(&mi_slot_once, mi_slot_key_create);
    size_t slot = (size_t)pthread_getspecific(mi_slot_key);
    if (slot) return slot - 1;
    for (slot = 0; slot < MI_THREADS - 1; slot++)
        if (!__atomic_exchange_n(&mi_slot_taken[slot], true, __ATOMIC_ACQUIRE)) break;
    pthread_setspecific(mi_slot_key, (void *)(slot + 1));
    return slot;
}

static bool mimalloc_area(const void *heap, const mi_area *area, void *block, size_t block_size, void *arg) {
    (void)heap, (void)block, (void)block_size;
    mm_malloc_usage *sum = arg;
    if (area) {
        sum->held += area->committed;
        sum->in_use += area->used * area->full_block_size;
    }
    return true;
}
static void mimalloc_read(mm_malloc_usage *out) {
    mm_malloc_usage mine = {0, 0};
    mi.heap_visit_blocks(mi.heap_get_default(), false, mimalloc_area, &mine);
    size_t slot = mi_slot();
    __atomic_store_n(&mi_thread_usage[slot].held, mine.held, __ATOMIC_RELAXED);
    __atomic_store_n(&mi_thread_usage[slot].in_use, mine.in_use, __ATOMIC_RELAXED);
    for (size_t i = 0; i < MI_THREADS; i++) {
        out->held += __atomic_load_n(&mi_thread_usage[i].held, __ATOMIC_RELAXED);
        out->in_use += __atomic_load_n(&mi_thread_usage[i].in_use, __ATOMIC_RELAXED);
    }
}

static peer mimalloc_peer = {"mimalloc", "libmimalloc.so.2", "libmimalloc2.0", "mi_heap_visit_blocks", mi_symbols,
                             (void **)&mi, 2, {"mimalloc", mimalloc_read}, PTHREAD_ONCE_INIT, "", ""};
PEER_ONCE(mimalloc)
_Static_assert(sizeof mi == 2 * sizeof(void *), "one slot per mimalloc symbol");

MM_MALLOC_STRATEGY(mimalloc, "peer: mimalloc 2 (Microsoft) as the process's malloc (preloaded)", mimalloc_open,
                   mimalloc_unavailable);

/* ---- tcmalloc (gperftools) ----------------------------------------------------------- */

static struct {
    int (*property)(const char *, size_t *);
} tc;
static const char *const tc_symbols[] = {"MallocExtension_GetNumericProperty"};

static size_t tcmalloc_stat(const char *name) {
    size_t value = 0;
    return tc.property(name, &value) ? value : 0;
}
static void tcmalloc_read(mm_malloc_usage *out) {
    size_t heap = tcmalloc_stat("generic.heap_size"), unmapped = tcmalloc_stat("tcmalloc.pageheap_unmapped_bytes");
    out->held = heap > unmapped ? heap - unmapped : 0;
    out->in_use = tcmalloc_stat("generic.current_allocated_bytes");
}

static peer tcmalloc_peer = {"tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4",
                             "MallocExtension_GetNumericProperty", tc_symbols, (void **)&tc, 1,
                             {"tcmalloc", tcmalloc_read}, PTHREAD_ONCE_INIT, "", ""};
PEER_ONCE(tcmalloc)
_Static_assert(sizeof tc == 1 * sizeof(void *), "one slot per tcmalloc symbol");

MM_MALLOC_STRATEGY(tcmalloc, "peer: tcmalloc (gperftools, Google) as the process's malloc (preloaded)", tcmalloc_open,
                   tcmalloc_unavailable);

/* ---- who is in charge, and what to preload ------------------------------------------- */

static peer *peer_of(const mm_strategy *s) {
    return s == &mm_jemalloc ? &jemalloc_peer : s == &mm_mimalloc ? &mimalloc_peer : s == &mm_tcmalloc ? &tcmalloc_peer
                                                                                                        : NULL;
}

const mm_malloc_library *mm_malloc_in_charge(void) {
    const mm_strategy *peers[] = {&mm_jemalloc, &mm_mimalloc, &mm_tcmalloc};
    for (size_t i = 0; i < sizeof peers / sizeof *peers; i++)
        if (!peers[i]->unavailable()) return &peer_of(peers[i])->library;
    const char *process_malloc = file_of(dlsym(RTLD_DEFAULT, "malloc"));
    const char *base = process_malloc ? strrchr(process_malloc, '/') : NULL;
    base = base ? base + 1 : process_malloc;
    return base && strncmp(base, "libc.so", 7) == 0 ? &mm_glibc : NULL;
}

const char *mm_peer_library(const mm_strategy *s) {
    peer *p = peer_of(s);
    if (p == NULL || peer_switched_off(p->name)) return NULL;
    return s->unavailable() ? p->soname : p->path;
}
