/* gc_internal.h — what the collectors in this folder share and nobody else sees: the
 * counting core (rc_core.c) that manual, rc and rc-gen are built on (each collector's file
 * holds only what differs: its open, its table, and rc-gen its lists and collections),
 * the neutral table entries (common.c) and the weakref payload every collector uses.
 *
 * Vocabulary
 *   prefix     bytes a collector keeps in front of every object header: 16 for the
 *              collectors that count (rc-gen: its generation links; rc: the link word
 *              below and one spare, so objects stay 16-aligned), 0 for manual. Blocks
 *              come from the allocator as [prefix][gc_object][slots][payload].
 *   link       the word right in front of the header (the prefix's last): a dying
 *              object's place in `pending`. Under rc-gen it is the gc head's back link,
 *              free by then: an object leaves its list before it is pushed.
 *   cascade    what one decref to zero sets off. Dying objects form an intrusive stack
 *              (`pending`, linked through their link words while GC_DYING is set), popped
 *              in a loop: the cascade never recurses, whatever the shape of the graph.
 *              Written once (rc_cascade, below) and compiled twice: rc_core.c's for the
 *              collectors without lists, rc_gen.c's with its list hooks inlined.
 *   release    the heap's cascade entry (`rc_heap.release`): every decref that reaches
 *              zero goes there, so shared code (weakref callbacks, finalizers) always
 *              runs the collector's own cascade.
 *   track      rc-gen's hooks: put an object into generation 0 / take a dying container
 *              (tracked or untracked) out of whatever list holds it and off generation 0's
 *              count. The cascade takes them as constants (NULL for rc, manual).
 *
 * Invariants
 *   An object with GC_DYING set is on `pending` (or being freed by the cascade that just
 *   popped it) and in no generation list.
 *   weakrefs   each object's own list (CPython's tp_weaklist, kept off the object): the
 *              weakrefs to one target are linked through next/prev, the first of them
 *              reachable from the heap's weak table, a chained hash table keyed by the
 *              target's address whose chains link those firsts (next_target). Adding or
 *              removing a weakref is O(1), and a target's death clears what it has, not
 *              what the heap has. The table's buckets come from the collector's allocator,
 *              so they count in its footprint like the objects do.
 *   A live weakref with a target is in exactly that target's list; a cleared one (no
 *   target) is in none. A target is in the table exactly while its list is not empty.
 *   objects_allocated - objects_freed = objects alive (objects_live).
 */
#ifndef GC_INTERNAL_H
#define GC_INTERNAL_H

#include "allocators/gc/gc.h"

#include <assert.h>
#include <string.h>

#define GC_COLLECTOR(id) extern const gc_collector gc_##id;
#include "allocators/gc/collectors.def"
#undef GC_COLLECTOR

typedef struct gc_weak {
    gc_object *target;     /* NULL once cleared */
    gc_weak_callback callback;
    void *arg;
    gc_object *next, *prev; /* the other weakrefs to the target (the first has no prev); once
                               cleared, `next` chains the weakrefs whose callback is due */
    gc_object *next_target; /* the first of a target's weakrefs: the next target's first in its bucket */
} gc_weak;

static inline gc_weak *gc_weak_of(gc_object *w) { return (gc_weak *)gc_payload(w); }

/* Common to every collector (common.c). */
/* Parses a choice option already read as a name: `*index` := its place in `choices`
 * ("a|b|c"); false with a one-line reason naming them all otherwise. */
bool gc_option_choice(const char *collector, const char *key, const char *value, const char *choices, int *index,
                      mm_error *err);
void gc_heap_init(gc_heap *h, const gc_collector *c, mm_heap *alloc);
/* Records one pause of `ns` nanoseconds (a collection, or a cascade) into the histograms. */
void gc_pause_record(gc_heap *h, uint64_t ns, bool collection);
/* Opens a pause (gc.h, "pause"): its start time, or 0 when one is open already (a cascade
 * inside a collection is part of the collection's pause). */
static inline uint64_t gc_pause_begin(gc_heap *h) {
    if (h->pause_open) return 0;
    h->pause_open = true;
    return gc_now_ns();
}
/* Closes and records the pause gc_pause_begin opened at `started` (nothing for 0). */
static inline void gc_pause_end(gc_heap *h, uint64_t started, bool collection) {
    if (started == 0) return;
    gc_pause_record(h, gc_now_ns() - started, collection);
    h->pause_open = false;
}
/* Table entries with the neutral meanings gc.h documents, shared by the collectors that
 * have them: no count kept (manual, boehm), a store that only writes (same), roots that
 * need no bookkeeping (counted like any reference, or nothing scans them), no collection
 * (manual, rc), no generations; and the weakref read every collector shares. */
void gc_count_nothing(gc_heap *heap, gc_object *o);
void gc_store_plain(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value);
void gc_root_nothing(gc_heap *heap, gc_object **where);
size_t gc_collect_nothing(gc_heap *heap, int generation);
size_t gc_no_generations(gc_heap *heap, int generation);
size_t gc_freeze_nothing(gc_heap *heap); /* freeze/unfreeze without lists: nothing moves */
gc_object *gc_weakref_target(gc_heap *heap, gc_object *weakref);

typedef struct rc_heap rc_heap;
typedef void (*rc_hook)(rc_heap *h, gc_object *o);
struct rc_heap {
    gc_heap base;
    size_t prefix;
    gc_object *pending;   /* dying objects, see "cascade" */
    bool in_cascade;
    bool closing;         /* close(): no finalizers, no callbacks */
    gc_object **weak_buckets; /* the weak table (see "weakrefs"): 1 << weak_bits chains, or NULL */
    unsigned weak_bits;
    size_t weak_targets;      /* targets in the table */
    rc_hook release;      /* o's count just reached zero: the collector's cascade */
};

/* The counting core (rc_core.c). Opens a heap of collector `c`: `size` bytes (a struct
 * that starts with an rc_heap) zeroed, objects preceded by `prefix` bytes, every count
 * reaching zero released through the core's cascade (a collector with lists sets its
 * own `release` after); the collector's defaults (c->defaults), then the user's
 * options, are parsed against options[0..count) first. NULL with `err` set on a bad
 * option or no memory. */
rc_heap *rc_heap_open(const gc_collector *c, mm_heap *alloc, const gc_config *config, size_t size, size_t prefix,
                      const mm_option *options, size_t count, mm_error *err);
/* close() of a collector without lists: objects still alive are reported as
 * leaked_at_exit (nothing can find them to free), then the heap goes. */
void rc_close(gc_heap *heap);
gc_object *rc_new_object(gc_heap *heap, const gc_type *type, size_t payload); /* rc_new, for the table */
size_t rc_check(gc_heap *heap); /* rc_check_counts, for the table */

/* Bytes in front of the header of every object of a collector that counts (see "link"). */
enum { RC_PREFIX = 16 };
_Static_assert(RC_PREFIX >= sizeof(gc_object *) && RC_PREFIX % MM_MIN_ALIGN == 0,
               "the prefix holds the link and keeps objects aligned as blocks are");
static inline gc_object **rc_link(gc_object *o) { return (gc_object **)o - 1; }

/* A new object with one reference, its slots empty; NULL when the allocator refuses.
 * Inline: it is the allocation fast path of every counting collector. */
static inline gc_object *rc_new(rc_heap *h, const gc_type *type, size_t payload) {
    const size_t slots = type->slots;
    if (payload > UINT32_MAX) return NULL;
    char *block = mm_alloc(h->base.alloc, h->prefix + sizeof(gc_object) + slots * sizeof(gc_object *) + payload, 0);
    if (block == NULL) return NULL;
    gc_object *o = (gc_object *)(block + h->prefix);
    o->type = type;
    o->refcnt = 1;
    o->flags = 0;
    switch (slots) { /* the usual counts as plain stores: a loop would become a memset call */
    case 4: o->slot[3] = NULL; __attribute__((fallthrough));
    case 3: o->slot[2] = NULL; __attribute__((fallthrough));
    case 2: o->slot[1] = NULL; __attribute__((fallthrough));
    case 1: o->slot[0] = NULL; __attribute__((fallthrough));
    case 0: break;
    default: memset(o->slot, 0, slots * sizeof(gc_object *));
    }
    h->base.stats.objects_allocated++;
    return o;
}

static inline void rc_free_memory(rc_heap *h, gc_object *o) {
    mm_debug_fill(o, sizeof *o, MM_FILL_FREED);
    mm_free(h->base.alloc, (char *)o - h->prefix);
    h->base.stats.objects_freed++;
}

static inline void rc_decref_inline(rc_heap *h, gc_object *o) {
    if (--o->refcnt == 0) h->release(h, o);
}
void rc_incref(gc_heap *heap, gc_object *o);
void rc_decref(gc_heap *heap, gc_object *o);
void rc_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value);
static inline void rc_store_inline(rc_heap *h, gc_object *holder, size_t slot, gc_object *value) {
    assert((value == NULL || value->refcnt < UINT32_MAX) && "a count is 32 bits (gc.h)");
    if (value) value->refcnt++;
    gc_object *old = holder->slot[slot];
    holder->slot[slot] = value;
    if (old) rc_decref_inline(h, old);
}
gc_object *rc_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg);
/* How rc_weak_clear clears a target's weakrefs: every one, queueing the callbacks due
 * (a death; CPython 3.13's handle_weakrefs); only those with a callback, queueing them
 * (3.14's handle_weakref_callbacks: the others stay until later); or every one left,
 * queueing nothing (3.14's clear_weakrefs, after the finalizers). */
typedef enum { RC_WEAK_ALL, RC_WEAK_WITH_CALLBACK, RC_WEAK_SILENT } rc_weak_mode;
/* Clears the weakrefs to `target` as `mode` says and puts those whose callback is due
 * (not themselves dying or unreachable) in front of `due`, which it returns: a
 * collection clears the garbage's weakrefs before any callback runs. A target whose
 * list empties leaves the table. */
gc_object *rc_weak_clear(rc_heap *h, gc_object *target, gc_object *due, rc_weak_mode mode);
/* Clears weakref `w` itself (it refers to nothing from now on; no callback): CPython
 * clears a weakref found in the unreachable set before anything else can reach through it. */
void rc_weak_detach(rc_heap *h, gc_object *w);
/* Runs the callbacks of `due` (from rc_weak_clear), each weakref held while its callback
 * runs; returns how many ran. `survived(h, w, arg)`, when not NULL, is told of each
 * weakref still alive after its callback (a collection moves it to its survivors, as
 * CPython does); `freed`, when not NULL, counts those that died at the decref after. */
size_t rc_weak_callbacks(rc_heap *h, gc_object *due, void (*survived)(rc_heap *h, gc_object *w, void *arg), void *arg,
                         size_t *freed);
/* o dies: the weakrefs to it are cleared and their callbacks run, and o, if a weakref,
 * leaves its target's list (nothing is cleared while the heap closes). The test inline,
 * the work (for the few objects that have any) out of line. */
void rc_weak_death_rare(rc_heap *h, gc_object *o);
static inline void rc_weak_death(rc_heap *h, gc_object *o) {
    if (__builtin_expect((o->flags & GC_WEAKLY_REFERENCED) || o->type == &gc_weakref_type, 0)) rc_weak_death_rare(h, o);
}
/* Frees the weak table (close). */
void rc_weak_table_free(rc_heap *h);
/* Runs o's finalizer if it has one that has not run. The caller holds a reference to o
 * across the call (as CPython's finalize_garbage does), so o outlives its finalizer
 * whatever the finalizer frees: garbage dying by count inside it may give back references
 * to o (o's count may end below where it started), never the caller's. */
void rc_finalize_once(rc_heap *h, gc_object *o);

/* The rare part of a death, out of line: o's finalizer, once (true: it resurrected o,
 * and nothing else happened); else rc_weak_death. o has count 0 and no GC_DYING. */
bool rc_last_rites(rc_heap *h, gc_object *o);

/* The cascade (rc_core.c's comment tells it step by step). `untrack` takes an object out
 * of the collector's lists as its count reaches zero; `track` puts a resurrected one back.
 * Both are compile-time constants at each of the two call sites (NULL: no lists), so the
 * compiler inlines them into the loop: no indirect call per freed object. An object
 * with no finalizer, no weakref to it and not a weakref itself (the usual case) is freed
 * as popped: its slots are not cleared. */
static inline __attribute__((always_inline)) void rc_cascade(rc_heap *h, gc_object *o, rc_hook untrack,
                                                             rc_hook track) {
    assert(h->prefix >= RC_PREFIX && "a collector that counts keeps the link word");
    if (untrack && (o->flags & (GC_TRACKED | GC_UNTRACKED))) untrack(h, o);
    o->flags |= GC_DYING;
    *rc_link(o) = h->pending;
    h->pending = o;
    if (h->in_cascade) return; /* the outermost release runs the loop */
    h->in_cascade = true;
    uint64_t freed = 0, started = 0;
    while ((o = h->pending) != NULL) {
        h->pending = *rc_link(o);
        const gc_type *type = o->type;
        if (__builtin_expect(type->finalize != NULL || (o->flags & GC_WEAKLY_REFERENCED) || type == &gc_weakref_type, 0)) {
            o->flags &= ~(uint32_t)GC_DYING;
            if (rc_last_rites(h, o)) {
                if (track) track(h, o); /* rc-gen: back into generation 0 */
                continue;
            }
        }
        /* the last slot is pushed first, so slot 0 is popped next: a tree dies in the
         * order it was built (depth first, slot 0 first), as the mutator's own delete walk
         * frees it, and rc-gen's unlinks find their list neighbours still in the cache */
        for (uint32_t i = type->slots; i-- > 0;) {
            gc_object *v = o->slot[i];
            if (v != NULL && --v->refcnt == 0) { /* v joins pending */
                if (untrack && (v->flags & (GC_TRACKED | GC_UNTRACKED))) untrack(h, v);
                v->flags |= GC_DYING;
                *rc_link(v) = h->pending;
                h->pending = v;
            }
        }
        rc_free_memory(h, o);
        if (++freed == 1 && h->pending) started = gc_pause_begin(&h->base); /* more than one object: a pause */
    }
    h->in_cascade = false;
    if (freed > h->base.stats.longest_cascade) h->base.stats.longest_cascade = freed;
    gc_pause_end(&h->base, started, false);
}
size_t rc_check_counts(const gc_heap *heap);

#endif
