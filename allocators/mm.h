/* mm.h — the allocator interface every strategy implements, and the registry.
 *
 * Vocabulary
 *   strategy   a way of managing memory: a constant table of operations (mm_strategy)
 *              with a name, a one-line summary and a capability mask.
 *   heap       one open instance of a strategy (mm_heap is the base every strategy's
 *              heap struct starts with). Heaps are single-threaded unless the strategy
 *              says otherwise (MM_CAP_THREADS).
 *   block      what alloc returns: at least `size` usable bytes, aligned to `align`.
 *   page layer allocators/os.c: where in-house strategies get memory; it counts every
 *              mapped byte, so footprints are exact and comparable (mm_pages, below).
 *   footprint  bytes the heap holds from the OS right now (mapped, plus the large-block
 *              mappings its page layer keeps cached for reuse); peak_footprint, the most ever.
 *   owner      a heap opened with config.owner records every page it maps in owner->map
 *              (mm_pagemap), so "which heap's block is p?" has an answer for every
 *              strategy: what the per-thread layer (allocators/perthread.h) runs on.
 *
 * Contract (checked for every strategy by conformance/contract.c)
 *   - alloc(size, align): align is 0 (meaning MM_MIN_ALIGN) or a power of two up to
 *     MM_MAX_ALIGN; the block is aligned to max(align, MM_MIN_ALIGN). size 0 returns a
 *     unique, freeable block. A request the heap cannot satisfy (too large, or past the
 *     page-layer limit) returns NULL and leaves the heap healthy.
 *   - free(NULL) does nothing; free is unsized: the strategy finds the size itself.
 *   - realloc(NULL, n) is alloc(n, 0); realloc(p, n) keeps the first min(old, n) bytes and
 *     returns a block aligned to MM_MIN_ALIGN; realloc(p, 0) returns a size-0 block and
 *     releases p. On failure it returns NULL and p stays valid and unchanged.
 *   - usable_size(p) >= the size requested for p.
 *   - check() walks the heap and every free structure and returns the number of broken
 *     invariants: 0 means healthy. Strategies without MM_CAP_CHECK return 0 and say so.
 *   - A strategy without MM_CAP_FREE never reuses memory (bump): free is a no-op.
 *
 * Every caller, benchmarks included, goes through the table, the system allocator too.
 */
#ifndef MM_H
#define MM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MM_MIN_ALIGN 16u
#define MM_MAX_ALIGN 4096u

/* Capabilities: what a strategy can do, so tests skip only what a strategy excuses. */
enum {
    MM_CAP_FREE = 1u << 0,        /* free makes memory reusable */
    MM_CAP_CHECK = 1u << 1,       /* check() really walks the heap */
    MM_CAP_LIMIT = 1u << 2,       /* honours mm_config.limit through the page layer */
    MM_CAP_EXACT_FOOTPRINT = 1u << 3, /* footprint counted by the page layer, byte-exact */
    MM_CAP_THREADS = 1u << 4,     /* one heap may be used from several threads at once */
};

/* Statistics, declared once: X(name, description). Expands into mm_stats and printers. */
#define MM_STATS_FIELDS(X)                                                        \
    X(footprint, "bytes held from the OS now")                                    \
    X(peak_footprint, "most bytes held from the OS at once")                      \
    X(map_calls, "mappings made from the OS (or the C library's, where known)")   \
    X(unmap_calls, "mappings given back to the OS")

typedef struct mm_stats {
#define MM_STATS_MEMBER(name, doc) size_t name;
    MM_STATS_FIELDS(MM_STATS_MEMBER)
#undef MM_STATS_MEMBER
} mm_stats;

/* The page layer: every in-house strategy maps and unmaps memory only through this. */
typedef struct mm_owner mm_owner;
typedef struct mm_range {
    uintptr_t start; /* 0: an empty slot */
    size_t bytes;
} mm_range;
#define MM_PAGES_CACHE 8u                   /* cached ranges a heap's page layer keeps */
#define MM_PAGES_CACHE_MAX ((size_t)64 << 20) /* the most it keeps, in bytes */

typedef struct mm_pages {
    size_t mapped;      /* bytes of live mappings (a multiple of the OS page size) */
    size_t cached;      /* bytes of large-block mappings kept for reuse: held, not in use */
    size_t peak_mapped; /* the most ever held at once (mapped + cached) */
    size_t limit;       /* 0 = unlimited; otherwise holding + charged past it fails (NULL, false) */
    size_t map_calls;   /* mmap calls; a cached mapping reused is none */
    size_t unmap_calls; /* mappings given back to the OS */
    size_t largest;     /* the largest mapping mm_pages_map_cached handed out */
    size_t charged;          /* bytes held for this heap by another heap (its fallback): under the limit too */
    struct mm_pages *within; /* NULL, or the page layer of the heap this one serves: all it holds is charged there */
    mm_owner *owner;    /* NULL, or whose pages these are: every page is recorded there */
    mm_range cache[MM_PAGES_CACHE];
} mm_pages;

size_t mm_page_size(void);
/* Maps `bytes` (rounded up to whole pages) aligned to `align` (a power of two; 0 or
 * anything up to the page size means page-aligned). Zero-filled. NULL past the limit. */
void *mm_pages_map(mm_pages *pages, size_t bytes, size_t align);
/* Unmaps exactly what one mm_pages_map call returned (same pointer, same bytes). The
 * heap's last unmap (mapped back to 0: its own struct, at close) also gives every
 * cached mapping back to the OS. */
void mm_pages_unmap(mm_pages *pages, void *p, size_t bytes);
/* Large blocks (a request over a strategy's large threshold, with a mapping of its own):
 * unmap_cached keeps the mapping in the heap's cache, merged with cached neighbours,
 * and map_cached hands out the best-fitting cached range (the rest stays cached), or
 * grows the largest one (mremap: its pages move, resident), before it maps anything new,
 * as glibc serves freed chunks from its heap under its dynamic mmap threshold. So an
 * allocate/free loop of multi-MiB blocks makes few system calls and takes few page
 * faults. The contents of a reused range are not zeroed. A cached range is memory held
 * from the OS, resident, and counts in the footprint (`cached`); the cache keeps at most
 * four times the largest block mapping handed out, and at most MM_PAGES_CACHE_MAX bytes
 * (the smallest ranges go first); past the limit, it is emptied before any map fails.
 * Either unmap may give back either map's mappings. */
void *mm_pages_map_cached(mm_pages *pages, size_t bytes, size_t align);
void mm_pages_unmap_cached(mm_pages *pages, void *p, size_t bytes);
/* Counts `bytes` another heap holds for this one against this page layer's limit (and every
 * limit it is within); false, and nothing counted, when they would pass one. A heap's
 * fallback is charged this way: by the page layer itself when it maps `within` this one,
 * or by the heap for a fallback without a page layer (its live blocks' usable bytes). */
bool mm_pages_charge(mm_pages *pages, size_t bytes);
void mm_pages_uncharge(mm_pages *pages, size_t bytes);
void mm_pages_stats(const mm_pages *pages, mm_stats *out);
/* Asks for transparent huge pages on a mapping that will be filled front to back:
 * one fault per 2 MiB instead of per 4 KiB. Changes no accounting. */
#define MM_HUGE_PAGE ((size_t)2 << 20)
void mm_pages_hint_huge(void *p, size_t bytes);

/* Page owners. A pagemap is a radix tree from every 4 KiB of the address space to the
 * owner whose page layer mapped it (NULL: nobody's), shared by the heaps of one
 * per-thread layer: mm_pages_map records a mapping of an owned mm_pages before handing
 * it out and mm_pages_unmap forgets it before giving it back (cached ranges stay
 * recorded: they are still held). Lookups are lock-free and take four loads; nodes are
 * installed with a compare-and-swap and kept until mm_pagemap_release. The map also
 * counts, atomically, every byte its owners hold and its own nodes (held, peak_held),
 * and enforces a limit on their sum: the footprint of all the heaps together, exact
 * from any thread. */
#define MM_PAGEMAP_GRAIN 12u /* log2 of the bytes one entry covers */
#define MM_PAGEMAP_BITS 9u   /* log2 of the entries of a node: 4 KiB of pointers */
#define MM_PAGEMAP_LEVELS 4u /* 12 + 4 x 9 = 48 address bits */
typedef struct mm_pagemap {
    _Atomic(void *) root[1u << MM_PAGEMAP_BITS];
    _Atomic size_t held;      /* bytes held by every owner (mapped + cached) and the nodes */
    _Atomic size_t peak_held; /* the most ever held at once */
    _Atomic size_t map_calls, unmap_calls;
    size_t limit;             /* 0 = none; otherwise held never passes it */
} mm_pagemap;
struct mm_owner {
    mm_pagemap *map;
};

/* The owner of the page holding p, or NULL. Safe from any thread for a p the caller
 * may use (its mapping was recorded before the block reached the caller). */
static inline mm_owner *mm_pagemap_find(mm_pagemap *m, const void *p) {
    const uintptr_t mask = ((uintptr_t)1 << MM_PAGEMAP_BITS) - 1;
    uintptr_t key = (uintptr_t)p >> MM_PAGEMAP_GRAIN;
    if (__builtin_expect(key >> (MM_PAGEMAP_LEVELS * MM_PAGEMAP_BITS), 0)) return NULL;
    _Atomic(void *) *node = m->root;
#pragma GCC unroll 4
    for (unsigned level = MM_PAGEMAP_LEVELS - 1; level > 0; level--) {
        node = atomic_load_explicit(&node[(key >> (level * MM_PAGEMAP_BITS)) & mask], memory_order_acquire);
        if (__builtin_expect(node == NULL, 0)) return NULL;
    }
    return atomic_load_explicit(&node[key & mask], memory_order_relaxed);
}
/* Bytes of address space recorded for `owner` (NULL: for anyone); a walk, for check(). */
size_t mm_pagemap_bytes(const mm_pagemap *m, const mm_owner *owner);
/* Bytes of the map's own nodes. */
size_t mm_pagemap_node_bytes(const mm_pagemap *m);
/* Unmaps every node (no owner may hold pages any more); the map is empty again. */
void mm_pagemap_release(mm_pagemap *m);

/* Configuration handed to open. */
typedef struct mm_config {
    size_t limit;        /* page-layer limit in bytes; 0 = none */
    const char *options; /* "key=value,key=value", strategy-specific; NULL = defaults */
    mm_owner *owner;     /* NULL, or the owner of every page the heap maps (mm_pages_from) */
    mm_pages *within;    /* a heap opened as another's fallback: its page layer is within this one
                            (all it holds charged there, under its limit). Honoured by the strategies
                            that free and count an exact footprint, the ones a fallback can be */
} mm_config;

/* A heap's page layer, as its config asks: every strategy opens with this. */
static inline mm_pages mm_pages_from(const mm_config *config) {
    return (mm_pages){.limit = config->limit, .within = config->within, .owner = config->owner};
}

typedef struct mm_error {
    char message[200]; /* one line, no trailing newline */
} mm_error;

typedef struct mm_strategy mm_strategy;

/* Every strategy's heap struct starts with this. */
typedef struct mm_heap {
    const mm_strategy *strategy;
} mm_heap;

struct mm_strategy {
    const char *name;    /* the CLI name, benchmark name and JSON key */
    const char *summary; /* one line for ./mmbench list */
    unsigned caps;       /* MM_CAP_* */
    mm_heap *(*open)(const mm_config *config, mm_error *err);
    void (*close)(mm_heap *heap);
    void *(*alloc)(mm_heap *heap, size_t size, size_t align);
    void (*free)(mm_heap *heap, void *p);
    void *(*realloc)(mm_heap *heap, void *p, size_t size);
    size_t (*usable_size)(mm_heap *heap, const void *p);
    void (*stats)(mm_heap *heap, mm_stats *out);
    size_t (*check)(mm_heap *heap);
    /* Optional (NULL = always available): NULL when the strategy can run in this process,
     * else a one-line reason (a peer whose library is not the process's malloc). open()
     * then fails with the same reason; runs and tests skip the strategy with it. */
    const char *(*unavailable)(void);
};

/* Marks a strategy's slow path (a new pool, a new arena, a list transition) so the
 * compiler keeps it out of line: the fast path it leaves then needs no stack frame. */
#define MM_SLOW_PATH __attribute__((noinline))

/* Calls through the table: the only way anyone reaches a strategy. */
static inline void *mm_alloc(mm_heap *h, size_t size, size_t align) { return h->strategy->alloc(h, size, align); }
static inline void mm_free(mm_heap *h, void *p) { h->strategy->free(h, p); }
static inline void *mm_realloc(mm_heap *h, void *p, size_t size) { return h->strategy->realloc(h, p, size); }
static inline size_t mm_usable_size(mm_heap *h, const void *p) { return h->strategy->usable_size(h, p); }
static inline void mm_stats_get(mm_heap *h, mm_stats *out) { h->strategy->stats(h, out); }
static inline size_t mm_check(mm_heap *h) { return h->strategy->check(h); }
static inline void mm_close(mm_heap *h) { h->strategy->close(h); }

/* Opens a heap of strategy `s`; on failure returns NULL with a one-line reason in err. */
mm_heap *mm_open(const mm_strategy *s, const mm_config *config, mm_error *err);

/* The registry: every strategy, in the order of allocators/strategies.def. */
extern const mm_strategy *const mm_strategies[];
extern const size_t mm_strategy_count;
const mm_strategy *mm_strategy_find(const char *name);
/* NULL when `s` can run here, else why not (see mm_strategy.unavailable). */
const char *mm_strategy_unavailable(const mm_strategy *s);

/* Strategy options: "key=value,..." parsed against a table of what a strategy accepts.
 * Sizes take K, M, G suffixes (powers of 1024). Unknown keys and out-of-range values
 * are errors naming the key and the valid choices. */
typedef enum { MM_OPTION_SIZE, MM_OPTION_NAME } mm_option_kind;
typedef struct mm_option {
    const char *key;
    mm_option_kind kind;
    const char *help;
    size_t min, max;   /* MM_OPTION_SIZE: inclusive range */
    bool power_of_two; /* MM_OPTION_SIZE: value must be a power of two */
    void *value;       /* size_t * or char[MM_OPTION_NAME_MAX] */
} mm_option;
#define MM_OPTION_NAME_MAX 64
bool mm_options_parse(const char *strategy, const char *text, const mm_option *options, size_t count,
                      mm_error *err);
void mm_error_set(mm_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Helpers every strategy uses. */
static inline bool mm_is_power_of_two(size_t x) { return x != 0 && (x & (x - 1)) == 0; }
static inline size_t mm_align_up(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }
/* Normalises an alloc alignment argument: 0 and small values become MM_MIN_ALIGN.
 * Returns 0 for an alignment the interface does not accept. */
static inline size_t mm_effective_align(size_t align) {
    if (align <= MM_MIN_ALIGN) return MM_MIN_ALIGN;
    return (mm_is_power_of_two(align) && align <= MM_MAX_ALIGN) ? align : 0;
}

/* Debug fills (compiled in with -DMM_DEBUG, as the sanitizer builds do): fresh memory
 * reads 0xCD and freed memory 0xDD, so use of either shows up at once. */
#define MM_FILL_FRESH 0xCD
#define MM_FILL_FREED 0xDD
#ifdef MM_DEBUG
#include <string.h>
#define mm_debug_fill(p, n, byte) memset((p), (byte), (n))
#else
#define mm_debug_fill(p, n, byte) ((void)(p), (void)(n), (void)(byte))
#endif

#endif
