/* bump.c — allocation by pointer increment; free does nothing. The floor of allocator work.
 *
 * Vocabulary
 *   chunk    a page-layer mapping (default 4 MiB, on transparent huge pages where the
 *            kernel offers them; a larger request gets a chunk of its own) filled from
 *            the front by one thread, its owner. Chunks are linked so close() can give
 *            them back. Each is faulted in whole when it is mapped (MADV_POPULATE_WRITE;
 *            a write per page where the kernel lacks it): one call, not a fault per page.
 *   reserve  chunks of the standard size that closed heaps left, up to RESERVE_MAX bytes
 *            process-wide, still mapped and resident; a heap takes one before it maps a
 *            new one. Faulting in a fresh chunk (the kernel zeroes every byte) costs more
 *            than bump's own work on a churn: the benchmark's metered pass pays it, and
 *            its timed pass, the same operations on a new heap, finds the chunks ready. A reused chunk holds old bytes (blocks are not
 *            promised zeroed). Cache misses on memory not touched lately remain: on a
 *            churn bump is the floor of allocator *work*, not of memory traffic.
 *   cursor   the next free byte of a chunk, kept in its header; `end` is one past its
 *            last byte.
 *   current  each thread's chunk of the heap it used last (a thread-local allocation
 *            buffer, as in HotSpot's TLABs): the thread-local `mine` holds the heap's id
 *            and the chunk. Only the owner moves a chunk's cursor, so allocation takes no
 *            lock and bump serves threads bare (MM_CAP_THREADS); the heap's mutex guards
 *            the chunk list and the page layer, on the general path only.
 *   heap id  a number no other heap of the process has had: a heap closed and another
 *            opened at the same address never inherit each other's `mine`.
 *   fast path  this thread's current chunk of this heap, alignment up to 16, 1..FAST_MAX
 *            bytes, room left: the header and the cursor are written, nothing else (the
 *            cursor is always 16-aligned, so no pad). Everything else (size 0, larger
 *            alignment, a new chunk, another heap) takes the general path.
 *   unit     16 bytes. Everything in a chunk is a whole number of units, so the heap can
 *            be walked: a pad unit (PAD_TAG) fills the gap an alignment leaves, a block
 *            is a header unit {BLOCK_TAG, size} then ceil(size/16) payload units.
 *
 *   chunk:  [chunk header][hdr|payload..][pad][pad][hdr|payload....][hdr|..] cursor→ ...end
 *
 * Invariants (check() counts violations; it runs with no allocation in flight)
 *   chunk header <= cursor <= end; walking units from the first one reaches cursor exactly;
 *   every unit walked is a pad or a block header with a size that fits before cursor;
 *   the chunks' bytes and the heap's own page are the page layer's `mapped`.
 * free() never reuses memory (no MM_CAP_FREE); realloc grows a block in place when it is
 * the newest of the calling thread's current chunk (its payload ends at the cursor) and
 * fits, else copies. For valgrind (mm_valgrind.h) a freed or copied-away block is retired
 * all the same, so a caller's use after free shows up under memcheck.
 */
#include "mm.h"
#include "mm_valgrind.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define UNIT 16u
#define RESERVE_MAX ((size_t)1 << 30)
#define FAST_MAX ((size_t)1 << 20) /* the fast path's largest request */
#define BLOCK_TAG 0xB10C0000B10C0000ull
#define PAD_TAG 0x9AD09AD09AD09AD0ull

typedef struct unit_header {
    uint64_t tag;  /* BLOCK_TAG or PAD_TAG */
    uint64_t size; /* requested bytes (blocks only) */
} unit_header;

typedef struct chunk {
    struct chunk *next;
    char *cursor, *end;
    const void *owner; /* the filling thread's `mine` (its address is unique among live threads) */
} chunk;

typedef struct bump_heap {
    mm_heap base;
    uint64_t id;
    pthread_mutex_t lock; /* the chunk list and the page layer */
    mm_pages pages;
    size_t chunk_bytes;
    chunk *chunks; /* newest first */
} bump_heap;

/* This thread's current chunk, and the heap it belongs to. */
static __thread struct {
    uint64_t heap;
    chunk *current;
} mine __attribute__((tls_model("initial-exec")));

static uint64_t heaps_opened;

static struct {
    pthread_mutex_t lock;
    chunk *chunks;
    size_t bytes;
} reserve = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

_Static_assert(sizeof(unit_header) == UNIT, "a header is one unit");
_Static_assert(sizeof(chunk) % UNIT == 0, "chunk header keeps units aligned");

static inline size_t units_for(size_t size) { return (size + UNIT - 1) / UNIT; }
static inline size_t payload_of(size_t size) { return units_for(size ? size : 1) * UNIT; }
static inline size_t chunk_bytes_of(const chunk *c) { return (size_t)(c->end - (const char *)c); }

static mm_heap *bump_open(const mm_config *config, mm_error *err) {
    size_t chunk_bytes = 4u << 20;
    const mm_option options[] = {
        {"chunk", MM_OPTION_SIZE, "bytes mapped at a time", 4096, (size_t)1 << 30, true, &chunk_bytes},
    };
    if (!mm_options_parse("bump", config->options, options, 1, err)) return NULL;
    mm_pages pages = mm_pages_from(config);
    bump_heap *h = mm_pages_map(&pages, sizeof *h, 0);
    if (h == NULL) {
        mm_error_set(err, "bump: the limit leaves no room for the heap itself");
        return NULL;
    }
    h->id = __atomic_add_fetch(&heaps_opened, 1, __ATOMIC_RELAXED);
    pthread_mutex_init(&h->lock, NULL);
    h->pages = pages;
    h->chunk_bytes = chunk_bytes;
    mm_vg_pool_create(h);
    return &h->base;
}

static void bump_close(mm_heap *heap) {
    bump_heap *h = (bump_heap *)heap;
    mm_vg_pool_destroy(h);
    pthread_mutex_lock(&reserve.lock);
    for (chunk *c = h->chunks, *next; c; c = next) {
        next = c->next;
        size_t bytes = chunk_bytes_of(c);
        if (bytes == mm_align_up(h->chunk_bytes, mm_page_size()) && reserve.bytes + bytes <= RESERVE_MAX) {
            c->next = reserve.chunks, reserve.chunks = c; /* the heap's count dies with it */
            reserve.bytes += bytes;
        } else {
            mm_pages_unmap(&h->pages, c, bytes);
        }
    }
    pthread_mutex_unlock(&reserve.lock);
    pthread_mutex_destroy(&h->lock);
    mm_pages copy = h->pages;
    mm_pages_unmap(&copy, h, sizeof *h);
}

/* Faults a fresh chunk in now, in one go (a few huge pages where THP is on). */
static void prefault(void *p, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, bytes, MADV_POPULATE_WRITE) == 0) return;
#endif
    for (size_t at = 0; at < bytes; at += mm_page_size()) ((volatile char *)p)[at] = 0;
}

/* A reserved chunk of exactly `bytes`, counted in the heap's page layer as mm_pages_map
 * would count it (within the limit); NULL when there is none. */
static chunk *from_reserve(mm_pages *pages, size_t bytes) {
    if (pages->limit != 0 && bytes > pages->limit - pages->mapped) return NULL;
    pthread_mutex_lock(&reserve.lock);
    chunk **at = &reserve.chunks;
    while (*at && chunk_bytes_of(*at) != bytes) at = &(*at)->next;
    chunk *c = *at;
    if (c) *at = c->next, reserve.bytes -= bytes;
    pthread_mutex_unlock(&reserve.lock);
    if (c == NULL) return NULL;
    pages->mapped += bytes;
    if (pages->mapped > pages->peak_mapped) pages->peak_mapped = pages->mapped;
    mm_vg_undefined(c, bytes); /* memcheck: the last heap's blocks are gone, the bytes are this one's */
    return c;
}

/* A fresh mapping of `bytes`, faulted in; with `fallback`, just that much near the limit. */
static chunk *fresh(mm_pages *pages, size_t bytes, size_t fallback) {
    bool huge = bytes >= MM_HUGE_PAGE;
    chunk *c = mm_pages_map(pages, bytes, huge ? MM_HUGE_PAGE : 0);
    if (c == NULL && fallback < bytes) { /* near the limit: settle for just what is needed */
        bytes = fallback;
        huge = false;
        c = mm_pages_map(pages, bytes, 0);
    }
    if (c == NULL) return NULL;
    bytes = mm_align_up(bytes, mm_page_size());
    if (huge) mm_pages_hint_huge(c, bytes);
    prefault(c, bytes);
    c->end = (char *)c + bytes;
    return c;
}

/* A new chunk for this thread, big enough for `need` bytes at alignment `align`. With the
 * heap's lock held. */
static chunk *bump_grow(bump_heap *h, size_t need, size_t align) {
    size_t want = sizeof(chunk) + need + align;
    if (want < need) return NULL;
    size_t bytes = mm_align_up(want > h->chunk_bytes ? want : h->chunk_bytes, mm_page_size());
    chunk *c = from_reserve(&h->pages, bytes);
    if (c) c->end = (char *)c + bytes;
    else c = fresh(&h->pages, bytes, want);
    if (c == NULL) return NULL;
    c->next = h->chunks;
    c->cursor = (char *)(c + 1);
    c->owner = &mine;
    h->chunks = c;
    return c;
}

/* This thread's chunk of `h`: its current one, or the newest it filled before using
 * another heap; NULL when it has none. With the heap's lock held. */
static chunk *chunk_of_this_thread(bump_heap *h) {
    if (mine.heap == h->id) return mine.current;
    for (chunk *c = h->chunks; c; c = c->next)
        if (c->owner == &mine) return c;
    return NULL;
}

/* A block of `payload` bytes at `hdr` + one unit of chunk `c`: its header written, the
 * cursor past it. */
static inline void *place(bump_heap *h, chunk *c, char *hdr, size_t size, size_t payload) {
    unit_header *u = (unit_header *)hdr;
    u->tag = BLOCK_TAG;
    u->size = size;
    c->cursor = hdr + UNIT + payload;
    mm_vg_alloc(h, u + 1, payload);
    mm_debug_fill(u + 1, payload, MM_FILL_FRESH);
    (void)h;
    return u + 1;
}

/* Every other request: size 0 or large, alignment above 16, no room, or a thread new to
 * this heap. */
MM_SLOW_PATH static void *bump_alloc_general(bump_heap *h, size_t size, size_t align) {
    size_t a = mm_effective_align(align);
    if (a == 0 || size > ((size_t)1 << 48)) return NULL;
    size_t payload = payload_of(size);
    void *p = NULL;
    pthread_mutex_lock(&h->lock);
    chunk *c = chunk_of_this_thread(h);
    if (c == NULL) c = bump_grow(h, UNIT + payload, a);
    while (c != NULL) {
        char *hdr = c->cursor;
        /* Pad so that the payload (one unit after the header) lands on `a`. */
        while (((uintptr_t)(hdr + UNIT) & (a - 1)) != 0 && hdr + UNIT <= c->end) {
            ((unit_header *)hdr)->tag = PAD_TAG;
            hdr += UNIT;
        }
        if ((size_t)(c->end - hdr) >= UNIT + payload) {
            p = place(h, c, hdr, size, payload);
            break;
        }
        c->cursor = hdr; /* pads written above stay part of the walk */
        c = bump_grow(h, UNIT + payload, a);
    }
    if (c != NULL) mine.heap = h->id, mine.current = c;
    pthread_mutex_unlock(&h->lock);
    return p;
}

static void *bump_alloc(mm_heap *heap, size_t size, size_t align) {
    bump_heap *h = (bump_heap *)heap;
    size_t payload = (size + UNIT - 1) & ~(size_t)(UNIT - 1);
    chunk *c = mine.current;
    if (mine.heap == h->id && align <= MM_MIN_ALIGN && size - 1 < FAST_MAX &&
        (size_t)(c->end - c->cursor) >= UNIT + payload)
        return place(h, c, c->cursor, size, payload);
    return bump_alloc_general(h, size, align);
}

static void bump_free(mm_heap *heap, void *p) {
    /* by design: a bump heap frees everything at close(); only valgrind hears of it */
    if (p != NULL) mm_vg_free(heap, p);
}

static size_t bump_usable_size(mm_heap *heap, const void *p) {
    (void)heap;
    return payload_of(((const unit_header *)p - 1)->size);
}

static void *bump_realloc(mm_heap *heap, void *p, size_t size) {
    bump_heap *h = (bump_heap *)heap;
    if (p == NULL) return bump_alloc(heap, size, 0);
    if (size > ((size_t)1 << 48)) return NULL; /* as alloc; and units_for must not wrap */
    unit_header *u = (unit_header *)p - 1;
    size_t new_payload = payload_of(size);
    chunk *c = mine.heap == h->id ? mine.current : NULL; /* only this thread moves its cursor */
    if (c && (char *)p + payload_of(u->size) == c->cursor && (size_t)(c->end - (char *)p) >= new_payload) {
        u->size = size;
        c->cursor = (char *)p + new_payload;
        mm_vg_resize(h, p, new_payload);
        return p;
    }
    size_t old = u->size;
    void *q = bump_alloc(heap, size, 0);
    if (q != NULL) {
        memcpy(q, p, old < size ? old : size);
        mm_vg_free(h, p);
    }
    return q;
}

static void bump_stats(mm_heap *heap, mm_stats *out) {
    bump_heap *h = (bump_heap *)heap;
    pthread_mutex_lock(&h->lock);
    mm_pages_stats(&h->pages, out);
    pthread_mutex_unlock(&h->lock);
}

static size_t check_chunk(const chunk *c) {
    const char *p = (const char *)(c + 1), *cursor = c->cursor;
    if (cursor < p || cursor > c->end) return 1;
    while (p < cursor) {
        const unit_header *u = (const unit_header *)p;
        if (u->tag == PAD_TAG) {
            p += UNIT;
        } else if (u->tag == BLOCK_TAG && u->size <= (size_t)(cursor - p)) {
            p += UNIT + payload_of(u->size);
        } else {
            return 1; /* a unit that is neither pad nor a fitting block header */
        }
    }
    return p == cursor ? 0 : 1;
}

static size_t bump_check(mm_heap *heap) {
    bump_heap *h = (bump_heap *)heap;
    size_t broken = 0, mapped = 0;
    pthread_mutex_lock(&h->lock);
    for (const chunk *c = h->chunks; c; c = c->next) {
        broken += check_chunk(c);
        mapped += chunk_bytes_of(c);
    }
    /* the heap struct itself is one page-layer mapping too */
    if (mapped + mm_align_up(sizeof *h, mm_page_size()) != h->pages.mapped) broken++;
    pthread_mutex_unlock(&h->lock);
    return broken;
}

const mm_strategy mm_bump = {
    .name = "bump",
    .summary = "pointer increment, frees nothing: the floor of allocator work (not of memory traffic: every block is fresh memory)",
    .caps = MM_CAP_CHECK | MM_CAP_LIMIT | MM_CAP_EXACT_FOOTPRINT | MM_CAP_THREADS,
    .open = bump_open,
    .close = bump_close,
    .alloc = bump_alloc,
    .free = bump_free,
    .realloc = bump_realloc,
    .usable_size = bump_usable_size,
    .stats = bump_stats,
    .check = bump_check,
};
