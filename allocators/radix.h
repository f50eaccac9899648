/* radix.h — a three-level radix tree from aligned region addresses to a pointer, for
 * "which of my regions holds p?" in three dependent loads, no hashing and no loop
 * (CPython's obmalloc answers the same question with the same shape since 3.10).
 *
 * Vocabulary
 *   region  a mapping aligned to 1 << shift (a pool arena, a buddy region). Its number is
 *           p >> shift; p is below 2^48, the user address space of x86-64 and arm64.
 *   key     the region number, 48 - shift bits, read from the top as
 *             [ root bits | MM_RADIX_BITS mid bits | MM_RADIX_BITS leaf bits ]
 *   node    a page-layer mapping of pointers: the root (1 << root bits entries, made on
 *           the first insert), mid nodes and leaves (MM_RADIX_BITS entries: one page).
 *           The leaf entry is the region's value; NULL means "not a region of ours".
 *   cache   MM_RADIX_CACHE recent regions, direct-mapped by the key's low bits, as
 *           jemalloc's rtree caches its leaves: in a heap of up to that many regions at
 *           consecutive addresses (the usual case) nearly every lookup is one compare,
 *           no tree walk.
 * Invariants: every node lives in the owning heap's page layer, so its bytes are part of
 * that heap's footprint (mm_radix_bytes); nodes are kept until release, so a lookup of a
 * freed region's address finds NULL rather than freed memory; count is the number of
 * non-NULL leaf entries; a cache entry names a region present now, or is key 0 with
 * value NULL (no region starts at address 0): the zeroed tree is a valid empty one.
 */
#ifndef MM_RADIX_H
#define MM_RADIX_H

#include "mm.h"

#define MM_RADIX_BITS 9u /* entries per mid node and leaf: 512 pointers, 4 KiB */
#define MM_RADIX_ADDRESS_BITS 48u
#define MM_RADIX_CACHE 16u /* cached regions: a power of two */

typedef struct mm_radix_entry {
    uintptr_t key;
    void *value;
} mm_radix_entry;

typedef struct mm_radix {
    void ***root;    /* NULL until the first insert */
    unsigned shift;  /* log2 of the region alignment: set before the first insert */
    unsigned root_bits;
    size_t count;    /* regions present */
    size_t nodes;    /* mid nodes and leaves mapped */
    mm_radix_entry cache[MM_RADIX_CACHE]; /* see "cache" */
} mm_radix;

/* The value of the region holding p, or NULL when no region holds it. */
static inline void *mm_radix_find(mm_radix *t, const void *p) {
    uintptr_t key = (uintptr_t)p >> t->shift;
    mm_radix_entry *c = &t->cache[key & (MM_RADIX_CACHE - 1)];
    if (__builtin_expect(c->key == key, 1)) return c->value;
    if (__builtin_expect(t->root == NULL || ((uintptr_t)p >> MM_RADIX_ADDRESS_BITS) != 0, 0)) return NULL;
    void **mid = t->root[key >> (2 * MM_RADIX_BITS)];
    if (mid == NULL) return NULL;
    void **leaf = mid[(key >> MM_RADIX_BITS) & ((1u << MM_RADIX_BITS) - 1)];
    if (leaf == NULL) return NULL;
    void *value = leaf[key & ((1u << MM_RADIX_BITS) - 1)];
    if (value != NULL) {
        c->key = key;
        c->value = value;
    }
    return value;
}

/* Sets the value of the region at `base` (aligned, below 2^48; value non-NULL); false
 * when the page layer refuses a node. */
bool mm_radix_insert(mm_radix *t, mm_pages *pages, uintptr_t base, void *value);
/* Forgets the region at `base` (its nodes stay). */
void mm_radix_remove(mm_radix *t, uintptr_t base);
void mm_radix_release(mm_radix *t, mm_pages *pages);
/* Bytes of page-layer memory the nodes hold. */
size_t mm_radix_bytes(const mm_radix *t);

#endif
