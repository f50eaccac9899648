/* os.c — the page layer: the only place in-house strategies get memory from the OS.
 *
 * Vocabulary
 *   mapping   one mm_pages_map call's memory: whole pages, zero-filled, unmapped whole.
 *   mapped    bytes of all live mappings of one mm_pages (each heap has its own), so a
 *             heap's footprint is exact; peak_mapped is the most ever held at once.
 *   cache     up to MM_PAGES_CACHE ranges of large-block mappings given back with
 *             mm_pages_unmap_cached, kept mapped (and resident) for mm_pages_map_cached:
 *             `cached` bytes, held from the OS like mapped ones. Adjacent ranges merge; a
 *             request takes the smallest range it fits in (aligned inside it) and what is
 *             left on either side stays cached; when none is big enough, the largest grows
 *             (mremap moves its resident pages, only the extension is faulted in). Budget:
 *             four times `largest`, at most MM_PAGES_CACHE_MAX; past it (or with every
 *             slot taken) the smallest ranges go back to the OS first.
 *   held      mapped + cached: what the heap's footprint reports.
 *   charged   bytes another heap holds for this one (pool's fallback): a page layer
 *             `within` this one charges here every byte it holds (mapped or cached), and
 *             a heap charges by hand what a fallback without a page layer holds for it.
 *   limit     optional ceiling on held + charged: a map that would pass it, or pass a
 *             limit the layer is within, first empties the cache, then returns NULL (a
 *             strategy turns that into a NULL from alloc; nothing crashes).
 *   owner     an owned mm_pages records every page it holds in owner->map (mm_pagemap)
 *             and counts it there too, under the pagemap's own (shared) limit.
 *
 * Invariants
 *   mapped == sum of the sizes of live mappings; cached == sum of the cache's ranges;
 *   peak_mapped >= mapped + cached; limit == 0 || mapped + cached + charged <= limit;
 *   charged == what the layers within this one hold + what was charged by hand;
 *   cache ranges neither overlap nor touch; an unused slot has start 0;
 *   every page an owned mm_pages holds is recorded as its owner's, and counted once in
 *   the pagemap's held (with the pagemap's nodes); pages of nobody's are recorded NULL.
 *
 * Alignment beyond a page is had by mapping `bytes + align` and trimming both ends, so
 * the accounting only ever sees the aligned mapping that is handed out.
 */
#define _GNU_SOURCE /* mremap */
#include "mm.h"

#include <assert.h>
#include <sys/mman.h>
#include <unistd.h>

size_t mm_page_size(void) {
    static size_t page;
    if (page == 0) page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

static void *os_map(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ---- the pagemap ---- */

#define FANOUT ((uintptr_t)1 << MM_PAGEMAP_BITS)
#define NODE_BYTES (FANOUT * sizeof(void *))
#define KEY_BITS (MM_PAGEMAP_LEVELS * MM_PAGEMAP_BITS)

static void note_peak(_Atomic size_t *peak, size_t now) {
    size_t old = atomic_load_explicit(peak, memory_order_relaxed);
    while (now > old && !atomic_compare_exchange_weak_explicit(peak, &old, now, memory_order_relaxed,
                                                               memory_order_relaxed)) {
    }
}

/* Counts `bytes` more as held, unless that passes the limit. */
static bool pagemap_reserve(mm_pagemap *m, size_t bytes) {
    size_t old = atomic_load_explicit(&m->held, memory_order_relaxed), now;
    do {
        if (m->limit != 0 && (bytes > m->limit || old > m->limit - bytes)) return false;
        now = old + bytes;
    } while (!atomic_compare_exchange_weak_explicit(&m->held, &old, now, memory_order_relaxed, memory_order_relaxed));
    note_peak(&m->peak_held, now);
    return true;
}

static void pagemap_unreserve(mm_pagemap *m, size_t bytes) {
    atomic_fetch_sub_explicit(&m->held, bytes, memory_order_relaxed);
}

/* The node `slot` points at; with `create`, one is mapped and installed when missing
 * (a thread that loses the race to install unmaps its own). NULL when absent or refused. */
static _Atomic(void *) *pagemap_child(mm_pagemap *m, _Atomic(void *) *slot, bool create) {
    void *node = atomic_load_explicit(slot, memory_order_acquire);
    if (node != NULL || !create) return node;
    if (!pagemap_reserve(m, NODE_BYTES)) return NULL;
    void *fresh = os_map(NODE_BYTES);
    if (fresh == NULL) {
        pagemap_unreserve(m, NODE_BYTES);
        return NULL;
    }
    if (atomic_compare_exchange_strong_explicit(slot, &node, fresh, memory_order_acq_rel, memory_order_acquire))
        return fresh;
    munmap(fresh, NODE_BYTES);
    pagemap_unreserve(m, NODE_BYTES);
    return node;
}

/* Sets the entries of [start, start + bytes) to `owner` (NULL clears them). False when a
 * node could not be had: the caller clears what was set. */
static bool pagemap_set(mm_pagemap *m, uintptr_t start, size_t bytes, mm_owner *owner) {
    uintptr_t key = start >> MM_PAGEMAP_GRAIN, end = (start + bytes) >> MM_PAGEMAP_GRAIN;
    if (end > ((uintptr_t)1 << KEY_BITS)) return owner == NULL; /* beyond the 48-bit address space */
    while (key < end) {
        _Atomic(void *) *node = m->root;
        for (unsigned level = MM_PAGEMAP_LEVELS - 1; level > 0 && node; level--)
            node = pagemap_child(m, &node[(key >> (level * MM_PAGEMAP_BITS)) & (FANOUT - 1)], owner != NULL);
        uintptr_t stop = (key | (FANOUT - 1)) + 1;
        if (stop > end) stop = end;
        if (node == NULL) {
            if (owner != NULL) return false;
        } else {
            for (uintptr_t k = key; k < stop; k++) atomic_store_explicit(&node[k & (FANOUT - 1)], owner, memory_order_relaxed);
        }
        key = stop;
    }
    return true;
}

/* Visits every leaf entry (f gets its value) and node of the tree below `node`. */
static void pagemap_walk(_Atomic(void *) *node, unsigned level, void (*f)(void *value, void *arg), void *arg,
                         size_t *nodes) {
    for (uintptr_t i = 0; i < FANOUT; i++) {
        void *v = atomic_load_explicit(&node[i], memory_order_acquire);
        if (v == NULL) continue;
        if (level == 0) {
            f(v, arg);
        } else {
            (*nodes)++;
            pagemap_walk(v, level - 1, f, arg, nodes);
        }
    }
}

typedef struct owner_count {
    const mm_owner *owner;
    size_t entries;
} owner_count;

static void count_entry(void *value, void *arg) {
    owner_count *c = arg;
    if (c->owner == NULL || value == c->owner) c->entries++;
}

size_t mm_pagemap_bytes(const mm_pagemap *m, const mm_owner *owner) {
    owner_count c = {owner, 0};
    size_t nodes = 0;
    pagemap_walk((_Atomic(void *) *)m->root, MM_PAGEMAP_LEVELS - 1, count_entry, &c, &nodes);
    return c.entries << MM_PAGEMAP_GRAIN;
}

static void ignore_entry(void *value, void *arg) { (void)value, (void)arg; }

size_t mm_pagemap_node_bytes(const mm_pagemap *m) {
    size_t nodes = 0;
    pagemap_walk((_Atomic(void *) *)m->root, MM_PAGEMAP_LEVELS - 1, ignore_entry, NULL, &nodes);
    return nodes * NODE_BYTES;
}

static void release_below(_Atomic(void *) *node, unsigned level, mm_pagemap *m) {
    for (uintptr_t i = 0; level > 0 && i < FANOUT; i++) {
        void *child = atomic_load_explicit(&node[i], memory_order_acquire);
        if (child == NULL) continue;
        release_below(child, level - 1, m);
        munmap(child, NODE_BYTES);
        pagemap_unreserve(m, NODE_BYTES);
        atomic_store_explicit(&node[i], NULL, memory_order_relaxed);
    }
}

void mm_pagemap_release(mm_pagemap *m) { release_below(m->root, MM_PAGEMAP_LEVELS - 1, m); }

/* ---- mappings from and back to the OS ---- */

static size_t held(const mm_pages *pages) { return pages->mapped + pages->cached; }

/* Gives [p, p + bytes) back to the OS (the caller takes it out of mapped or cached). */
static void give_back(mm_pages *pages, void *p, size_t bytes) {
    if (pages->owner) {
        pagemap_set(pages->owner->map, (uintptr_t)p, bytes, NULL);
        pagemap_unreserve(pages->owner->map, bytes);
        atomic_fetch_add_explicit(&pages->owner->map->unmap_calls, 1, memory_order_relaxed);
    }
    munmap(p, bytes);
    pages->unmap_calls++;
    if (pages->within) mm_pages_uncharge(pages->within, bytes);
}

static void cache_drop_all(mm_pages *pages) {
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++) {
        mm_range *r = &pages->cache[i];
        if (r->start == 0) continue;
        give_back(pages, (void *)r->start, r->bytes);
        pages->cached -= r->bytes;
        *r = (mm_range){0, 0};
    }
}

static bool fits(const mm_pages *pages, size_t bytes) {
    return pages->limit == 0 || (held(pages) + pages->charged <= pages->limit &&
                                 bytes <= pages->limit - held(pages) - pages->charged);
}

bool mm_pages_charge(mm_pages *pages, size_t bytes) {
    if (!fits(pages, bytes) || (pages->within && !mm_pages_charge(pages->within, bytes))) return false;
    pages->charged += bytes;
    return true;
}

void mm_pages_uncharge(mm_pages *pages, size_t bytes) {
    assert(bytes <= pages->charged && "page layer: uncharging more than is charged");
    pages->charged -= bytes;
    if (pages->within) mm_pages_uncharge(pages->within, bytes);
}

/* Would holding `bytes` more pass a limit? The heap's own (counted here), one it is
 * within (charged there on success) or, for an owned mm_pages, the pagemap's (reserved
 * there on success). unroom undoes a room_for that returned true. */
static bool room_for(mm_pages *pages, size_t bytes) {
    if (!fits(pages, bytes)) return false;
    if (pages->within && !mm_pages_charge(pages->within, bytes)) return false;
    if (pages->owner && !pagemap_reserve(pages->owner->map, bytes)) {
        if (pages->within) mm_pages_uncharge(pages->within, bytes);
        return false;
    }
    return true;
}

static void unroom(mm_pages *pages, size_t bytes) {
    if (pages->owner) pagemap_unreserve(pages->owner->map, bytes);
    if (pages->within) mm_pages_uncharge(pages->within, bytes);
}

/* A fresh mapping of `bytes` (whole pages) aligned to `align` (at least a page), counted
 * in mapped and recorded for the owner; NULL past a limit or when the OS refuses. */
static void *map_fresh(mm_pages *pages, size_t bytes, size_t align) {
    const size_t page = mm_page_size();
    if (pages->limit != 0 && bytes > pages->limit) return NULL;
    if (!room_for(pages, bytes)) {
        cache_drop_all(pages); /* what the cache holds is worth less than this mapping */
        if (!room_for(pages, bytes)) return NULL;
    }
    char *p = NULL;
    if (align == page) {
        p = os_map(bytes);
    } else if (bytes <= SIZE_MAX / 2 - align) {
        char *raw = os_map(bytes + align);
        if (raw != NULL) {
            p = (char *)mm_align_up((uintptr_t)raw, align);
            size_t head = (size_t)(p - raw), tail = align - head;
            if (head) munmap(raw, head);
            if (tail) munmap(p + bytes, tail);
        }
    }
    if (p != NULL && pages->owner && !pagemap_set(pages->owner->map, (uintptr_t)p, bytes, pages->owner)) {
        pagemap_set(pages->owner->map, (uintptr_t)p, bytes, NULL);
        munmap(p, bytes);
        p = NULL;
    }
    if (p == NULL) {
        unroom(pages, bytes);
        return NULL;
    }
    if (pages->owner) atomic_fetch_add_explicit(&pages->owner->map->map_calls, 1, memory_order_relaxed);
    pages->mapped += bytes;
    if (held(pages) > pages->peak_mapped) pages->peak_mapped = held(pages);
    pages->map_calls++;
    return p;
}

/* Page-rounds a request; 0 for one the address space cannot hold. */
static size_t whole_pages(size_t bytes) {
    if (bytes == 0 || bytes > SIZE_MAX / 2) return 0;
    return mm_align_up(bytes, mm_page_size());
}

static size_t page_align(size_t align) {
    if (align < mm_page_size()) align = mm_page_size();
    assert(mm_is_power_of_two(align) && "page layer: alignment must be a power of two");
    return align;
}

void *mm_pages_map(mm_pages *pages, size_t bytes, size_t align) {
    bytes = whole_pages(bytes);
    return bytes ? map_fresh(pages, bytes, page_align(align)) : NULL;
}

void mm_pages_unmap(mm_pages *pages, void *p, size_t bytes) {
    if (p == NULL) return;
    bytes = mm_align_up(bytes, mm_page_size());
    assert(bytes <= pages->mapped && "page layer: unmapping more than is mapped");
    give_back(pages, p, bytes);
    pages->mapped -= bytes;
    if (pages->mapped == 0) cache_drop_all(pages); /* the heap is closing */
}

/* ---- the cache of large-block mappings ---- */

static size_t cache_budget(const mm_pages *pages) {
    return pages->largest < MM_PAGES_CACHE_MAX / 4 ? 4 * pages->largest : MM_PAGES_CACHE_MAX;
}

/* Puts [start, start + bytes) into a free slot (there is one). */
static void cache_insert(mm_pages *pages, uintptr_t start, size_t bytes) {
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++)
        if (pages->cache[i].start == 0) {
            pages->cache[i] = (mm_range){start, bytes};
            return;
        }
    assert(false && "page layer: no free cache slot");
}

/* The smallest cached range, or NULL when the cache is empty. */
static mm_range *cache_smallest(mm_pages *pages) {
    mm_range *best = NULL;
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++) {
        mm_range *r = &pages->cache[i];
        if (r->start && (best == NULL || r->bytes < best->bytes)) best = r;
    }
    return best;
}

static unsigned cache_used(const mm_pages *pages) {
    unsigned used = 0;
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++) used += pages->cache[i].start != 0;
    return used;
}

/* Evicts the smallest ranges until the cache holds at most `keep` bytes in at most
 * `slots` ranges. */
static void cache_trim(mm_pages *pages, size_t keep, unsigned slots) {
    while (pages->cached > keep || cache_used(pages) > slots) {
        mm_range *r = cache_smallest(pages);
        give_back(pages, (void *)r->start, r->bytes);
        pages->cached -= r->bytes;
        *r = (mm_range){0, 0};
    }
}

/* No cached range holds `bytes`: the largest one is grown to it with mremap(2), which
 * moves its pages (resident, no copy) where there is room, so only the extension is
 * faulted in; else (nothing cached, an alignment mremap cannot promise, or a refusal) a
 * fresh mapping. */
static void *grow_cached(mm_pages *pages, size_t bytes, size_t align) {
    mm_range *largest = NULL;
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++) {
        mm_range *r = &pages->cache[i];
        if (r->start && (largest == NULL || r->bytes > largest->bytes)) largest = r;
    }
    if (largest == NULL || align > mm_page_size()) return map_fresh(pages, bytes, align);
    mm_range old = *largest;
    size_t more = bytes - old.bytes;
    if (!room_for(pages, more)) return map_fresh(pages, bytes, align);
    void *p = mremap((void *)old.start, old.bytes, bytes, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
        unroom(pages, more);
        return map_fresh(pages, bytes, align);
    }
    *largest = (mm_range){0, 0};
    if (pages->owner) { /* the pages are elsewhere now: recorded there */
        pagemap_set(pages->owner->map, old.start, old.bytes, NULL);
        if (!pagemap_set(pages->owner->map, (uintptr_t)p, bytes, pages->owner)) {
            pagemap_set(pages->owner->map, (uintptr_t)p, bytes, NULL);
            munmap(p, bytes);
            pagemap_unreserve(pages->owner->map, bytes);
            if (pages->within) mm_pages_uncharge(pages->within, bytes);
            pages->cached -= old.bytes;
            pages->unmap_calls++;
            return NULL;
        }
        atomic_fetch_add_explicit(&pages->owner->map->map_calls, 1, memory_order_relaxed);
    }
    pages->cached -= old.bytes;
    pages->mapped += bytes;
    if (held(pages) > pages->peak_mapped) pages->peak_mapped = held(pages);
    pages->map_calls++;
    return p;
}

void *mm_pages_map_cached(mm_pages *pages, size_t bytes, size_t align) {
    bytes = whole_pages(bytes);
    if (bytes == 0) return NULL;
    align = page_align(align);
    if (bytes > pages->largest) pages->largest = bytes;
    mm_range *best = NULL;
    uintptr_t at = 0;
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++) {
        mm_range *r = &pages->cache[i];
        uintptr_t start = mm_align_up(r->start, align);
        if (r->start && start - r->start <= r->bytes && bytes <= r->bytes - (start - r->start) &&
            (best == NULL || r->bytes < best->bytes))
            best = r, at = start;
    }
    if (best == NULL) return grow_cached(pages, bytes, align);
    mm_range whole = *best;
    *best = (mm_range){0, 0};
    size_t head = at - whole.start, tail = whole.bytes - head - bytes;
    /* the pieces left on either side stay cached: room for up to two */
    cache_trim(pages, pages->cached, MM_PAGES_CACHE - (head != 0) - (tail != 0));
    if (head) cache_insert(pages, whole.start, head);
    if (tail) cache_insert(pages, at + bytes, tail);
    pages->cached -= bytes;
    pages->mapped += bytes;
    return (void *)at;
}

void mm_pages_unmap_cached(mm_pages *pages, void *p, size_t bytes) {
    if (p == NULL) return;
    bytes = mm_align_up(bytes, mm_page_size());
    assert(bytes <= pages->mapped && "page layer: unmapping more than is mapped");
    size_t budget = cache_budget(pages);
    if (bytes > budget) {
        mm_pages_unmap(pages, p, bytes);
        return;
    }
    pages->mapped -= bytes;
    uintptr_t start = (uintptr_t)p;
    for (unsigned i = 0; i < MM_PAGES_CACHE; i++) { /* merge with the neighbours on either side */
        mm_range *r = &pages->cache[i];
        if (r->start == 0 || (r->start + r->bytes != start && start + bytes != r->start)) continue;
        if (r->start < start) start = r->start;
        bytes += r->bytes;
        pages->cached -= r->bytes;
        *r = (mm_range){0, 0};
    }
    if (bytes > budget) { /* merged past the budget: all of it goes back */
        give_back(pages, (void *)start, bytes);
        return;
    }
    cache_trim(pages, budget - bytes, MM_PAGES_CACHE - 1);
    cache_insert(pages, start, bytes);
    pages->cached += bytes;
}

void mm_pages_hint_huge(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: where THP is off it changes nothing */
#else
    (void)p, (void)bytes;
#endif
}

void mm_pages_stats(const mm_pages *pages, mm_stats *out) {
    out->footprint = held(pages);
    out->peak_footprint = pages->peak_mapped;
    out->map_calls = pages->map_calls;
    out->unmap_calls = pages->unmap_calls;
}
