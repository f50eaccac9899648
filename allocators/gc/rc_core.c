/* rc_core.c — the counting core under manual, rc and rc-gen: object layout over an
 * allocator heap, the non-recursive decref cascade, weakrefs and finalize-once.
 * Vocabulary and invariants: gc_internal.h.
 *
 * The cascade (rc_cascade in gc_internal.h, compiled here for manual and rc and in
 * rc_gen.c with its list hooks). An object whose count reaches zero is pushed on `pending`
 * (through its link word, GC_DYING set). Only the outermost release runs
 * the loop; a release from inside (a slot's referent reaching zero, a finalizer's or a
 * callback's decref) just pushes. Per popped object, in CPython's order:
 *   1. finalizer, once (GC_FINALIZED); it may resurrect: then stop here, it lives on
 *   2. weakrefs to it cleared, then callbacks of the weakrefs still alive
 *   3. each referent in its slots loses a reference (and may be pushed)
 *   4. memory back to the allocator
 * Steps 1 and 2 are rc_last_rites, out of line: most objects need neither.
 * So a chain of a million objects costs a million loop turns and no C stack.
 *
 * Weakrefs: one list per heap; an object that ever had a weakref carries
 * GC_WEAKLY_REFERENCED, and only its death walks the list (O(weakrefs alive) then:
 * weakrefs are rare in the workloads; a per-object list would cost every object a word).
 */
#include "allocators/gc/gc_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The cascade of the collectors without lists (manual, rc): rc_cascade with no hooks. */
static void release_unlisted(rc_heap *h, gc_object *o) {
    assert(o->refcnt == 0 && !(o->flags & GC_DYING) && "only a live object reaching zero is released");
    rc_cascade(h, o, NULL, NULL);
}

rc_heap *rc_heap_open(const gc_collector *c, mm_heap *alloc, const gc_config *config, size_t size, size_t prefix,
                      const mm_option *options, size_t count, mm_error *err) {
    assert(size >= sizeof(rc_heap) && "a counting collector's heap starts with an rc_heap");
    if (!mm_options_parse(c->name, config->options, options, count, err)) return NULL;
    rc_heap *h = calloc(1, size);
    if (h == NULL) {
        mm_error_set(err, "%s: out of memory opening the heap", c->name);
        return NULL;
    }
    gc_heap_init(&h->base, c, alloc);
    h->prefix = prefix;
    h->release = release_unlisted;
    return h;
}

void rc_close(gc_heap *heap) {
    heap->stats.leaked_at_exit = heap->stats.objects_allocated - heap->stats.objects_freed;
    free(heap);
}

gc_object *rc_new_object(gc_heap *heap, const gc_type *type, size_t payload) {
    return rc_new((rc_heap *)heap, type, payload);
}

void rc_finalize_once(rc_heap *h, gc_object *o) {
    if (o->type->finalize == NULL || (o->flags & GC_FINALIZED) || h->closing) return;
    o->flags |= GC_FINALIZED;
    h->base.stats.finalizers_run++;
    o->type->finalize(&h->base, o);
    /* Not "o's count is back where it was": a finalizer that empties o's slots may free
     * other garbage by count (CPython's test_gc "boom", bug21435), and that garbage gives
     * back the references it held to o. What holds is the caller's own reference. */
    assert(o->refcnt > 0 && !(o->flags & GC_DYING) &&
           "an object outlives its finalizer: its caller holds a reference to it across the call");
}

bool rc_is_target(gc_object *target, void *ctx) { return target == ctx; }

bool rc_last_rites(rc_heap *h, gc_object *o) {
    if (o->type->finalize && !(o->flags & GC_FINALIZED) && !h->closing) {
        o->refcnt = 1; /* held across the finalizer, which sees a live object */
        rc_finalize_once(h, o);
        if (--o->refcnt > 0) return true; /* resurrected: the finalizer kept a reference */
    }
    if ((o->flags & GC_WEAKLY_REFERENCED) && !h->closing) rc_weakrefs_clear(h, rc_is_target, o);
    if (o->type == &gc_weakref_type) rc_weak_unlink(h, o);
    return false;
}

void rc_weak_unlink(rc_heap *h, gc_object *w) {
    gc_weak *k = gc_weak_of(w);
    if (k->prev) gc_weak_of(k->prev)->next = k->next;
    else h->weakrefs = k->next;
    if (k->next) gc_weak_of(k->next)->prev = k->prev;
    k->next = k->prev = NULL;
}

void rc_incref(gc_heap *heap, gc_object *o) {
    (void)heap;
    assert(o->refcnt < UINT32_MAX && "a count is 32 bits (gc.h)");
    o->refcnt++;
}

void rc_decref(gc_heap *heap, gc_object *o) {
    assert(o->refcnt > 0 && !(o->flags & GC_DYING) && "decref of a live object only");
    rc_decref_inline((rc_heap *)heap, o);
}

void rc_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value) {
    assert(slot < holder->type->slots && "store into a slot the type has");
    rc_store_inline((rc_heap *)heap, holder, slot, value);
}

gc_object *rc_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg) {
    rc_heap *h = (rc_heap *)heap;
    gc_object *w = rc_new(h, &gc_weakref_type, sizeof(gc_weak));
    if (w == NULL) return NULL;
    gc_weak *k = gc_weak_of(w);
    *k = (gc_weak){.target = target, .callback = cb, .arg = arg, .next = h->weakrefs};
    if (h->weakrefs) gc_weak_of(h->weakrefs)->prev = w;
    h->weakrefs = w;
    target->flags |= GC_WEAKLY_REFERENCED;
    return w;
}

size_t rc_weakrefs_clear(rc_heap *h, bool (*dead)(gc_object *target, void *ctx), void *ctx) {
    gc_object *calls = NULL;
    size_t called = 0;
    for (gc_object *w = h->weakrefs; w; w = gc_weak_of(w)->next) {
        gc_weak *k = gc_weak_of(w);
        if (k->target == NULL || !dead(k->target, ctx)) continue;
        k->target = NULL;
        /* a weakref that dies along with its target gets no callback (CPython's rule) */
        if (k->callback && !(w->flags & (GC_UNREACHABLE | GC_DYING))) {
            w->refcnt++; /* kept alive until its callback has run */
            k->next_call = calls;
            calls = w;
        }
    }
    while (calls) {
        gc_object *w = calls;
        gc_weak *k = gc_weak_of(w);
        calls = k->next_call;
        k->next_call = NULL;
        k->callback(&h->base, w, k->arg);
        rc_decref_inline(h, w);
        called++;
    }
    return called;
}

size_t rc_check_counts(const gc_heap *heap) {
    const rc_heap *h = (const rc_heap *)heap;
    size_t broken = 0;
    if (heap->stats.objects_freed > heap->stats.objects_allocated) broken++;
    if (h->pending != NULL || h->in_cascade) broken++; /* no cascade outside an operation */
    for (gc_object *w = h->weakrefs; w; w = gc_weak_of(w)->next)
        if (w->type != &gc_weakref_type || w->refcnt == 0) broken++;
    return broken;
}

size_t rc_check(gc_heap *heap) { return rc_check_counts(heap); }
