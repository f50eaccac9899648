/* rc_gen.c — reference counting plus CPython 3.13.0's generational cycle detector
 * (Python/gc.c of 3.13.0: gc_collect_main, gc_select_generation, _PyObject_GC_Link,
 * PyObject_GC_Del; docs/gc.md draws it), rule for rule by default. The collection itself
 * — counting, scanning, finalizers, weakrefs, resurrection — is cycle.c's, shared with
 * rc-inc; this file holds the generations, the counts that trigger them and 3.13's
 * tracking rules (cycle.h, "rules").
 *
 * Vocabulary
 *   generation   lists 0 (young) .. 2 (old), list ids 1..3 (cycle.h). New GC objects are
 *                tracked at the end of generation 0 (_PyObject_GC_TRACK), except 3.13's
 *                dicts, born untracked.
 *   count        generation 0: GC allocations minus GC deallocations since its last
 *                collection (_PyObject_GC_Link adds one per GC object allocated, tracked or
 *                not, a weakref included; PyObject_GC_Del takes one off, not below 0);
 *                generation g > 0: collections of generation g-1 since g's last. They are
 *                gc_stats.count, CPython's gc.get_count().
 *   threshold    2000 / 10 / 10 (3.13's gc.get_threshold(); threshold0=... options).
 *                When generation 0's count passes threshold0 (at an allocation: CPython
 *                3.12+ schedules the collection there and runs it at the next eval-breaker
 *                check; here the allocation is the next safe point), the oldest generation
 *                whose count passes its threshold is collected (gc_select_generation), with
 *                the younger ones merged into it; collecting g adds one to g+1's count and
 *                zeroes 0..g.
 *   long-lived   a full collection also waits until the objects promoted into generation 2
 *                since the last full one (long_lived_pending) reach 25% of those that
 *                survived it (long_lived_total): full collections stay linear in the heap.
 *   permanent    gc_freeze (_PyGC_Freeze) merges every generation into the permanent one
 *                and zeroes the counts; gc_unfreeze merges it into generation 2.
 *
 * Options: every deviation from 3.13.0 is one, off by default, and a heap run with one is
 * named after it wherever its numbers appear (harness/plan.py):
 *   untrack=cpython|eager           eager: every container holding nothing that may be
 *                                   tracked is untracked at every collection, and born
 *                                   untracked (cycle.h, "rules")
 *   placement=append|holder-first   holder-first: a container tracked again by a store goes
 *                                   just ahead of the value when the value is in
 *                                   generation 0, so a structure built bottom-up lies in
 *                                   the list referrers first
 *   resurrection=always|if-user-code  if-user-code: the resurrection pass is skipped when no
 *                                   finalizer or weakref callback ran
 */
#include "allocators/gc/cycle.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen_heap {
    cycle_heap cy;
    gc_head gen[GC_GENERATIONS];
    size_t threshold[GC_GENERATIONS];
    size_t long_lived_total, long_lived_pending;
    bool holder_first;
} gen_heap;

static inline gen_heap *gen_of(gc_heap *heap) { return (gen_heap *)heap; }
static inline uint64_t *counts(gen_heap *h) { return h->cy.rc.base.stats.count; }
static inline uint32_t id_of_gen(int g) { return ID_OWN_FIRST + (uint32_t)g; }

/* A resurrected object goes back into generation 0 (the cascade's track hook). */
static void gen_track(rc_heap *rc, gc_object *o) {
    gen_heap *h = (gen_heap *)rc;
    if (trackable(o->type)) cycle_track_before(o, &h->gen[0], id_of_gen(0));
}

/* A GC object dies (tracked or untracked): out of its list, and generation 0's count goes
 * down by one (PyObject_GC_Del). */
static inline void gen_untrack(rc_heap *rc, gc_object *o) {
    uint64_t *count = counts((gen_heap *)rc);
    if (o->flags & GC_TRACKED) list_remove(head_of(o));
    o->flags &= ~(uint32_t)(GC_TRACKED | GC_UNTRACKED | GC_UNCOLLECTABLE | LIST_MASK | ATOMIC);
    if (count[0] > 0) count[0]--;
}

/* THE write path. A tuple stored somewhere is sealed (cycle.h, "sealed"); an untracked
 * holder is tracked again when a value that may be tracked is stored into it (3.13's
 * MAINTAIN_TRACKING for dicts). Counts only: the store itself is rc's. */
static void gen_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value) {
    assert(slot < holder->type->slots && "store into a slot the type has");
    assert(!(holder->flags & SEALED) && "a tuple is filled before anything holds it (gc.h, \"kind\")");
    if (value) {
        if (value->type->kind == GC_KIND_TUPLE) value->flags |= SEALED;
        if ((holder->flags & GC_UNTRACKED) && may_be_tracked(value)) {
            gen_heap *h = gen_of(heap);
            gc_head *before = h->holder_first && list_id(value->flags) == id_of_gen(0) ? head_of(value) : &h->gen[0];
            cycle_track_before(holder, before, id_of_gen(0));
        }
    }
    rc_store_inline((rc_heap *)heap, holder, slot, value);
}

/* rc-gen's cascade: the core's, with the list hooks inlined. */
static void gen_release(rc_heap *rc, gc_object *o) {
    assert(o->refcnt == 0 && !(o->flags & GC_DYING) && "only a live object reaching zero is released");
    rc_cascade(rc, o, gen_untrack, gen_track);
}

/* One collection of generation g and the younger ones (gc_collect_main). */
static size_t collect(gen_heap *h, int generation) {
    gc_heap *base = &h->cy.rc.base;
    if (h->cy.collecting) return 0;
    h->cy.collecting = true;
    const uint64_t started = gc_pause_begin(base);
    uint64_t *count = counts(h);
    if (generation + 1 < GC_GENERATIONS) count[generation + 1]++;
    for (int i = 0; i <= generation; i++) count[i] = 0;
    for (int i = 0; i < generation; i++) list_merge(&h->gen[i], &h->gen[generation]); /* ids stay: members by range */
    const bool full = generation == GC_GENERATIONS - 1;
    const int old_gen = full ? generation : generation + 1;
    region_result r =
        cycle_collect_region(&h->cy, &h->gen[generation], (member_set){id_of_gen(0), id_of_gen(generation)},
                             &h->gen[old_gen], id_of_gen(old_gen), full && h->cy.rules == RULES_CPYTHON_3_13);
    if (generation == GC_GENERATIONS - 2) h->long_lived_pending += r.survivors;
    if (full) {
        h->long_lived_pending = 0;
        h->long_lived_total = r.survivors;
    }
    base->stats.collections[generation]++;
    base->stats.collected[generation] += r.collected;
    base->stats.uncollectable[generation] += r.uncollectable;
    gc_pause_end(base, started, true);
    h->cy.collecting = false;
    return r.collected + r.uncollectable;
}

/* gc_select_generation, then the collection. */
static void collect_generations(gen_heap *h) {
    const uint64_t *count = counts(h);
    for (int i = GC_GENERATIONS - 1; i >= 0; i--) {
        if (count[i] <= h->threshold[i]) continue;
        if (i == GC_GENERATIONS - 1 && h->long_lived_pending < h->long_lived_total / 4) continue;
        collect(h, i);
        break;
    }
}

static gc_heap *gen_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    size_t t[GC_GENERATIONS];
    char untrack[MM_OPTION_NAME_MAX], placement[MM_OPTION_NAME_MAX], resurrection[MM_OPTION_NAME_MAX];
    const mm_option options[] = {
        {"threshold0", MM_OPTION_SIZE, "GC allocations that trigger a collection (0 = never)", 0, 1000000000, false,
         &t[0]},
        {"threshold1", MM_OPTION_SIZE, "young collections before a middle one", 0, 1000000000, false, &t[1]},
        {"threshold2", MM_OPTION_SIZE, "middle collections before a full one", 0, 1000000000, false, &t[2]},
        {"untrack", MM_OPTION_NAME, "cpython|eager", 0, 0, false, untrack},
        {"placement", MM_OPTION_NAME, "append|holder-first", 0, 0, false, placement},
        {"resurrection", MM_OPTION_NAME, "always|if-user-code", 0, 0, false, resurrection},
    };
    gen_heap *h = (gen_heap *)rc_heap_open(&gc_rc_gen, alloc, config, sizeof *h, sizeof(gc_head), options,
                                           sizeof options / sizeof *options, err);
    if (h == NULL) return NULL;
    int eager, holder_first, if_user_code;
    if (!gc_option_choice("rc-gen", "untrack", untrack, "cpython|eager", &eager, err) ||
        !gc_option_choice("rc-gen", "placement", placement, "append|holder-first", &holder_first, err) ||
        !gc_option_choice("rc-gen", "resurrection", resurrection, "always|if-user-code", &if_user_code, err)) {
        free(h);
        return NULL;
    }
    h->cy.rc.release = gen_release;
    cycle_init(&h->cy, eager ? RULES_EAGER : RULES_CPYTHON_3_13, !if_user_code);
    for (int i = 0; i < GC_GENERATIONS; i++) list_init(&h->gen[i]);
    memcpy(h->threshold, t, sizeof t);
    h->holder_first = holder_first;
    return &h->cy.rc.base;
}

static gc_head *const *gen_lists(gen_heap *h, gc_head *out[GC_GENERATIONS]) {
    for (int i = 0; i < GC_GENERATIONS; i++) out[i] = &h->gen[i];
    return out;
}

/* close(): every object still tracked is cleared (no finalizers, no callbacks) and freed. */
static void gen_close(gc_heap *heap) {
    gc_head *lists[GC_GENERATIONS];
    cycle_close(&gen_of(heap)->cy, gen_lists(gen_of(heap), lists), GC_GENERATIONS);
}

/* Generation 0's count passed its threshold: collect, if automatic collection may run
 * now (_PyObject_GC_Link's conditions). Out of line, so the allocation path stays short. */
static __attribute__((noinline, cold)) void gen_threshold_passed(gen_heap *h) {
    if (h->threshold[0] && h->cy.rc.base.enabled && !h->cy.collecting) collect_generations(h);
}

static inline void gen_count_allocation(gen_heap *h) {
    if (__builtin_expect(++counts(h)[0] > h->threshold[0], 0)) gen_threshold_passed(h);
}

/* The allocation path: rc_new inlined. A GC object is tracked at the end of generation 0,
 * unless its kind is born untracked (3.13's empty dict; eager: every container that could
 * be untracked), and counts towards generation 0's threshold either way. */
static gc_object *gen_new(gc_heap *heap, const gc_type *type, size_t payload) {
    gen_heap *h = gen_of(heap);
    gc_object *o = rc_new(&h->cy.rc, type, payload);
    if (o == NULL || !trackable(type)) return o;
    if (untrackable(o, h->cy.born_kinds)) o->flags = GC_UNTRACKED;
    else cycle_track_before(o, &h->gen[0], id_of_gen(0));
    gen_count_allocation(h);
    return o;
}

/* A weakref is a GC object: tracked, and counted as an allocation. Its target is an
 * instance from now on (gc.h, "kind"): tracked again if untracked. */
static gc_object *gen_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg) {
    gen_heap *h = gen_of(heap);
    gc_object *w = rc_weakref_new(heap, target, cb, arg);
    if (w == NULL) return NULL;
    if (target->flags & GC_UNTRACKED) cycle_track_before(target, &h->gen[0], id_of_gen(0));
    cycle_track_before(w, &h->gen[0], id_of_gen(0));
    gen_count_allocation(h);
    return w;
}

static size_t gen_collect(gc_heap *heap, int generation) {
    if (generation < 0) generation = 0;
    if (generation >= GC_GENERATIONS) generation = GC_GENERATIONS - 1;
    return collect(gen_of(heap), generation);
}

static size_t gen_live_in(gc_heap *heap, int generation) {
    gen_heap *h = gen_of(heap);
    if (generation >= 0 && generation < GC_GENERATIONS) return list_size(&h->gen[generation]);
    if (generation == GC_LIST_GARBAGE) return list_size(&h->cy.garbage);
    if (generation == GC_LIST_PERMANENT) return list_size(&h->cy.permanent);
    return 0;
}

static size_t gen_check(gc_heap *heap) {
    gc_head *lists[GC_GENERATIONS];
    return cycle_check(&gen_of(heap)->cy, gen_lists(gen_of(heap), lists), GC_GENERATIONS);
}

static size_t gen_freeze(gc_heap *heap) {
    gen_heap *h = gen_of(heap);
    gc_head *lists[GC_GENERATIONS];
    memset(counts(h), 0, sizeof(uint64_t) * GC_GENERATIONS);
    return cycle_freeze(&h->cy, gen_lists(h, lists), GC_GENERATIONS);
}

static size_t gen_unfreeze(gc_heap *heap) {
    gen_heap *h = gen_of(heap);
    return cycle_unfreeze(&h->cy, &h->gen[GC_GENERATIONS - 1], id_of_gen(GC_GENERATIONS - 1));
}

const gc_collector gc_rc_gen = {
    .name = "rc-gen",
    .summary = "reference counting + CPython 3.13.0's generational cycle detector (thresholds 2000/10/10)",
    .caps = GC_CAP_COUNTS | GC_CAP_CYCLES | GC_CAP_EXACT | GC_CAP_GENERATIONS | GC_CAP_WEAK_CALLBACKS | GC_CAP_FREEZE,
    .defaults = "threshold0=2000,threshold1=10,threshold2=10,untrack=cpython,placement=append,resurrection=always",
    .open = gen_open,
    .close = gen_close,
    .new_object = gen_new,
    .incref = rc_incref,
    .decref = rc_decref,
    .store = gen_store,
    .delete_object = gc_delete_unsupported,
    .root_add = gc_root_nothing,
    .root_remove = gc_root_nothing,
    .collect = gen_collect,
    .weakref_new = gen_weakref_new,
    .weakref_get = gc_weakref_target,
    .check = gen_check,
    .live_in_generation = gen_live_in,
    .freeze = gen_freeze,
    .unfreeze = gen_unfreeze,
};
