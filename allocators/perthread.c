/* perthread.c — per-thread heaps over any in-house strategy (see perthread.h, and the
 * picture in docs/threads.md).
 *
 * Vocabulary
 *   layer      the mm_heap made here: the thread heaps, the pagemap every one of them
 *              records its pages in (mm.h), a pthread key whose destructor runs at thread
 *              exit, and the options new heaps open with.
 *   theap      a thread heap: an inner heap of the strategy, opened with owner = the
 *              theap, so every page it maps (its fallback's too) is recorded as its own
 *              and mm_pagemap_find(p) names the theap of any block p. Records live in the
 *              layer's own pages and are kept until close: a heap outlives its thread.
 *   owner      the one thread a theap serves. It alone enters the theap without a lock:
 *              a store of `inside`, a load of `guest` (the handshake below), no atomic
 *              read-modify-write. `mine` (thread-local) caches the calling thread's
 *              theap of the last layer it used, by the layer's serial number.
 *   mailbox    `remote`, a lock-free stack of blocks other threads freed, linked through
 *              their first word (pushed with a compare-and-swap; the owner takes the whole
 *              stack with one exchange, so no ABA can arise). The owner hands them to its
 *              inner heap (drain), as mimalloc's thread-delayed frees, every DRAIN_EVERY
 *              allocations and whenever one fails: looking at the mailbox on every call
 *              would pull its cache line back from the freeing thread each time. A remote
 *              free touches that one line, never the owner's heap, whose metadata stays in
 *              the owner's cache.
 *   guest      another thread that needs the inner heap itself, seldom: usable_size or
 *              realloc of another heap's block, check(), draining an abandoned heap,
 *              fork. A guest holds the theap's guest_lock, raises `guest` and waits until
 *              the owner is not `inside` an operation; an owner that finds `guest` raised
 *              steps out until it drops (Dekker's handshake). Each side's store must be
 *              seen before its load: the owner's half is a plain store and load, and the
 *              guest's membarrier(2) forces that order on every running thread (an
 *              asymmetric fence, as liburcu uses), so owners pay nothing for guests that
 *              never come. Without membarrier, both sides use seq_cst exchanges.
 *   abandoned  a theap whose thread exited (the key's destructor drains its mailbox and
 *              abandons it): a new thread adopts it before any heap is opened. A block
 *              freed into an abandoned heap is drained at once by the freeing thread (as a
 *              guest), so it shrinks as its blocks die.
 *   footprint  the pagemap's `held` (every byte the theaps hold, cached ranges included,
 *              the layer's record pages and the pagemap's nodes) plus the layer's own
 *              struct: summed over heaps exactly, counted at each map and unmap, so
 *              peak_footprint is the peak of the sum, read from any thread at any time.
 *
 * Invariants (check() counts violations, every heap stopped between operations)
 *   only a theap's owner, or a guest holding its guest_lock while the owner is not inside,
 *   touches its inner heap; a theap is OWNED (by one live thread) or ABANDONED (on the
 *   abandoned list); every page a theap holds is recorded as its own, and the bytes so
 *   recorded equal its footprint; held == sum of the theaps' footprints + the record
 *   pages + the pagemap's nodes; a mailbox holds blocks of its own theap only.
 */
#define _GNU_SOURCE
#include "allocators/perthread.h"

#include <assert.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { OWNED, ABANDONED };
enum { DRAIN_EVERY = 64 }; /* allocations between two looks at the mailbox */

typedef struct layer layer;

typedef struct theap {
    mm_owner owner; /* first: the pagemap's value for this heap's pages */
    mm_heap *inner;
    layer *layer;
    _Atomic int inside; /* the owner is in an operation */
    _Atomic int guest;  /* a guest is in, or waits to be */
    _Atomic int state;  /* OWNED or ABANDONED; changed under guest_lock */
    unsigned until_drain; /* the owner's: allocations left before it looks at the mailbox */
    struct theap *next_all, *next_abandoned;
    pthread_mutex_t guest_lock;
    _Alignas(64) _Atomic(void *) remote; /* the mailbox, on a cache line of its own */
} theap;

/* The layer's own pages: records, a slab at a time, each page led by a link to the next. */
typedef struct slab {
    struct slab *next;
} slab;
#define SLAB_FIRST mm_align_up(sizeof(slab), _Alignof(theap))

struct layer {
    mm_heap base;
    const mm_strategy *strategy;
    uint64_t serial; /* tells this layer from any other, for `mine` */
    pthread_key_t key;
    pthread_mutex_t lock; /* the lists, the records, heap creation and adoption */
    theap *all, *abandoned;
    size_t heaps;
    slab *slabs;
    size_t slab_used;
    mm_owner self; /* the owner of the record pages */
    mm_pages own;
    size_t struct_bytes;
    char options[MM_OPTIONS_MAX];
    bool has_options;
    mm_pagemap map;
};

static _Atomic uint64_t serials;
static __thread struct {
    uint64_t serial;
    theap *heap;
} mine __attribute__((tls_model("initial-exec")));

/* ---- the handshake between an owner and its guests ---- */

static pthread_once_t handshake_once = PTHREAD_ONCE_INIT;
static bool asymmetric; /* membarrier(2) is registered: owners need no fence */
static bool fences_forced;

static void handshake_init(void) {
    asymmetric = !fences_forced && syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void mm_perthread_use_fences(void) { fences_forced = true; }

static inline void owner_mark(theap *t) {
    if (asymmetric) {
        atomic_store_explicit(&t->inside, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst); /* the guest's membarrier orders the rest */
    } else {
        atomic_exchange_explicit(&t->inside, 1, memory_order_seq_cst);
    }
}

/* A guest is in or coming: out of its way until it leaves. */
MM_SLOW_PATH static void owner_make_way(theap *t) {
    do {
        atomic_store_explicit(&t->inside, 0, memory_order_release);
        while (atomic_load_explicit(&t->guest, memory_order_acquire)) sched_yield();
        owner_mark(t);
    } while (atomic_load_explicit(&t->guest, memory_order_seq_cst));
}

static inline void owner_enter(theap *t) {
    owner_mark(t);
    if (__builtin_expect(atomic_load_explicit(&t->guest, memory_order_seq_cst) != 0, 0)) owner_make_way(t);
}

static inline void owner_leave(theap *t) { atomic_store_explicit(&t->inside, 0, memory_order_release); }

/* Raises the guest flag; the caller holds guest_lock and waits for `inside` to drop. */
static void guest_raise(theap *t) {
    if (asymmetric) atomic_store_explicit(&t->guest, 1, memory_order_relaxed);
    else atomic_exchange_explicit(&t->guest, 1, memory_order_seq_cst);
}

static void guest_fence(void) {
    if (asymmetric) syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

static void guest_wait(theap *t) {
    while (atomic_load_explicit(&t->inside, memory_order_seq_cst)) sched_yield();
}

static void guest_enter(theap *t) {
    pthread_mutex_lock(&t->guest_lock);
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == ABANDONED) return; /* nobody else can be in */
    guest_raise(t);
    guest_fence();
    guest_wait(t);
}

static void guest_leave(theap *t) {
    atomic_store_explicit(&t->guest, 0, memory_order_release);
    pthread_mutex_unlock(&t->guest_lock);
}

/* Every theap stopped between operations (guest of each; one fence for all), and no new
 * one can start: for check() and fork. */
static void stop_all(layer *L) {
    pthread_mutex_lock(&L->lock);
    for (theap *t = L->all; t; t = t->next_all) {
        pthread_mutex_lock(&t->guest_lock);
        guest_raise(t);
    }
    guest_fence();
    for (theap *t = L->all; t; t = t->next_all) guest_wait(t);
}

static void resume_all(layer *L) {
    for (theap *t = L->all; t; t = t->next_all) guest_leave(t);
    pthread_mutex_unlock(&L->lock);
}

/* ---- the mailbox ---- */

/* The owner's: every block other threads freed goes back to the inner heap. */
MM_SLOW_PATH static void drain(theap *t) {
    void *b = atomic_exchange_explicit(&t->remote, NULL, memory_order_acquire);
    while (b != NULL) {
        void *next = *(void **)b;
        mm_free(t->inner, b);
        b = next;
    }
}

/* A block went into an abandoned heap's mailbox: whoever gets its guest lock drains it,
 * and looks again after letting go (a block pushed while it held the lock is its). */
MM_SLOW_PATH static void drain_abandoned(theap *t) {
    while (atomic_load_explicit(&t->remote, memory_order_seq_cst) != NULL &&
           atomic_load_explicit(&t->state, memory_order_relaxed) == ABANDONED &&
           pthread_mutex_trylock(&t->guest_lock) == 0) {
        if (atomic_load_explicit(&t->state, memory_order_relaxed) == ABANDONED) drain(t);
        pthread_mutex_unlock(&t->guest_lock);
    }
}

static void remote_free(theap *t, void *p) {
    void *head = atomic_load_explicit(&t->remote, memory_order_relaxed);
    do {
        *(void **)p = head;
    } while (!atomic_compare_exchange_weak_explicit(&t->remote, &head, p, memory_order_seq_cst,
                                                    memory_order_relaxed));
    if (__builtin_expect(atomic_load_explicit(&t->state, memory_order_relaxed) == ABANDONED, 0)) drain_abandoned(t);
}

/* ---- thread heaps: records, opening, adoption, abandonment ---- */

/* A fresh record from the layer's own pages; the layer's lock is held. */
static theap *record_new(layer *L) {
    const size_t page = mm_page_size(), per_slab = (page - SLAB_FIRST) / sizeof(theap);
    if (L->slabs == NULL || L->slab_used == per_slab) {
        slab *s = mm_pages_map(&L->own, page, 0);
        if (s == NULL) return NULL;
        s->next = L->slabs;
        L->slabs = s;
        L->slab_used = 0;
    }
    theap *t = (theap *)((char *)L->slabs + SLAB_FIRST) + L->slab_used++;
    return t;
}

/* Opens a thread heap (owned by nobody yet: the caller adopts or abandons it). The
 * first one, `user` its config, settles the options every later one opens with. */
static theap *theap_open(layer *L, const mm_config *user, mm_error *err) {
    pthread_mutex_lock(&L->lock);
    theap *t = record_new(L);
    pthread_mutex_unlock(&L->lock);
    if (t == NULL) {
        mm_error_set(err, "%s: no memory for a thread heap's record", L->strategy->name);
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->owner.map = &L->map;
    t->until_drain = 1;
    t->layer = L;
    /* each heap also carries the whole limit as its own: the pagemap's shared count is what
     * binds, and a strategy that sizes itself by its limit (pool's arenas) sees it */
    if (user != NULL) {
        mm_config config = {.limit = L->map.limit, .options = user->options, .owner = &t->owner};
        t->inner = mm_open_in_house(L->strategy, &config, L->options, err);
        L->has_options = L->options[0] != '\0';
    } else {
        mm_config config = {.limit = L->map.limit, .options = L->has_options ? L->options : NULL,
                            .owner = &t->owner};
        t->inner = mm_open(L->strategy, &config, err);
    }
    if (t->inner == NULL) return NULL; /* the record stays unused: it is the layer's pages */
    pthread_mutex_init(&t->guest_lock, NULL);
    atomic_store_explicit(&t->state, ABANDONED, memory_order_relaxed);
    pthread_mutex_lock(&L->lock);
    t->next_all = L->all;
    L->all = t;
    L->heaps++;
    pthread_mutex_unlock(&L->lock);
    return t;
}

static void abandon(layer *L, theap *t) {
    pthread_mutex_lock(&t->guest_lock);
    atomic_store_explicit(&t->state, ABANDONED, memory_order_relaxed);
    pthread_mutex_unlock(&t->guest_lock);
    pthread_mutex_lock(&L->lock);
    t->next_abandoned = L->abandoned;
    L->abandoned = t;
    pthread_mutex_unlock(&L->lock);
}

/* The key's destructor, at the exit of a thread that owned t. */
static void thread_exit(void *value) {
    theap *t = value;
    owner_enter(t);
    drain(t);
    owner_leave(t);
    abandon(t->layer, t);
    if (mine.heap == t) mine.serial = 0, mine.heap = NULL;
}

/* The calling thread's theap: adopted from an exited thread, else opened; NULL when out
 * of memory. */
MM_SLOW_PATH static theap *acquire(layer *L) {
    theap *t = pthread_getspecific(L->key);
    if (t == NULL) {
        pthread_mutex_lock(&L->lock);
        t = L->abandoned;
        if (t) L->abandoned = t->next_abandoned;
        pthread_mutex_unlock(&L->lock);
        if (t == NULL) {
            mm_error err;
            t = theap_open(L, NULL, &err);
            if (t == NULL) return NULL;
        }
        pthread_mutex_lock(&t->guest_lock);
        atomic_store_explicit(&t->state, OWNED, memory_order_relaxed);
        t->until_drain = 1; /* its first allocation takes what waits in the mailbox */
        pthread_mutex_unlock(&t->guest_lock);
        /* pthread_setspecific may allocate (a key past the first 32), and fail: the heap
         * then serves the thread all the same, only it is not abandoned at its exit */
        (void)pthread_setspecific(L->key, t);
    }
    mine.serial = L->serial;
    mine.heap = t;
    return t;
}

static inline theap *mine_in(layer *L) { return mine.serial == L->serial ? mine.heap : NULL; }

/* The owner's way in: the calling thread's theap, entered; NULL when it has none and
 * none can be had. */
static inline theap *enter(layer *L) {
    theap *t = mine_in(L);
    if (__builtin_expect(t == NULL, 0) && (t = acquire(L)) == NULL) return NULL;
    owner_enter(t);
    return t;
}

/* The theap whose pages hold block p. */
static inline theap *theap_of(layer *L, const void *p) {
    mm_owner *o = mm_pagemap_find(&L->map, p);
    assert(o != NULL && o != &L->self && "a block of these heaps lies in pages one of them recorded");
    return (theap *)o;
}

/* ---- the table's operations ---- */

static inline size_t link_room(size_t size) { return size < sizeof(void *) ? sizeof(void *) : size; }

/* The owner's look at its mailbox: true when it held blocks (now back in the heap). */
static bool drain_pending(theap *t) {
    if (atomic_load_explicit(&t->remote, memory_order_relaxed) == NULL) return false;
    drain(t);
    return true;
}

static inline void drain_due(theap *t) {
    if (__builtin_expect(--t->until_drain != 0, 1)) return;
    t->until_drain = DRAIN_EVERY;
    drain_pending(t);
}

/* An allocation failed: blocks waiting in the mailbox may make room. */
MM_SLOW_PATH static void *alloc_again(theap *t, size_t size, size_t align) {
    return drain_pending(t) ? mm_alloc(t->inner, size, align) : NULL;
}

static void *pt_alloc(mm_heap *h, size_t size, size_t align) {
    theap *t = enter((layer *)h);
    if (t == NULL) return NULL;
    drain_due(t);
    void *p = mm_alloc(t->inner, link_room(size), align);
    if (__builtin_expect(p == NULL, 0)) p = alloc_again(t, link_room(size), align);
    owner_leave(t);
    return p;
}

static void pt_free(mm_heap *h, void *p) {
    if (p == NULL) return;
    layer *L = (layer *)h;
    theap *o = theap_of(L, p);
    if (o == NULL) return;
    if (__builtin_expect(o == mine_in(L), 1)) {
        owner_enter(o);
        mm_free(o->inner, p);
        owner_leave(o);
        return;
    }
    remote_free(o, p);
}

static size_t pt_usable_size(mm_heap *h, const void *p) {
    layer *L = (layer *)h;
    theap *o = theap_of(L, p);
    if (o == NULL) return 0;
    size_t n;
    if (o == mine_in(L)) {
        owner_enter(o);
        n = mm_usable_size(o->inner, p);
        owner_leave(o);
    } else {
        guest_enter(o);
        n = mm_usable_size(o->inner, p);
        guest_leave(o);
    }
    return n;
}

static void *pt_realloc(mm_heap *h, void *p, size_t size) {
    if (p == NULL) return pt_alloc(h, size, 0);
    layer *L = (layer *)h;
    theap *o = theap_of(L, p);
    if (o == NULL) return NULL;
    theap *t = enter(L);
    if (t == NULL) return NULL;
    if (t == o) {
        void *q = mm_realloc(t->inner, p, link_room(size));
        if (q == NULL && drain_pending(t)) q = mm_realloc(t->inner, p, link_room(size));
        owner_leave(t);
        return q;
    }
    owner_leave(t);
    /* another heap's block moves into this thread's heap: always, since keeping it where
     * it is would hide its new size from a strategy that copies what was requested */
    size_t old = pt_usable_size(h, p);
    void *q = pt_alloc(h, size, 0);
    if (q == NULL) return NULL;
    memcpy(q, p, old < size ? old : size);
    remote_free(o, p);
    return q;
}

static void pt_stats(mm_heap *h, mm_stats *out) {
    layer *L = (layer *)h;
    out->footprint = L->struct_bytes + atomic_load_explicit(&L->map.held, memory_order_relaxed);
    out->peak_footprint = L->struct_bytes + atomic_load_explicit(&L->map.peak_held, memory_order_relaxed);
    out->map_calls = atomic_load_explicit(&L->map.map_calls, memory_order_relaxed);
    out->unmap_calls = atomic_load_explicit(&L->map.unmap_calls, memory_order_relaxed);
}

static size_t pt_check(mm_heap *h) {
    layer *L = (layer *)h;
    size_t broken = 0, sum = 0, heaps = 0, abandoned = 0;
    stop_all(L);
    for (theap *t = L->all; t; t = t->next_all, heaps++) {
        int state = atomic_load_explicit(&t->state, memory_order_relaxed);
        if (t->owner.map != &L->map || t->layer != L || (state != OWNED && state != ABANDONED)) broken++;
        broken += mm_check(t->inner);
        mm_stats st;
        mm_stats_get(t->inner, &st);
        sum += st.footprint;
        if (mm_pagemap_bytes(&L->map, &t->owner) != st.footprint) broken++; /* pages it holds == pages recorded */
        for (void *b = atomic_load_explicit(&t->remote, memory_order_acquire); b; b = *(void **)b)
            if (mm_pagemap_find(&L->map, b) != &t->owner) {
                broken++;
                break;
            }
    }
    for (theap *t = L->abandoned; t && abandoned <= heaps; t = t->next_abandoned, abandoned++)
        if (atomic_load_explicit(&t->state, memory_order_relaxed) != ABANDONED) broken++;
    size_t held = atomic_load_explicit(&L->map.held, memory_order_relaxed);
    if (heaps != L->heaps || abandoned > heaps) broken++;
    if (mm_pagemap_bytes(&L->map, &L->self) != L->own.mapped) broken++;
    if (held != sum + L->own.mapped + mm_pagemap_node_bytes(&L->map)) broken++;
    resume_all(L);
    return broken;
}

static void pt_close(mm_heap *h) {
    layer *L = (layer *)h;
    for (theap *t = L->all; t; t = t->next_all) {
        mm_close(t->inner);
        pthread_mutex_destroy(&t->guest_lock);
    }
    pthread_key_delete(L->key);
    if (mine.serial == L->serial) mine.serial = 0, mine.heap = NULL;
    for (slab *s = L->slabs, *next; s; s = next) {
        next = s->next;
        mm_pages_unmap(&L->own, s, mm_page_size());
    }
    mm_pagemap_release(&L->map);
    assert(atomic_load_explicit(&L->map.held, memory_order_relaxed) == 0 && "every byte the heaps held is back");
    pthread_mutex_destroy(&L->lock);
    mm_pages boot = {.mapped = L->struct_bytes};
    mm_pages_unmap(&boot, L, L->struct_bytes);
}

static const mm_strategy perthread_table = {
    .name = "per-thread",
    .summary = "a heap of the strategy per thread, remote frees through mailboxes (not a strategy: see perthread.h)",
    .caps = MM_CAP_THREADS,
    .close = pt_close,
    .alloc = pt_alloc,
    .free = pt_free,
    .realloc = pt_realloc,
    .usable_size = pt_usable_size,
    .stats = pt_stats,
    .check = pt_check,
};

/* ---- opening, fork ---- */

#define IN_HOUSE_FALLBACK "fallback=best-fit"

mm_heap *mm_open_in_house(const mm_strategy *s, const mm_config *config, char options[MM_OPTIONS_MAX],
                          mm_error *err) {
    mm_config first = *config;
    int n = snprintf(options, MM_OPTIONS_MAX, IN_HOUSE_FALLBACK "%s%s", config->options ? "," : "",
                     config->options ? config->options : "");
    if (n > 0 && n < MM_OPTIONS_MAX) {
        first.options = options;
        mm_heap *h = mm_open(s, &first, err);
        if (h != NULL) return h;
    }
    /* the strategy has no fallback (or config's options are wrong: this says which) */
    n = snprintf(options, MM_OPTIONS_MAX, "%s", config->options ? config->options : "");
    if (n < 0 || n >= MM_OPTIONS_MAX) {
        mm_error_set(err, "%s: options longer than %d bytes", s->name, MM_OPTIONS_MAX - 1);
        return NULL;
    }
    return mm_open(s, config, err);
}

mm_heap *mm_perthread_open(const mm_strategy *s, const mm_config *config, mm_error *err) {
    if ((s->caps & MM_CAP_THREADS) || !(s->caps & MM_CAP_LIMIT)) {
        mm_error_set(err, "%s: per-thread heaps are for in-house strategies (it %s)", s->name,
                     (s->caps & MM_CAP_THREADS) ? "serves threads itself" : "takes memory outside the page layer");
        return NULL;
    }
    pthread_once(&handshake_once, handshake_init);
    mm_pages boot = {0};
    layer *L = mm_pages_map(&boot, sizeof *L, 0);
    if (L == NULL) {
        mm_error_set(err, "%s: no memory for per-thread heaps", s->name);
        return NULL;
    }
    L->struct_bytes = boot.mapped;
    L->base.strategy = &perthread_table;
    L->strategy = s;
    L->serial = atomic_fetch_add_explicit(&serials, 1, memory_order_relaxed) + 1;
    L->self.map = &L->map;
    L->own.owner = &L->self;
    if (config->limit != 0 && config->limit <= L->struct_bytes) {
        mm_error_set(err, "%s: the limit leaves no room for per-thread heaps", s->name);
        mm_pages_unmap(&boot, L, L->struct_bytes);
        return NULL;
    }
    L->map.limit = config->limit ? config->limit - L->struct_bytes : 0; /* the footprint counts this struct too */
    pthread_mutex_init(&L->lock, NULL);
    if (pthread_key_create(&L->key, thread_exit) != 0) {
        mm_error_set(err, "%s: no thread-specific key left for per-thread heaps", s->name);
        pthread_mutex_destroy(&L->lock);
        mm_pages_unmap(&boot, L, L->struct_bytes);
        return NULL;
    }
    /* the first heap, opened now so a bad option or limit is told here: adopted by the
     * first thread that allocates */
    theap *t = theap_open(L, config, err);
    if (t == NULL) {
        pt_close(&L->base);
        return NULL;
    }
    abandon(L, t);
    return &L->base;
}

void mm_perthread_fork(mm_heap *h, mm_fork_phase phase) {
    layer *L = (layer *)h;
    if (phase == MM_FORK_PREPARE) {
        stop_all(L);
        return;
    }
    theap *kept = mine_in(L);
    if (phase == MM_FORK_CHILD) { /* the heaps of threads that did not come along are abandoned */
        L->abandoned = NULL;
        for (theap *t = L->all; t; t = t->next_all)
            if (t != kept) {
                atomic_store_explicit(&t->state, ABANDONED, memory_order_relaxed);
                t->next_abandoned = L->abandoned;
                L->abandoned = t;
            }
    }
    resume_all(L);
}

size_t mm_perthread_heaps(mm_heap *h) {
    layer *L = (layer *)h;
    pthread_mutex_lock(&L->lock);
    size_t n = L->heaps;
    pthread_mutex_unlock(&L->lock);
    return n;
}
