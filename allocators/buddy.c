/* buddy.c — the binary buddy system (Knowlton 1965; Knuth TAOCP 2.5, algorithm R and S).
 *
 * Vocabulary
 *   order     a block of order k is 2^k bytes and starts at a multiple of 2^k from its
 *             region's base. Orders run from min_order (option `min_block`, default 16 B)
 *             to max_order (option `max_block`, default 1 MiB = one region).
 *   region    a page-layer mapping of 2^max_order bytes aligned to its own size; the buddy
 *             tree lives inside it. An addrmap of region bases finds a block's region in
 *             O(1) (p rounded down to the region size).
 *   buddy     the block of order k at offset (off XOR 2^k): split on allocation, merged
 *             with on free when it is free and of the same order.
 *   order map one byte per min block at the start of the region, saying for the min block
 *             at that offset: 0 (inside a block), USED|k or FREE|k (a block of order k
 *             starts here). So blocks carry no header: usable_size is exactly 2^k, which is
 *             what the textbook internal-fragmentation figure assumes. The map occupies the
 *             region's first block (of order map_order), marked USED for good; so the
 *             largest block a region can hand out is its upper half, 2^(max_order - 1).
 *   free list one doubly linked list per order, threaded through the free blocks; a bitmap
 *             says which orders have a free block, so allocation finds one with one ctz.
 *   large     a request above 2^(max_order - 1) gets a mapping of its own (through the page
 *             layer's cache of large-block mappings): one page of header (links, size)
 *             then the payload; listed so close() can unmap it.
 *   empty     a region whose blocks are all free except the map. One is kept as a spare;
 *             another goes back to the page layer.
 *   valgrind  blocks are announced with their usable size (2^k; a large one's payload);
 *             free blocks are closed to memcheck, their list links opened only while the
 *             lists are walked or relinked (node_open / node_close).
 *
 * Invariants (check() counts violations)
 *   walking the order map of each region from offset 0 tiles it exactly with blocks, each
 *   aligned to its order with only zeros inside; no free block's buddy is a free block of
 *   the same order (merging is immediate); every free block is on the list of its order
 *   exactly once and the lists hold nothing else; the bitmap matches the lists; the count
 *   of empty regions is right; regions + large mappings + tables == the page layer's `mapped`.
 */
#include "addrmap.h"
#include "mm.h"
#include "mm_valgrind.h"

#include <string.h>

#define M_FREE 0x80u
#define M_USED 0x40u
#define M_ORDER 0x3Fu
#define LARGE_MAGIC 0x1A26E0B10C5ull

typedef struct bnode {
    struct bnode *next, *prev;
} bnode;

typedef struct large_hdr {
    struct large_hdr *next, *prev;
    size_t bytes; /* the whole mapping, header page included */
    uint64_t magic;
} large_hdr;

typedef struct buddy_heap {
    mm_heap base;
    unsigned min_order, max_order, map_order;
    uintptr_t region_mask;
    mm_addrmap regions; /* region base -> 0 */
    uint64_t nonempty;  /* bit k: free[k] has a block */
    bnode *free[64];
    large_hdr *large;
    size_t empty_regions;
    mm_pages pages;
} buddy_heap;

static inline unsigned ceil_log2(size_t n) { return n <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(n - 1); }
static inline unsigned char *map_of(uintptr_t base) { return (unsigned char *)base; }
static inline size_t idx(const buddy_heap *h, size_t off) { return off >> h->min_order; }

/* A free block's links live inside it, closed to memcheck but while they are used. */
static inline void node_open(const bnode *b) {
    if (b) mm_vg_open_metadata(b, sizeof *b);
}
static inline void node_close(const bnode *b) {
    if (b) mm_vg_close_metadata(b, sizeof *b);
}

static void push(buddy_heap *h, bnode *b, unsigned k) {
    bnode *head = h->free[k];
    node_open(b);
    node_open(head);
    b->prev = NULL;
    b->next = head;
    if (head) head->prev = b;
    node_close(head);
    node_close(b);
    h->free[k] = b;
    h->nonempty |= 1ull << k;
}

static void unlink_node(buddy_heap *h, bnode *b, unsigned k) {
    node_open(b);
    bnode *prev = b->prev, *next = b->next;
    node_close(b);
    node_open(prev);
    node_open(next);
    if (prev) prev->next = next;
    else h->free[k] = next;
    if (next) next->prev = prev;
    node_close(prev);
    node_close(next);
    if (h->free[k] == NULL) h->nonempty &= ~(1ull << k);
}

/* Is every block of the region free but the map? Then the free blocks are exactly those
 * of order j at offset 2^j, for j from map_order to max_order - 1. */
static bool region_empty(const buddy_heap *h, uintptr_t base) {
    const unsigned char *map = map_of(base);
    for (unsigned j = h->map_order; j < h->max_order; j++)
        if (map[idx(h, (size_t)1 << j)] != (M_FREE | j)) return false;
    return true;
}

static bool region_new(buddy_heap *h) {
    size_t bytes = (size_t)1 << h->max_order;
    uintptr_t base = (uintptr_t)mm_pages_map(&h->pages, bytes, bytes);
    if (base == 0) return false;
    if (!mm_addrmap_insert(&h->regions, &h->pages, base, 0)) {
        mm_pages_unmap(&h->pages, (void *)base, bytes);
        return false;
    }
    unsigned char *map = map_of(base); /* zero-filled: every entry "inside a block" */
    mm_vg_close_metadata(map + ((size_t)1 << h->map_order), bytes - ((size_t)1 << h->map_order)); /* all free */
    map[0] = (unsigned char)(M_USED | h->map_order);
    for (unsigned j = h->map_order; j < h->max_order; j++) {
        map[idx(h, (size_t)1 << j)] = (unsigned char)(M_FREE | j);
        push(h, (bnode *)(base + ((size_t)1 << j)), j);
    }
    h->empty_regions++;
    return true;
}

static void region_release(buddy_heap *h, uintptr_t base) {
    for (unsigned j = h->map_order; j < h->max_order; j++) unlink_node(h, (bnode *)(base + ((size_t)1 << j)), j);
    mm_addrmap_remove(&h->regions, base);
    mm_pages_unmap(&h->pages, (void *)base, (size_t)1 << h->max_order);
}

/* ---- large requests ---- */

static void *large_alloc(buddy_heap *h, size_t n) {
    size_t page = mm_page_size();
    if (n > ((size_t)1 << 48)) return NULL;
    size_t bytes = page + mm_align_up(n ? n : 1, page);
    char *m = mm_pages_map_cached(&h->pages, bytes, 0);
    if (m == NULL) return NULL;
    large_hdr *l = (large_hdr *)(m + page) - 1;
    l->bytes = bytes;
    l->magic = LARGE_MAGIC;
    l->prev = NULL;
    l->next = h->large;
    if (l->next) l->next->prev = l;
    h->large = l;
    mm_vg_alloc(h, m + page, bytes - page);
    return m + page;
}

/* Unmaps large block p (close() too, after memcheck forgot the blocks: no annotation). */
static void large_unmap(buddy_heap *h, void *p) {
    large_hdr *l = (large_hdr *)p - 1;
    if (l->prev) l->prev->next = l->next;
    else h->large = l->next;
    if (l->next) l->next->prev = l->prev;
    mm_pages_unmap_cached(&h->pages, (char *)p - mm_page_size(), l->bytes);
}

/* ---- the table's operations ---- */

static void large_free(buddy_heap *h, void *p) {
    mm_vg_free(h, p);
    large_unmap(h, p);
}

static void *buddy_alloc(mm_heap *heap, size_t n, size_t align) {
    buddy_heap *h = (buddy_heap *)heap;
    size_t a = mm_effective_align(align);
    if (a == 0) return NULL;
    size_t want = n > a ? n : a; /* blocks are aligned to their own size */
    unsigned k = want > ((size_t)1 << 62) ? 63 : ceil_log2(want);
    if (k < h->min_order) k = h->min_order;
    if (k >= h->max_order) return large_alloc(h, n);
    uint64_t avail = h->nonempty >> k;
    if (avail == 0) {
        if (!region_new(h)) return NULL;
        avail = h->nonempty >> k;
    }
    unsigned j = k + (unsigned)__builtin_ctzll(avail);
    bnode *b = h->free[j];
    uintptr_t base = (uintptr_t)b & h->region_mask;
    unsigned char *map = map_of(base);
    if (j >= h->map_order && region_empty(h, base)) h->empty_regions--;
    unlink_node(h, b, j);
    size_t off = (uintptr_t)b - base;
    while (j > k) { /* split: the upper half becomes a free block one order down */
        j--;
        size_t upper = off + ((size_t)1 << j);
        map[idx(h, upper)] = (unsigned char)(M_FREE | j);
        push(h, (bnode *)(base + upper), j);
    }
    map[idx(h, off)] = (unsigned char)(M_USED | k);
    mm_vg_alloc(h, b, (size_t)1 << k);
    mm_debug_fill(b, (size_t)1 << k, MM_FILL_FRESH);
    return b;
}

static void buddy_free(mm_heap *heap, void *p) {
    buddy_heap *h = (buddy_heap *)heap;
    if (p == NULL) return;
    uintptr_t base = (uintptr_t)p & h->region_mask;
    if (mm_addrmap_find(&h->regions, base) == NULL) {
        large_free(h, p);
        return;
    }
    unsigned char *map = map_of(base);
    size_t off = (uintptr_t)p - base;
    unsigned k = map[idx(h, off)] & M_ORDER;
    mm_debug_fill(p, (size_t)1 << k, MM_FILL_FREED);
    mm_vg_free(h, p);
    map[idx(h, off)] = 0;
    while (k + 1 < h->max_order) { /* merge while the buddy is free and whole */
        size_t buddy = off ^ ((size_t)1 << k);
        if (map[idx(h, buddy)] != (M_FREE | k)) break;
        unlink_node(h, (bnode *)(base + buddy), k);
        map[idx(h, buddy)] = 0;
        off &= ~((size_t)1 << k);
        k++;
    }
    map[idx(h, off)] = (unsigned char)(M_FREE | k);
    push(h, (bnode *)(base + off), k);
    if (k >= h->map_order && region_empty(h, base)) {
        if (h->empty_regions >= 1) region_release(h, base);
        else h->empty_regions++;
    }
}

static size_t buddy_usable_size(mm_heap *heap, const void *p) {
    buddy_heap *h = (buddy_heap *)heap;
    uintptr_t base = (uintptr_t)p & h->region_mask;
    if (mm_addrmap_find(&h->regions, base) == NULL) return ((const large_hdr *)p - 1)->bytes - mm_page_size();
    return (size_t)1 << (map_of(base)[idx(h, (uintptr_t)p - base)] & M_ORDER);
}

static void *buddy_realloc(mm_heap *heap, void *p, size_t n) {
    if (p == NULL) return buddy_alloc(heap, n, 0);
    size_t old = buddy_usable_size(heap, p);
    if (n <= old && (n > old / 2 || old <= ((size_t)1 << ((buddy_heap *)heap)->min_order))) return p;
    void *q = buddy_alloc(heap, n, 0);
    if (q == NULL) return NULL;
    memcpy(q, p, old < n ? old : n);
    buddy_free(heap, p);
    return q;
}

static void buddy_stats(mm_heap *heap, mm_stats *out) { mm_pages_stats(&((buddy_heap *)heap)->pages, out); }

/* ---- check ---- */

static size_t check_region(const buddy_heap *h, uintptr_t base, size_t *free_blocks) {
    const unsigned char *map = map_of(base);
    const size_t size = (size_t)1 << h->max_order;
    size_t broken = 0, off = 0;
    if (map[0] != (M_USED | h->map_order)) broken++;
    while (off < size) {
        unsigned e = map[idx(h, off)], k = e & M_ORDER;
        if (!(e & (M_FREE | M_USED)) || (e & M_FREE && e & M_USED) || k < h->min_order || k >= h->max_order ||
            off % ((size_t)1 << k) != 0)
            return broken + 1; /* the walk cannot go on */
        for (size_t i = idx(h, off) + 1; i < idx(h, off + ((size_t)1 << k)); i++)
            if (map[i] != 0) { broken++; break; }
        if (e & M_FREE) {
            (*free_blocks)++;
            size_t buddy = off ^ ((size_t)1 << k);
            if (k + 1 < h->max_order && map[idx(h, buddy)] == (M_FREE | k)) broken++; /* should have merged */
        }
        off += (size_t)1 << k;
    }
    return broken;
}

static size_t buddy_check(mm_heap *heap) {
    buddy_heap *h = (buddy_heap *)heap;
    size_t broken = 0, walked = 0, listed = 0, regions = 0, empty = 0, large_bytes = 0;
    for (size_t i = 0; h->regions.slots && i <= h->regions.mask; i++) {
        uintptr_t base = h->regions.slots[i].key;
        if (base == 0) continue;
        regions++;
        broken += check_region(h, base, &walked);
        empty += region_empty(h, base);
    }
    for (unsigned k = 0; k < 64; k++) {
        if (!!(h->nonempty & (1ull << k)) != (h->free[k] != NULL)) broken++;
        const bnode *prev = NULL;
        for (const bnode *b = h->free[k], *next; b && listed <= walked; prev = b, b = next) {
            listed++;
            uintptr_t base = (uintptr_t)b & h->region_mask;
            if (mm_addrmap_find(&h->regions, base) == NULL || map_of(base)[idx(h, (uintptr_t)b - base)] != (M_FREE | k)) {
                broken++;
                break;
            }
            node_open(b);
            bool linked = b->prev == prev;
            next = b->next;
            node_close(b);
            if (!linked) {
                broken++;
                break;
            }
        }
    }
    for (const large_hdr *l = h->large, *prev = NULL; l; prev = l, l = l->next) {
        if (l->magic != LARGE_MAGIC || l->prev != prev) { broken++; break; }
        large_bytes += l->bytes;
    }
    if (listed != walked || empty != h->empty_regions || empty > 1) broken++;
    size_t heap_page = mm_align_up(sizeof *h, mm_page_size());
    if (regions * ((size_t)1 << h->max_order) + large_bytes + mm_addrmap_bytes(&h->regions) + heap_page !=
        h->pages.mapped)
        broken++;
    return broken + mm_addrmap_check(&h->regions);
}

/* ---- open / close ---- */

static mm_heap *buddy_open(const mm_config *config, mm_error *err) {
    size_t min_block = 16, max_block = 1u << 20;
    const mm_option options[] = {
        {"min_block", MM_OPTION_SIZE, "the smallest block (2^min_order)", 16, 4096, true, &min_block},
        {"max_block", MM_OPTION_SIZE, "the region size (2^max_order)", 64u << 10, (size_t)1 << 30, true, &max_block},
    };
    if (!mm_options_parse("buddy", config->options, options, 2, err)) return NULL;
    unsigned min_order = ceil_log2(min_block), max_order = ceil_log2(max_block);
    unsigned map_order = ceil_log2(max_block >> min_order);
    if (map_order < min_order) map_order = min_order;
    if (map_order + 1 >= max_order) {
        mm_error_set(err, "buddy: max_block=%zu is too small for min_block=%zu (the order map would fill it)",
                     max_block, min_block);
        return NULL;
    }
    mm_pages pages = mm_pages_from(config);
    buddy_heap *h = mm_pages_map(&pages, sizeof *h, 0);
    if (h == NULL) {
        mm_error_set(err, "buddy: the limit leaves no room for the heap itself");
        return NULL;
    }
    h->pages = pages;
    h->min_order = min_order, h->max_order = max_order, h->map_order = map_order;
    h->region_mask = ~(uintptr_t)(max_block - 1);
    h->regions.shift = max_order;
    mm_vg_pool_create(h);
    return &h->base;
}

static void buddy_close(mm_heap *heap) {
    buddy_heap *h = (buddy_heap *)heap;
    mm_vg_pool_destroy(h);
    while (h->large) large_unmap(h, h->large + 1);
    for (size_t i = 0; h->regions.slots && i <= h->regions.mask; i++)
        if (h->regions.slots[i].key) mm_pages_unmap(&h->pages, (void *)h->regions.slots[i].key, (size_t)1 << h->max_order);
    mm_addrmap_release(&h->regions, &h->pages);
    mm_pages copy = h->pages;
    mm_pages_unmap(&copy, h, sizeof *h);
}

const mm_strategy mm_buddy = {
    .name = "buddy",
    .summary = "binary buddy: power-of-two blocks, split on alloc, merged with the XOR buddy on free; order map, no headers",
    .caps = MM_CAP_FREE | MM_CAP_CHECK | MM_CAP_LIMIT | MM_CAP_EXACT_FOOTPRINT,
    .open = buddy_open,
    .close = buddy_close,
    .alloc = buddy_alloc,
    .free = buddy_free,
    .realloc = buddy_realloc,
    .usable_size = buddy_usable_size,
    .stats = buddy_stats,
    .check = buddy_check,
};
