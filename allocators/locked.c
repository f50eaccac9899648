/* locked.c — the locking wrapper heap (see locked.h).
 *
 * Vocabulary
 *   inner    the wrapped heap; only ever called with `lock` held, so a single-threaded
 *            strategy sees one caller at a time.
 *   lock     a pthread mutex (futex based: uncontended it costs two atomic operations).
 *
 * Invariant: no operation reaches `inner` without holding `lock`. The wrapper's memory
 * comes from the page layer, so it never shows in any heap's footprint.
 */
#include "allocators/locked.h"

#include <pthread.h>

typedef struct locked_heap {
    mm_heap base;
    mm_heap *inner;
    pthread_mutex_t lock;
} locked_heap;

#define LOCKED(heap, expr)                                                                         \
    do {                                                                                           \
        locked_heap *l_ = (locked_heap *)(heap);                                                   \
        pthread_mutex_lock(&l_->lock);                                                             \
        expr;                                                                                      \
        pthread_mutex_unlock(&l_->lock);                                                           \
    } while (0)
#define INNER(heap) (((locked_heap *)(heap))->inner)

static void *locked_alloc(mm_heap *h, size_t size, size_t align) {
    void *p;
    LOCKED(h, p = mm_alloc(INNER(h), size, align));
    return p;
}
static void locked_free(mm_heap *h, void *p) { LOCKED(h, mm_free(INNER(h), p)); }
static void *locked_realloc(mm_heap *h, void *p, size_t size) {
    void *q;
    LOCKED(h, q = mm_realloc(INNER(h), p, size));
    return q;
}
static size_t locked_usable_size(mm_heap *h, const void *p) {
    size_t n;
    LOCKED(h, n = mm_usable_size(INNER(h), p));
    return n;
}
static void locked_stats(mm_heap *h, mm_stats *out) { LOCKED(h, mm_stats_get(INNER(h), out)); }
static size_t locked_check(mm_heap *h) {
    size_t n;
    LOCKED(h, n = mm_check(INNER(h)));
    return n;
}
static void locked_close(mm_heap *h) {
    mm_close(INNER(h));
    mm_locked_unwrap(h);
}

static const mm_strategy locked_table = {
    .name = "locked",
    .summary = "a mutex around a single-threaded heap (not a strategy: see locked.h)",
    .caps = MM_CAP_THREADS,
    .close = locked_close,
    .alloc = locked_alloc,
    .free = locked_free,
    .realloc = locked_realloc,
    .usable_size = locked_usable_size,
    .stats = locked_stats,
    .check = locked_check,
};

mm_heap *mm_locked_wrap(mm_heap *inner) {
    mm_pages pages = {0};
    locked_heap *l = mm_pages_map(&pages, sizeof *l, 0);
    if (l == NULL) return NULL;
    l->base.strategy = &locked_table;
    l->inner = inner;
    pthread_mutex_init(&l->lock, NULL);
    return &l->base;
}

void mm_locked_hold(mm_heap *heap) { pthread_mutex_lock(&((locked_heap *)heap)->lock); }
void mm_locked_release(mm_heap *heap) { pthread_mutex_unlock(&((locked_heap *)heap)->lock); }

void mm_locked_unwrap(mm_heap *heap) {
    locked_heap *l = (locked_heap *)heap;
    pthread_mutex_destroy(&l->lock);
    mm_pages pages = {.mapped = mm_align_up(sizeof *l, mm_page_size())};
    mm_pages_unmap(&pages, l, sizeof *l);
}
