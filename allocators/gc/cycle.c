/* cycle.c — one collection of a region, and what else rc-gen and rc-inc share: the
 * steps, the rules and the invariants are at the top of cycle.h; the CPython function
 * each part follows is named where it is written. */
#include "allocators/gc/cycle.h"

#include <assert.h>
#include <stdlib.h>

size_t list_size(const gc_head *l) {
    size_t n = 0;
    for (const gc_head *g = l->next; g != l; g = g->next) n++;
    return n;
}

size_t list_set_id(gc_head *l, uint32_t id) {
    size_t n = 0;
    for (gc_head *g = l->next; g != l; g = g->next, n++) object_of(g)->flags = with_list(object_of(g)->flags, id);
    return n;
}

void cycle_init(cycle_heap *h, track_rules rules, bool resurrection_always) {
    list_init(&h->garbage);
    list_init(&h->permanent);
    h->rules = rules;
    h->resurrection_always = resurrection_always;
    const unsigned all = 1u << GC_KIND_INSTANCE | 1u << GC_KIND_TUPLE | 1u << GC_KIND_DICT;
    h->scan_kinds = rules == RULES_EAGER ? all : 1u << GC_KIND_TUPLE;
    h->born_kinds = rules == RULES_EAGER ? all : rules == RULES_CPYTHON_3_13 ? 1u << GC_KIND_DICT : 0;
}

/* ---- debug-only validators (MM_DEBUG: the ASan+UBSan test builds) ----------------
 * CPython's validate_list: between the phases of a collection, every object of a list is
 * where it should be, with the flags that phase gives it. Each is O(list), as the phase
 * before it; the optimised build has none of them. */
#ifdef MM_DEBUG
void cycle_validate_list(const gc_head *l, uint32_t first_id, uint32_t last_id, uint32_t must, uint32_t must_not) {
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
#define VALIDATE_COUNTED(l) validate_counted(l)
#else
#define VALIDATE_COUNTED(l) ((void)0)
#endif

/* ---- steps 1-2: who is reachable ------------------------------------------------- */

/* Both passes prefetch a page ahead of the member they are at, by address, not by link.
 * A list lies in memory nearly in the order it links (a full collection of binary-trees
 * at depth 18 finds the next member within 64 bytes for all but a few dozen of half a
 * million, and a member's referents within 4 KiB for all but 1%), yet the passes stalled
 * on loading referents: the hardware's prefetchers stop at each 4 KiB page, so every page
 * likely began with misses. A wrong guess costs one instruction: a prefetch never
 * faults. What it is worth, and what was tried before it (prefetching the referents of a
 * member some links ahead, which costs the walk to it: slower), is in docs/gc.md, "Depth
 * 18, round by round". */
enum { PREFETCH_AHEAD = 4096 };
static inline void prefetch_ahead(const gc_head *g) { __builtin_prefetch((const char *)g + PREFETCH_AHEAD, 1); }

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
        prefetch_ahead(g);
        assert(o->refcnt > 0 && is_member(o, m) && "a member of a collection is alive and tracked");
        if (!(o->flags & GC_COLLECTING)) refs_start(o);
        uint32_t saw = 0;
        for (uint32_t i = 0, n = o->type->slots; i < n; i++) {
            gc_object *v = o->slot[i];
            if (v == NULL) continue;
            if (may_be_tracked(v)) saw |= SAW_TRACKABLE;
            if (!is_member(v, m)) continue;
            saw |= SAW_MEMBER;
            if (!(v->flags & GC_COLLECTING)) refs_start(v);
            head_of(v)->refs--;
        }
        o->flags = (o->flags & ~(uint32_t)SAW) | saw;
    }
}

/* Step 2: leaves the reachable members in `l`, moves the others to `unreachable`, in
 * CPython's way (move_unreachable, visit_reachable): a member with gc_refs > 0 is
 * reachable, and makes every member it refers to reachable too; one with gc_refs 0 goes
 * (tentatively) to `unreachable`, from where a reachable member scanned later rescues it.
 * A reachable member leaves the collection as soon as it is scanned (GC_COLLECTING off,
 * its list id the survivors'), or, when the rules untrack it (a kind of `untrack_kinds`
 * holding nothing that may be tracked), leaves the lists: CPython's untrack_tuples over
 * the survivors in list order, which is the order the scan passes them in, so an element
 * untracked earlier in the pass counts as untracked. Returns how many stayed, and in
 * `kept_kinds` the kinds among them (1 << kind), so that a later walk for one kind can
 * be left out when none of that kind stayed.
 *
 * Links while it runs: members behind the scan (`kept`, the last of them) are reachable,
 * scanned, with their back links written again; the member under the scan and those
 * ahead are linked forward only (prev = gc_refs); `unreachable` (GC_UNREACHABLE) is a
 * proper ring. A rescued object leaves that ring and is appended at the tail of `l`
 * (whose head's prev is always the real tail: the scan never passes a moved member
 * before it reaches the end) to be scanned in its turn. When the scan ends, `l` is a
 * proper ring again. */
static size_t move_unreachable(cycle_heap *h, gc_head *l, gc_head *unreachable, uint32_t survivor_id,
                               unsigned untrack_kinds, unsigned *kept_kinds) {
    const bool recheck = h->rules != RULES_EAGER; /* ATOMIC tuples appear as the pass untracks them */
    size_t reachable = 0;
    unsigned kinds = 0;
    gc_head *kept = l;
    gc_head *g = l->next;
    while (g != l) {
        gc_object *o = object_of(g);
        prefetch_ahead(g);
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
            if (untrackable(o, untrack_kinds) &&
                (!(o->flags & SAW_TRACKABLE) || (recheck && holds_nothing_trackable(o)))) {
                kept->next = g->next; /* reachable and on no cycle: it leaves the lists */
                cycle_mark_untracked(h, o);
            } else {
                o->flags = with_list(o->flags & ~(uint32_t)(GC_COLLECTING | SAW), survivor_id);
                g->prev = kept; /* read g->next only now: a rescue may have appended after g */
                kept = g;
                kinds |= 1u << o->type->kind;
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
    *kept_kinds = kinds;
    return reachable;
}

/* Untracks, in list order, the members of `l` (a proper ring) of a kind in `kinds` that
 * hold nothing that may be tracked: CPython's untrack_tuples and 3.13's untrack_dicts as
 * passes of their own. Returns how many it untracked. */
static size_t untrack_pass(cycle_heap *h, gc_head *l, unsigned kinds) {
    size_t n = 0;
    for (gc_head *g = l->next, *next; g != l; g = next) {
        next = g->next;
        gc_object *o = object_of(g);
        if (!untrackable(o, kinds) || !holds_nothing_trackable(o)) continue;
        list_remove(g);
        cycle_mark_untracked(h, o);
        n++;
    }
    return n;
}

size_t cycle_untrack_tuples(cycle_heap *h, gc_head *l) { return untrack_pass(h, l, h->scan_kinds); }

/* ---- steps 4-9: what becomes of the unreachable ---------------------------------- */

/* Step 4 (move_legacy_finalizers, move_legacy_finalizer_reachable): legacy-finalizer
 * objects and everything they reach move to `finalizers`, each held by the list. */
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
        o->refcnt++; /* held by the uncollectable list, as gc.garbage holds it */
    }
}

/* A weakref still alive after its callback moves to the collection's destination, as
 * CPython moves it to `old` (not out of the uncollectable list, which is not a generation
 * here). */
static void callback_survived(rc_heap *rc, gc_object *w, void *arg) {
    (void)rc;
    cycle_heap *h = arg;
    if (!(w->flags & GC_TRACKED) || list_id(w->flags) == ID_GARBAGE) return;
    list_move(head_of(w), h->region_to);
    w->flags = with_list(w->flags, h->region_to_id);
}

/* Step 6 (finalize_garbage). Objects move to `seen` first, so a finalizer that frees
 * others is harmless. Returns the number of finalizers run. */
static size_t finalize_garbage(cycle_heap *h, gc_head *unreachable) {
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

/* Steps 5 and 8: weakrefs to each member of `l` cleared as `mode` says, and weakrefs in
 * `l` themselves cleared (`own`); returns the callbacks due. */
static gc_object *clear_weakrefs(cycle_heap *h, gc_head *l, rc_weak_mode mode, bool own) {
    gc_object *due = NULL;
    for (gc_head *g = l->next; g != l; g = g->next) {
        gc_object *o = object_of(g);
        if (own && o->type == &gc_weakref_type) rc_weak_detach(&h->rc, o);
        if (o->flags & GC_WEAKLY_REFERENCED) due = rc_weak_clear(&h->rc, o, due, mode);
    }
    return due;
}

/* Step 9 (delete_garbage): clear one object at a time, pinned, then let the counts free
 * it; one that outlives its clearing moves to `old`. */
static void delete_garbage(cycle_heap *h, gc_head *collectable, gc_head *old, uint32_t old_id) {
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

region_result cycle_collect_region(cycle_heap *h, gc_head *from, member_set m, gc_head *to, uint32_t to_id,
                                   bool untrack_dicts) {
    assert(h->collecting && "a region is collected inside a collection");
    region_result r = {0, 0, 0, 0};
    VALIDATE_LIST(from, m.first, m.last, 0, NOT_AT_REST | GC_UNCOLLECTABLE);

    count_outside_refs(from, m);
    VALIDATE_COUNTED(from);
    gc_head unreachable;
    list_init(&unreachable);
    unsigned kept_kinds;
    r.survivors = move_unreachable(h, from, &unreachable, to_id, h->scan_kinds, &kept_kinds);
    if (untrack_dicts && (kept_kinds & 1u << GC_KIND_DICT)) /* else a walk that could untrack nothing */
        r.survivors -= untrack_pass(h, from, 1u << GC_KIND_DICT);
    VALIDATE_LIST(from, to_id, to_id, 0, NOT_AT_REST | GC_UNCOLLECTABLE);
    VALIDATE_LIST(&unreachable, ID_UNREACHABLE, ID_UNREACHABLE, GC_COLLECTING | GC_UNREACHABLE,
                  GC_DYING | GC_UNTRACKED | GC_UNCOLLECTABLE);
    if (from != to) list_merge(from, to);
    h->region_to = to;
    h->region_to_id = to_id;

    gc_head finalizers;
    list_init(&finalizers);
    move_legacy_finalizers(&unreachable, &finalizers);
    VALIDATE_LIST(&finalizers, ID_GARBAGE, ID_GARBAGE, GC_UNCOLLECTABLE, NOT_AT_REST);
    r.uncollectable = list_size(&finalizers);
    list_merge(&finalizers, &h->garbage);

    /* step 5: every weakref to the garbage (3.14: those with a callback) cleared before any
     * callback runs; 3.13 clears the weakrefs in the garbage now too */
    const bool late = h->rules == RULES_CPYTHON_3_14;
    gc_object *due = clear_weakrefs(h, &unreachable, late ? RC_WEAK_WITH_CALLBACK : RC_WEAK_ALL, !late);
    size_t freed_by_callbacks = 0;
    r.user_code = rc_weak_callbacks(&h->rc, due, callback_survived, h, &freed_by_callbacks);
    r.user_code += finalize_garbage(h, &unreachable); /* may free some members by count */
    VALIDATE_LIST(&unreachable, ID_UNREACHABLE, ID_UNREACHABLE, GC_COLLECTING | GC_UNREACHABLE,
                  GC_DYING | GC_UNTRACKED | GC_UNCOLLECTABLE);

    /* step 7 (handle_resurrected_objects): what a finalizer or callback made reachable
     * again survives, with all it reaches; nothing is untracked by this pass */
    gc_head still;
    list_init(&still);
    if (h->resurrection_always || r.user_code) {
        for (gc_head *g = unreachable.next; g != &unreachable; g = g->next) /* counted afresh */
            object_of(g)->flags &= ~(uint32_t)GC_COLLECTING;
        count_outside_refs(&unreachable, (member_set){ID_UNREACHABLE, ID_UNREACHABLE});
        move_unreachable(h, &unreachable, &still, to_id, 0, &kept_kinds);
        list_merge(&unreachable, to);
    } else {
        list_merge(&unreachable, &still);
    }
    VALIDATE_LIST(&still, ID_UNREACHABLE, ID_UNREACHABLE, GC_COLLECTING | GC_UNREACHABLE,
                  GC_DYING | GC_UNTRACKED | GC_UNCOLLECTABLE);
    if (late) clear_weakrefs(h, &still, RC_WEAK_SILENT, true); /* step 8 */

    r.collected = list_size(&still) + freed_by_callbacks;
    delete_garbage(h, &still, to, to_id);
    VALIDATE_LIST(to, to_id, to_id, 0, NOT_AT_REST | GC_UNCOLLECTABLE);
    VALIDATE_LIST(&h->garbage, ID_GARBAGE, ID_GARBAGE, GC_UNCOLLECTABLE, NOT_AT_REST);
    h->region_to = NULL;
    return r;
}

/* ---- close, check, freeze ---------------------------------------------------------- */

void cycle_close(cycle_heap *h, gc_head *const *lists, size_t count) {
    gc_heap *heap = &h->rc.base;
    heap->stats.leaked_at_exit = heap->stats.objects_allocated - heap->stats.objects_freed;
    h->rc.closing = true;
    h->collecting = true;
    gc_head doomed;
    list_init(&doomed);
    for (size_t l = 0; l < count + 2; l++) {
        gc_head *list = l < count ? lists[l] : l == count ? &h->garbage : &h->permanent;
        while (!list_empty(list)) {
            gc_head *g = list->next;
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

/* The broken invariants of one list `l` whose members carry `id`. False in *ring when the
 * ring itself is broken (then pass 2 of cycle_check must not walk it). */
static size_t check_list(const gc_head *l, uint32_t id, bool *ring) {
    size_t broken = 0;
    for (const gc_head *g = l->next, *prev = l; prev->next != l; prev = g, g = g->next) {
        if (g->prev != prev) {
            *ring = false;
            return broken + 1;
        }
        const gc_object *o = object_of((gc_head *)g);
        if (!(o->flags & GC_TRACKED) || list_id(o->flags) != id || (o->flags & NOT_AT_REST) || o->refcnt == 0 ||
            !trackable(o->type) || ((o->flags & GC_UNCOLLECTABLE) != 0) != (id == ID_GARBAGE))
            broken++;
        /* an untracked referent is on no cycle: it is not tracked too, it could be untracked
         * (slots, no finalizer, no weakref to it), and nothing it holds may be tracked */
        for (uint32_t i = 0; i < o->type->slots; i++) {
            const gc_object *v = o->slot[i];
            if (v == NULL || !(v->flags & GC_UNTRACKED)) continue;
            if ((v->flags & (GC_TRACKED | GC_DYING | GC_WEAKLY_REFERENCED)) || v->type->slots == 0 || v->type->finalize ||
                ((v->flags & ATOMIC) && v->type->kind != GC_KIND_TUPLE))
                broken++;
            for (uint32_t j = 0; j < v->type->slots; j++) {
                const gc_object *w = v->slot[j];
                if (may_be_tracked(w) &&
                    !(w->type->kind == GC_KIND_TUPLE && (w->flags & SEALED) && (w->flags & GC_WEAKLY_REFERENCED)))
                    broken++;
            }
        }
    }
    return broken;
}

size_t cycle_check(cycle_heap *h, gc_head *const *lists, size_t count) {
    gc_heap *heap = &h->rc.base;
    size_t broken = rc_check_counts(heap);
    if (h->collecting) broken++;
    enum { MAX_LISTS = 8 };
    gc_head *all[MAX_LISTS];
    uint32_t ids[MAX_LISTS];
    size_t n = 0;
    for (size_t l = 0; l < count && n < MAX_LISTS - 2; l++) all[n] = lists[l], ids[n++] = ID_OWN_FIRST + (uint32_t)l;
    all[n] = &h->garbage, ids[n++] = ID_GARBAGE;
    all[n] = &h->permanent, ids[n++] = ID_PERMANENT;
    /* pass 1: ring shape, membership, flags */
    bool rings = true;
    for (size_t l = 0; l < n; l++) broken += check_list(all[l], ids[l], &rings);
    /* pass 2 borrows the back links for gc_refs, as a collection does, and writes them
     * again: only over sound rings, and not while a collection holds objects elsewhere */
    if (!rings || h->collecting) return broken;
    for (size_t l = 0; l < n; l++)
        for (gc_head *g = all[l]->next; g != all[l]; g = g->next) g->refs = (intptr_t)object_of(g)->refcnt;
    /* references from tracked objects never exceed a tracked target's count */
    for (size_t l = 0; l < n; l++)
        for (gc_head *g = all[l]->next; g != all[l]; g = g->next) {
            gc_object *o = object_of(g);
            for (uint32_t i = 0; i < o->type->slots; i++)
                if (o->slot[i] && (o->slot[i]->flags & GC_TRACKED)) head_of(o->slot[i])->refs--;
        }
    for (size_t l = 0; l < n; l++)
        for (gc_head *g = all[l]->next, *prev = all[l]; g != all[l]; prev = g, g = g->next) {
            broken += g->refs < 0;
            g->prev = prev;
        }
    return broken;
}

size_t cycle_freeze(cycle_heap *h, gc_head *const *lists, size_t count) {
    size_t moved = 0;
    for (size_t l = 0; l < count; l++) {
        moved += list_set_id(lists[l], ID_PERMANENT);
        list_merge(lists[l], &h->permanent);
    }
    return moved;
}

size_t cycle_unfreeze(cycle_heap *h, gc_head *to, uint32_t to_id) {
    const size_t moved = list_set_id(&h->permanent, to_id);
    list_merge(&h->permanent, to);
    return moved;
}
