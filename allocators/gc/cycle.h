/* cycle.h — CPython's cycle detector over its container lists, shared by rc-gen (3.13.0's
 * generational collector) and rc-inc (3.14.0's incremental one): the gc head and its
 * lists, the tracking rules of each kind of container, and one collection of a region
 * (CPython 3.14's gc_collect_region; 3.13's gc_collect_main once it has merged the
 * generations it collects). Each collector adds its own lists, counts and triggers.
 * Private to this folder.
 *
 * Vocabulary
 *   gc head      16 bytes in front of every object: the links of the list it is in.
 *
 *                [ next | prev ][ type | refcnt flags | slots | payload ]
 *                 ^ block        ^ the gc_object everyone else sees
 *
 *                As in CPython 3.8+, one word serves twice: `prev` is the back link,
 *                except while a collection counts and scans, when it holds gc_refs (the
 *                scratch count) of every member not yet scanned. The list is then
 *                linked forward only; the scan writes each member's back link again as
 *                it passes. The flags CPython keeps in the same words (collecting,
 *                unreachable) live in the object's own flags word here, and so does the
 *                id of the list that holds it (bits LIST_SHIFT..). Once an object has
 *                left its list (it is dying), `prev` is the cascade's link word.
 *   list id      which list holds a tracked object: 0 none, 1..3 the collector's own
 *                (rc-gen: generations 0..2; rc-inc: young, old space 0, old space 1),
 *                then the uncollectable list, the permanent generation, a collection's
 *                unreachable set, and rc-inc's increment. A pass tells a collection's
 *                members from every other object by one compare.
 *   GC object    an object of a type with slots, or a weakref: what CPython allocates
 *                with a gc head. Objects without slots are atomic (ints, strings): never
 *                tracked. A GC object is always either tracked (GC_TRACKED, in exactly one
 *                list) or untracked (GC_UNTRACKED, in none).
 *   may be       CPython's _PyObject_GC_MAY_BE_TRACKED: a GC object that is tracked, or
 *   tracked      untracked but not a tuple (an untracked dict may be tracked again). An
 *                untracked tuple carries ATOMIC: nothing it holds may be tracked, and it
 *                may not be itself. A container holding nothing that may be tracked is on
 *                no cycle (a NULL slot is CPython's None).
 *   sealed       a tuple once stored into a slot (SEALED): CPython's tuples are filled
 *                before anyone else holds them, and so are ours (gc.h, "kind"), which is
 *                what makes ATOMIC sound: an untracked container may hold an ATOMIC tuple
 *                only once it is sealed, and a sealed tuple's slots never change again.
 *                A store into a sealed tuple is refused (an assert); a store into an
 *                unsealed untracked tuple (only the mutator holds it) tracks it again.
 *   rules        which CPython decides what is untracked when (track_rules below):
 *                3.13.0  tuples: tracked at birth, untracked by every collection
 *                        (untrack_tuples over the survivors, in list order); dicts: born
 *                        untracked (PyDict_New), tracked when a value that may be tracked
 *                        is stored (MAINTAIN_TRACKING), untracked by full collections
 *                        (untrack_dicts over the survivors, after the tuples).
 *                3.14.0  tuples as in 3.13 (and also before each collection, over the
 *                        young generation); dicts are instances (GH-127010).
 *                eager   (rc-gen.untrack=eager, no CPython rule) every container is a
 *                        dict whose untracking runs at every collection.
 *                A type with a finalizer and an object that ever had a weakref are
 *                instances whatever their kind: CPython untracks exact tuples and dicts
 *                only, and they have neither.
 *
 * One collection of a region (cycle_collect_region); the members are the tracked objects
 * whose list id is in a range, linked in one list:
 *   1. count_outside_refs, one pass: gc_refs := refcnt, minus one for each reference from
 *      another member (CPython's update_refs and subtract_refs fused: a member referred to
 *      before the pass reaches it is set up then): the references from outside.
 *   2. move_unreachable: members with gc_refs > 0 are reachable, and so is everything they
 *      reach (rescued back from the tentative unreachable list, scanned again); the rest
 *      is unreachable. Survivors the rules untrack leave the lists as the scan passes them
 *      (untrack_tuples; untrack_dicts after it, on full collections under 3.13: a walk
 *      of its own, taken only when a dict survived, since on any other kind it is a no-op).
 *   3. survivors go to the region's destination list
 *   4. unreachable objects with a legacy finalizer, and all they reach, go to the
 *      uncollectable list (CPython's gc.garbage), which holds a reference to each
 *   5. weakrefs: 3.13.0 clears every weakref to an unreachable object, and every weakref
 *      in the unreachable set (handle_weakrefs); 3.14.0 clears only those with a callback
 *      here (handle_weakref_callbacks). Callbacks run for weakrefs outside the unreachable
 *      set; each survivor moves to the destination list.
 *   6. finalizers run, each at most once (finalize_garbage)
 *   7. resurrection: steps 1-2 again over what is left (handle_resurrected_objects);
 *      whatever a finalizer made reachable survives, with all it reaches
 *   8. 3.14.0: the remaining weakrefs to what is still unreachable, and those in it, are
 *      cleared now (clear_weakrefs: after finalizers, GH-135552)
 *   9. the rest is cleared slot by slot; reference counting frees it (delete_garbage)
 * Counted as CPython counts: collected = what is still unreachable at step 9 plus the
 * weakrefs that died right after their callback; objects freed by count while finalizers
 * run are freed but not counted. uncollectable = the objects step 4 moved.
 *
 * Invariants (cycle_check counts violations)
 *   every list is a consistent ring (outside steps 1-2 of a collection: prev is a link);
 *   each tracked object is in exactly one list, carries GC_TRACKED and that list's id;
 *   outside a collection no object carries GC_COLLECTING/UNREACHABLE; references from
 *   tracked objects to a tracked object never exceed its refcnt; an untracked object a
 *   tracked one refers to holds nothing that may be tracked (but a sealed tuple a weakref
 *   made an instance since: sealed, it reaches nothing tracked either).
 */
#ifndef GC_CYCLE_H
#define GC_CYCLE_H

#include "allocators/gc/gc_internal.h"

#include <stddef.h>

typedef struct gc_head {
    struct gc_head *next;
    union {
        struct gc_head *prev; /* the back link... */
        intptr_t refs;        /* ...or gc_refs: from count_outside_refs until the scan passes */
    };
} gc_head;
_Static_assert(sizeof(gc_head) == RC_PREFIX && offsetof(gc_head, prev) == RC_PREFIX - sizeof(gc_object *),
               "the gc head is the counting collectors' prefix, its back link their link word");

/* The list id in an object's flags (see "list id"). */
enum { LIST_SHIFT = 8, LIST_MASK = 7u << LIST_SHIFT };
enum { ID_NONE = 0, ID_OWN_FIRST = 1, ID_OWN_LAST = 3, ID_GARBAGE = 4, ID_PERMANENT = 5, ID_UNREACHABLE = 6,
       ID_REGION = 7 };
_Static_assert(GC_UNTRACKED < (1u << LIST_SHIFT), "the list id sits above every gc.h flag");
/* What counting (step 1) saw in a member's slots, kept in its flags for the scan (step 2)
 * and cleared when the member leaves the collection: whether it holds something that may
 * be tracked (else it may be untracked), and whether it refers to another member (else
 * the scan has no reason to touch its referents: leaves are not visited twice). ATOMIC:
 * see "may be tracked". */
enum { SAW_TRACKABLE = 1u << 11, SAW_MEMBER = 1u << 12, SAW = SAW_TRACKABLE | SAW_MEMBER, ATOMIC = 1u << 13,
       SEALED = 1u << 14 };
/* Flags no tracked object carries at rest (outside a collection's steps 1-7). */
enum { NOT_AT_REST = GC_COLLECTING | GC_UNREACHABLE | SAW | GC_DYING | GC_UNTRACKED | ATOMIC };

static inline uint32_t list_id(uint32_t flags) { return (flags & LIST_MASK) >> LIST_SHIFT; }
static inline uint32_t with_list(uint32_t flags, uint32_t id) {
    return (flags & ~(uint32_t)LIST_MASK) | id << LIST_SHIFT;
}

static inline gc_head *head_of(gc_object *o) { return (gc_head *)((char *)o - sizeof(gc_head)); }
static inline gc_object *object_of(gc_head *g) { return (gc_object *)((char *)g + sizeof(gc_head)); }

/* List operations: only on lists whose back links are links (not during steps 1-2). */
static inline void list_init(gc_head *l) { l->next = l->prev = l; }
static inline bool list_empty(const gc_head *l) { return l->next == l; }
static inline void list_remove(gc_head *g) {
    g->prev->next = g->next;
    g->next->prev = g->prev;
}
static inline void list_append(gc_head *g, gc_head *l) {
    g->prev = l->prev;
    g->next = l;
    l->prev->next = g;
    l->prev = g;
}
static inline void list_move(gc_head *g, gc_head *l) {
    list_remove(g);
    list_append(g, l);
}
/* Appends all of `from` to `to`, leaving `from` empty. */
static inline void list_merge(gc_head *from, gc_head *to) {
    if (list_empty(from)) return;
    gc_head *first = from->next, *last = from->prev;
    first->prev = to->prev;
    to->prev->next = first;
    last->next = to;
    to->prev = last;
    list_init(from);
}
size_t list_size(const gc_head *l);
/* Writes list id `id` into every member of `l` and returns how many there are. */
size_t list_set_id(gc_head *l, uint32_t id);

/* Which CPython's rules decide what is untracked when (see "rules"). */
typedef enum { RULES_CPYTHON_3_13, RULES_CPYTHON_3_14, RULES_EAGER } track_rules;

/* The members of a collection: tracked objects whose list id is in first..last. */
typedef struct member_set {
    uint32_t first, last;
} member_set;
static inline bool is_member(const gc_object *v, member_set m) {
    return list_id(v->flags) - m.first <= m.last - m.first; /* id 0 (untracked) wraps */
}

typedef struct cycle_heap cycle_heap;
struct cycle_heap {
    rc_heap rc;
    gc_head garbage;   /* the uncollectable objects (CPython's gc.garbage), each held */
    gc_head permanent; /* gc_freeze's objects: never a member of any collection */
    track_rules rules;
    unsigned scan_kinds;    /* kinds (bit per gc_kind) a collection's scan untracks (untrack_tuples) */
    unsigned born_kinds;    /* kinds born untracked (3.13's dicts; eager: all) */
    bool resurrection_always; /* false: the pass runs only when user code ran (rc-gen option) */
    bool collecting;        /* a collection runs: a nested one returns 0 at once */
    gc_head *region_to;     /* the running collection's destination list, and its id */
    uint32_t region_to_id;
    /* Told of each object the rules untrack (rc-inc counts its heap), or NULL. */
    void (*on_untrack)(cycle_heap *h, gc_object *o);
};

/* A GC object (see "GC object"): its type has slots, or it is a weakref. */
static inline bool trackable(const gc_type *t) { return t->slots != 0 || t == &gc_weakref_type; }

/* Whether the rules may untrack o at all, given `kinds` (one of the masks above): a
 * container of one of those kinds with no finalizer and no weakref to it, ever. */
static inline bool untrackable(const gc_object *o, unsigned kinds) {
    return o->type->slots != 0 && ((kinds >> o->type->kind) & 1u) && o->type->finalize == NULL &&
           !(o->flags & GC_WEAKLY_REFERENCED);
}

/* CPython's _PyObject_GC_MAY_BE_TRACKED (see "may be tracked"). */
static inline bool may_be_tracked(const gc_object *v) {
    return v != NULL && (v->flags & (GC_TRACKED | GC_UNTRACKED)) && !(v->flags & ATOMIC);
}

/* Whether nothing o holds may be tracked now. */
static inline bool holds_nothing_trackable(const gc_object *o) {
    for (uint32_t i = 0, n = o->type->slots; i < n; i++)
        if (may_be_tracked(o->slot[i])) return false;
    return true;
}

/* Puts o (untracked, dying-resurrected, or new) into list `l` with id `id`, just ahead of
 * `before` (a member of `l`, or `l` itself: at the end). An object resurrected while a
 * collection frees its cycle comes back clean. */
static inline void cycle_track_before(gc_object *o, gc_head *before, uint32_t id) {
    list_append(head_of(o), before);
    o->flags &= ~(uint32_t)(GC_COLLECTING | GC_UNREACHABLE | GC_UNCOLLECTABLE | GC_UNTRACKED | SAW | ATOMIC);
    o->flags = with_list(o->flags | GC_TRACKED, id);
}

/* Takes o out of the lists because the rules untrack it (it holds nothing that may be
 * tracked): an untracked tuple is ATOMIC under CPython's rules. The caller unlinks it. */
static inline void cycle_mark_untracked(cycle_heap *h, gc_object *o) {
    const bool atomic = h->rules != RULES_EAGER && o->type->kind == GC_KIND_TUPLE;
    o->flags = with_list(o->flags & ~(uint32_t)(GC_COLLECTING | GC_TRACKED | SAW), ID_NONE) | GC_UNTRACKED |
               (atomic ? ATOMIC : 0u);
    if (h->on_untrack) h->on_untrack(h, o);
}

/* Opens the shared part: lists empty, rules set. */
void cycle_init(cycle_heap *h, track_rules rules, bool resurrection_always);

/* Untracks, in list order, every tuple of `l` (whose back links are links) holding
 * nothing that may be tracked: CPython's untrack_tuples, as a pass of its own (3.14 runs
 * it over the young generation before each collection). Returns how many it untracked. */
size_t cycle_untrack_tuples(cycle_heap *h, gc_head *l);

/* What one collection of a region did (see the top of this file). */
typedef struct region_result {
    size_t survivors;     /* members still tracked after steps 1-2 (CPython's gc_list_size(young)) */
    size_t collected;     /* as CPython counts it */
    size_t uncollectable;
    size_t user_code;     /* finalizers and callbacks that ran */
} region_result;

/* One collection of the members (ids in m) linked in `from`: steps 1-9 above. Survivors
 * end in `to` with id `to_id` (`to` may be `from`). `untrack_dicts`: 3.13's full
 * collection, whose survivors' dicts are untracked after the tuples. The caller holds
 * h->collecting. */
region_result cycle_collect_region(cycle_heap *h, gc_head *from, member_set m, gc_head *to, uint32_t to_id,
                                   bool untrack_dicts);

/* close(): every object still tracked in `lists[0..count)`, the uncollectable list and
 * the permanent generation is cleared (no finalizers, no callbacks) and freed, with
 * whatever only they held; the heap is freed. */
void cycle_close(cycle_heap *h, gc_head *const *lists, size_t count);

/* check(): the invariants at the top of this file over `lists[0..count)` (whose ids are
 * ID_OWN_FIRST + index) and the shared lists, plus the counting core's; the number broken. */
size_t cycle_check(cycle_heap *h, gc_head *const *lists, size_t count);

/* Moves every object of `lists[0..count)` into the permanent generation (gc.freeze);
 * returns how many moved. */
size_t cycle_freeze(cycle_heap *h, gc_head *const *lists, size_t count);
/* Moves the permanent generation to the end of list `to` (id `to_id`), gc.unfreeze;
 * returns how many moved. */
size_t cycle_unfreeze(cycle_heap *h, gc_head *to, uint32_t to_id);

/* Debug-only validators (MM_DEBUG: the ASan+UBSan test builds), as CPython's
 * validate_list: every member of `l` is alive, tracked, carries an id in first..last and
 * the phase's flags. */
#ifdef MM_DEBUG
void cycle_validate_list(const gc_head *l, uint32_t first_id, uint32_t last_id, uint32_t must, uint32_t must_not);
#define VALIDATE_LIST(l, first, last, must, must_not) cycle_validate_list(l, first, last, must, must_not)
#else
#define VALIDATE_LIST(l, first, last, must, must_not) ((void)0)
#endif

#endif
