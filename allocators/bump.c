/* bump.c — allocation by pointer increment; free does nothing. The floor of allocator work.
 *
 * Vocabulary
 *   chunk    a page-layer mapping (default 4 MiB, on transparent huge pages where the
 *            kernel offers them; a larger request gets a chunk of its own) filled from
 *            the front; chunks are linked so close() can unmap them. A bump heap pays
 *            for fresh memory on every allocation (page faults, cache misses): on a
 *            churn it is the floor of allocator *work*, not of memory traffic.
 *   cursor   the next free byte of the current chunk; `end` is one past its last byte.
 *   unit     16 bytes. Everything in a chunk is a whole number of units, so the heap can
 *            be walked: a pad unit (PAD_TAG) fills the gap an alignment leaves, a block
 *            is a header unit {BLOCK_TAG, size} then ceil(size/16) payload units.
 *
 *   chunk:  [chunk header][hdr|payload..][pad][pad][hdr|payload....][hdr|..] cursor→ ...end
 *
 * Invariants (check() counts violations)
 *   chunk header <= cursor <= end; walking units from the first one reaches cursor exactly;
 *   every unit walked is a pad or a block header with a size that fits before cursor.
 * free() never reuses memory (no MM_CAP_FREE); realloc grows the newest block in place
 * when it can, else copies. For valgrind (mm_valgrind.h) a freed or copied-away block is
 * retired all the same, so a caller's use after free shows up under memcheck.
 */
#include "mm.h"
#include "mm_valgrind.h"

#include <string.h>

#define UNIT 16u
#define BLOCK_TAG 0xB10C0000B10C0000ull
#define PAD_TAG 0x9AD09AD09AD09AD0ull

typedef struct unit_header {
    uint64_t tag;  /* BLOCK_TAG or PAD_TAG */
    uint64_t size; /* requested bytes (blocks only) */
} unit_header;

typedef struct chunk {
    struct chunk *next;
    size_t bytes; /* mapping size, header included */
    char *cursor; /* saved cursor of a retired chunk */
    uint64_t pad_;
} chunk;

typedef struct bump_heap {
    mm_heap base;
    mm_pages pages;
    size_t chunk_bytes;
    chunk *chunks; /* newest first; chunks->... is the current one */
    char *cursor, *end;
    unit_header *last; /* newest block, for in-place realloc */
} bump_heap;

_Static_assert(sizeof(unit_header) == UNIT, "a header is one unit");
_Static_assert(sizeof(chunk) % UNIT == 0, "chunk header keeps units aligned");

static inline size_t units_for(size_t size) { return (size + UNIT - 1) / UNIT; }

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
    h->pages = pages;
    h->chunk_bytes = chunk_bytes;
    mm_vg_pool_create(h);
    return &h->base;
}

static void bump_close(mm_heap *heap) {
    bump_heap *h = (bump_heap *)heap;
    mm_vg_pool_destroy(h);
    for (chunk *c = h->chunks, *next; c; c = next) {
        next = c->next;
        mm_pages_unmap(&h->pages, c, c->bytes);
    }
    mm_pages copy = h->pages;
    mm_pages_unmap(&copy, h, sizeof *h);
}

/* Starts a new chunk big enough for `need` bytes at alignment `align`. */
static bool bump_grow(bump_heap *h, size_t need, size_t align) {
    size_t want = sizeof(chunk) + need + align;
    if (want < need) return false;
    size_t bytes = want > h->chunk_bytes ? want : h->chunk_bytes;
    bool huge = bytes >= MM_HUGE_PAGE;
    chunk *c = mm_pages_map(&h->pages, bytes, huge ? MM_HUGE_PAGE : 0);
    if (c == NULL && want < bytes) { /* near the limit: settle for just what is needed */
        bytes = want;
        huge = false;
        c = mm_pages_map(&h->pages, bytes, 0);
    }
    if (c == NULL) return false;
    if (huge) mm_pages_hint_huge(c, bytes);
    if (h->chunks) h->chunks->cursor = h->cursor;
    c->next = h->chunks;
    c->bytes = mm_align_up(bytes, mm_page_size());
    h->chunks = c;
    h->cursor = (char *)(c + 1);
    h->end = (char *)c + c->bytes;
    h->last = NULL;
    return true;
}

static void *bump_alloc(mm_heap *heap, size_t size, size_t align) {
    bump_heap *h = (bump_heap *)heap;
    size_t a = mm_effective_align(align);
    if (a == 0 || size > ((size_t)1 << 48)) return NULL;
    size_t payload = units_for(size ? size : 1) * UNIT;
    if (h->cursor == NULL && !bump_grow(h, UNIT + payload, a)) return NULL;
    for (;;) {
        char *hdr = h->cursor;
        /* Pad so that the payload (one unit after the header) lands on `a`. */
        while (((uintptr_t)(hdr + UNIT) & (a - 1)) != 0 && hdr + UNIT <= h->end) {
            ((unit_header *)hdr)->tag = PAD_TAG;
            hdr += UNIT;
        }
        if ((size_t)(h->end - hdr) >= UNIT + payload) {
            unit_header *u = (unit_header *)hdr;
            u->tag = BLOCK_TAG;
            u->size = size;
            h->cursor = hdr + UNIT + payload;
            h->last = u;
            mm_vg_alloc(h, u + 1, payload);
            mm_debug_fill(u + 1, payload, MM_FILL_FRESH);
            return u + 1;
        }
        h->cursor = hdr; /* pads written above stay part of the walk */
        if (!bump_grow(h, UNIT + payload, a)) return NULL;
    }
}

static void bump_free(mm_heap *heap, void *p) {
    /* by design: a bump heap frees everything at close(); only valgrind hears of it */
    if (p != NULL) mm_vg_free(heap, p);
}

static size_t bump_usable_size(mm_heap *heap, const void *p) {
    (void)heap;
    const unit_header *u = (const unit_header *)p - 1;
    return units_for(u->size ? u->size : 1) * UNIT;
}

static void *bump_realloc(mm_heap *heap, void *p, size_t size) {
    bump_heap *h = (bump_heap *)heap;
    if (p == NULL) return bump_alloc(heap, size, 0);
    if (size > ((size_t)1 << 48)) return NULL; /* as alloc; and units_for must not wrap */
    unit_header *u = (unit_header *)p - 1;
    size_t new_payload = units_for(size ? size : 1) * UNIT;
    if (u == h->last && (size_t)(h->end - (char *)p) >= new_payload) {
        u->size = size;
        h->cursor = (char *)p + new_payload;
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

static void bump_stats(mm_heap *heap, mm_stats *out) { mm_pages_stats(&((bump_heap *)heap)->pages, out); }

static size_t check_chunk(const chunk *c, const char *cursor) {
    const char *end = (const char *)c + c->bytes;
    const char *p = (const char *)(c + 1);
    if (cursor < p || cursor > end) return 1;
    while (p < cursor) {
        const unit_header *u = (const unit_header *)p;
        if (u->tag == PAD_TAG) {
            p += UNIT;
        } else if (u->tag == BLOCK_TAG && u->size <= (size_t)(cursor - p)) {
            p += UNIT + units_for(u->size ? u->size : 1) * UNIT;
        } else {
            return 1; /* a unit that is neither pad nor a fitting block header */
        }
    }
    return p == cursor ? 0 : 1;
}

static size_t bump_check(mm_heap *heap) {
    bump_heap *h = (bump_heap *)heap;
    size_t broken = 0, mapped = 0;
    for (const chunk *c = h->chunks; c; c = c->next) {
        broken += check_chunk(c, c == h->chunks ? h->cursor : c->cursor);
        mapped += c->bytes;
    }
    /* the heap struct itself is one page-layer mapping too */
    if (mapped + mm_align_up(sizeof *h, mm_page_size()) != h->pages.mapped) broken++;
    return broken;
}

const mm_strategy mm_bump = {
    .name = "bump",
    .summary = "pointer increment, frees nothing: the floor of allocator work (not of memory traffic: every block is fresh memory)",
    .caps = MM_CAP_CHECK | MM_CAP_LIMIT | MM_CAP_EXACT_FOOTPRINT,
    .open = bump_open,
    .close = bump_close,
    .alloc = bump_alloc,
    .free = bump_free,
    .realloc = bump_realloc,
    .usable_size = bump_usable_size,
    .stats = bump_stats,
    .check = bump_check,
};
