/* gc_internal.h — what the collectors in this folder share and nobody else sees: the
 * counting core (rc_core.c) that manual, rc and rc-gen are built on, and the weakref
 * payload every collector uses.
 *
 * Vocabulary
 *   prefix     bytes a collector keeps in front of every object header (rc-gen: 32, its
 *              generation links; rc and manual: 0). Blocks come from the allocator as
 *              [prefix][gc_object][slots][payload].
 *   cascade    what one decref to zero sets off. Dying objects form an intrusive stack
 *              (`pending`, linked through their refcnt word while GC_DYING is set), popped
 *              in a loop: the cascade never recurses, whatever the shape of the graph.
 *   track      rc-gen's hooks: put an object into generation 0 / take it out of whatever
 *              list holds it. NULL for rc and manual.
 *
 * Invariants
 *   An object with GC_DYING set is on `pending` and in no generation list.
 *   A weakref object is on the heap's weakref list exactly while it is alive.
 *   objects_allocated - objects_freed = objects alive (objects_live).
 */
#ifndef GC_INTERNAL_H
#define GC_INTERNAL_H

#include "allocators/gc/gc.h"

#define GC_COLLECTOR(id) extern const gc_collector gc_##id;
#include "allocators/gc/collectors.def"
#undef GC_COLLECTOR

typedef struct gc_weak {
    gc_object *target;     /* NULL once cleared */
    gc_weak_callback callback;
    void *arg;
    gc_object *next, *prev; /* the heap's list of live weakrefs */
    gc_object *next_call;   /* weakrefs whose callback is due (while clearing) */
} gc_weak;

static inline gc_weak *gc_weak_of(gc_object *w) { return (gc_weak *)gc_payload(w); }

typedef struct rc_heap rc_heap;
struct rc_heap {
    gc_heap base;
    size_t prefix;
    gc_object *pending;   /* dying objects, see "cascade" */
    bool in_cascade;
    bool cascade_pauses;  /* rc: each cascade of more than one object is a pause */
    bool closing;         /* close(): no finalizers, no callbacks */
    gc_object *weakrefs;  /* live weakrefs, doubly linked through gc_weak */
    void (*track)(rc_heap *h, gc_object *o);
    void (*untrack)(rc_heap *h, gc_object *o);
};

/* The counting core (rc_core.c). */
bool rc_heap_init(rc_heap *h, mm_heap *alloc, size_t prefix);
gc_object *rc_new(rc_heap *h, const gc_type *type, size_t payload);
void rc_free_memory(rc_heap *h, gc_object *o);
void rc_release(rc_heap *h, gc_object *o); /* o's count just reached zero */
static inline void rc_decref_inline(rc_heap *h, gc_object *o) {
    if (--o->refcnt == 0) rc_release(h, o);
}
void rc_incref(gc_heap *heap, gc_object *o);
void rc_decref(gc_heap *heap, gc_object *o);
void rc_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value);
void rc_root_noop(gc_heap *heap, gc_object **where);
gc_object *rc_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg);
gc_object *rc_weakref_get(gc_heap *heap, gc_object *weakref);
void rc_weak_unlink(rc_heap *h, gc_object *weakref); /* off the heap's weakref list */
/* Clears every weakref whose target `dead(target, ctx)` says is dying, then runs the
 * callbacks of those that are not themselves dying; returns the callbacks run. */
size_t rc_weakrefs_clear(rc_heap *h, bool (*dead)(gc_object *target, void *ctx), void *ctx);
/* Runs o's finalizer if it has one that has not run; returns true if o was resurrected
 * (a reference to it was kept). The caller holds one reference to o throughout. */
bool rc_finalize_once(rc_heap *h, gc_object *o);
size_t rc_no_collect(gc_heap *heap, int generation);
size_t rc_no_generation(gc_heap *heap, int generation);
size_t rc_check_counts(const gc_heap *heap);

/* Common to every collector (common.c). */
void gc_heap_init(gc_heap *h, const gc_collector *c, mm_heap *alloc);
void gc_pause_record(gc_heap *h, uint64_t ns);

#endif
