/* radix.c — the region tree of radix.h: nodes from the page layer, kept until release. */
#include "radix.h"

#include <assert.h>
#include <string.h>

#define FANOUT ((size_t)1 << MM_RADIX_BITS)
#define NODE_BYTES (FANOUT * sizeof(void *))

static size_t root_bytes(const mm_radix *t) { return mm_align_up(sizeof(void **) << t->root_bits, mm_page_size()); }

size_t mm_radix_bytes(const mm_radix *t) {
    return t->root ? root_bytes(t) + t->nodes * mm_align_up(NODE_BYTES, mm_page_size()) : 0;
}

/* The child at `slot`, mapped (zeroed by the page layer) when missing; NULL on refusal. */
static void **child(mm_radix *t, mm_pages *pages, void **slot) {
    if (*slot == NULL && (*slot = mm_pages_map(pages, NODE_BYTES, 0)) != NULL) t->nodes++;
    return *slot;
}

bool mm_radix_insert(mm_radix *t, mm_pages *pages, uintptr_t base, void *value) {
    assert(value != NULL && "a NULL value would read as 'no region'");
    assert((base >> MM_RADIX_ADDRESS_BITS) == 0 && (base & (((uintptr_t)1 << t->shift) - 1)) == 0 &&
           "regions are aligned and in the 48-bit address space");
    if (t->root == NULL) {
        assert(t->shift + 2 * MM_RADIX_BITS < MM_RADIX_ADDRESS_BITS && "the key leaves bits for the root");
        t->root_bits = MM_RADIX_ADDRESS_BITS - t->shift - 2 * MM_RADIX_BITS;
        if ((t->root = mm_pages_map(pages, root_bytes(t), 0)) == NULL) return false;
    }
    uintptr_t key = base >> t->shift;
    void **mid = child(t, pages, (void **)&t->root[key >> (2 * MM_RADIX_BITS)]);
    void **leaf = mid ? child(t, pages, &mid[(key >> MM_RADIX_BITS) & (FANOUT - 1)]) : NULL;
    if (leaf == NULL) return false;
    assert(leaf[key & (FANOUT - 1)] == NULL && "a region is inserted once");
    leaf[key & (FANOUT - 1)] = value;
    t->count++;
    return true;
}

void mm_radix_remove(mm_radix *t, uintptr_t base) {
    uintptr_t key = base >> t->shift;
    void **mid = t->root ? t->root[key >> (2 * MM_RADIX_BITS)] : NULL;
    void **leaf = mid ? mid[(key >> MM_RADIX_BITS) & (FANOUT - 1)] : NULL;
    if (leaf == NULL || leaf[key & (FANOUT - 1)] == NULL) return;
    leaf[key & (FANOUT - 1)] = NULL;
    t->count--;
    mm_radix_entry *c = &t->cache[key & (MM_RADIX_CACHE - 1)];
    if (c->key == key) *c = (mm_radix_entry){0, NULL};
}

void mm_radix_release(mm_radix *t, mm_pages *pages) {
    for (size_t i = 0; t->root && i < ((size_t)1 << t->root_bits); i++) {
        void **mid = t->root[i];
        if (mid == NULL) continue;
        for (size_t j = 0; j < FANOUT; j++)
            if (mid[j]) mm_pages_unmap(pages, mid[j], NODE_BYTES);
        mm_pages_unmap(pages, mid, NODE_BYTES);
    }
    if (t->root) mm_pages_unmap(pages, t->root, root_bytes(t));
    unsigned shift = t->shift;
    memset(t, 0, sizeof *t);
    t->shift = shift;
}
