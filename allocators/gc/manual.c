/* manual.c — explicit delete, no counting: the no-GC baseline. The program says when an
 * object dies (gc_delete), as a C program calls free; the same workloads run on it with
 * their own delete walks, so the difference to rc and rc-gen is the price of counting.
 *
 * Vocabulary: gc.h. Layout: no prefix, the block is the object: a header, the slots, the
 * payload. Nothing dies by a count here, so no cascade needs a link word.
 *
 * Invariants and documented behaviour
 *   incref/decref do nothing; store is a plain write; collect() finds nothing.
 *   gc_delete(o): o's finalizer runs (once), weakrefs to o are cleared (callbacks run),
 *   o's memory goes back to the allocator. Its referents are untouched: deleting them is
 *   the program's job. Objects never deleted are reported as leaked_at_exit.
 */
#include "allocators/gc/gc_internal.h"

static gc_heap *manual_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    rc_heap *h = rc_heap_open(&gc_manual, alloc, config, sizeof *h, 0, NULL, 0, err);
    return h ? &h->base : NULL;
}

static void manual_delete(gc_heap *heap, gc_object *o) {
    rc_heap *h = (rc_heap *)heap;
    rc_finalize_once(h, o); /* a resurrecting finalizer cannot stop an explicit delete */
    rc_weak_death(h, o);
    rc_free_memory(h, o);
}

const gc_collector gc_manual = {
    .name = "manual",
    .summary = "explicit delete, no counting: the no-GC baseline on the same workloads",
    .caps = GC_CAP_DELETE | GC_CAP_WEAK_CALLBACKS,
    .defaults = "",
    .open = manual_open,
    .close = rc_close,
    .new_object = rc_new_object,
    .incref = gc_count_nothing,
    .decref = gc_count_nothing,
    .store = gc_store_plain,
    .delete_object = manual_delete,
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
