/* rc_inc.c — reference counting plus CPython 3.14.0's incremental cycle collector (as
 * released in 3.14.0-3.14.4; 3.14.5 went back to 3.13's): Python/gc.c of 3.14
 * (gc_collect_increment, assess_work_to_do, expand_region_transitively_reachable,
 * mark_at_start, mark_stacks, completed_scavenge, gc_collect_young, gc_collect_full) and
 * InternalDocs/garbage_collector.md. The collection of a region is cycle.c's, shared with
 * rc-gen; docs/gc.md draws the whole and says what it trades.
 *
 * Vocabulary
 *   young        list id 1: new GC objects, tracked at birth (3.14 tracks dicts too).
 *   old spaces   two lists (ids 2, 3): `visited` holds what this scavenge has scanned or
 *                marked, the other (`pending`) what it has still to scan. CPython keeps a
 *                bit per object and flips which value means visited; the list id does the
 *                same here: flipping `visited` turns every visited object pending at once.
 *   scavenge     one pass over the whole old generation, in increments: it starts with a
 *                mark phase (the first increment only marks), then each increment collects
 *                the young generation plus a slice of `pending`, until `pending` is empty
 *                (completed_scavenge: the spaces flip, the next scavenge starts marking).
 *   count        young.count: objects tracked minus objects untracked since the last
 *                collection (_PyObject_GC_TRACK adds one, _PyObject_GC_UNTRACK takes one
 *                off, not below 0: a GC object that dies is untracked first); heap_size:
 *                objects tracked now. gc_stats.count is (young.count, the visited space's
 *                count, the pending space's): gc.get_count().
 *   trigger      young.count past threshold0 (2000) at an allocation runs an increment
 *                (_Py_RunGC: every automatic collection is one).
 *   work         work_to_do starts at -5000. Each increment adds assess_work_to_do: the new
 *                objects (young.count) plus heap_size / 10 / scale (scale = threshold1,
 *                default 10, at least 2; so 1% of the heap), the second term capped at
 *                twice the new objects. Below 0 the increment does nothing. Marking and the
 *                objects an increment scans are subtracted (the marked count twice at the
 *                start of a scavenge, as mark_at_start and its caller both do).
 *   increment    the young generation, then the first pending object and everything it
 *                reaches transitively that is still pending, and so on while the increment
 *                is smaller than work_to_do.
 *   roots        CPython marks from the interpreter's roots (module dicts, builtins) and
 *                frames at the start of each scavenge (mark_at_start), and from the frames
 *                new since the last increment at each (mark_stacks: newest first, down to
 *                and including the first frame already visited). Here the roots are the
 *                gc_root_add locations, each a frame: a workload registers the structures a
 *                Python program would hold in its globals or main's frame. Marking moves
 *                everything reachable from them that is young or pending into `visited`
 *                without collecting it. The mutator's own C locals are seen, as by every
 *                collection, only as counts from outside.
 *   pauses       the long increments, all as 3.14.0 runs them: a marking one (everything
 *                the roots reach, in one step: mark_at_start has no budget), the one after
 *                a new root (mark_stacks marks all it reaches), and the first collecting
 *                one after a mark, which takes the whole young generation grown while the
 *                mark, subtracted twice, kept the work below 0 (docs/gc.md, "Where its
 *                pauses come from"; conformance: gc.incremental-marking).
 *   permanent    gc_freeze (_PyGC_Freeze) moves young and both old spaces there; gc_unfreeze
 *                puts it back into the visited space.
 * No deviation from 3.14.0 is an option: rc-inc has its thresholds only.
 */
#include "allocators/gc/cycle.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum { ID_YOUNG = ID_OWN_FIRST, ID_OLD0 = ID_OWN_FIRST + 1 };
enum { INITIAL_WORK = -5000, SCAN_RATE_DIVISOR = 10 };

typedef struct inc_root {
    gc_object **where;
    bool visited; /* marked since it was added: a frame mark_stacks has seen */
} inc_root;

typedef struct inc_heap {
    cycle_heap cy;
    gc_head young, old[2];
    uint64_t old_count[2];
    size_t young_threshold, scale;
    intptr_t work_to_do;
    int visited;  /* the old space that is `visited` (0 or 1) */
    bool marking; /* the next increment starts a scavenge: it marks */
    size_t heap_size;
    inc_root *roots; /* in the order they were added: the last is the newest frame */
    size_t root_count, root_cap;
} inc_heap;

static inline inc_heap *inc_of(gc_heap *heap) { return (inc_heap *)heap; }
static inline uint64_t *young_count(inc_heap *h) { return &h->cy.rc.base.stats.count[0]; }
static inline uint32_t id_old(int space) { return ID_OLD0 + (uint32_t)space; }
static inline gc_head *visited_list(inc_heap *h) { return &h->old[h->visited]; }
static inline gc_head *pending_list(inc_heap *h) { return &h->old[h->visited ^ 1]; }

/* gc.get_count(): the visited space's count, then the pending one's. */
static void publish_counts(inc_heap *h) {
    h->cy.rc.base.stats.count[1] = h->old_count[h->visited];
    h->cy.rc.base.stats.count[2] = h->old_count[h->visited ^ 1];
}

/* _PyObject_GC_TRACK: at the end of the young generation, counted. */
static inline void inc_track(inc_heap *h, gc_object *o) {
    cycle_track_before(o, &h->young, ID_YOUNG);
    ++*young_count(h);
    h->heap_size++;
}

/* _PyObject_GC_UNTRACK's counting (the rules untracked o; cycle_heap.on_untrack). */
static void inc_counted_untrack(cycle_heap *cy, gc_object *o) {
    (void)o;
    inc_heap *h = (inc_heap *)cy;
    if (*young_count(h) > 0) --*young_count(h);
    h->heap_size--;
}

/* A resurrected object is tracked again (the cascade's track hook). */
static void inc_track_resurrected(rc_heap *rc, gc_object *o) {
    if (trackable(o->type)) inc_track((inc_heap *)rc, o);
}

/* A GC object dies: a tracked one is untracked first (its dealloc), counted. */
static inline void inc_untrack(rc_heap *rc, gc_object *o) {
    if (o->flags & GC_TRACKED) {
        list_remove(head_of(o));
        inc_counted_untrack((cycle_heap *)rc, o);
    }
    o->flags &= ~(uint32_t)(GC_TRACKED | GC_UNTRACKED | GC_UNCOLLECTABLE | LIST_MASK | ATOMIC);
}

static void inc_release(rc_heap *rc, gc_object *o) {
    assert(o->refcnt == 0 && !(o->flags & GC_DYING) && "only a live object reaching zero is released");
    rc_cascade(rc, o, inc_untrack, inc_track_resurrected);
}

/* THE write path, as rc-gen's (cycle.h, "sealed"): an untracked tuple the mutator alone
 * holds is tracked again when a value that may be tracked is stored into it. */
static void inc_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value) {
    assert(slot < holder->type->slots && "store into a slot the type has");
    assert(!(holder->flags & SEALED) && "a tuple is filled before anything holds it (gc.h, \"kind\")");
    if (value) {
        if (value->type->kind == GC_KIND_TUPLE) value->flags |= SEALED;
        if ((holder->flags & GC_UNTRACKED) && may_be_tracked(value)) inc_track(inc_of(heap), holder);
    }
    rc_store_inline((rc_heap *)heap, holder, slot, value);
}

/* ---- marking from the roots (mark_at_start, mark_stacks, mark_all_reachable) ------ */

/* o is young or pending: it moves to `reachable`, visited from now on. */
static inline intptr_t move_to_reachable(inc_heap *h, gc_object *o, gc_head *reachable) {
    if (o == NULL || !(o->flags & GC_TRACKED)) return 0;
    const uint32_t id = list_id(o->flags);
    if (id != ID_YOUNG && id != id_old(h->visited ^ 1)) return 0;
    list_move(head_of(o), reachable);
    o->flags = with_list(o->flags, id_old(h->visited));
    return 1;
}

/* Everything `reachable` reaches that is young or pending joins it; each ends in the
 * visited space. Returns how many joined. */
static intptr_t mark_all_reachable(inc_heap *h, gc_head *reachable) {
    intptr_t marked = 0;
    while (!list_empty(reachable)) {
        gc_head *g = reachable->next;
        list_move(g, visited_list(h));
        gc_object *o = object_of(g);
        for (uint32_t i = 0, n = o->type->slots; i < n; i++) marked += move_to_reachable(h, o->slot[i], reachable);
    }
    return marked;
}

/* The roots newest first, down to and including the first already visited (all of them
 * at the start of a scavenge), and all they reach. Returns the objects marked. */
static intptr_t mark_stacks(inc_heap *h, bool start) {
    gc_head reachable;
    list_init(&reachable);
    intptr_t marked = 0;
    for (size_t i = h->root_count; i-- > 0;) {
        marked += move_to_reachable(h, *h->roots[i].where, &reachable);
        if (!start && h->roots[i].visited) break;
        h->roots[i].visited = true;
    }
    return marked + mark_all_reachable(h, &reachable);
}

/* The first increment of a scavenge only marks. */
static intptr_t mark_at_start(inc_heap *h) {
    intptr_t marked = mark_stacks(h, true);
    h->work_to_do -= marked;
    h->marking = false;
    return marked;
}

/* ---- the collections --------------------------------------------------------------- */

static intptr_t assess_work_to_do(inc_heap *h) {
    const intptr_t scale = h->scale < 2 ? 2 : (intptr_t)h->scale;
    const intptr_t new_objects = (intptr_t)*young_count(h);
    intptr_t heap_fraction = (intptr_t)h->heap_size / SCAN_RATE_DIVISOR / scale;
    if (heap_fraction > new_objects * 2) heap_fraction = new_objects * 2;
    *young_count(h) = 0;
    return new_objects + heap_fraction;
}

/* The scavenge is done: the spaces flip, the next one starts by marking. (CPython cannot
 * flip while the permanent generation is not empty, its members carrying the visited bit,
 * and moves the visited objects to the other space instead; the permanent generation has
 * a list id of its own here, so the flip is the same either way.) */
static void completed_scavenge(inc_heap *h) {
    h->visited ^= 1;
    h->work_to_do = 0;
    h->marking = true;
}

/* Pulls into `increment` (from `from` on) every pending object the increment's members
 * reach, transitively; returns how many. */
static intptr_t expand_region(inc_heap *h, gc_head *increment, gc_head *from) {
    const uint32_t pending = id_old(h->visited ^ 1);
    intptr_t size = 0;
    for (gc_head *g = from; g != increment; g = g->next) {
        gc_object *o = object_of(g);
        for (uint32_t i = 0, n = o->type->slots; i < n; i++) {
            gc_object *v = o->slot[i];
            if (v == NULL || !(v->flags & GC_TRACKED) || list_id(v->flags) != pending) continue;
            list_move(head_of(v), increment);
            v->flags = with_list(v->flags, ID_REGION);
            size++;
        }
    }
    return size;
}

typedef enum { COLLECT_YOUNG, COLLECT_INCREMENT, COLLECT_FULL } collection_kind;

/* One collection (_PyGC_Collect's switch): returns the unreachable objects found. */
static size_t collect(inc_heap *h, collection_kind kind) {
    gc_heap *base = &h->cy.rc.base;
    if (h->cy.collecting) return 0;
    h->cy.collecting = true;
    const uint64_t started = gc_pause_begin(base);
    region_result r = {0, 0, 0, 0};
    gc_head *visited = visited_list(h), *pending = pending_list(h);
    const uint32_t visited_id = id_old(h->visited);
    if (kind == COLLECT_YOUNG) { /* gc_collect_young */
        cycle_untrack_tuples(&h->cy, &h->young);
        r = cycle_collect_region(&h->cy, &h->young, (member_set){ID_YOUNG, ID_YOUNG}, visited, visited_id, false);
        *young_count(h) = 0;
        h->old_count[h->visited]++;
    } else if (kind == COLLECT_INCREMENT) { /* gc_collect_increment */
        h->work_to_do += assess_work_to_do(h);
        if (h->work_to_do >= 0) {
            cycle_untrack_tuples(&h->cy, &h->young);
            if (h->marking) {
                h->work_to_do -= mark_at_start(h);
            } else {
                h->work_to_do -= mark_stacks(h, false);
                gc_head increment;
                list_init(&increment);
                intptr_t size = (intptr_t)list_set_id(&h->young, ID_REGION);
                list_merge(&h->young, &increment);
                while (size < h->work_to_do && !list_empty(pending)) {
                    gc_head *g = pending->next;
                    list_move(g, &increment);
                    object_of(g)->flags = with_list(object_of(g)->flags, ID_REGION);
                    size += 1 + expand_region(h, &increment, g);
                }
                r = cycle_collect_region(&h->cy, &increment, (member_set){ID_REGION, ID_REGION}, visited, visited_id,
                                         false);
                h->work_to_do -= size;
                if (list_empty(pending)) completed_scavenge(h);
            }
        }
    } else { /* gc_collect_full: everything into the visited space, collected at once */
        cycle_untrack_tuples(&h->cy, &h->young);
        list_merge(&h->young, pending);
        list_merge(pending, visited);
        *young_count(h) = 0;
        r = cycle_collect_region(&h->cy, visited, (member_set){ID_YOUNG, id_old(1)}, visited, visited_id, false);
        *young_count(h) = 0;
        h->old_count[0] = h->old_count[1] = 0;
        completed_scavenge(h);
    }
    const int generation = (int)kind;
    base->stats.collections[generation]++;
    base->stats.collected[generation] += r.collected;
    base->stats.uncollectable[generation] += r.uncollectable;
    publish_counts(h);
    gc_pause_end(base, started, true);
    h->cy.collecting = false;
    return r.collected + r.uncollectable;
}

static gc_heap *inc_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    size_t young_threshold, scale;
    const mm_option options[] = {
        {"threshold0", MM_OPTION_SIZE, "objects tracked since the last collection that trigger an increment (0 = never)",
         0, 1000000000, false, &young_threshold},
        {"threshold1", MM_OPTION_SIZE, "the scan rate: an increment scans about 1/(10 * this) of the heap", 0,
         1000000000, false, &scale},
    };
    inc_heap *h = (inc_heap *)rc_heap_open(&gc_rc_inc, alloc, config, sizeof *h, sizeof(gc_head), options,
                                           sizeof options / sizeof *options, err);
    if (h == NULL) return NULL;
    h->cy.rc.release = inc_release;
    cycle_init(&h->cy, RULES_CPYTHON_3_14, true);
    h->cy.on_untrack = inc_counted_untrack;
    list_init(&h->young);
    list_init(&h->old[0]);
    list_init(&h->old[1]);
    h->young_threshold = young_threshold;
    h->scale = scale;
    h->work_to_do = INITIAL_WORK;
    h->marking = true;
    return &h->cy.rc.base;
}

static gc_head *const *inc_lists(inc_heap *h, gc_head *out[3]) {
    out[0] = &h->young, out[1] = &h->old[0], out[2] = &h->old[1];
    return out;
}

static void inc_close(gc_heap *heap) {
    inc_heap *h = inc_of(heap);
    gc_head *lists[3];
    free(h->roots);
    cycle_close(&h->cy, inc_lists(h, lists), 3);
}

/* young.count passed threshold0: an increment, if automatic collection may run now. */
static __attribute__((noinline, cold)) void inc_threshold_passed(inc_heap *h) {
    if (h->young_threshold && h->cy.rc.base.enabled && !h->cy.collecting) collect(h, COLLECT_INCREMENT);
}

static inline void inc_allocated(inc_heap *h) {
    if (__builtin_expect(*young_count(h) > h->young_threshold, 0)) inc_threshold_passed(h);
}

/* The allocation path: every GC object is tracked at birth (3.14). */
static gc_object *inc_new(gc_heap *heap, const gc_type *type, size_t payload) {
    inc_heap *h = inc_of(heap);
    gc_object *o = rc_new(&h->cy.rc, type, payload);
    if (o == NULL || !trackable(type)) return o;
    inc_track(h, o);
    inc_allocated(h);
    return o;
}

/* A weakref is tracked; its target is an instance from now on (gc.h, "kind"). */
static gc_object *inc_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg) {
    inc_heap *h = inc_of(heap);
    gc_object *w = rc_weakref_new(heap, target, cb, arg);
    if (w == NULL) return NULL;
    if (target->flags & GC_UNTRACKED) inc_track(h, target);
    inc_track(h, w);
    inc_allocated(h);
    return w;
}

static size_t inc_collect(gc_heap *heap, int generation) {
    return collect(inc_of(heap), generation <= 0 ? COLLECT_YOUNG : generation == 1 ? COLLECT_INCREMENT : COLLECT_FULL);
}

/* Roots are frames, newest last (see "roots"). */
static void inc_root_add(gc_heap *heap, gc_object **where) {
    inc_heap *h = inc_of(heap);
    if (h->root_count == h->root_cap) {
        size_t cap = h->root_cap ? 2 * h->root_cap : 16;
        inc_root *roots = realloc(h->roots, cap * sizeof *roots);
        if (roots == NULL) gc_unsupported(heap, "gc_root_add (out of memory for the root table)");
        h->roots = roots, h->root_cap = cap;
    }
    h->roots[h->root_count++] = (inc_root){.where = where, .visited = false};
}

static void inc_root_remove(gc_heap *heap, gc_object **where) {
    inc_heap *h = inc_of(heap);
    for (size_t i = h->root_count; i-- > 0;)
        if (h->roots[i].where == where) {
            memmove(&h->roots[i], &h->roots[i + 1], (h->root_count - i - 1) * sizeof *h->roots);
            h->root_count--;
            return;
        }
}

/* live_in_generation: as CPython's GEN_HEAD: 0 young, 1 the visited space, 2 the pending
 * one; then the uncollectable list and the permanent generation. */
static size_t inc_live_in(gc_heap *heap, int generation) {
    inc_heap *h = inc_of(heap);
    switch (generation) {
    case 0: return list_size(&h->young);
    case 1: return list_size(visited_list(h));
    case 2: return list_size(pending_list(h));
    case GC_LIST_GARBAGE: return list_size(&h->cy.garbage);
    case GC_LIST_PERMANENT: return list_size(&h->cy.permanent);
    default: return 0;
    }
}

static size_t inc_check(gc_heap *heap) {
    inc_heap *h = inc_of(heap);
    gc_head *lists[3];
    size_t broken = cycle_check(&h->cy, inc_lists(h, lists), 3);
    size_t tracked = list_size(&h->young) + list_size(&h->old[0]) + list_size(&h->old[1]) +
                     list_size(&h->cy.garbage) + list_size(&h->cy.permanent);
    return broken + (tracked != h->heap_size); /* heap_size counts every tracked object */
}

static size_t inc_freeze(gc_heap *heap) {
    inc_heap *h = inc_of(heap);
    gc_head *lists[3];
    *young_count(h) = 0;
    h->old_count[0] = h->old_count[1] = 0;
    publish_counts(h);
    return cycle_freeze(&h->cy, inc_lists(h, lists), 3);
}

static size_t inc_unfreeze(gc_heap *heap) {
    inc_heap *h = inc_of(heap);
    return cycle_unfreeze(&h->cy, visited_list(h), id_old(h->visited));
}

const gc_collector gc_rc_inc = {
    .name = "rc-inc",
    .summary = "reference counting + CPython 3.14.0's incremental cycle collector (young + old in increments)",
    .caps = GC_CAP_COUNTS | GC_CAP_CYCLES | GC_CAP_EXACT | GC_CAP_INCREMENTAL | GC_CAP_WEAK_CALLBACKS | GC_CAP_FREEZE,
    .defaults = "threshold0=2000,threshold1=10",
    .open = inc_open,
    .close = inc_close,
    .new_object = inc_new,
    .incref = rc_incref,
    .decref = rc_decref,
    .store = inc_store,
    .delete_object = gc_delete_unsupported,
    .root_add = inc_root_add,
    .root_remove = inc_root_remove,
    .collect = inc_collect,
    .weakref_new = inc_weakref_new,
    .weakref_get = gc_weakref_target,
    .check = inc_check,
    .live_in_generation = inc_live_in,
    .freeze = inc_freeze,
    .unfreeze = inc_unfreeze,
};
