/* fit.c — one boundary-tag free-block engine, four placement policies:
 *   first-fit     (mm_first_fit)     a LIFO free list, searched from its head
 *   first-fit-ao  (mm_first_fit_ao)  the free list kept in address order, searched from the lowest
 *   next-fit      (mm_next_fit)      the LIFO list, searched from a roving pointer, wrapping round
 *   best-fit      (mm_best_fit)      indexed: exact-size bins with a bitmap, plus a treap
 * The three list policies cost O(free blocks) per search in the worst case, by design: their
 * cost growth is part of what the suite shows. Best-fit never scans: O(1) bitmap search
 * among the small bins, O(log n) expected in the treap.
 *
 * Vocabulary
 *   segment   a page-layer mapping (default 1 MiB, option `segment`; a larger request gets
 *             one of its own, through the page layer's cache of large-block mappings, so
 *             an alloc/free loop of big blocks maps nothing new). Segments are kept in a
 *             list sorted by address.
 *   block     a run of bytes inside a segment starting with a one-word header; its size
 *             (header included) is a multiple of 16 and at least MIN_BLOCK (32). A block
 *             starts 8 bytes below a 16-byte boundary, so its payload is 16-aligned.
 *   header    size | INUSE | PREV_INUSE | FIRST. FIRST marks the first block of a segment.
 *   footer    a free block's last word repeats its size, so the block after it can find
 *             it (Knuth's boundary tag). An allocated block has no footer: the PREV_INUSE
 *             bit of the block after it says so, and its payload runs to its end.
 *   epilogue  a header of size 0, INUSE, in each segment's last word: walks stop there.
 *   index     where free blocks are found: the free list (list policies) or the bins and
 *             treap (best-fit). Bins hold one exact block size each (32..SMALL_MAX), so the
 *             first non-empty bin at or above a request is its best fit; bigger blocks live
 *             in a treap keyed by (size, address) whose priorities hash the address.
 *   empty     a segment whose one free block spans it. One empty segment is kept as a
 *             spare; another (or any larger than `segment`) goes back to the page layer.
 *   valgrind  an allocated block is announced from its payload (header excluded) with its
 *             usable size; a free block is closed to memcheck but for its metadata words
 *             (header, links, footer: vg_free_block), so a stray access inside it is reported.
 *
 * Invariants (check() counts violations)
 *   walking each segment block by block from its first block reaches its epilogue exactly;
 *   no two free blocks are adjacent (coalescing is immediate, with both neighbours);
 *   a free block's footer equals its size; PREV_INUSE equals the state of the block before;
 *   every free block is in the index exactly once and the index holds nothing else;
 *   bins hold their exact size, their bitmap bit is set iff non-empty; the treap is ordered
 *   by (size, address) and heap-ordered by priority; the address-ordered list is sorted;
 *   the segments' bytes plus the heap's own page equal the page layer's `mapped`.
 */
#include "mm.h"
#include "mm_valgrind.h"

#include <string.h>

#define HDR 8u
#define MIN_BLOCK 32u
#define F_INUSE 1u
#define F_PREV_INUSE 2u
#define F_FIRST 4u
#define FLAGS 15u
#define SMALL_MAX 4112u  /* the largest block size with a bin of its own */
#define NBINS 256u       /* block sizes 32, 48, ..., SMALL_MAX */
#define MAX_REQUEST ((size_t)1 << 48)

typedef enum { POLICY_FIRST, POLICY_FIRST_AO, POLICY_NEXT, POLICY_BEST } fit_policy;

/* A free block's first words. In the treap, `next` is the left child, `prev` the right. */
typedef struct fblock {
    size_t head;
    struct fblock *next, *prev;
} fblock;

typedef struct segment {
    struct segment *next, *prev; /* sorted by address */
    size_t bytes;                /* the mapping's size */
    size_t pad_[2];              /* the first block starts at offset 40: 8 below 16-aligned */
} segment;

#define SEG_FIRST 40u
#define SEG_OVERHEAD (SEG_FIRST + HDR) /* segment header + epilogue */
_Static_assert(sizeof(segment) == SEG_FIRST, "first block at offset 40");

typedef struct fit_heap {
    mm_heap base;
    mm_pages pages;
    fit_policy policy;
    size_t seg_bytes;
    segment *segs;
    size_t empty_segs;
    fblock *list, *tail; /* list policies */
    fblock *rover;       /* next-fit: where the next search starts */
    fblock *tree;        /* best-fit: blocks above SMALL_MAX */
    uint64_t bitmap[NBINS / 64];
    fblock *bins[NBINS];
} fit_heap;

static inline size_t bsize(const fblock *b) { return b->head & ~(size_t)FLAGS; }
static inline fblock *at(const void *p, ptrdiff_t off) { return (fblock *)((char *)p + off); }
static inline fblock *next_block(const fblock *b) { return at(b, (ptrdiff_t)bsize(b)); }
static inline void set_footer(fblock *b) { *(size_t *)((char *)b + bsize(b) - HDR) = bsize(b); }
/* Only meaningful when b's PREV_INUSE bit is clear: the footer before b gives the size. */
static inline fblock *prev_block(const fblock *b) { return at(b, -(ptrdiff_t) * (const size_t *)((const char *)b - HDR)); }
static inline bool is_whole(const fblock *b) { return (b->head & F_FIRST) && bsize(next_block(b)) == 0; }
static inline segment *segment_of_first(const fblock *b) { return (segment *)((char *)b - SEG_FIRST); }
static inline size_t request_size(size_t n) { return n <= MIN_BLOCK - HDR ? MIN_BLOCK : mm_align_up(n + HDR, 16); }
static inline size_t bin_of(size_t size) { return size / 16 - 2; }

/* memcheck: free block b of `size` bytes is nobody's but for its header, links and footer
 * (mm_valgrind.h). Called whenever a free block takes its final shape. */
static void vg_free_block(fblock *b, size_t size) {
    mm_vg_close_metadata((char *)b + HDR, size - HDR);
    mm_vg_open_metadata(b, sizeof *b);
    mm_vg_open_metadata((char *)b + size - HDR, HDR);
}

/* ---- the free list (first-fit, first-fit-ao, next-fit) ---- */

static void list_link_before(fit_heap *h, fblock *b, fblock *succ) {
    b->next = succ;
    b->prev = succ ? succ->prev : h->tail;
    if (b->prev) b->prev->next = b;
    else h->list = b;
    if (succ) succ->prev = b;
    else h->tail = b;
}

static void list_unlink(fit_heap *h, fblock *b) {
    if (h->rover == b) h->rover = b->next;
    if (b->prev) b->prev->next = b->next;
    else h->list = b->next;
    if (b->next) b->next->prev = b->prev;
    else h->tail = b->prev;
}

/* The first free block above b in address order: walked block by block through the heap
 * (the blocks in between are allocated, so the walk is as long as the run of allocated
 * blocks after b — short in a fragmented heap, long only in a dense one). */
static fblock *ao_successor(fit_heap *h, fblock *b) {
    segment *s = NULL;
    for (fblock *x = next_block(b);; x = next_block(x)) {
        if (bsize(x) == 0) { /* epilogue: on to the next segment by address */
            if (s == NULL) {
                for (s = h->segs; s && !((char *)s < (char *)b && (char *)b < (char *)s + s->bytes); s = s->next) {}
                if (s == NULL) return NULL;
            }
            s = s->next;
            if (s == NULL) return NULL;
            x = at(s, SEG_FIRST);
        }
        if (!(x->head & F_INUSE)) return x;
    }
}

/* ---- the treap (best-fit, blocks above SMALL_MAX) ---- */

static inline uint32_t prio(const fblock *b) { return (uint32_t)(((uintptr_t)b * 0x9E3779B97F4A7C15ull) >> 32); }
static inline bool key_less(const fblock *a, const fblock *b) {
    return bsize(a) < bsize(b) || (bsize(a) == bsize(b) && a < b);
}

static void tree_insert(fit_heap *h, fblock *n) {
    fblock **t = &h->tree;
    while (*t && prio(*t) >= prio(n)) t = key_less(n, *t) ? &(*t)->next : &(*t)->prev;
    /* split the subtree at *t around n's key: smaller keys left, larger right */
    fblock *cur = *t, **l = &n->next, **r = &n->prev;
    while (cur) {
        if (key_less(cur, n)) { *l = cur; l = &cur->prev; cur = cur->prev; }
        else { *r = cur; r = &cur->next; cur = cur->next; }
    }
    *l = *r = NULL;
    *t = n;
}

static void tree_remove(fit_heap *h, fblock *n) {
    fblock **t = &h->tree;
    while (*t != n) t = key_less(n, *t) ? &(*t)->next : &(*t)->prev;
    fblock *a = n->next, *b = n->prev; /* merge the two subtrees by priority */
    while (a && b) {
        if (prio(a) >= prio(b)) { *t = a; t = &a->prev; a = a->prev; }
        else { *t = b; t = &b->next; b = b->next; }
    }
    *t = a ? a : b;
}

/* The smallest block of at least `size` (lowest address among equals). */
static fblock *tree_lower_bound(const fit_heap *h, size_t size) {
    fblock *best = NULL;
    for (fblock *t = h->tree; t;) {
        if (bsize(t) >= size) best = t, t = t->next;
        else t = t->prev;
    }
    return best;
}

/* ---- the index: one face over the list and the bins ---- */

static void index_insert(fit_heap *h, fblock *b) {
    switch (h->policy) {
    case POLICY_BEST: {
        size_t s = bsize(b);
        if (s > SMALL_MAX) { tree_insert(h, b); return; }
        size_t i = bin_of(s);
        b->prev = NULL;
        b->next = h->bins[i];
        if (b->next) b->next->prev = b;
        h->bins[i] = b;
        h->bitmap[i / 64] |= 1ull << (i % 64);
        return;
    }
    case POLICY_FIRST_AO: list_link_before(h, b, ao_successor(h, b)); return;
    default: list_link_before(h, b, h->list); return; /* LIFO */
    }
}

static void index_remove(fit_heap *h, fblock *b) {
    if (h->policy != POLICY_BEST) { list_unlink(h, b); return; }
    size_t s = bsize(b);
    if (s > SMALL_MAX) { tree_remove(h, b); return; }
    size_t i = bin_of(s);
    if (b->prev) b->prev->next = b->next;
    else h->bins[i] = b->next;
    if (b->next) b->next->prev = b->prev;
    if (h->bins[i] == NULL) h->bitmap[i / 64] &= ~(1ull << (i % 64));
}

/* `fresh` takes `old`'s place in the index (old's size may have changed since it went in
 * for the list policies, which do not key on size). For best-fit, remove then insert. */
static void index_replace(fit_heap *h, fblock *old, size_t old_size, fblock *fresh) {
    if (h->policy == POLICY_BEST) {
        size_t now = old->head;
        old->head = old_size | (now & FLAGS); /* the key it was filed under */
        index_remove(h, old);
        old->head = now;
        index_insert(h, fresh);
        return;
    }
    fblock *succ = old->next;
    bool rover = h->rover == old;
    list_unlink(h, old);
    list_link_before(h, fresh, succ);
    if (rover) h->rover = fresh;
}

static fblock *index_find(fit_heap *h, size_t size) {
    switch (h->policy) {
    case POLICY_BEST:
        if (size <= SMALL_MAX) {
            size_t i = bin_of(size);
            for (size_t w = i / 64; w < NBINS / 64; w++) {
                uint64_t bits = h->bitmap[w] & (w == i / 64 ? ~0ull << (i % 64) : ~0ull);
                if (bits) return h->bins[w * 64 + (size_t)__builtin_ctzll(bits)];
            }
        }
        return tree_lower_bound(h, size > SMALL_MAX ? size : SMALL_MAX + 1);
    case POLICY_NEXT: {
        fblock *start = h->rover ? h->rover : h->list;
        for (fblock *b = start; b; b = b->next)
            if (bsize(b) >= size) return b;
        for (fblock *b = h->list; b != start; b = b->next)
            if (bsize(b) >= size) return b;
        return NULL;
    }
    default:
        for (fblock *b = h->list; b; b = b->next)
            if (bsize(b) >= size) return b;
        return NULL;
    }
}

/* ---- debug-only validators (MM_DEBUG: the ASan+UBSan test builds) ---- */

#ifdef MM_DEBUG
#include <assert.h>
/* The one place b is filed in the index, or NULL when b is not there. O(log n) in the
 * treap, O(1) elsewhere: it follows b's own links back. */
static bool in_index(const fit_heap *h, const fblock *b) {
    if (h->policy == POLICY_BEST && bsize(b) > SMALL_MAX) {
        const fblock *t = h->tree;
        while (t && t != b) t = key_less(b, t) ? t->next : t->prev;
        return t == b;
    }
    const fblock *const *head = h->policy == POLICY_BEST ? (const fblock *const *)&h->bins[bin_of(bsize(b))]
                                                         : (const fblock *const *)&h->list;
    if (b->prev ? b->prev->next != b : *head != b) return false;
    if (b->next ? b->next->prev != b : h->policy != POLICY_BEST && h->tail != b) return false;
    if (h->policy == POLICY_BEST) return (h->bitmap[bin_of(bsize(b)) / 64] >> (bin_of(bsize(b)) % 64)) & 1;
    return h->policy != POLICY_FIRST_AO || ((!b->prev || b->prev < b) && (!b->next || b < b->next));
}

/* A block about to be freed: in use, its tags and its neighbours' agree (a double free,
 * or a stray write over a header, shows here first). */
static void validate_in_use(const fblock *b) {
    const size_t s = bsize(b);
    assert((b->head & F_INUSE) && s >= MIN_BLOCK && s % 16 == 0 && "validate_in_use: a block freed is a block in use");
    const fblock *n = next_block(b);
    assert((n->head & F_PREV_INUSE) && "validate_in_use: the block after an allocated one says it is in use");
    if (b->head & F_PREV_INUSE) return;
    const fblock *p = prev_block(b);
    assert(!(p->head & F_INUSE) && next_block(p) == b &&
           "validate_in_use: the free block before it has the footer that finds it and the header that reaches back");
}

/* A free block that just took its final shape (coalesced, split off, or a new segment):
 * boundary tags agree on both sides, no free neighbour is left unmerged, and the block
 * is in the index exactly where its policy files it. */
static void validate_free(const fit_heap *h, const fblock *b) {
    const size_t s = bsize(b);
    assert(!(b->head & F_INUSE) && s >= MIN_BLOCK && s % 16 == 0 && "validate_free: a free block's header");
    assert(*(const size_t *)((const char *)b + s - HDR) == s && "validate_free: the footer repeats the size");
    assert((b->head & F_PREV_INUSE) && "validate_free: the block before a free block is in use (coalescing is immediate)");
    const fblock *n = next_block(b);
    assert((n->head & F_INUSE) && !(n->head & F_PREV_INUSE) &&
           "validate_free: the block after a free block is in use and knows its predecessor is free");
    assert(in_index(h, b) && "validate_free: a free block is in the index where its policy files it");
}
#define VALIDATE_IN_USE(b) validate_in_use(b)
#define VALIDATE_FREE(h, b) validate_free(h, b)
#else
#define VALIDATE_IN_USE(b) ((void)0)
#define VALIDATE_FREE(h, b) ((void)0)
#endif

/* ---- segments ---- */

static void segment_unmap(fit_heap *h, segment *s) {
    if (s->prev) s->prev->next = s->next;
    else h->segs = s->next;
    if (s->next) s->next->prev = s->prev;
    if (s->bytes > h->seg_bytes) mm_pages_unmap_cached(&h->pages, s, s->bytes); /* a large block's own */
    else mm_pages_unmap(&h->pages, s, s->bytes);
}

/* Maps a segment holding at least one free block of `size` bytes; returns that block, in
 * the index. */
static fblock *grow(fit_heap *h, size_t size) {
    const size_t page = mm_page_size();
    if (size > MAX_REQUEST) return NULL;
    size_t need = mm_align_up(size + SEG_OVERHEAD, page);
    size_t bytes = need > h->seg_bytes ? need : h->seg_bytes;
    segment *s = need > h->seg_bytes ? mm_pages_map_cached(&h->pages, bytes, 0) : mm_pages_map(&h->pages, bytes, 0);
    if (s == NULL && need < bytes) s = mm_pages_map(&h->pages, bytes = need, 0); /* near the limit */
    if (s == NULL) return NULL;
    s->bytes = bytes;
    segment **link = &h->segs, *prev = NULL;
    while (*link && *link < s) prev = *link, link = &(*link)->next;
    s->next = *link;
    s->prev = prev;
    if (s->next) s->next->prev = s;
    *link = s;
    fblock *b = at(s, SEG_FIRST);
    vg_free_block(b, bytes - SEG_OVERHEAD);
    b->head = (bytes - SEG_OVERHEAD) | F_PREV_INUSE | F_FIRST;
    set_footer(b);
    next_block(b)->head = 0 | F_INUSE; /* the epilogue; the block before it is free */
    h->empty_segs++;
    index_insert(h, b);
    VALIDATE_FREE(h, b);
    return b;
}

/* ---- allocation and release ---- */

/* Allocates `size` bytes (a block size) from free block b, which is in the index. */
static void take(fit_heap *h, fblock *b, size_t size) {
    size_t bs = bsize(b);
    if (is_whole(b)) h->empty_segs--;
    if (bs - size >= MIN_BLOCK) {
        fblock *rem = at(b, (ptrdiff_t)size);
        vg_free_block(rem, bs - size);
        rem->head = (bs - size) | F_PREV_INUSE;
        set_footer(rem);
        b->head = size | F_INUSE | (b->head & (F_PREV_INUSE | F_FIRST));
        index_replace(h, b, bs, rem);
        if (h->policy == POLICY_NEXT) h->rover = rem; /* the next search resumes here */
        VALIDATE_FREE(h, rem);
    } else {
        index_remove(h, b);
        b->head |= F_INUSE;
        next_block(b)->head |= F_PREV_INUSE;
    }
}

/* Frees block b (marked in use): coalesces with free neighbours, files the result, and
 * gives an empty segment back when one is already spare. */
static void release(fit_heap *h, fblock *b) {
    VALIDATE_IN_USE(b);
    size_t s = bsize(b);
    fblock *n = at(b, (ptrdiff_t)s);
    bool next_free = !(n->head & F_INUSE), prev_free = !(b->head & F_PREV_INUSE);
    if (h->policy == POLICY_BEST) {
        if (next_free) index_remove(h, n), s += bsize(n);
        if (prev_free) b = prev_block(b), index_remove(h, b), s += bsize(b);
        b->head = s | F_PREV_INUSE | (b->head & F_FIRST);
        set_footer(b);
        next_block(b)->head &= ~(size_t)F_PREV_INUSE;
        index_insert(h, b);
    } else {
        /* the merged block keeps the list place of a neighbour it absorbs (in address
         * order that is exactly its place), so only a lone free block looks for one */
        fblock *keep = NULL;
        size_t keep_size = 0;
        if (next_free) keep = n, keep_size = bsize(n), s += keep_size;
        if (prev_free) {
            fblock *pb = prev_block(b);
            if (keep) list_unlink(h, keep);
            keep = pb, keep_size = bsize(pb), s += keep_size, b = pb;
        }
        b->head = s | F_PREV_INUSE | (b->head & F_FIRST);
        set_footer(b);
        next_block(b)->head &= ~(size_t)F_PREV_INUSE;
        if (keep == NULL) index_insert(h, b);
        else if (keep != b) index_replace(h, keep, keep_size, b);
        /* keep == b: the block before grew in place and its list place is already right */
    }
    vg_free_block(b, s);
    VALIDATE_FREE(h, b);
    if (!is_whole(b)) return;
    segment *seg = segment_of_first(b);
    if (h->empty_segs >= 1 || seg->bytes > h->seg_bytes) {
        index_remove(h, b);
        segment_unmap(h, seg);
    } else {
        h->empty_segs++;
    }
}

static void *fit_alloc(mm_heap *heap, size_t n, size_t align) {
    fit_heap *h = (fit_heap *)heap;
    size_t a = mm_effective_align(align);
    if (a == 0 || n > MAX_REQUEST) return NULL;
    size_t size = request_size(n);
    if (a == MM_MIN_ALIGN) {
        fblock *b = index_find(h, size);
        if (b == NULL && (b = grow(h, size)) == NULL) return NULL;
        take(h, b, size);
        mm_vg_alloc(h, (char *)b + HDR, bsize(b) - HDR);
        mm_debug_fill((char *)b + HDR, size - HDR, MM_FILL_FRESH);
        return (char *)b + HDR;
    }
    /* over-aligned: find room for a leading free block of at least MIN_BLOCK, then split */
    size_t want = size + a + MIN_BLOCK;
    fblock *b = index_find(h, want);
    if (b == NULL && (b = grow(h, want)) == NULL) return NULL;
    uintptr_t pay = mm_align_up((uintptr_t)b + HDR, a);
    size_t gap = pay - HDR - (uintptr_t)b;
    if (gap != 0 && gap < MIN_BLOCK) gap += a;
    if (gap) {
        size_t bs = bsize(b);
        if (is_whole(b)) h->empty_segs--;
        index_remove(h, b);
        fblock *r = at(b, (ptrdiff_t)gap);
        vg_free_block(r, bs - gap);
        vg_free_block(b, gap);
        r->head = bs - gap; /* its predecessor (the gap block) is free */
        set_footer(r);
        b->head = gap | F_PREV_INUSE | (b->head & F_FIRST);
        set_footer(b);
        index_insert(h, r); /* r first: the address-ordered insert of b finds r */
        index_insert(h, b);
        b = r;
    }
    take(h, b, size);
    if (gap) VALIDATE_FREE(h, prev_block(b)); /* the leading block split off */
    mm_vg_alloc(h, (char *)b + HDR, bsize(b) - HDR);
    mm_debug_fill((char *)b + HDR, size - HDR, MM_FILL_FRESH);
    return (char *)b + HDR;
}

static void fit_free(mm_heap *heap, void *p) {
    if (p == NULL) return;
    fblock *b = at(p, -(ptrdiff_t)HDR);
    mm_debug_fill(p, bsize(b) - HDR, MM_FILL_FREED);
    mm_vg_free(heap, p);
    vg_free_block(b, bsize(b)); /* its links and footer are written while it merges */
    release((fit_heap *)heap, b);
}

static size_t fit_usable_size(mm_heap *heap, const void *p) {
    (void)heap;
    return bsize(at(p, -(ptrdiff_t)HDR)) - HDR;
}

/* Gives the tail of allocated block b beyond `size` back, when it is a block's worth. */
static void trim(fit_heap *h, fblock *b, size_t size) {
    size_t bs = bsize(b);
    if (bs - size < MIN_BLOCK) return;
    fblock *t = at(b, (ptrdiff_t)size);
    t->head = (bs - size) | F_INUSE | F_PREV_INUSE;
    b->head = size | (b->head & FLAGS);
    release(h, t);
}

static void *fit_realloc(mm_heap *heap, void *p, size_t n) {
    fit_heap *h = (fit_heap *)heap;
    if (p == NULL) return fit_alloc(heap, n, 0);
    if (n > MAX_REQUEST) return NULL;
    fblock *b = at(p, -(ptrdiff_t)HDR);
    size_t size = request_size(n), bs = bsize(b);
    if (size <= bs) {
        if (bs - size >= MIN_BLOCK) mm_vg_resize(h, p, size - HDR); /* before trim frees the tail */
        trim(h, b, size);
        return p;
    }
    fblock *nx = next_block(b);
    if (!(nx->head & F_INUSE) && bs + bsize(nx) >= size) { /* grow into the free block after */
        index_remove(h, nx);
        b->head = (bs + bsize(nx)) | (b->head & FLAGS);
        next_block(b)->head |= F_PREV_INUSE;
        mm_vg_undefined((char *)b + bs, bsize(b) - bs); /* the free block's bytes are the caller's */
        trim(h, b, size);
        mm_vg_resize(h, p, bsize(b) - HDR);
        return p;
    }
    void *q = fit_alloc(heap, n, 0);
    if (q == NULL) return NULL;
    memcpy(q, p, bs - HDR);
    fit_free(heap, p);
    return q;
}

static void fit_stats(mm_heap *heap, mm_stats *out) { mm_pages_stats(&((fit_heap *)heap)->pages, out); }

/* ---- check ---- */

static size_t check_tree(const fblock *t, const fblock *lo, const fblock *hi, size_t depth, size_t *count) {
    size_t broken = 0;
    if (t == NULL) return 0;
    if (depth > 200) return 1; /* a cycle, or a degenerate treap */
    (*count)++;
    if (bsize(t) <= SMALL_MAX || (t->head & F_INUSE)) broken++;
    if ((lo && !key_less(lo, t)) || (hi && !key_less(t, hi))) broken++;
    if ((t->next && prio(t->next) > prio(t)) || (t->prev && prio(t->prev) > prio(t))) broken++;
    return broken + check_tree(t->next, lo, t, depth + 1, count) + check_tree(t->prev, t, hi, depth + 1, count);
}

static size_t fit_check(mm_heap *heap) {
    fit_heap *h = (fit_heap *)heap;
    size_t broken = 0, free_walked = 0, indexed = 0, mapped = 0, empty = 0;
    for (segment *s = h->segs; s; s = s->next) {
        mapped += s->bytes;
        if (s->next && (s->next < s || s->next->prev != s)) broken++;
        const char *end = (const char *)s + s->bytes - HDR;
        fblock *b = at(s, SEG_FIRST);
        bool prev_inuse = true, first = true;
        while ((const char *)b < end) {
            size_t sz = bsize(b);
            if (sz < MIN_BLOCK || sz % 16 || (const char *)b + sz > end) { broken++; break; }
            if (!!(b->head & F_PREV_INUSE) != prev_inuse) broken++;
            if (!!(b->head & F_FIRST) != first) broken++;
            bool inuse = b->head & F_INUSE;
            if (!inuse) {
                free_walked++;
                if (!prev_inuse) broken++; /* two adjacent free blocks */
                if (*(size_t *)((char *)b + sz - HDR) != sz) broken++;
                if (is_whole(b)) empty++;
            }
            prev_inuse = inuse, first = false;
            b = next_block(b);
        }
        if ((const char *)b != end || bsize(b) != 0 || !(b->head & F_INUSE) || !!(b->head & F_PREV_INUSE) != prev_inuse)
            broken++;
    }
    if (empty != h->empty_segs) broken++;
    if (mapped + mm_align_up(sizeof *h, mm_page_size()) != h->pages.mapped) broken++;
    if (h->policy == POLICY_BEST) {
        for (size_t i = 0; i < NBINS; i++) {
            bool bit = (h->bitmap[i / 64] >> (i % 64)) & 1;
            if (bit != (h->bins[i] != NULL)) broken++;
            size_t guard = 0;
            for (fblock *b = h->bins[i], *prev = NULL; b && guard <= free_walked; prev = b, b = b->next, guard++) {
                indexed++;
                if (bsize(b) != (i + 2) * 16 || (b->head & F_INUSE) || b->prev != prev) broken++;
            }
            if (guard > free_walked) broken++; /* a cycle */
        }
        broken += check_tree(h->tree, NULL, NULL, 0, &indexed);
    } else {
        fblock *prev = NULL;
        bool rover_seen = h->rover == NULL;
        for (fblock *b = h->list; b && indexed <= free_walked; prev = b, b = b->next) {
            indexed++;
            if ((b->head & F_INUSE) || b->prev != prev) broken++;
            if (h->policy == POLICY_FIRST_AO && prev && prev >= b) broken++;
            if (b == h->rover) rover_seen = true;
        }
        if (h->tail != prev || !rover_seen) broken++;
    }
    if (indexed != free_walked) broken++;
    return broken;
}

/* ---- open / close and the four tables ---- */

static mm_heap *fit_open(const mm_config *config, mm_error *err, const char *name, fit_policy policy) {
    size_t seg_bytes = 1u << 20;
    const mm_option options[] = {
        {"segment", MM_OPTION_SIZE, "bytes mapped at a time", 4096, (size_t)1 << 30, true, &seg_bytes},
    };
    if (!mm_options_parse(name, config->options, options, 1, err)) return NULL;
    mm_pages pages = mm_pages_from(config);
    fit_heap *h = mm_pages_map(&pages, sizeof *h, 0);
    if (h == NULL) {
        mm_error_set(err, "%s: the limit leaves no room for the heap itself", name);
        return NULL;
    }
    h->pages = pages;
    h->policy = policy;
    h->seg_bytes = seg_bytes;
    mm_vg_pool_create(h);
    return &h->base;
}

static void fit_close(mm_heap *heap) {
    fit_heap *h = (fit_heap *)heap;
    mm_vg_pool_destroy(h);
    while (h->segs) segment_unmap(h, h->segs);
    mm_pages copy = h->pages;
    mm_pages_unmap(&copy, h, sizeof *h);
}

#define FIT_TABLE(id, cli, policy, text)                                                               \
    static mm_heap *id##_open(const mm_config *config, mm_error *err) { return fit_open(config, err, cli, policy); } \
    const mm_strategy mm_##id = {                                                                      \
        .name = cli,                                                                                   \
        .summary = text,                                                                               \
        .caps = MM_CAP_FREE | MM_CAP_CHECK | MM_CAP_LIMIT | MM_CAP_EXACT_FOOTPRINT,                    \
        .open = id##_open,                                                                             \
        .close = fit_close,                                                                            \
        .alloc = fit_alloc,                                                                            \
        .free = fit_free,                                                                              \
        .realloc = fit_realloc,                                                                        \
        .usable_size = fit_usable_size,                                                                \
        .stats = fit_stats,                                                                            \
        .check = fit_check,                                                                            \
    };

FIT_TABLE(first_fit, "first-fit", POLICY_FIRST,
          "boundary tags, LIFO free list searched from the head: a linear scan, cost grows with free blocks")
FIT_TABLE(first_fit_ao, "first-fit-ao", POLICY_FIRST_AO,
          "boundary tags, address-ordered free list searched from the lowest address: a linear scan")
FIT_TABLE(next_fit, "next-fit", POLICY_NEXT,
          "boundary tags, LIFO free list searched from a roving pointer: a linear scan")
FIT_TABLE(best_fit, "best-fit", POLICY_BEST,
          "boundary tags, exact best fit indexed by size bins with a bitmap plus a treap: no scans")
