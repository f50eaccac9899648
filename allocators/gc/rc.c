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
 *   A pause is one decref cascade that freed more than one object (gc.h, "pause"), as for
 *   every counting collector; its length in objects is longest_cascade. No list of objects
 *   exists, so close() cannot free leaked cycles; freeze moves nothing.
 */
#include "allocators/gc/gc_internal.h"

static gc_heap *rc_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    rc_heap *h = rc_heap_open(&gc_rc, alloc, config, sizeof *h, RC_PREFIX, NULL, 0, err);
    return h ? &h->base : NULL;
}

const gc_collector gc_rc = {
    .name = "rc",
    .summary = "reference counting only: frees at zero without recursion, leaks cycles (counted)",
    .caps = GC_CAP_COUNTS | GC_CAP_WEAK_CALLBACKS,
    .defaults = "",
    .open = rc_open,
    .close = rc_close,
    .new_object = rc_new_object,
    .incref = rc_incref,
    .decref = rc_decref,
    .store = rc_store,
    .delete_object = gc_delete_unsupported,
    .root_add = gc_root_nothing,
    .root_remove = gc_root_nothing,
    .collect = gc_collect_nothing,
    .weakref_new = rc_weakref_new,
    .weakref_get = gc_weakref_target,
    .check = rc_check,
    .live_in_generation = gc_no_generations,
    .freeze = gc_freeze_nothing,
    .unfreeze = gc_freeze_nothing,
};
