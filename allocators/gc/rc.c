/* rc.c — reference counting only: an object is freed the moment its last reference goes,
 * and cycles are never reclaimed. CPython without its gc module.
 *
 * Vocabulary: gc.h (objects, store, roots) and gc_internal.h (the cascade).
 * Layout: a 16-byte prefix whose second word is the cascade's link (gc_internal.h), then
 * the object; a node of two slots is 48 bytes:
 *
 *     [ spare | link ][ type | refcnt flags | slot 0 .. slot n-1 | payload bytes ]
 *
 * Invariants and documented behaviour
 *   refcnt = references held (slots, roots, the mutator); 0 never lasts past a cascade.
 *   A cycle keeps its own counts above zero: it is leaked, never collected. The leak is
 *   counted: objects alive at close are reported as leaked_at_exit. collect() finds nothing.
 *   A pause is one decref cascade that freed more than one object; its length in objects
 *   is longest_cascade. No list of objects exists, so close() cannot free leaked cycles.
 */
#include "allocators/gc/gc_internal.h"

#include <stdlib.h>

static gc_heap *rc_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    if (!mm_options_parse("rc", config->options, NULL, 0, err)) return NULL;
    rc_heap *h = calloc(1, sizeof *h);
    if (h == NULL) {
        mm_error_set(err, "rc: out of memory opening the heap");
        return NULL;
    }
    rc_heap_init(h, alloc, RC_PREFIX);
    gc_heap_init(&h->base, &gc_rc, alloc);
    h->cascade_pauses = true;
    return &h->base;
}

static void rc_close(gc_heap *heap) {
    heap->stats.leaked_at_exit = heap->stats.objects_allocated - heap->stats.objects_freed;
    free(heap);
}

static gc_object *rc_new_object(gc_heap *heap, const gc_type *type, size_t payload) {
    return rc_new((rc_heap *)heap, type, payload);
}

static void rc_delete_unsupported(gc_heap *heap, gc_object *o) {
    (void)heap;
    (void)o; /* not GC_CAP_DELETE: references are given back with decref */
}

static size_t rc_check(gc_heap *heap) { return rc_check_counts(heap); }

const gc_collector gc_rc = {
    .name = "rc",
    .summary = "reference counting only: frees at zero without recursion, leaks cycles (counted)",
    .caps = GC_CAP_COUNTS | GC_CAP_WEAK_CALLBACKS,
    .open = rc_open,
    .close = rc_close,
    .new_object = rc_new_object,
    .incref = rc_incref,
    .decref = rc_decref,
    .store = rc_store,
    .delete_object = rc_delete_unsupported,
    .root_add = rc_root_noop,
    .root_remove = rc_root_noop,
    .collect = rc_no_collect,
    .weakref_new = rc_weakref_new,
    .weakref_get = rc_weakref_get,
    .check = rc_check,
    .live_in_generation = rc_no_generation,
};
