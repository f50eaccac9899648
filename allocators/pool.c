/* pool.c — CPython's small-object allocator (obmalloc / "pymalloc"), single-threaded.
 *
 * Vocabulary
 *   size class  requests of 1..512 bytes round up to a multiple of 16: class i holds blocks
 *               of (i + 1) * 16 bytes, 32 classes (size 0 is class 0).
 *   arena       a page-layer mapping of `arena` bytes (default 2 MiB), aligned to its own
 *               size, cut into pools. An arena of a huge page or more is hinted onto
 *               transparent huge pages (as CPython's --with-pymalloc-hugepages build does):
 *               one TLB entry then covers every block in it. Its header, the arena object, is a mapping of its own
 *               (as CPython keeps arena_objects apart) holding one 64-byte header per pool.
 *               A radix tree from arena address to arena object (radix.h, CPython's
 *               arena_map) answers "is p ours, and in which pool?" in three loads: p's
 *               arena number is the key, the pool index is p's bits between log2(pool)
 *               and log2(arena) — nothing is read that might not be ours.
 *   pool        `pool` bytes (default 16 KiB) holding blocks of one size class from its
 *               first byte. Its header: a free list threaded through freed blocks
 *               (`freeblock`), a count of allocated blocks (`ref`) and `nextoffset`, the
 *               never-used tail carved one block at a time (filled lazily, as in CPython).
 *               Unlike CPython the header is not at the start of the pool: pools are 16 KiB
 *               aligned, so in-pool headers all fall into the same few cache sets and every
 *               free misses; packed together in the arena object they stay cached.
 *   states      used   0 < ref < capacity: in used[class], a list allocation takes from;
 *               full   ref == capacity: in no list;
 *               empty  ref == 0: on its arena's `freepools` list, ready for any class.
 *   transitions empty->used (a class with no used pool takes an empty pool, or carves a
 *               fresh one from the fullest arena); used->full (its last free block is
 *               taken: unlinked); full->used (a block is freed: linked at the head of
 *               used[class]); used->empty (its last block is freed: unlinked, pushed on
 *               the arena's freepools; when that empties the whole arena and another wholly
 *               empty arena is already kept as a spare, the arena goes back to the OS).
 *   usable      arenas with at least one free (empty or uncarved) pool, sorted by
 *               nfreepools ascending: new pools come from the head, the fullest arena, so
 *               the emptier ones can drain and be returned. lasta[n] points at the last
 *               arena with n free pools, so re-sorting after a change is O(1) (CPython's
 *               nfp2lasta).
 *   front cache per size class, a LIFO list of freed blocks (linked through their first
 *               word) that free pushes and alloc pops before any pool is touched: the
 *               role CPython's per-type free lists (floats, tuples, lists, dicts) play in
 *               front of obmalloc. Option `cache` bounds it (default 64 blocks a class;
 *               0 gives CPython's allocator alone); while a list is full, freed blocks
 *               go straight back to their pools; before a new arena is mapped every list
 *               goes back, so the cache never makes the heap grow. A cached block counts as allocated in
 *               its pool's `ref`.
 *   valgrind    (memcheck build only) an arena is closed to memcheck when mapped; blocks
 *               are announced with their class size; a free block's link word is opened
 *               only to be read or written (link_get / link_set), so a stray access into
 *               free or cached memory is reported.
 *   fallback    requests above 512 bytes, or aligned above 16, go to another strategy,
 *               opened through the registry (option `fallback`, default system). The
 *               heap's footprint is its arenas and tables plus the fallback's footprint
 *               (its exact page-layer count when it has one, else the usable bytes of the
 *               live blocks it holds for us); the limit covers the sum.
 *
 * Invariants (check() counts violations)
 *   every carved pool of every arena is used, full or empty as its ref says, and sits in
 *   exactly the list that state names; ref + free-list length == blocks carved; free-list
 *   entries are block starts inside the carved part; a used pool's free list is non-empty;
 *   nfreepools == empty pools + uncarved pools; usable is sorted and holds exactly the
 *   arenas with a free pool; lasta is right; every cached block is a carved block of a
 *   pool of its class, and each list holds ncached <= cache blocks; at most one wholly empty arena is kept; the
 *   radix tree holds exactly the arenas; arenas + tables + heap == the page layer's `mapped`.
 */
#include "addrmap.h"
#include "mm.h"
#include "mm_valgrind.h"
#include "radix.h"

#include <string.h>

#define NCLASSES 32u
#define SMALL_MAX (NCLASSES * 16u)

typedef struct arena arena;

/* A pool's header ("descriptor"): kept in its arena object, not in the pool. */
typedef struct pool_hdr {
    void *freeblock;                      /* first free block; its first word links the next */
    struct pool_hdr *nextpool, *prevpool; /* used[class] list, or the arena's freepools */
    arena *arena;
    char *mem;              /* the pool's memory: blocks from offset 0 */
    uint32_t ref;           /* allocated blocks */
    uint32_t szidx;         /* size class */
    uint32_t nextoffset;    /* offset of the first never-used block */
    uint32_t maxnextoffset; /* the last offset a block fits at */
    uint64_t pad_;
} pool_hdr;
_Static_assert(sizeof(pool_hdr) == 64, "one cache line per pool header");

struct arena {
    pool_hdr *freepools;          /* empty pools, linked through nextpool */
    uint32_t nfreepools;          /* empty + never-carved pools */
    uint32_t ntotalpools;
    uint32_t ncarved;             /* pools [0, ncarved) have been used at least once */
    uintptr_t base;               /* the arena's memory */
    arena *nextarena, *prevarena; /* the usable list */
    arena *next_all, *prev_all;   /* every arena */
    pool_hdr pools[];             /* one header per pool, in address order */
};

typedef struct pool_heap {
    mm_heap base;
    unsigned pool_shift;             /* log2(pool) */
    uintptr_t pool_index_mask;       /* pools per arena - 1 */
    mm_radix arenas;                 /* arena address -> arena header */
    pool_hdr *used[NCLASSES];
    void *cached[NCLASSES];          /* the front cache: freed blocks linked through their first word */
    uint32_t ncached[NCLASSES];
    uint32_t cache_max;              /* blocks per class; 0: no cache */
    arena *usable, *all;
    arena **lasta; /* ntotalpools + 1 entries, after this struct */
    size_t pool_bytes, arena_bytes, ntotal, object_bytes; /* object: an arena's header mapping */
    size_t narenas, empty_arenas;
    mm_pages pages;
    size_t heap_bytes;
    mm_heap *fallback;
    bool fallback_exact;
    mm_addrmap big;        /* live fallback blocks -> usable bytes, so close() frees them */
    size_t fallback_bytes; /* usable bytes of live fallback blocks */
    size_t peak;
} pool_heap;

static inline size_t class_of(size_t n) { return (n - (n != 0)) >> 4; }
static inline size_t class_size(size_t cls) { return (cls + 1) * 16; }
/* The header of the pool holding p, or NULL when p is not in one of our arenas. */
static inline pool_hdr *pool_of(pool_heap *h, const void *p) {
    arena *a = mm_radix_find(&h->arenas, p);
    return a ? &a->pools[((uintptr_t)p >> h->pool_shift) & h->pool_index_mask] : NULL;
}

/* The link word at the start of a free block (memcheck: opened only while used). */
static inline void *link_get(void *b) {
    mm_vg_open_metadata(b, sizeof(void *));
    void *next = *(void **)b;
    mm_vg_close_metadata(b, sizeof(void *));
    return next;
}
static inline void link_set(void *b, void *next) {
    mm_vg_open_metadata(b, sizeof(void *));
    *(void **)b = next;
    mm_vg_close_metadata(b, sizeof(void *));
}

/* ---- debug-only validators (MM_DEBUG: the ASan+UBSan test builds) ---- */

typedef enum { POOL_USED, POOL_FULL, POOL_EMPTY } pool_state;

#ifdef MM_DEBUG
#include <assert.h>
/* One pool, right after a transition into `state` ("states" above; CPython's pool states):
 * its carved part, free list and ref agree, ref says `state`, and the pool sits where that
 * state says, its neighbours linked back to it. O(blocks in the pool): transitions only. */
static void validate_pool(const pool_heap *h, const pool_hdr *pool, pool_state state) {
    const size_t size = class_size(pool->szidx), capacity = h->pool_bytes / size, carved = pool->nextoffset / size;
    assert(pool->szidx < NCLASSES && pool->nextoffset % size == 0 && carved <= capacity &&
           "validate_pool: the carved part is whole blocks of the pool's class");
    size_t listed = 0;
    for (const char *b = pool->freeblock; b != NULL; b = link_get((void *)b)) {
        assert(listed < carved && b >= pool->mem && (size_t)(b - pool->mem) < pool->nextoffset &&
               (size_t)(b - pool->mem) % size == 0 &&
               "validate_pool: the free list holds distinct carved blocks (a double free links one twice)");
        listed++;
    }
    assert(pool->ref + listed == carved && "validate_pool: every carved block is allocated, cached or on the free list");
    const pool_hdr *head = h->used[pool->szidx];
    switch (state) {
    case POOL_USED:
        assert(pool->ref > 0 && pool->freeblock != NULL && "validate_pool: a used pool has blocks out and a free one");
        assert((pool->prevpool ? pool->prevpool->nextpool == pool : head == pool) &&
               (!pool->nextpool || pool->nextpool->prevpool == pool) && "validate_pool: a used pool is in used[class]");
        break;
    case POOL_FULL:
        assert(pool->ref == capacity && pool->freeblock == NULL && head != pool &&
               "validate_pool: a full pool has every block out and is in no list");
        break;
    case POOL_EMPTY:
        assert(pool->ref == 0 && pool->arena->freepools == pool && head != pool &&
               "validate_pool: an empty pool has no block out and heads its arena's freepools");
        break;
    }
}
#define VALIDATE_POOL(h, pool, state) validate_pool(h, pool, state)
#else
#define VALIDATE_POOL(h, pool, state) ((void)0)
#endif

/* ---- footprint over the arenas and the fallback ---- */

/* The page layer's count: what pool maps, and what its fallback holds for it (charged:
 * by the page layer for a fallback mapping within pool's, by fallback_alloc otherwise). */
static size_t footprint(const pool_heap *h) { return h->pages.mapped + h->pages.charged; }

static void note_peak(pool_heap *h) {
    size_t f = footprint(h);
    if (f > h->peak) h->peak = f;
}

/* Would `more` bytes pass the limit? */
static bool over_limit(const pool_heap *h, size_t more) {
    size_t limit = h->pages.limit;
    return limit != 0 && (more > limit || footprint(h) > limit - more);
}

/* ---- arenas ---- */

static void usable_unlink(pool_heap *h, arena *a) {
    if (a->prevarena) a->prevarena->nextarena = a->nextarena;
    else h->usable = a->nextarena;
    if (a->nextarena) a->nextarena->prevarena = a->prevarena;
    a->nextarena = a->prevarena = NULL;
}

static arena *arena_new(pool_heap *h) {
    if (over_limit(h, h->arena_bytes + h->object_bytes)) return NULL;
    arena *a = mm_pages_map(&h->pages, h->object_bytes, 0);
    if (a == NULL) return NULL;
    uintptr_t base = (uintptr_t)mm_pages_map(&h->pages, h->arena_bytes, h->arena_bytes);
    if (base && h->arena_bytes >= MM_HUGE_PAGE) mm_pages_hint_huge((void *)base, h->arena_bytes);
    if (base == 0 || !mm_radix_insert(&h->arenas, &h->pages, base, a)) {
        if (base) mm_pages_unmap(&h->pages, (void *)base, h->arena_bytes);
        mm_pages_unmap(&h->pages, a, h->object_bytes);
        return NULL;
    }
    mm_vg_close_metadata((void *)base, h->arena_bytes);
    a->freepools = NULL;
    a->nfreepools = a->ntotalpools = (uint32_t)h->ntotal;
    a->ncarved = 0;
    a->base = base;
    a->nextarena = a->prevarena = NULL;
    a->next_all = h->all, a->prev_all = NULL;
    if (h->all) h->all->prev_all = a;
    h->all = a;
    h->narenas++;
    h->empty_arenas++;
    h->usable = a; /* only called when no arena has a free pool */
    h->lasta[h->ntotal] = a;
    note_peak(h);
    return a;
}

static void arena_free(pool_heap *h, arena *a) {
    uintptr_t base = a->base;
    if (a->prev_all) a->prev_all->next_all = a->next_all;
    else h->all = a->next_all;
    if (a->next_all) a->next_all->prev_all = a->prev_all;
    mm_radix_remove(&h->arenas, base);
    mm_pages_unmap(&h->pages, (void *)base, h->arena_bytes);
    mm_pages_unmap(&h->pages, a, h->object_bytes);
    h->narenas--;
}

/* A pool of arena a became empty: nfreepools grows by one and a moves right in `usable`. */
static void arena_pool_freed(pool_heap *h, arena *a) {
    uint32_t nf = ++a->nfreepools;
    if (nf == 1) { /* it was full, so not in usable: it is now the fullest of all */
        a->prevarena = NULL;
        a->nextarena = h->usable;
        if (h->usable) h->usable->prevarena = a;
        h->usable = a;
        if (h->lasta[1] == NULL) h->lasta[1] = a;
        if (nf == a->ntotalpools) h->empty_arenas++;
        return;
    }
    arena *lastnf = h->lasta[nf - 1];
    if (lastnf == a) h->lasta[nf - 1] = (a->prevarena && a->prevarena->nfreepools == nf - 1) ? a->prevarena : NULL;
    if (nf == a->ntotalpools) {
        if (h->empty_arenas >= 1) { /* a spare is kept already: this one goes back */
            usable_unlink(h, a);
            arena_free(h, a);
            return;
        }
        h->empty_arenas++;
    }
    if (h->lasta[nf] == NULL) h->lasta[nf] = a;
    if (lastnf == a) return; /* nothing with nf - 1 free pools stands after it */
    usable_unlink(h, a);     /* re-link right after the last arena with nf - 1 */
    a->prevarena = lastnf;
    a->nextarena = lastnf->nextarena;
    if (a->nextarena) a->nextarena->prevarena = a;
    lastnf->nextarena = a;
}

/* ---- pools ---- */

/* The pool at the head of used[class] just handed out b, its last free block. */
MM_SLOW_PATH static void *pool_full(pool_heap *h, pool_hdr *pool, void *b) {
    h->used[pool->szidx] = pool->nextpool; /* used -> full */
    if (pool->nextpool) pool->nextpool->prevpool = NULL;
    VALIDATE_POOL(h, pool, POOL_FULL);
    return b;
}

/* Allocates from pool, the head of used[class]: its free list first, then its never-used
 * tail, one block at a time (so memory is touched only as it is handed out). */
static inline void *pool_take(pool_heap *h, pool_hdr *pool) {
    void **b = pool->freeblock;
    pool->ref++;
    if (__builtin_expect((pool->freeblock = link_get(b)) != NULL, 1)) return b;
    if (pool->nextoffset > pool->maxnextoffset) return pool_full(h, pool, b);
    void **next = (void **)(pool->mem + pool->nextoffset);
    link_set(next, NULL);
    pool->freeblock = next;
    pool->nextoffset += (uint32_t)class_size(pool->szidx);
    return b;
}

static void cache_drain_all(pool_heap *h);

/* used[cls] is empty: an empty pool of the fullest arena becomes its head. */
MM_SLOW_PATH static void *pool_start(pool_heap *h, size_t cls) {
    arena *a = h->usable;
    if (a == NULL) {
        cache_drain_all(h); /* cached blocks may leave pools empty: use them before growing */
        if ((a = h->usable) == NULL && (a = arena_new(h)) == NULL) return NULL;
    }
    pool_hdr *pool = a->freepools;
    /* CPython's shortcut: a pool that last held this class keeps its free list (every block
     * it carved is on it) and its carved tail; any other pool starts afresh. */
    bool same_class = pool != NULL && pool->szidx == cls;
    if (pool) a->freepools = pool->nextpool;
    else pool = &a->pools[a->ncarved], pool->mem = (char *)a->base + ((size_t)a->ncarved++ << h->pool_shift);
    uint32_t nf = a->nfreepools;
    if (nf == a->ntotalpools) h->empty_arenas--;
    if (h->lasta[nf] == a) h->lasta[nf] = NULL; /* the head is the last of its count only when alone */
    a->nfreepools = --nf;
    if (nf == 0) usable_unlink(h, a);
    else if (h->lasta[nf] == NULL) h->lasta[nf] = a;

    if (!same_class) {
        uint32_t size = (uint32_t)class_size(cls);
        pool->szidx = (uint32_t)cls;
        pool->maxnextoffset = (uint32_t)h->pool_bytes - size;
        pool->freeblock = pool->mem;
        link_set(pool->mem, NULL);
        pool->nextoffset = size;
    }
    pool->arena = a;
    pool->ref = 0;
    pool->prevpool = NULL;
    pool->nextpool = NULL; /* used[cls] was empty */
    h->used[cls] = pool;
    void *b = pool_take(h, pool); /* empty -> used: a pool holds more than one block */
    VALIDATE_POOL(h, pool, POOL_USED);
    return b;
}

static void used_unlink(pool_heap *h, pool_hdr *pool) {
    if (pool->prevpool) pool->prevpool->nextpool = pool->nextpool;
    else h->used[pool->szidx] = pool->nextpool;
    if (pool->nextpool) pool->nextpool->prevpool = pool->prevpool;
}

MM_SLOW_PATH static void pool_transition(pool_heap *h, pool_hdr *pool, bool was_full) {
    if (pool->ref == 0) { /* -> empty */
        if (!was_full) used_unlink(h, pool);
        arena *a = pool->arena;
        pool->nextpool = a->freepools;
        a->freepools = pool;
        VALIDATE_POOL(h, pool, POOL_EMPTY); /* before the arena may go back to the OS */
        arena_pool_freed(h, a);
        return;
    }
    /* full -> used: at the head, so the next allocation of this class lands here */
    pool->prevpool = NULL;
    pool->nextpool = h->used[pool->szidx];
    if (pool->nextpool) pool->nextpool->prevpool = pool;
    h->used[pool->szidx] = pool;
    VALIDATE_POOL(h, pool, POOL_USED);
}

/* ---- the fallback ---- */

MM_SLOW_PATH static void fallback_free(pool_heap *h, void *p) {
    mm_addrmap_slot *s = mm_addrmap_find(&h->big, (uintptr_t)p);
    if (s == NULL) return; /* not a block of this heap */
    h->fallback_bytes -= s->value;
    if (!h->fallback_exact) mm_pages_uncharge(&h->pages, s->value);
    mm_addrmap_remove(&h->big, (uintptr_t)p);
    mm_free(h->fallback, p);
}

/* One try at a fallback block, every byte of it under the limit: a fallback with a page
 * layer maps within pool's (refused past the limit, its spare memory charged here like
 * any other); one without is charged the block's usable bytes. */
static void *fallback_try(pool_heap *h, size_t n, size_t align) {
    if (!h->fallback_exact && over_limit(h, n)) return NULL; /* an exact one may have room mapped already */
    void *p = mm_alloc(h->fallback, n, align);
    if (p == NULL) return NULL;
    size_t usable = mm_usable_size(h->fallback, p);
    if (!mm_addrmap_insert(&h->big, &h->pages, (uintptr_t)p, usable)) {
        mm_free(h->fallback, p);
        return NULL;
    }
    if (!h->fallback_exact && !mm_pages_charge(&h->pages, usable)) {
        mm_addrmap_remove(&h->big, (uintptr_t)p);
        mm_free(h->fallback, p);
        return NULL;
    }
    h->fallback_bytes += usable;
    note_peak(h);
    return p;
}

static bool spares_back(pool_heap *h);

MM_SLOW_PATH static void *fallback_alloc(pool_heap *h, size_t n, size_t align) {
    void *p = fallback_try(h, n, align);
    if (p == NULL && h->pages.limit && spares_back(h)) p = fallback_try(h, n, align); /* the room pool kept */
    return p;
}

/* ---- the table's operations ---- */

/* ---- the front cache ---- */

/* Gives a pool block back to its pool: CPython's free. */
static inline void block_release(pool_heap *h, pool_hdr *pool, void *p) {
    void *last = pool->freeblock;
    link_set(p, last);
    pool->freeblock = p;
    if (__builtin_expect(--pool->ref == 0 || last == NULL, 0)) pool_transition(h, pool, last == NULL);
}

/* Every block of class cls's cache goes back to its pool. */
MM_SLOW_PATH static void cache_drain(pool_heap *h, size_t cls) {
    while (h->ncached[cls]) {
        void **b = h->cached[cls];
        h->cached[cls] = link_get(b);
        h->ncached[cls]--;
        block_release(h, pool_of(h, b), b);
    }
}

/* Before the heap grows: every cached block goes back, so no pool stays pinned by one. */
static void cache_drain_all(pool_heap *h) {
    for (size_t cls = 0; cls < NCLASSES; cls++)
        if (h->ncached[cls]) cache_drain(h, cls);
}

/* At the limit: what pool keeps for itself — the front cache, and the wholly empty arena
 * it keeps as a spare — goes back, so the fallback can have that room. Returns whether the
 * footprint went down. */
static bool spares_back(pool_heap *h) {
    size_t before = footprint(h);
    cache_drain_all(h);
    arena *spare = h->lasta[h->ntotal]; /* usable is sorted: a wholly empty arena is its last */
    if (spare != NULL) {
        usable_unlink(h, spare);
        h->lasta[h->ntotal] = NULL; /* at most one wholly empty arena is kept */
        h->empty_arenas--;
        arena_free(h, spare);
    }
    return footprint(h) < before;
}

/* ---- the table's operations ---- */

static void *pool_alloc(mm_heap *heap, size_t n, size_t align) {
    pool_heap *h = (pool_heap *)heap;
    if (__builtin_expect(n <= SMALL_MAX && align <= MM_MIN_ALIGN, 1)) {
        size_t cls = class_of(n);
        void **c = h->cached[cls];
        if (__builtin_expect(c != NULL, 1)) {
            h->cached[cls] = link_get(c);
            h->ncached[cls]--;
            mm_vg_alloc(h, c, class_size(cls));
            mm_debug_fill(c, class_size(cls), MM_FILL_FRESH);
            return c;
        }
        pool_hdr *pool = h->used[cls];
        void *b = __builtin_expect(pool != NULL, 1) ? pool_take(h, pool) : pool_start(h, cls);
        if (b) {
            mm_vg_alloc(h, b, class_size(cls));
            mm_debug_fill(b, class_size(cls), MM_FILL_FRESH);
        }
        return b;
    }
    return fallback_alloc(h, n, align);
}

static inline bool ours(pool_heap *h, const void *p) { return pool_of(h, p) != NULL; }

/* Free's rare cases: a fallback block, or a full (or no) cache: the block goes straight
 * back to its pool. */
MM_SLOW_PATH static void free_slow(pool_heap *h, pool_hdr *pool, void *p) {
    if (pool != NULL) block_release(h, pool, p);
    else if (p != NULL) fallback_free(h, p);
}

static void pool_free(mm_heap *heap, void *p) {
    pool_heap *h = (pool_heap *)heap;
    pool_hdr *pool = pool_of(h, p); /* NULL for NULL: no arena sits at address 0 */
    if (__builtin_expect(pool != NULL, 1)) {
        size_t cls = pool->szidx;
        mm_debug_fill(p, class_size(cls), MM_FILL_FREED);
        mm_vg_free(h, p);
        if (__builtin_expect(h->ncached[cls] < h->cache_max, 1)) {
            link_set(p, h->cached[cls]);
            h->cached[cls] = p;
            h->ncached[cls]++;
            return;
        }
    }
    free_slow(h, pool, p);
}

static size_t pool_usable_size(mm_heap *heap, const void *p) {
    pool_heap *h = (pool_heap *)heap;
    const pool_hdr *pool = pool_of(h, p);
    if (pool) return class_size(pool->szidx);
    return mm_usable_size(h->fallback, p);
}

static void *pool_realloc(mm_heap *heap, void *p, size_t n) {
    pool_heap *h = (pool_heap *)heap;
    if (p == NULL) return pool_alloc(heap, n, 0);
    size_t old = pool_usable_size(heap, p);
    if (ours(h, p) && n <= old && 4 * n >= 3 * old) return p; /* shrinking by under a quarter: stay */
    void *q = pool_alloc(heap, n, 0);
    if (q == NULL) return NULL;
    memcpy(q, p, old < n ? old : n);
    pool_free(heap, p);
    return q;
}

static void pool_stats(mm_heap *heap, mm_stats *out) {
    pool_heap *h = (pool_heap *)heap;
    mm_stats fb;
    mm_stats_get(h->fallback, &fb);
    mm_pages_stats(&h->pages, out);
    out->footprint = footprint(h);
    note_peak(h);
    out->peak_footprint = h->peak;
    out->map_calls += fb.map_calls;
    out->unmap_calls += fb.unmap_calls;
}

/* ---- check ---- */

static size_t check_pool(const pool_heap *h, const pool_hdr *pool, const arena *a, size_t *used_state) {
    size_t broken = 0;
    if (pool->ref == 0) return 0; /* empty pools are counted through freepools */
    if (pool->szidx >= NCLASSES || pool->arena != a) return 1;
    size_t size = class_size(pool->szidx);
    if (pool->nextoffset % size || pool->nextoffset > h->pool_bytes || pool->maxnextoffset != h->pool_bytes - size)
        return 1;
    size_t carved = pool->nextoffset / size, listed = 0;
    for (const char *b = pool->freeblock; b && listed <= carved; b = link_get((void *)b), listed++) {
        size_t off = (size_t)(b - pool->mem);
        if (b < pool->mem || off >= pool->nextoffset || off % size) { broken++; break; }
    }
    if (pool->ref + listed != carved) broken++;
    bool full = listed == 0 && pool->nextoffset > pool->maxnextoffset;
    if (!full) {
        (*used_state)++;
        if (listed == 0) broken++; /* a used pool always has a listed free block */
    }
    return broken;
}

static size_t pool_check(mm_heap *heap) {
    pool_heap *h = (pool_heap *)heap;
    size_t broken = 0, arenas = 0, empty = 0, with_free = 0, used_state = 0, used_listed = 0;
    for (const arena *a = h->all; a; a = a->next_all, arenas++) {
        if (mm_radix_find(&h->arenas, (void *)a->base) != a || a->ntotalpools != h->ntotal || a->ncarved > h->ntotal) {
            broken++;
            continue;
        }
        size_t freepools = 0, zero = 0;
        for (const pool_hdr *p = a->freepools; p && freepools <= h->ntotal; p = p->nextpool, freepools++)
            if (p->ref != 0 || p < a->pools || p >= a->pools + a->ncarved) broken++;
        for (size_t i = 0; i < a->ncarved; i++) {
            const pool_hdr *pool = &a->pools[i];
            if (pool->mem != (char *)a->base + (i << h->pool_shift)) broken++;
            zero += pool->ref == 0;
            broken += check_pool(h, pool, a, &used_state);
        }
        size_t uncarved = h->ntotal - a->ncarved;
        if (freepools != zero || a->nfreepools != freepools + uncarved) broken++;
        empty += a->nfreepools == a->ntotalpools;
        with_free += a->nfreepools > 0;
    }
    for (size_t c = 0; c < NCLASSES; c++) {
        const pool_hdr *prev = NULL;
        for (const pool_hdr *p = h->used[c]; p && used_listed <= used_state; prev = p, p = p->nextpool) {
            used_listed++;
            if (p->szidx != c || p->ref == 0 || p->freeblock == NULL || p->prevpool != prev) broken++;
        }
    }
    for (size_t c = 0; c < NCLASSES; c++) {
        size_t cached = 0;
        for (const char *b = h->cached[c]; b && cached <= h->ncached[c]; b = link_get((void *)b), cached++) {
            const pool_hdr *pool = pool_of(h, b);
            if (pool == NULL || pool->szidx != c || pool->ref == 0 || (size_t)(b - pool->mem) >= pool->nextoffset ||
                (size_t)(b - pool->mem) % class_size(c)) {
                broken++;
                break;
            }
        }
        if (cached != h->ncached[c] || cached > h->cache_max) broken++;
    }
    size_t usable = 0;
    for (const arena *a = h->usable, *prev = NULL; a && usable <= arenas; prev = a, a = a->nextarena, usable++) {
        if (a->prevarena != prev || a->nfreepools == 0 || (prev && prev->nfreepools > a->nfreepools)) broken++;
        bool last_of_count = a->nextarena == NULL || a->nextarena->nfreepools != a->nfreepools;
        if ((h->lasta[a->nfreepools] == a) != last_of_count) broken++;
    }
    if (used_listed != used_state || usable != with_free || empty != h->empty_arenas || empty > 1) broken++;
    if (arenas != h->narenas || h->arenas.count != arenas) broken++;
    if (h->heap_bytes + mm_radix_bytes(&h->arenas) + mm_addrmap_bytes(&h->big) +
            arenas * (h->arena_bytes + h->object_bytes) !=
        h->pages.mapped)
        broken++;
    size_t big_bytes = 0;
    for (size_t i = 0; h->big.slots && i <= h->big.mask; i++) {
        const mm_addrmap_slot *s = &h->big.slots[i];
        if (s->key == 0) continue;
        big_bytes += s->value;
        if (ours(h, (void *)s->key) || mm_usable_size(h->fallback, (void *)s->key) != s->value) broken++;
    }
    if (big_bytes != h->fallback_bytes) broken++;
    /* the fallback's memory is charged to pool's page layer, all of it, under the limit */
    mm_stats fb;
    mm_stats_get(h->fallback, &fb);
    if (h->pages.charged != (h->fallback_exact ? fb.footprint : h->fallback_bytes)) broken++;
    if (h->pages.limit && footprint(h) > h->pages.limit) broken++;
    return broken + mm_addrmap_check(&h->big) + mm_check(h->fallback);
}

/* ---- open / close ---- */

extern const mm_strategy mm_pool;

static mm_heap *pool_open(const mm_config *config, mm_error *err) {
    size_t pool_bytes = 16u << 10, arena_bytes = 2u << 20, cache = 64;
    char fallback[MM_OPTION_NAME_MAX] = "system";
    const mm_option options[] = {
        {"pool", MM_OPTION_SIZE, "bytes per pool", 4096, 256u << 10, true, &pool_bytes},
        {"arena", MM_OPTION_SIZE, "bytes per arena", 64u << 10, 64u << 20, true, &arena_bytes},
        {"fallback", MM_OPTION_NAME, "the strategy for requests above 512 bytes", 0, 0, false, fallback},
        {"cache", MM_OPTION_SIZE, "freed blocks kept per size class in front of the pools (0: none)", 0, 4096, false,
         &cache},
    };
    if (!mm_options_parse("pool", config->options, options, 4, err)) return NULL;
    if (arena_bytes < 4 * pool_bytes || arena_bytes / pool_bytes > 4096) {
        mm_error_set(err, "pool: option arena=%zu must hold 4 to 4096 pools of %zu bytes", arena_bytes, pool_bytes);
        return NULL;
    }
    const mm_strategy *fs = mm_strategy_find(fallback);
    if (fs == NULL || fs == &mm_pool || !(fs->caps & MM_CAP_FREE)) {
        mm_error_set(err, "pool: option fallback=%s must name another strategy that frees (see ./mmbench list)",
                     fallback);
        return NULL;
    }
    if (config->owner && !(fs->caps & MM_CAP_LIMIT)) { /* its blocks would be nobody's pages */
        mm_error_set(err, "pool: per-thread heaps need every block in the page layer, and fallback=%s takes "
                          "its memory elsewhere (name an in-house strategy: fallback=best-fit)", fallback);
        return NULL;
    }
    /* Under a limit an arena is at most an eighth of it (halved, down to four pools): one
     * mostly empty arena must not take half of a small budget from the fallback. */
    while (config->limit && arena_bytes > config->limit / 8 && arena_bytes / 2 >= 4 * pool_bytes) arena_bytes /= 2;
    size_t ntotal = arena_bytes / pool_bytes;
    size_t heap_bytes = sizeof(pool_heap) + (ntotal + 1) * sizeof(arena *);
    mm_pages pages = mm_pages_from(config);
    pool_heap *h = mm_pages_map(&pages, heap_bytes, 0);
    if (h == NULL) {
        mm_error_set(err, "pool: the limit leaves no room for the heap itself");
        return NULL;
    }
    h->pages = pages;
    /* the fallback's page layer is within pool's: the one limit covers both */
    mm_config fcfg = {.within = &h->pages, .owner = config->owner};
    mm_heap *fb = mm_open(fs, &fcfg, err);
    if (fb == NULL) {
        mm_pages_unmap(&pages, h, heap_bytes);
        return NULL;
    }
    h->heap_bytes = mm_align_up(heap_bytes, mm_page_size());
    h->pool_bytes = pool_bytes, h->arena_bytes = arena_bytes, h->ntotal = ntotal;
    h->pool_shift = (unsigned)__builtin_ctzll(pool_bytes);
    h->object_bytes = mm_align_up(sizeof(arena) + ntotal * sizeof(pool_hdr), mm_page_size());
    h->pool_index_mask = ntotal - 1;
    h->arenas.shift = (unsigned)__builtin_ctzll(arena_bytes);
    h->big.shift = 4;
    h->lasta = (arena **)(h + 1);
    h->fallback = fb;
    h->cache_max = (uint32_t)cache;
    h->fallback_exact = (fs->caps & MM_CAP_EXACT_FOOTPRINT) != 0;
    note_peak(h);
    mm_vg_pool_create(h);
    return &h->base;
}

static void pool_close(mm_heap *heap) {
    pool_heap *h = (pool_heap *)heap;
    while (h->all) arena_free(h, h->all);
    mm_radix_release(&h->arenas, &h->pages);
    for (size_t i = 0; h->big.slots && i <= h->big.mask; i++)
        if (h->big.slots[i].key) mm_free(h->fallback, (void *)h->big.slots[i].key);
    mm_addrmap_release(&h->big, &h->pages);
    mm_close(h->fallback);
    mm_vg_pool_destroy(h);
    mm_pages copy = h->pages;
    mm_pages_unmap(&copy, h, h->heap_bytes);
}

const mm_strategy mm_pool = {
    .name = "pool",
    .summary = "CPython's pymalloc: 16-byte size classes to 512 B in 16 KiB pools in 2 MiB huge-page arenas, a front cache per class; larger to a fallback",
    .caps = MM_CAP_FREE | MM_CAP_CHECK | MM_CAP_LIMIT,
    .open = pool_open,
    .close = pool_close,
    .alloc = pool_alloc,
    .free = pool_free,
    .realloc = pool_realloc,
    .usable_size = pool_usable_size,
    .stats = pool_stats,
    .check = pool_check,
};
