/* rc_gen.c — reference counting plus CPython's generational cycle detector (the design of
 * CPython's Python/gc.c before 3.13's incremental collector; docs/gc.md draws it).
 *
 * Vocabulary
 *   gc head      16 bytes in front of every object: the links of the list it is in.
 *
 *                [ next | prev ][ type | refcnt flags | slots | payload ]
 *                 ^ block        ^ the gc_object everyone else sees
 *
 *                As in CPython 3.8+, one word serves twice: `prev` is the back link,
 *                except while a collection counts and scans (steps 1-2 below), when it
 *                holds gc_refs (the scratch count) of every member not yet scanned. The
 *                list is then linked forward only; the scan writes each member's back
 *                link again as it passes. The flags CPython keeps in the same word
 *                (collecting, unreachable) live in the object's own flags word here,
 *                beside the count in the same cache line, and so does which list holds
 *                the object (its list id: bits LIST_SHIFT..). A container with two slots
 *                is 48 bytes. Once an object has left its list (it is dying), `prev` is
 *                the cascade's link word (gc_internal.h).
 *   tracked      an object with slots (a container) lives in exactly one list: a
 *                generation (0 young .. 2 old) or `garbage` (uncollectable). Objects
 *                without slots cannot form cycles and are never tracked, as in CPython.
 *   untracked    a container holding no container (every slot empty or a slot-less
 *                object), with no finalizer and no weakref to it: it is on no cycle, so it
 *                stays out of the lists (GC_UNTRACKED) until a container is stored into it
 *                (gen_store) — CPython's rule for dicts. A new one starts so (an empty
 *                dict is untracked); a collection untracks the reachable ones it finds.
 *   order        where in generation 0 an object goes: at the end, except a holder that
 *                gc_store tracks, which goes just ahead of the value when the value is
 *                in generation 0 too. A structure built bottom-up then lies in the list
 *                referrers first, and the scan (step 2) marks a member reachable before
 *                it reaches it instead of moving it to `unreachable` and rescuing it.
 *   count        generation 0: container allocations minus deallocations since its last
 *                collection; generation g > 0: collections of generation g-1 since g's last.
 *                Generation g is collected when its count exceeds its threshold
 *                (default 2000 / 10 / 10; `threshold0=...`).
 *   long-lived   a full collection (generation 2) also waits until the objects promoted
 *                into generation 2 since the last full one (long_lived_pending) exceed 25%
 *                of those that survived it (long_lived_total): full collections stay
 *                linear in the heap instead of quadratic.
 *
 * One collection of generation g (collect); the members are generations 0..g, merged:
 *   1. count_outside_refs, one pass: gc_refs := refcnt, minus one for each reference from
 *      another member (CPython's update_refs and subtract_refs; a member referred to
 *      before the pass reaches it is set up then): what is left is the number of
 *      references from outside.
 *   2. move_unreachable: objects with gc_refs > 0 are reachable, and so is everything
 *      they reach (rescued back from the tentative unreachable list); the rest is
 *      unreachable. A reachable object leaves the collection as soon as it is scanned (or
 *      the lists, holding no container): two passes in all over the survivors
 *   3. survivors are promoted to generation g+1
 *   4. unreachable objects with a legacy finalizer, and all they reach, go to `garbage`
 *      (uncollectable, reported), which holds a reference to each (as gc.garbage does): the
 *      garbage deleted in step 8 cannot free them and strand what they reach
 *   5. weakrefs to unreachable objects are cleared; callbacks run only for weakrefs that
 *      are themselves reachable
 *   6. finalizers run, each at most once (GC_FINALIZED)
 *   7. resurrection check: steps 1-2 again over the unreachable set; whatever a finalizer
 *      made reachable, and everything it reaches, survives intact into the old generation
 *      (skipped when no finalizer and no callback ran: nothing can have changed)
 *   8. the rest is cleared slot by slot; reference counting frees it
 * A collection started while one runs (from a finalizer or callback) returns 0 at once.
 *
 * Invariants (check() counts violations)
 *   every list is a consistent ring (outside steps 1-2 of a collection: prev is a link);
 *   each tracked object is in exactly one list, carries GC_TRACKED and that list's id;
 *   outside a collection no object carries GC_COLLECTING/UNREACHABLE; references from
 *   tracked objects to a tracked object never exceed its refcnt; an untracked container a
 *   tracked one refers to holds no container.
 */
#include "allocators/gc/gc_internal.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct gc_head {
    struct gc_head *next;
    union {
        struct gc_head *prev; /* the back link... */
        intptr_t refs;        /* ...or gc_refs: from count_outside_refs until the scan passes */
    };
} gc_head;

enum { GARBAGE = GC_GENERATIONS, LISTS = GC_GENERATIONS + 1 };

/* Which list holds a tracked object is written in its flags (bits LIST_SHIFT..): 0 none,
 * generation g is g + 1, then garbage, then the unreachable set of a running collection.
 * A collection's pass tells its members from everyone else by it in one compare. */
enum { LIST_SHIFT = 8, LIST_MASK = 7u << LIST_SHIFT };
enum { ID_NONE = 0, ID_GARBAGE = GARBAGE + 1, ID_UNREACHABLE = GARBAGE + 2 }; /* ID_GARBAGE = id_of_list(GARBAGE) */
_Static_assert(ID_UNREACHABLE < 8, "list ids fit in three bits");
_Static_assert(GC_UNTRACKED < (1u << LIST_SHIFT), "the list id sits above every gc.h flag");
/* What counting (step 1) saw in a member's slots, kept in its flags for the scan (step 2)
 * and cleared when the member leaves the collection: whether it holds a container (else
 * it may be untracked), and whether it refers to another member (else the scan has no
 * reason to touch its referents: the untracked leaves of a tree are never visited twice). */
enum { SAW_CONTAINER = 1u << 11, SAW_MEMBER = 1u << 12, SAW = SAW_CONTAINER | SAW_MEMBER };
static inline uint32_t id_of_list(int l) { return (uint32_t)l + 1; } /* l: a generation, or GARBAGE */
static inline uint32_t list_id(uint32_t flags) { return (flags & LIST_MASK) >> LIST_SHIFT; }
static inline uint32_t with_list(uint32_t flags, uint32_t id) { return (flags & ~(uint32_t)LIST_MASK) | id << LIST_SHIFT; }
_Static_assert(sizeof(gc_head) == RC_PREFIX && offsetof(gc_head, prev) == RC_PREFIX - sizeof(gc_object *),
               "the gc head is the counting collectors' prefix, its back link their link word");

typedef struct gen_heap {
    rc_heap rc;
    gc_head list[LISTS]; /* generations 0..2, then garbage */
    size_t count[GC_GENERATIONS];
    size_t threshold[GC_GENERATIONS];
    size_t long_lived_total, long_lived_pending;
    bool collecting;
} gen_heap;

static inline gc_head *head_of(gc_object *o) { return (gc_head *)((char *)o - sizeof(gc_head)); }
static inline gc_object *object_of(gc_head *g) { return (gc_object *)((char *)g + sizeof(gc_head)); }

/* List operations: only on lists whose back links are links (not during steps 1-2). */
static void list_init(gc_head *l) { l->next = l->prev = l; }
static bool list_empty(const gc_head *l) { return l->next == l; }
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
static void list_move(gc_head *g, gc_head *l) {
    list_remove(g);
    list_append(g, l);
}
/* Appends all of `from` to `to`, leaving `from` empty. */
static void list_merge(gc_head *from, gc_head *to) {
    if (list_empty(from)) return;
    gc_head *first = from->next, *last = from->prev;
    first->prev = to->prev;
    to->prev->next = first;
    last->next = to;
    to->prev = last;
    list_init(from);
}
static size_t list_size(const gc_head *l) {
    size_t n = 0;
    for (const gc_head *g = l->next; g != l; g = g->next) n++;
    return n;
}

/* Containers and weakrefs are tracked (a weakref may die with the garbage it points at:
 * then it gets no callback); objects without slots cannot be part of a cycle. */
static bool trackable(const gc_type *t) { return t->slots != 0 || t == &gc_weakref_type; }

/* Which containers a collection may untrack once they hold no container: those a
 * collection would treat no differently from a plain object. Not weakrefs (one that dies
 * with garbage gets no callback), nor objects with a finalizer or weakrefs to them (they
 * keep their place in the order of steps 4-6), as CPython untracks only tuples and dicts. */
static inline bool untrackable(const gc_object *o) {
    return o->type->slots != 0 && o->type->finalize == NULL && !(o->flags & GC_WEAKLY_REFERENCED);
}

/* ---- debug-only validators (MM_DEBUG: the ASan+UBSan test builds) ----------------
 * CPython's validate_list: between the phases of a collection, every object of a list is
 * where it should be, with the flags that phase gives it. Each is O(list), as the phase
 * before it; the optimised build has none of them. */
#ifdef MM_DEBUG
/* `l` is a proper ring whose every member is alive, tracked, in a list whose id is in
 * first_id..last_id, and carries every flag of `must` and none of `must_not`. */
static void validate_list(const gc_head *l, uint32_t first_id, uint32_t last_id, uint32_t must, uint32_t must_not) {
    const gc_head *prev = l;
    for (const gc_head *g = l->next; g != l; prev = g, g = g->next) {
        const gc_object *o = object_of((gc_head *)g);
        assert(g->prev == prev && "validate_list: a list is a ring: each member's back link names the one before");
        assert(o->refcnt > 0 && (o->flags & GC_TRACKED) && trackable(o->type) &&
               "validate_list: a member is alive, tracked and trackable");
        assert(list_id(o->flags) - first_id <= last_id - first_id && "validate_list: a member carries its list's id");
        assert((o->flags & must) == must && !(o->flags & must_not) && "validate_list: a member's flags fit the phase");
    }
    assert(l->prev == prev && "validate_list: the head's back link names the last member");
}

/* After counting (step 1): `l` is linked forward only; every member is being collected,
 * and its gc_refs (in `prev`) is at least 0 and at most its count. */
static void validate_counted(const gc_head *l) {
    const gc_head *last = l;
    for (const gc_head *g = l->next; g != l; last = g, g = g->next) {
        const gc_object *o = object_of((gc_head *)g);
        assert((o->flags & GC_COLLECTING) && !(o->flags & GC_UNREACHABLE) &&
               "validate_counted: every member of a collection is marked collecting, none unreachable yet");
        assert(g->refs >= 0 && (uintptr_t)g->refs <= o->refcnt &&
               "validate_counted: references from outside are between 0 and the count");
    }
    assert(l->prev == last && "validate_counted: the head's back link still names the last member");
}
#define VALIDATE_LIST(l, first, last, must, must_not) validate_list(l, first, last, must, must_not)
#define VALIDATE_COUNTED(l) validate_counted(l)
#else
#define VALIDATE_LIST(l, first, last, must, must_not) ((void)0)
#define VALIDATE_COUNTED(l) ((void)0)
#endif
/* Flags no tracked object carries at rest (outside a collection's steps 1-7). */
enum { NOT_AT_REST = GC_COLLECTING | GC_UNREACHABLE | SAW | GC_DYING | GC_UNTRACKED };

/* Puts o into generation 0 just ahead of `before` (a member of generation 0, or the
 * list's head: at the end). */
static void track_before(gc_object *o, gc_head *before) {
    list_append(head_of(o), before);
    /* an object resurrected while a collection frees its cycle comes back clean */
    o->flags &= ~(uint32_t)(GC_COLLECTING | GC_UNREACHABLE | GC_UNCOLLECTABLE | GC_UNTRACKED | SAW);
    o->flags = with_list(o->flags | GC_TRACKED, id_of_list(0));
}

static void gen_track(rc_heap *rc, gc_object *o) {
    if (trackable(o->type)) track_before(o, &((gen_heap *)rc)->list[0]);
}

/* A container dies (tracked, or untracked for holding no container): out of its list,
 * and generation 0's count goes down by one, as CPython's PyObject_GC_Del does. */
static inline void gen_untrack(rc_heap *rc, gc_object *o) {
    gen_heap *h = (gen_heap *)rc;
    if (o->flags & GC_TRACKED) list_remove(head_of(o));
    o->flags &= ~(uint32_t)(GC_TRACKED | GC_UNTRACKED | GC_UNCOLLECTABLE | LIST_MASK);
    if (h->count[0] > 0) h->count[0]--; /* a deallocation offsets an allocation */
}

/* THE write path. A container the collector untracked (it held no container, so it
 * could be on no cycle) is tracked again the moment a container is stored into it: from
 * then on it could be (CPython's rule for dicts). Counts only: the store itself is rc's. */
static void gen_store(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value) {
    assert(slot < holder->type->slots && "store into a slot the type has");
    if ((holder->flags & GC_UNTRACKED) && value && (value->flags & (GC_TRACKED | GC_UNTRACKED))) {
        /* common: every container born untracked gets here. Ahead of a young value, so a
         * scan meets the holder first: see "order" above */
        gen_heap *h = (gen_heap *)heap;
        track_before(holder, list_id(value->flags) == id_of_list(0) ? head_of(value) : &h->list[0]);
    }
    rc_store_inline((rc_heap *)heap, holder, slot, value);
}

/* rc-gen's cascade: the core's, with the list hooks inlined. */
static void gen_release(rc_heap *rc, gc_object *o) {
    assert(o->refcnt == 0 && !(o->flags & GC_DYING) && "only a live object reaching zero is released");
    rc_cascade(rc, o, gen_untrack, gen_track);
}

/* The members of a collection: tracked objects whose list id is in first..last. */
typedef struct member_set {
    uint32_t first, last;
} member_set;
static inline bool is_member(const gc_object *v, member_set m) {
    return list_id(v->flags) - m.first <= m.last - m.first; /* id 0 (untracked) wraps */
}

static inline void refs_start(gc_object *o) {
    head_of(o)->refs = (intptr_t)o->refcnt;
    o->flags = (o->flags & ~(uint32_t)GC_UNREACHABLE) | GC_COLLECTING;
}

/* Step 1, one pass over `l` (CPython's update_refs and subtract_refs at once): each
 * member's gc_refs starts at its refcnt and loses one for every reference from another
 * member; a member referred to before the pass reaches it is set up then (GC_COLLECTING
 * says which are). Afterwards every member carries GC_COLLECTING, its `prev` holds
 * gc_refs — the references from outside — and `l` is linked forward only (its head's
 * prev still names the last member). */
static void count_outside_refs(gc_head *l, member_set m) {
    for (gc_head *g = l->next; g != l; g = g->next) {
        gc_object *o = object_of(g);
        assert(o->refcnt > 0 && is_member(o, m) && "a member of a collection is alive and tracked");
        if (!(o->flags & GC_COLLECTING)) refs_start(o);
        uint32_t saw = 0;
        for (uint32_t i = 0, n = o->type->slots; i < n; i++) {
            gc_object *v = o->slot[i];
            if (v == NULL) continue;
            if (v->flags & (GC_TRACKED | GC_UNTRACKED)) saw |= SAW_CONTAINER;
            if (!is_member(v, m)) continue;
            saw |= SAW_MEMBER;
            if (!(v->flags & GC_COLLECTING)) refs_start(v);
            head_of(v)->refs--;
        }
        o->flags = (o->flags & ~(uint32_t)SAW) | saw;
    }
}

/* Step 2: leaves the reachable members in `l`, moves the others to `unreachable`, in
 * CPython's way: a member with gc_refs > 0 is reachable, and makes every member it refers
 * to reachable too; one with gc_refs 0 goes (tentatively) to `unreachable`, from where a
 * reachable member scanned later rescues it. A reachable member leaves the collection as
 * soon as it is scanned (GC_COLLECTING off, its list id the survivors'), or, holding no
 * container, leaves the lists (untracked). Returns how many stayed.
 *
 * Links while it runs: members behind the scan (`kept`, the last of them) are reachable,
 * scanned, with their back links written again; the member under the scan and those
 * ahead are linked forward only (prev = gc_refs); `unreachable` (GC_UNREACHABLE) is a
 * proper ring. A rescued object leaves that ring and is appended at the tail of `l`
 * (whose head's prev is always the real tail: the scan never passes a moved member
 * before it reaches the end) to be scanned in its turn. When the scan ends, `l` is a
 * proper ring again. */
static size_t move_unreachable(gc_head *l, gc_head *unreachable, uint32_t survivor_id) {
    size_t reachable = 0;
    gc_head *kept = l;
    gc_head *g = l->next;
    while (g != l) {
        gc_object *o = object_of(g);
        if (g->refs > 0) {
            for (uint32_t i = 0, n = (o->flags & SAW_MEMBER) ? o->type->slots : 0; i < n; i++) {
                gc_object *v = o->slot[i];
                if (v == NULL || !(v->flags & GC_COLLECTING)) continue;
                gc_head *gv = head_of(v);
                if (v->flags & GC_UNREACHABLE) { /* rescued: scanned again at the tail */
                    v->flags &= ~(uint32_t)GC_UNREACHABLE;
                    list_remove(gv);
                    list_append(gv, l);
                    gv->refs = 1;
                } else if (gv->refs == 0) {
                    gv->refs = 1; /* not scanned yet: it will be, as reachable */
                }
            }
            if (!(o->flags & SAW_CONTAINER) && untrackable(o)) {
                /* reachable and holding no container: on no cycle until a container is
                 * stored into it (gen_store tracks it again), so it leaves the lists */
                kept->next = g->next;
                o->flags = with_list(o->flags & ~(uint32_t)(GC_COLLECTING | GC_TRACKED | SAW), ID_NONE) | GC_UNTRACKED;
            } else {
                o->flags = with_list(o->flags & ~(uint32_t)(GC_COLLECTING | SAW), survivor_id);
                g->prev = kept; /* read g->next only now: a rescue may have appended after g */
                kept = g;
                reachable++;
            }
        } else {
            kept->next = g->next;
            o->flags = with_list(o->flags | GC_UNREACHABLE, ID_UNREACHABLE);
            list_append(g, unreachable); /* writes g's links; its gc_refs (0) is done with */
        }
        g = kept->next;
    }
    l->prev = kept;
    return reachable;
}

/* Step 4: legacy-finalizer objects and everything they reach move to `finalizers`. */
static void move_legacy_finalizers(gc_head *unreachable, gc_head *finalizers) {
    for (gc_head *g = unreachable->next, *next; g != unreachable; g = next) {
        next = g->next;
        gc_object *o = object_of(g);
        if (!o->type->legacy_finalizer) continue;
        o->flags &= ~(uint32_t)GC_UNREACHABLE;
        list_move(g, finalizers);
    }
    for (gc_head *g = finalizers->next; g != finalizers; g = g->next) {
        gc_object *o = object_of(g);
        for (uint32_t i = 0; i < o->type->slots; i++) {
            gc_object *v = o->slot[i];
            if (v == NULL || !(v->flags & GC_UNREACHABLE)) continue;
            v->flags &= ~(uint32_t)GC_UNREACHABLE;
            list_move(head_of(v), finalizers);
        }
        o->flags = with_list(o->flags & ~(uint32_t)(GC_COLLECTING | SAW), ID_GARBAGE) | GC_UNCOLLECTABLE;
        o->refcnt++; /* held by `garbage`, as gc.garbage holds it: see step 4 */
    }
}

/* Step 6. Objects move to `seen` first, so a finalizer that frees others is harmless.
 * Returns the number of finalizers run. */
static size_t finalize_garbage(gen_heap *h, gc_head *unreachable) {
    size_t ran = 0;
    gc_head seen;
    list_init(&seen);
    while (!list_empty(unreachable)) {
        gc_head *g = unreachable->next;
        gc_object *o = object_of(g);
        list_move(g, &seen);
        if (o->type->finalize && !(o->flags & GC_FINALIZED)) {
            o->refcnt++;
            rc_finalize_once(&h->rc, o);
            rc_decref_inline(&h->rc, o);
            ran++;
        }
    }
    list_merge(&seen, unreachable);
    return ran;
}

/* Step 8: clear one object at a time, pinned, then let the counts free it. */
static void delete_garbage(gen_heap *h, gc_head *collectable, gc_head *old, uint32_t old_id) {
    while (!list_empty(collectable)) {
        gc_head *g = collectable->next;
        gc_object *o = object_of(g);
        o->refcnt++;
        o->flags = with_list(o->flags & ~(uint32_t)(GC_UNREACHABLE | GC_COLLECTING | SAW), old_id);
        list_move(g, old); /* whatever the clearing does, o has left the collectable list */
        for (uint32_t i = 0; i < o->type->slots; i++) {
            gc_object *v = o->slot[i];
            if (v == NULL) continue;
            o->slot[i] = NULL;
            rc_decref_inline(&h->rc, v);
        }
        rc_decref_inline(&h->rc, o);
    }
}

static size_t collect(gen_heap *h, int generation) {
    if (h->collecting) return 0;
    h->collecting = true;
    uint64_t started = gc_now_ns();
    if (generation + 1 < GC_GENERATIONS) h->count[generation + 1]++;
    for (int i = 0; i <= generation; i++) h->count[i] = 0;
    for (int i = 0; i < generation; i++) list_merge(&h->list[i], &h->list[generation]);
    gc_head *young = &h->list[generation];
    const int old_gen = generation + 1 < GC_GENERATIONS ? generation + 1 : generation;
    gc_head *old = &h->list[old_gen];
    const uint32_t old_id = id_of_list(old_gen);
    VALIDATE_LIST(young, id_of_list(0), id_of_list(generation), 0, NOT_AT_REST | GC_UNCOLLECTABLE);

    count_outside_refs(young, (member_set){id_of_list(0), id_of_list(generation)});
    VALIDATE_COUNTED(young);
    gc_head unreachable;
    list_init(&unreachable);
    size_t survivors = move_unreachable(young, &unreachable, old_id);
    VALIDATE_LIST(young, old_id, old_id, 0, NOT_AT_REST | GC_UNCOLLECTABLE);
    VALIDATE_LIST(&unreachable, ID_UNREACHABLE, ID_UNREACHABLE, GC_COLLECTING | GC_UNREACHABLE,
                  GC_DYING | GC_UNTRACKED | GC_UNCOLLECTABLE);
    if (generation == 1) h->long_lived_pending += survivors;
    if (young != old) list_merge(young, old);
    if (generation == 2) {
        h->long_lived_pending = 0;
        h->long_lived_total = survivors;
    }

    gc_head finalizers;
    list_init(&finalizers);
    move_legacy_finalizers(&unreachable, &finalizers);
    VALIDATE_LIST(&finalizers, ID_GARBAGE, ID_GARBAGE, GC_UNCOLLECTABLE, NOT_AT_REST);
    size_t uncollectable = list_size(&finalizers);
    list_merge(&finalizers, &h->list[GARBAGE]);

    size_t found = list_size(&unreachable);
    gc_object *due = NULL; /* step 5: every weakref to the garbage cleared before any callback */
    for (gc_head *g = unreachable.next; g != &unreachable; g = g->next)
        if (object_of(g)->flags & GC_WEAKLY_REFERENCED) due = rc_weak_clear(&h->rc, object_of(g), due);
    size_t user_code = rc_weak_callbacks(&h->rc, due);
    user_code += finalize_garbage(h, &unreachable); /* may free some members: they were garbage */
    size_t freed_by_finalizers = found - list_size(&unreachable);
    VALIDATE_LIST(&unreachable, ID_UNREACHABLE, ID_UNREACHABLE, GC_COLLECTING | GC_UNREACHABLE,
                  GC_DYING | GC_UNTRACKED | GC_UNCOLLECTABLE);

    /* Step 7: what a finalizer or callback made reachable again survives, with all it
     * reaches. Without user code having run, nothing can have changed: skipped. */
    gc_head still;
    list_init(&still);
    if (user_code) {
        for (gc_head *g = unreachable.next; g != &unreachable; g = g->next) /* counted afresh */
            object_of(g)->flags &= ~(uint32_t)GC_COLLECTING;
        count_outside_refs(&unreachable, (member_set){ID_UNREACHABLE, ID_UNREACHABLE});
        move_unreachable(&unreachable, &still, old_id);
        list_merge(&unreachable, old);
    } else {
        list_merge(&unreachable, &still);
    }

    VALIDATE_LIST(&still, ID_UNREACHABLE, ID_UNREACHABLE, GC_COLLECTING | GC_UNREACHABLE,
                  GC_DYING | GC_UNTRACKED | GC_UNCOLLECTABLE);
    VALIDATE_LIST(old, old_id, old_id, 0, NOT_AT_REST | GC_UNCOLLECTABLE);
    size_t collected = list_size(&still) + freed_by_finalizers;
    delete_garbage(h, &still, old, old_id);
    VALIDATE_LIST(old, old_id, old_id, 0, NOT_AT_REST | GC_UNCOLLECTABLE);
    VALIDATE_LIST(&h->list[GARBAGE], ID_GARBAGE, ID_GARBAGE, GC_UNCOLLECTABLE, NOT_AT_REST);

    gc_heap *base = &h->rc.base;
    base->stats.collections[generation]++;
    base->stats.collected[generation] += collected;
    base->stats.uncollectable[generation] += uncollectable;
    gc_pause_record(base, gc_now_ns() - started);
    h->collecting = false;
    return collected + uncollectable;
}

static void collect_generations(gen_heap *h) {
    for (int i = GC_GENERATIONS - 1; i >= 0; i--) {
        if (h->count[i] <= h->threshold[i]) continue;
        if (i == GC_GENERATIONS - 1 && h->long_lived_pending < h->long_lived_total / 4) continue;
        collect(h, i);
        break;
    }
}

static gc_heap *gen_open(mm_heap *alloc, const gc_config *config, mm_error *err) {
    size_t t[GC_GENERATIONS] = {2000, 10, 10};
    const mm_option options[] = {
        {"threshold0", MM_OPTION_SIZE, "tracked allocations that trigger a young collection (0 = never)", 0,
         1000000000, false, &t[0]},
        {"threshold1", MM_OPTION_SIZE, "young collections before a middle one", 0, 1000000000, false, &t[1]},
        {"threshold2", MM_OPTION_SIZE, "middle collections before a full one", 0, 1000000000, false, &t[2]},
    };
    gen_heap *h = (gen_heap *)rc_heap_open(&gc_rc_gen, alloc, config, sizeof *h, sizeof(gc_head), options,
                                           sizeof options / sizeof *options, err);
    if (h == NULL) return NULL;
    h->rc.release = gen_release;
    for (int i = 0; i < LISTS; i++) list_init(&h->list[i]);
    memcpy(h->threshold, t, sizeof t);
    return &h->rc.base;
}

/* close(): every object still tracked is cleared (no finalizers, no callbacks) and freed. */
static void gen_close(gc_heap *heap) {
    gen_heap *h = (gen_heap *)heap;
    heap->stats.leaked_at_exit = heap->stats.objects_allocated - heap->stats.objects_freed;
    h->rc.closing = true;
    h->collecting = true;
    gc_head doomed;
    list_init(&doomed);
    for (int l = 0; l < LISTS; l++) {
        while (!list_empty(&h->list[l])) {
            gc_head *g = h->list[l].next;
            gc_object *o = object_of(g);
            list_move(g, &doomed);
            o->refcnt++;
            for (uint32_t i = 0; i < o->type->slots; i++) {
                gc_object *v = o->slot[i];
                if (v == NULL) continue;
                o->slot[i] = NULL;
                rc_decref_inline(&h->rc, v);
            }
        }
    }
    while (!list_empty(&doomed)) {
        gc_head *g = doomed.next;
        list_remove(g);
        rc_free_memory(&h->rc, object_of(g));
    }
    rc_weak_table_free(&h->rc);
    free(h);
}

/* Generation 0 passed its threshold: collect, if automatic collection may run now. Out of
 * line, so the allocation fast path below stays short. */
static __attribute__((noinline, cold)) void gen_threshold_passed(gen_heap *h) {
    if (h->threshold[0] && h->rc.base.enabled && !h->collecting) collect_generations(h);
}

/* The allocation fast path: rc_new inlined. A new container holds nothing,
 * so one a collection could untrack starts untracked, as CPython's empty dict does: it
 * joins generation 0 when a container is first stored into it (gen_store). It counts
 * towards generation 0's threshold either way, as CPython counts every GC allocation. */
static gc_object *gen_new(gc_heap *heap, const gc_type *type, size_t payload) {
    gen_heap *h = (gen_heap *)heap;
    gc_object *o = rc_new(&h->rc, type, payload);
    if (o == NULL || !trackable(type)) return o;
    if (untrackable(o)) o->flags = GC_UNTRACKED;
    else track_before(o, &h->list[0]);
    if (__builtin_expect(++h->count[0] > h->threshold[0], 0)) gen_threshold_passed(h);
    return o;
}

/* A weakref is tracked, and so is its target from now on: an untracked container never
 * has a weakref to it (see untrackable). */
static gc_object *gen_weakref_new(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg) {
    gen_heap *h = (gen_heap *)heap;
    gc_object *w = rc_weakref_new(heap, target, cb, arg);
    if (w == NULL) return NULL;
    if (target->flags & GC_UNTRACKED) gen_track(&h->rc, target);
    gen_track(&h->rc, w);
    return w;
}

static size_t gen_collect(gc_heap *heap, int generation) {
    if (generation < 0) generation = 0;
    if (generation >= GC_GENERATIONS) generation = GC_GENERATIONS - 1;
    return collect((gen_heap *)heap, generation);
}

static size_t gen_live_in(gc_heap *heap, int generation) {
    gen_heap *h = (gen_heap *)heap;
    return generation >= 0 && generation < LISTS ? list_size(&h->list[generation]) : 0;
}

static size_t gen_check(gc_heap *heap) {
    gen_heap *h = (gen_heap *)heap;
    size_t broken = rc_check_counts(heap);
    if (h->collecting) broken++;
    /* pass 1: ring shape, membership, flags */
    bool rings = true;
    for (int l = 0; l < LISTS; l++) {
        for (gc_head *g = h->list[l].next, *prev = &h->list[l]; prev->next != &h->list[l]; prev = g, g = g->next) {
            if (g->prev != prev) {
                broken++;
                rings = false;
                break;
            }
            gc_object *o = object_of(g);
            if (!(o->flags & GC_TRACKED) || list_id(o->flags) != id_of_list(l) ||
                (o->flags & (GC_COLLECTING | GC_UNREACHABLE | GC_DYING | GC_UNTRACKED | SAW)) ||
                o->refcnt == 0 || !trackable(o->type))
                broken++;
            /* an untracked referent is out of every list because it holds no container,
             * so it can be on no cycle: it is not tracked too, it is untrackable (no
             * finalizer, not a weakref, no weakref to it), and no slot holds a container */
            for (uint32_t i = 0; i < o->type->slots; i++) {
                const gc_object *v = o->slot[i];
                if (v == NULL || !(v->flags & GC_UNTRACKED)) continue;
                if ((v->flags & (GC_TRACKED | GC_DYING | GC_WEAKLY_REFERENCED)) || v->type->slots == 0 ||
                    v->type->finalize)
                    broken++;
                for (uint32_t j = 0; j < v->type->slots; j++)
                    if (v->slot[j] && (v->slot[j]->flags & (GC_TRACKED | GC_UNTRACKED))) broken++;
            }
        }
    }
    /* pass 2 borrows the back links for gc_refs, as a collection does, and writes them
     * again: only over sound rings, and not while a collection holds objects elsewhere */
    if (!rings || h->collecting) return broken;
    for (int l = 0; l < LISTS; l++)
        for (gc_head *g = h->list[l].next; g != &h->list[l]; g = g->next) g->refs = (intptr_t)object_of(g)->refcnt;
    /* references from tracked objects never exceed a tracked target's count */
    for (int l = 0; l < LISTS; l++)
        for (gc_head *g = h->list[l].next; g != &h->list[l]; g = g->next) {
            gc_object *o = object_of(g);
            for (uint32_t i = 0; i < o->type->slots; i++)
                if (o->slot[i] && (o->slot[i]->flags & GC_TRACKED)) head_of(o->slot[i])->refs--;
        }
    for (int l = 0; l < LISTS; l++)
        for (gc_head *g = h->list[l].next, *prev = &h->list[l]; g != &h->list[l]; prev = g, g = g->next) {
            broken += g->refs < 0;
            g->prev = prev;
        }
    return broken;
}

const gc_collector gc_rc_gen = {
    .name = "rc-gen",
    .summary = "reference counting + CPython's 3-generation cycle detector (thresholds 2000/10/10)",
    .caps = GC_CAP_COUNTS | GC_CAP_CYCLES | GC_CAP_EXACT | GC_CAP_GENERATIONS | GC_CAP_WEAK_CALLBACKS,
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
};
