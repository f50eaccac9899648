/* boehm.c — the Boehm-Demers-Weiser conservative collector (libgc) behind the collector
 * interface: a production tracing collector beside ours, over its own allocator.
 *
 * Vocabulary
 *   libgc heap  one per process, whatever the number of boehm heaps opened: every boehm
 *               gc_heap shares it (stats count from the heap's opening).
 *   atomic      memory libgc never scans for pointers: weakrefs live there, so the
 *               pointer to their target does not keep it alive.
 *
 * Layout: [type | refcnt (unused) flags | slots | payload] in GC_MALLOC memory,
 * scanned conservatively; weakref objects in GC_MALLOC_ATOMIC memory.
 *
 * Documented behaviour (what the conformance suite asserts instead of counts)
 *   incref, decref and store bookkeeping are no-ops, delete is refused (gc.h): reachability is traced from
 *   the C stack, registers, static data and gc_root_add locations, so an object referenced
 *   only from memory libgc does not scan (an mmap'd table, malloc memory) is not safe.
 *   Conservative: a stale word on the stack may keep garbage alive, so counts of collected
 *   objects are not exact (collected/uncollectable stay 0; objects_freed is not known).
 *   Finalizers run once (GC_register_finalizer_no_order), after gc_collect or an
 *   allocation; a finalizer that stores its object somewhere reachable resurrects it.
 *   Weakrefs are libgc disappearing links: cleared at collection, no callbacks.
 *   Collections (not generational: counted under generation 2), their pauses and the time
 *   in GC come from libgc's collection events; every boehm pause is a collection (the
 *   sweeping libgc does lazily inside allocations is not timed). Nothing is tracked in
 *   lists, so freeze moves nothing.
 */
#include "allocators/gc/gc_internal.h"

#include <gc/gc.h>
#include <stdlib.h>

typedef struct boehm_heap {
    gc_heap base;
    bool libgc_enabled;
} boehm_heap;

static boehm_heap *active; /* the heap libgc's collection events are counted for */
static uint64_t event_started;

static void on_event(GC_EventType event) {
    if (active == NULL) return;
    if (event == GC_EVENT_START) {
        event_started = gc_now_ns();
    } else if (event == GC_EVENT_END && event_started) {
        active->base.stats.collections[GC_GENERATIONS - 1]++;
        gc_pause_record(&active->base, gc_now_ns() - event_started, true);
        event_started = 0;
    }
}

static gc_heap *boehm_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    (void)alloc;
    if (!mm_options_parse("boehm", config->options, NULL, 0, err)) return NULL;
    static bool initialised;
    if (!initialised) {
        GC_INIT();
        GC_set_finalize_on_demand(1);
        GC_set_on_collection_event(on_event);
        initialised = true;
    }
    boehm_heap *h = calloc(1, sizeof *h);
    if (h == NULL) {
        mm_error_set(err, "boehm: out of memory opening the heap");
        return NULL;
    }
    gc_heap_init(&h->base, &gc_boehm, NULL);
    h->libgc_enabled = true;
    active = h;
    return &h->base;
}

static void boehm_close(gc_heap *heap) {
    boehm_heap *h = (boehm_heap *)heap;
    if (!h->libgc_enabled) GC_enable();
    if (active == h) active = NULL;
    free(h);
}

static void run_finalizers(void) {
    if (GC_should_invoke_finalizers()) GC_invoke_finalizers();
}

static void boehm_finalizer(void *obj, void *heap) {
    gc_object *o = obj;
    gc_heap *h = heap;
    if (o->flags & GC_FINALIZED) return;
    o->flags |= GC_FINALIZED;
    if (active == (boehm_heap *)h) h->stats.finalizers_run++;
    o->type->finalize(h, o);
}

static gc_object *boehm_new(gc_heap *heap, const gc_type *type, size_t payload) {
    boehm_heap *h = (boehm_heap *)heap;
    if (h->libgc_enabled != heap->enabled) { /* gc_set_enabled flips a flag; libgc follows here */
        if (heap->enabled) GC_enable();
        else GC_disable();
        h->libgc_enabled = heap->enabled;
    }
    if (payload > UINT32_MAX) return NULL;
    size_t bytes = sizeof(gc_object) + (size_t)type->slots * sizeof(gc_object *) + payload;
    gc_object *o = type->slots ? GC_MALLOC(bytes) : GC_MALLOC_ATOMIC(bytes);
    if (o == NULL) return NULL;
    o->type = type;
    o->refcnt = 1;
    o->flags = 0;
    for (uint32_t i = 0; i < type->slots; i++) o->slot[i] = NULL;
    if (type->finalize) GC_REGISTER_FINALIZER_NO_ORDER(o, boehm_finalizer, heap, NULL, NULL);
    heap->stats.objects_allocated++;
    run_finalizers();
    return o;
}

static void boehm_root_add(gc_heap *heap, gc_object **where) {
    (void)heap;
    GC_add_roots(where, where + 1);
}

static void boehm_root_remove(gc_heap *heap, gc_object **where) {
    (void)heap;
    GC_remove_roots(where, where + 1);
}

static size_t boehm_collect(gc_heap *heap, int generation) {
    (void)heap;
    (void)generation;
    GC_gcollect();
    run_finalizers();
    return 0;
}

static gc_object *boehm_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg) {
    (void)cb; /* libgc's disappearing links have no callbacks */
    (void)arg;
    size_t bytes = sizeof(gc_object) + sizeof(gc_weak);
    gc_object *w = GC_MALLOC_ATOMIC(bytes);
    if (w == NULL) return NULL;
    w->type = &gc_weakref_type;
    w->refcnt = 1;
    w->flags = 0;
    gc_weak *k = gc_weak_of(w);
    *k = (gc_weak){.target = target};
    GC_GENERAL_REGISTER_DISAPPEARING_LINK((void **)&k->target, target);
    heap->stats.objects_allocated++;
    return w;
}

static size_t boehm_check(gc_heap *heap) {
    (void)heap;
    return 0; /* libgc offers no heap walk to us; it aborts by itself on what it detects */
}

const gc_collector gc_boehm = {
    .name = "boehm",
    .summary = "Boehm-Demers-Weiser conservative mark-sweep (libgc) over its own allocator; counts are no-ops",
    .caps = GC_CAP_CYCLES | GC_CAP_OWN_ALLOCATOR,
    .defaults = "",
    .open = boehm_open,
    .close = boehm_close,
    .new_object = boehm_new,
    .incref = gc_count_nothing,
    .decref = gc_count_nothing,
    .store = gc_store_plain,
    .delete_object = gc_delete_unsupported,
    .root_add = boehm_root_add,
    .root_remove = boehm_root_remove,
    .collect = boehm_collect,
    .weakref_new = boehm_weakref_new,
    .weakref_get = gc_weakref_target,
    .check = boehm_check,
    .live_in_generation = gc_no_generations,
    .freeze = gc_freeze_nothing,
    .unfreeze = gc_freeze_nothing,
};
