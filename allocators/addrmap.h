/* addrmap.h — a hash map from aligned base addresses to a word, for "is this pointer one
 * of my regions?" in O(1): pool finds a block's arena, buddy a block's region.
 *
 * Vocabulary
 *   key     a region's base address: nonzero, aligned to 1 << shift (so key >> shift is a
 *           region number, hashed by Fibonacci multiplication).
 *   slot    {key, value}; key 0 marks an empty slot. Linear probing; removal shifts the
 *           following run back, so there are no tombstones.
 * Invariants: count < half the slots; every key sits in the probe run that starts at its
 * hash with no empty slot in between. The table lives in page-layer memory of the owning
 * heap, so its bytes are part of that heap's footprint.
 */
#ifndef MM_ADDRMAP_H
#define MM_ADDRMAP_H

#include "mm.h"

typedef struct mm_addrmap_slot {
    uintptr_t key;
    uintptr_t value;
} mm_addrmap_slot;

typedef struct mm_addrmap {
    mm_addrmap_slot *slots; /* NULL until the first insert */
    size_t mask;            /* slots - 1 */
    size_t count;
    unsigned shift, bits;   /* keys are multiples of 1 << shift; slots == 1 << bits */
} mm_addrmap;

static inline size_t mm_addrmap_hash(const mm_addrmap *m, uintptr_t key) {
    return (size_t)(((uint64_t)(key >> m->shift) * 0x9E3779B97F4A7C15ull) >> (64 - m->bits));
}

/* The slot holding `key`, or NULL (always NULL for key 0). */
static inline mm_addrmap_slot *mm_addrmap_find(const mm_addrmap *m, uintptr_t key) {
    if (m->slots == NULL) return NULL;
    for (size_t i = mm_addrmap_hash(m, key);; i = (i + 1) & m->mask) {
        mm_addrmap_slot *s = &m->slots[i];
        if (s->key == 0) return NULL; /* first: key 0 (a NULL pointer's) finds nothing */
        if (s->key == key) return s;
    }
}

/* Adds key (not present) with value; false when the page layer refuses to grow the table. */
bool mm_addrmap_insert(mm_addrmap *m, mm_pages *pages, uintptr_t key, uintptr_t value);
void mm_addrmap_remove(mm_addrmap *m, uintptr_t key);
void mm_addrmap_release(mm_addrmap *m, mm_pages *pages);
/* Broken invariants: keys unaligned, off their probe run, or a count that does not add up. */
size_t mm_addrmap_check(const mm_addrmap *m);
/* Bytes of page-layer memory the table holds. */
size_t mm_addrmap_bytes(const mm_addrmap *m);

#endif
