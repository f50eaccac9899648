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
 * Weakrefs: a list per target (gc_internal.h, "weakrefs"), as CPython keeps one on each
 * object. The head is not a word on every object: an object that ever had a weakref
 * carries GC_WEAKLY_REFERENCED, and only such an object's death looks its list up in the
 * heap's weak table (a chained hash table of the lists' first weakrefs, at most one target
 * per bucket on average). A weakref's death unlinks it in O(1) (a lookup when it was its
 * target's first); a target's death clears its own weakrefs and nothing else.
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
    if (!mm_options_parse(c->name, c->defaults, options, count, err) ||
        !mm_options_parse(c->name, config->options, options, count, err))
        return NULL;
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
    rc_weak_table_free((rc_heap *)heap);
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

bool rc_last_rites(rc_heap *h, gc_object *o) {
    if (o->type->finalize && !(o->flags & GC_FINALIZED) && !h->closing) {
        o->refcnt = 1; /* held across the finalizer, which sees a live object */
        rc_finalize_once(h, o);
        if (--o->refcnt > 0) return true; /* resurrected: the finalizer kept a reference */
    }
    rc_weak_death(h, o);
    return false;
}

/* ---- the weak table ---- */

static size_t weak_bucket(const rc_heap *h, const gc_object *target) {
    return (size_t)(((uint64_t)(uintptr_t)target >> 4) * 0x9E3779B97F4A7C15ull >> (64 - h->weak_bits));
}

/* The link that holds target's first weakref (a bucket, or the first weakref of the
 * target before it in the chain), or NULL when target has none. */
static gc_object **weak_first(rc_heap *h, const gc_object *target) {
    if (h->weak_buckets == NULL) return NULL;
    for (gc_object **link = &h->weak_buckets[weak_bucket(h, target)]; *link; link = &gc_weak_of(*link)->next_target)
        if (gc_weak_of(*link)->target == target) return link;
    return NULL;
}

/* Room for one more target: the table doubles (from 64 buckets) once there are as many
 * targets as buckets. False when the allocator refuses the new buckets. */
static bool weak_room(rc_heap *h) {
    if (h->weak_buckets && h->weak_targets < ((size_t)1 << h->weak_bits)) return true;
    unsigned bits = h->weak_buckets ? h->weak_bits + 1 : 6;
    gc_object **buckets = mm_alloc(h->base.alloc, sizeof *buckets << bits, 0);
    if (buckets == NULL) return false;
    memset(buckets, 0, sizeof *buckets << bits);
    gc_object **old = h->weak_buckets;
    const size_t old_count = old ? (size_t)1 << h->weak_bits : 0;
    h->weak_buckets = buckets, h->weak_bits = bits;
    for (size_t i = 0; i < old_count; i++)
        for (gc_object *first = old[i], *next; first; first = next) {
            gc_weak *k = gc_weak_of(first);
            next = k->next_target;
            gc_object **bucket = &buckets[weak_bucket(h, k->target)];
            k->next_target = *bucket;
            *bucket = first;
        }
    if (old) mm_free(h->base.alloc, old);
    return true;
}

void rc_weak_table_free(rc_heap *h) {
    if (h->weak_buckets) mm_free(h->base.alloc, h->weak_buckets);
    h->weak_buckets = NULL;
}

/* A dying weakref leaves its target's list. */
static void weak_unlink(rc_heap *h, gc_object *w) {
    gc_weak *k = gc_weak_of(w);
    if (k->target == NULL) return; /* cleared: in no list */
    if (k->prev) {
        gc_weak_of(k->prev)->next = k->next;
    } else { /* the target's first: its place in the table goes to the next, or to the next target */
        gc_object **link = weak_first(h, k->target);
        assert(link && *link == w && "a weakref with a target and no predecessor is its target's first");
        if (k->next) gc_weak_of(k->next)->next_target = k->next_target;
        else h->weak_targets--;
        *link = k->next ? k->next : k->next_target;
    }
    if (k->next) gc_weak_of(k->next)->prev = k->prev;
    k->next = k->prev = k->next_target = NULL;
}

gc_object *rc_weak_clear(rc_heap *h, gc_object *target, gc_object *due, rc_weak_mode mode) {
    gc_object **link = weak_first(h, target);
    if (link == NULL) return due;
    gc_object *w = *link, *next_target = gc_weak_of(w)->next_target;
    gc_object *kept = NULL, *kept_last = NULL; /* the weakrefs left in the list, in order */
    while (w) {
        gc_weak *k = gc_weak_of(w);
        gc_object *next = k->next;
        if (mode == RC_WEAK_WITH_CALLBACK && k->callback == NULL) {
            k->prev = kept_last;
            if (kept_last) gc_weak_of(kept_last)->next = w;
            else kept = w;
            kept_last = w;
            w = next;
            continue;
        }
        k->target = NULL;
        k->next = k->prev = k->next_target = NULL;
        /* a weakref that dies along with its target gets no callback (CPython's rule) */
        if (mode != RC_WEAK_SILENT && k->callback && !(w->flags & (GC_UNREACHABLE | GC_DYING))) {
            w->refcnt++; /* kept alive until its callback has run */
            k->next = due;
            due = w;
        }
        w = next;
    }
    if (kept) { /* the first left takes the list's place in the table */
        gc_weak_of(kept_last)->next = NULL;
        gc_weak_of(kept)->next_target = next_target;
        *link = kept;
    } else {
        *link = next_target;
        h->weak_targets--;
    }
    return due;
}

void rc_weak_detach(rc_heap *h, gc_object *w) {
    gc_weak *k = gc_weak_of(w);
    weak_unlink(h, w);
    k->target = NULL;
}

size_t rc_weak_callbacks(rc_heap *h, gc_object *due, void (*survived)(rc_heap *h, gc_object *w, void *arg), void *arg,
                         size_t *freed) {
    size_t called = 0;
    while (due) {
        gc_object *w = due;
        gc_weak *k = gc_weak_of(w);
        due = k->next;
        k->next = NULL;
        k->callback(&h->base, w, k->arg);
        bool dies = w->refcnt == 1; /* only the hold taken in rc_weak_clear is left */
        if (dies && freed) (*freed)++;
        if (!dies && survived) survived(h, w, arg);
        rc_decref_inline(h, w);
        called++;
    }
    return called;
}

void rc_weak_death_rare(rc_heap *h, gc_object *o) {
    if ((o->flags & GC_WEAKLY_REFERENCED) && !h->closing)
        rc_weak_callbacks(h, rc_weak_clear(h, o, NULL, RC_WEAK_ALL), NULL, NULL, NULL);
    if (o->type == &gc_weakref_type) weak_unlink(h, o);
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
    if (!weak_room(h)) return NULL;
    gc_object *w = rc_new(h, &gc_weakref_type, sizeof(gc_weak));
    if (w == NULL) return NULL;
    gc_weak *k = gc_weak_of(w);
    *k = (gc_weak){.target = target, .callback = cb, .arg = arg};
    gc_object **link = (target->flags & GC_WEAKLY_REFERENCED) ? weak_first(h, target) : NULL;
    if (link) { /* second in the target's list: the first keeps its place in the table */
        gc_weak *first = gc_weak_of(*link);
        k->prev = *link;
        k->next = first->next;
        if (first->next) gc_weak_of(first->next)->prev = w;
        first->next = w;
    } else { /* the target's first */
        gc_object **bucket = &h->weak_buckets[weak_bucket(h, target)];
        k->next_target = *bucket;
        *bucket = w;
        h->weak_targets++;
    }
    target->flags |= GC_WEAKLY_REFERENCED;
    return w;
}

size_t rc_check_counts(const gc_heap *heap) {
    const rc_heap *h = (const rc_heap *)heap;
    size_t broken = 0;
    if (heap->stats.objects_freed > heap->stats.objects_allocated) broken++;
    if (h->pending != NULL || h->in_cascade) broken++; /* no cascade outside an operation */
    /* the weak table: each chain holds the first weakrefs of distinct live targets that
     * hash there; each list holds live weakrefs to its target, linked both ways */
    const uint64_t objects = heap->stats.objects_allocated - heap->stats.objects_freed;
    size_t targets = 0;
    for (size_t b = 0; h->weak_buckets && b < (size_t)1 << h->weak_bits; b++) {
        for (const gc_object *first = h->weak_buckets[b]; first; first = gc_weak_of((gc_object *)first)->next_target) {
            const gc_object *target = gc_weak_of((gc_object *)first)->target;
            if (++targets > objects) return broken + 1; /* a cycle */
            if (target == NULL || weak_bucket(h, target) != b || !(target->flags & GC_WEAKLY_REFERENCED) ||
                target->refcnt == 0 || gc_weak_of((gc_object *)first)->prev != NULL)
                broken++;
            uint64_t listed = 0;
            for (const gc_object *w = first, *prev = NULL; w; prev = w, w = gc_weak_of((gc_object *)w)->next) {
                const gc_weak *k = gc_weak_of((gc_object *)w);
                if (++listed > objects) return broken + 1;
                if (w->type != &gc_weakref_type || w->refcnt == 0 || k->target != target || k->prev != prev ||
                    (w != first && k->next_target != NULL))
                    broken++;
            }
        }
    }
    if (targets != h->weak_targets) broken++;
    return broken;
}

size_t rc_check(gc_heap *heap) { return rc_check_counts(heap); }
