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

#include <stdlib.h>

static gc_heap *manual_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    if (!mm_options_parse("manual", config->options, NULL, 0, err)) return NULL;
    rc_heap *h = calloc(1, sizeof *h);
    if (h == NULL) {
        mm_error_set(err, "manual: out of memory opening the heap");
        return NULL;
    }
    rc_heap_init(h, alloc, 0);
    gc_heap_init(&h->base, &gc_manual, alloc);
    return &h->base;
}

static void manual_close(gc_heap *heap) {
    heap->stats.leaked_at_exit = heap->stats.objects_allocated - heap->stats.objects_freed;
    free(heap);
}

static gc_object *manual_new(gc_heap *heap, const gc_type *type, size_t payload) {
    return rc_new((rc_heap *)heap, type, payload);
}

static void manual_nothing(gc_heap *heap, gc_object *o) {
    (void)heap;
    (void)o;
}

static void manual_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value) {
    (void)heap;
    holder->slot[slot] = value;
}

static void manual_delete(gc_heap *heap, gc_object *o) {
    rc_heap *h = (rc_heap *)heap;
    rc_finalize_once(h, o); /* a resurrecting finalizer cannot stop an explicit delete */
    if (o->flags & GC_WEAKLY_REFERENCED) rc_weakrefs_clear(h, rc_is_target, o);
    if (o->type == &gc_weakref_type) rc_weak_unlink(h, o);
    rc_free_memory(h, o);
}

static size_t manual_check(gc_heap *heap) { return rc_check_counts(heap); }

const gc_collector gc_manual = {
    .name = "manual",
    .summary = "explicit delete, no counting: the no-GC baseline on the same workloads",
    .caps = GC_CAP_DELETE | GC_CAP_WEAK_CALLBACKS,
    .open = manual_open,
    .close = manual_close,
    .new_object = manual_new,
    .incref = manual_nothing,
    .decref = manual_nothing,
    .store = manual_store,
    .delete_object = manual_delete,
    .root_add = rc_root_noop,
    .root_remove = rc_root_noop,
    .collect = rc_no_collect,
    .weakref_new = rc_weakref_new,
    .weakref_get = rc_weakref_get,
    .check = manual_check,
    .live_in_generation = rc_no_generation,
};
