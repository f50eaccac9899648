/* gc_contract.c — the collector contract (allocators/gc/gc.h), checked against every
 * collector over every allocator strategy ("rc-gen/system", ...; boehm alone). Each check
 * is a TAP case "gc.<check>[<heap>]". Where a collector cannot meet a check by design
 * (rc and cycles, manual and counting, boehm and exact counts) the case asserts the
 * documented behaviour instead, so every case can still fail; a skip says why. The
 * collectors with lists follow a CPython release rule for rule (rc-gen 3.13.0, rc-inc
 * 3.14.0): where the two differ, each case asserts its release's behaviour. The second
 * part ports the categories of CPython's Lib/test/test_gc.py that apply to this object
 * model (each check names the test it follows).
 *
 * Vocabulary
 *   node       the test type: 2 slots and a payload of a `node_data` (a sentinel and how
 *              often its finalizer ran); `fnode` adds a finalizer, `lnode` a legacy one.
 *   keeper     a static object (scanned by boehm) finalizers store into to resurrect.
 *   release    the mutator gives its reference back: decref for the counting collectors,
 *              forgetting the pointer for boehm; manual checks delete explicitly.
 */
#include "allocators/gc/gc.h"
#include "conformance/tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct node_data {
    uint64_t sentinel;
    unsigned finalized;
    unsigned epoch; /* the case that made it: boehm may finalize an earlier case's garbage late */
} node_data;

static unsigned epoch;

enum { SENTINEL = 0x5EA7EDu };

static struct {
    unsigned calls;            /* finalizer calls in all */
    unsigned twice;            /* objects finalized more than once */
    bool resurrect;            /* finalizers store their object into keeper */
    bool break_links;          /* finalizers empty their own slots */
    bool clear_attr;           /* finalizers empty their slot 0 only (`self.attr = None`) */
    bool collect_inside;       /* finalizers call gc_collect */
    size_t inner_collect;      /* what those nested collects returned */
    gc_object *watch;          /* a weakref the finalizer checks is already cleared */
    bool watch_was_cleared;
    unsigned callbacks;
} fin;

static gc_object *keeper; /* static: boehm scans it */
static const char *current; /* the heap name of the running case */

static void node_finalize(gc_heap *h, gc_object *o) {
    node_data *d = gc_payload(o);
    if (d->epoch != epoch) return; /* an earlier case's garbage, finalized late (boehm) */
    fin.calls++;
    if (++d->finalized > 1) fin.twice++;
    if (fin.watch) fin.watch_was_cleared = gc_weakref_get(h, fin.watch) == NULL;
    if (fin.break_links || fin.clear_attr) gc_store(h, o, 0, NULL);
    if (fin.break_links) gc_store(h, o, 1, NULL);
    if (fin.collect_inside) fin.inner_collect += gc_collect(h, 2);
    if (fin.resurrect && keeper) gc_store(h, keeper, keeper->slot[0] && keeper->type->slots > 1 ? 1 : 0, o);
}

static const gc_type node = {.name = "node", .slots = 2};
static const gc_type fnode = {.name = "fnode", .slots = 2, .finalize = node_finalize};
static const gc_type lnode = {.name = "lnode", .slots = 2, .finalize = node_finalize, .legacy_finalizer = true};
static const gc_type holder = {.name = "holder", .slots = 1};

static unsigned caps(gc_heap *h) { return h->collector->caps; }
static bool counting(gc_heap *h) { return caps(h) & GC_CAP_COUNTS; }
static bool exact(gc_heap *h) { return caps(h) & GC_CAP_EXACT; }
static bool is_manual(gc_heap *h) { return caps(h) & GC_CAP_DELETE; }
/* The collectors with lists: rc-gen (3.13.0's generations) and rc-inc (3.14.0's increments). */
static bool generational(gc_heap *h) { return caps(h) & GC_CAP_GENERATIONS; }
static bool incremental(gc_heap *h) { return caps(h) & GC_CAP_INCREMENTAL; }
static bool has_lists(gc_heap *h) { return generational(h) || incremental(h); }

static gc_object *make(gc_heap *h, const gc_type *t) {
    gc_object *o = gc_new(h, t, sizeof(node_data));
    EXPECT(o != NULL, "gc_new(%s) failed", t->name);
    if (o) *(node_data *)gc_payload(o) = (node_data){.sentinel = SENTINEL, .epoch = epoch};
    return o;
}

static void release(gc_heap *h, gc_object *o) {
    if (counting(h)) gc_decref(h, o);
}

static bool intact(gc_object *o) { return ((node_data *)gc_payload(o))->sentinel == SENTINEL; }

static uint64_t live(gc_heap *h) {
    gc_stats s;
    gc_stats_get(h, &s);
    return s.objects_live;
}

static gc_stats stats(gc_heap *h) {
    gc_stats s;
    gc_stats_get(h, &s);
    return s;
}

static uint64_t collected_total(gc_heap *h) {
    gc_stats s = stats(h);
    return s.collected[0] + s.collected[1] + s.collected[2];
}

/* a -> b -> a, both of type t; returns a, the caller holding one reference to each
 * unless `drop` (then none: the cycle is garbage). */
static gc_object *two_cycle(gc_heap *h, const gc_type *t, bool drop, gc_object **b_out) {
    gc_object *a = make(h, t), *b = make(h, t);
    if (!a || !b) return NULL;
    gc_store(h, a, 0, b);
    gc_store(h, b, 0, a);
    if (b_out) *b_out = b;
    if (drop) release(h, a), release(h, b);
    return a;
}

/* Breaks a cycle rc leaked (documented) so the test leaves nothing behind. */
static void break_cycle(gc_heap *h, gc_object *a) {
    gc_incref(h, a);
    gc_store(h, a, 0, NULL);
    gc_decref(h, a);
}

static void reset(void) {
    memset(&fin, 0, sizeof fin);
    epoch++;
    keeper = NULL;
}

static gc_heap *open_heap(const char *name, const char *options) {
    mm_error err = {{0}};
    gc_config cfg = {.options = options};
    gc_heap *h = gc_open_named(name, &cfg, &err);
    EXPECT(h != NULL, "%s failed to open: %s", name, err.message);
    reset();
    return h;
}

/* Closes h and opens the running case's heap again with collector `options`; NULL (the
 * case failed) when they are refused. */
static gc_heap *reopen(gc_heap *h, const char *options) {
    gc_close(h);
    mm_error err = {{0}};
    gc_config cfg = {.options = options};
    h = gc_open_named(current, &cfg, &err);
    EXPECT(h != NULL, "%s with %s: %s", current, options, err.message);
    reset();
    return h;
}

static void finish(gc_heap *h) {
    EXPECT(gc_check(h) == 0, "check() found %zu broken invariants", gc_check(h));
    EXPECT(fin.twice == 0, "%u objects were finalized twice", fin.twice);
    gc_close(h);
}

/* ---- the checks ---------------------------------------------------------------- */

static void check_last_decref(gc_heap *h) {
    gc_object *o = make(h, &fnode);
    if (!o) return;
    if (is_manual(h)) {
        gc_decref(h, o);
        EXPECT(fin.calls == 0 && live(h) == 1, "manual: decref does nothing (calls %u, live %llu)", fin.calls,
               (unsigned long long)live(h));
        gc_delete(h, o);
        EXPECT(fin.calls == 1 && live(h) == 0, "manual: delete finalizes once and frees (calls %u)", fin.calls);
    } else if (counting(h)) {
        gc_incref(h, o);
        gc_decref(h, o);
        EXPECT(fin.calls == 0, "alive with one reference left");
        gc_decref(h, o);
        EXPECT(fin.calls == 1, "the last decref runs the finalizer once (calls %u)", fin.calls);
        EXPECT(live(h) == 0, "and frees the object (live %llu)", (unsigned long long)live(h));
    } else {
        gc_decref(h, o);
        EXPECT(fin.calls == 0, "boehm: decref is a no-op, nothing is finalized at once");
        EXPECT(intact(o), "boehm: the object is intact after decref");
    }
    finish(h);
}

static void check_deep_cascade(gc_heap *h) {
    enum { N = 1000000 };
    gc_object *head = make(h, &node);
    gc_object *tail = head;
    for (int i = 1; i < N && tail; i++) { /* head -> ... -> tail, each holding the next */
        gc_object *next = make(h, &node);
        if (!next) break;
        gc_store(h, tail, 0, next);
        release(h, next);
        tail = next;
    }
    if (is_manual(h)) {
        for (gc_object *o = head, *next; o; o = next) next = o->slot[0], gc_delete(h, o);
        EXPECT(live(h) == 0, "manual: an iterative delete walk frees the chain");
    } else if (counting(h)) {
        release(h, head);
        EXPECT(live(h) == 0, "one decref frees the whole chain of %d (live %llu)", N, (unsigned long long)live(h));
        EXPECT(stats(h).longest_cascade >= N, "longest cascade %llu", (unsigned long long)stats(h).longest_cascade);
    } else {
        head = NULL;
        gc_collect(h, 2); /* marking a million-long chain: must not overflow either */
        EXPECT(stats(h).collections[2] >= 1, "boehm collected");
    }
    finish(h);
}

/* self-cycle (n = 1) or two-cycle (n = 2) */
static void check_small_cycle(gc_heap *h, int n) {
    gc_object *a = make(h, &fnode), *b = n == 2 ? make(h, &fnode) : NULL;
    if (!a || (n == 2 && !b)) return;
    gc_store(h, a, 0, n == 2 ? b : a);
    if (b) gc_store(h, b, 0, a);
    release(h, a);
    if (b) release(h, b);
    size_t found = gc_collect(h, 2);
    if (exact(h)) {
        EXPECT(found == (size_t)n, "collect found %zu, want %d", found, n);
        EXPECT(stats(h).collected[2] == (uint64_t)n, "collected[2] = %llu", (unsigned long long)stats(h).collected[2]);
        EXPECT(fin.calls == (unsigned)n && live(h) == 0, "finalizers %u, live %llu", fin.calls,
               (unsigned long long)live(h));
    } else if (counting(h)) {
        EXPECT(found == 0 && live(h) == (uint64_t)n && fin.calls == 0, "rc leaks the cycle, by design (live %llu)",
               (unsigned long long)live(h));
        break_cycle(h, a);
        EXPECT(live(h) == 0 && fin.calls == (unsigned)n, "breaking it frees all (live %llu)", (unsigned long long)live(h));
    } else if (is_manual(h)) {
        EXPECT(found == 0 && live(h) == (uint64_t)n, "manual: collect finds nothing");
        gc_delete(h, a);
        if (b) gc_delete(h, b);
        EXPECT(live(h) == 0, "manual: deleted");
    } else {
        tap_skip("%s is conservative: whether one small cycle is freed is not observable exactly",
                 h->collector->name);
    }
    finish(h);
}

static void check_rings(gc_heap *h) {
    enum { RINGS = 100, LEN = 21 };
    gc_object *firsts[RINGS] = {0};
    for (int r = 0; r < RINGS; r++) {
        gc_object *first = make(h, &fnode), *prev = first;
        for (int i = 1; i < LEN; i++) {
            gc_object *o = make(h, &fnode);
            gc_store(h, prev, 0, o);
            release(h, o);
            prev = o;
        }
        gc_store(h, prev, 0, first);
        release(h, first);
        if (!exact(h) && counting(h)) firsts[r] = first;
        if (is_manual(h)) firsts[r] = first;
    }
    size_t found = gc_collect(h, 2);
    if (exact(h)) {
        (void)found; /* automatic collections may have found some rings first */
        EXPECT(collected_total(h) >= RINGS * LEN, "collected %llu, want >= %d",
               (unsigned long long)collected_total(h), RINGS * LEN);
        EXPECT(live(h) == 0, "live %llu", (unsigned long long)live(h));
    } else if (counting(h)) {
        EXPECT(live(h) == RINGS * LEN, "rc leaks every ring, by design (live %llu)", (unsigned long long)live(h));
        for (int r = 0; r < RINGS; r++) {
            gc_object *last = firsts[r];
            for (int i = 1; i < LEN; i++) last = last->slot[0];
            gc_incref(h, firsts[r]);
            gc_store(h, last, 0, NULL);
            gc_decref(h, firsts[r]);
        }
        EXPECT(live(h) == 0, "breaking each ring frees it");
    } else if (is_manual(h)) {
        for (int r = 0; r < RINGS; r++) {
            gc_object *o = firsts[r];
            for (int i = 0; i < LEN; i++) {
                gc_object *next = o->slot[0];
                gc_delete(h, o);
                o = next;
            }
        }
        EXPECT(live(h) == 0 && fin.calls == RINGS * LEN, "manual: every node deleted and finalized once");
    } else {
        gc_collect(h, 2);
        EXPECT(fin.calls >= RINGS * LEN - 5 * LEN, "boehm finalized %u of %d ring nodes", fin.calls, RINGS * LEN);
    }
    finish(h);
}

static void check_held_cycle(gc_heap *h) {
    gc_object *b;
    gc_object *a = two_cycle(h, &fnode, false, &b);
    if (!a) return;
    release(h, b); /* the mutator keeps a only */
    gc_collect(h, 2);
    EXPECT(fin.calls == 0 && intact(a) && intact(b), "a cycle held from outside survives a collection");
    EXPECT(a->slot[0] == b && b->slot[0] == a, "with its links intact");
    if (counting(h)) EXPECT(a->refcnt == 2 && b->refcnt == 1, "counts a=%zu b=%zu", (size_t)a->refcnt, (size_t)b->refcnt);
    if (exact(h)) {
        release(h, a);
        EXPECT(gc_collect(h, 2) == 2 && live(h) == 0, "released, it is collected");
    } else if (counting(h)) {
        release(h, a);
        EXPECT(live(h) == 2, "rc: released, it leaks");
        break_cycle(h, a);
    } else if (is_manual(h)) {
        gc_delete(h, a), gc_delete(h, b);
    }
    finish(h);
}

static void check_garbage_to_live(gc_heap *h) {
    gc_object *l = make(h, &fnode);
    gc_object *b, *a = two_cycle(h, &fnode, true, &b);
    if (!l || !a) return;
    gc_store(h, a, 1, l);
    gc_store(h, b, 1, l);
    gc_collect(h, 2);
    EXPECT(intact(l) && ((node_data *)gc_payload(l))->finalized == 0, "the live object is untouched");
    if (exact(h)) {
        EXPECT(l->refcnt == 1, "its count is back to the mutator's one reference (%zu)", (size_t)l->refcnt);
        EXPECT(live(h) == 1 && fin.calls == 2, "only the garbage went (live %llu)", (unsigned long long)live(h));
    } else if (counting(h)) {
        EXPECT(l->refcnt == 3, "rc: the leaked cycle still holds it (%zu)", (size_t)l->refcnt);
        break_cycle(h, a);
        EXPECT(l->refcnt == 1, "freed garbage gave its references back (%zu)", (size_t)l->refcnt);
    } else if (is_manual(h)) {
        gc_delete(h, a), gc_delete(h, b);
    }
    if (is_manual(h)) gc_delete(h, l);
    else release(h, l);
    finish(h);
}

/* A container holding a container, as CPython's test_gc uses lists: o -> c, and c has a
 * finalizer; both are instances, tracked from birth to death, and promoted. rc-gen: 0 ->
 * 1 -> 2. rc-inc: young -> the visited old space (collect(0)); a full collection ends its
 * scavenge, so the spaces flip and the visited one becomes the pending one (2). */
static void check_promotion(gc_heap *h) {
    if (!has_lists(h)) {
        EXPECT(gc_live_in_generation(h, 0) == 0, "no generations: nothing reported in one");
        tap_skip("%s has no generations", h->collector->name);
        gc_close(h);
        return;
    }
    gc_set_enabled(h, false);
    gc_object *o = make(h, &node), *c = make(h, &fnode);
    if (!o || !c) return;
    gc_store(h, o, 0, c);
    release(h, c);
    EXPECT(gc_live_in_generation(h, 0) == 2, "new containers start in generation 0 (%zu)", gc_live_in_generation(h, 0));
    gc_collect(h, 0);
    EXPECT(gc_live_in_generation(h, 0) == 0 && gc_live_in_generation(h, 1) == 2, "survive 0 -> generation 1 (%zu)",
           gc_live_in_generation(h, 1));
    if (generational(h)) {
        gc_collect(h, 1);
        EXPECT(gc_live_in_generation(h, 1) == 0 && gc_live_in_generation(h, 2) == 2, "survive 1 -> generation 2 (%zu)",
               gc_live_in_generation(h, 2));
        gc_collect(h, 2);
        EXPECT(gc_live_in_generation(h, 2) == 2, "stay in generation 2");
    } else {
        gc_collect(h, 2);
        EXPECT(gc_live_in_generation(h, 1) == 0 && gc_live_in_generation(h, 2) == 2,
               "a full collection ends the scavenge: the visited space becomes the pending one (%zu)",
               gc_live_in_generation(h, 2));
    }
    gc_object *young = two_cycle(h, &node, true, NULL);
    (void)young;
    EXPECT(gc_collect(h, 0) == 2 && stats(h).collected[0] == 2, "a young cycle is found by a generation-0 collection");
    release(h, o);
    EXPECT(live(h) == 0 && fin.calls == 1, "released, both freed (live %llu)", (unsigned long long)live(h));
    finish(h);
}

static const gc_type leaf = {.name = "leaf", .slots = 0};

static bool untracked(gc_object *o) { return (o->flags & (GC_UNTRACKED | GC_TRACKED)) == GC_UNTRACKED; }

static size_t in_generations(gc_heap *h) {
    size_t n = 0;
    for (int g = 0; g <= GC_GENERATIONS; g++) n += gc_live_in_generation(h, g);
    return n;
}

static const gc_type tuple2 = {.name = "tuple", .slots = 2, .kind = GC_KIND_TUPLE};
static const gc_type ftuple = {.name = "ftuple", .slots = 2, .finalize = node_finalize, .kind = GC_KIND_TUPLE};
static const gc_type dict2 = {.name = "dict", .slots = 2, .kind = GC_KIND_DICT};

/* CPython's tracking rules (cycle.h, "rules"; InternalDocs/garbage_collector.md, "delay
 * tracking containers"), under rc-gen (3.13.0) and rc-inc (3.14.0):
 *   i            an instance holding nothing                       tracked, always
 *   d            a dict holding an atomic object                   3.13: born and kept untracked; 3.14: tracked
 *   t, u         tuples: t holds an atomic object, u holds t       tracked at birth; the first
 *                (made after t)                                    young collection untracks both
 *                                                                  (t first: list order)
 *   v, w         tuples: v made before its element w               3.13: w untracked by collect(0),
 *                                                                  v only by collect(1); 3.14: both by
 *                                                                  collect(0) (untrack_tuples also
 *                                                                  runs over the young generation first)
 *   f            a tuple with a finalizer (an instance)            tracked, always
 *   dd           a dict holding the dict d                         tracked (d may be tracked)
 *   g            a dict holding t                                  tracked (t is, when stored);
 *                                                                  3.13: a full collection untracks
 *                                                                  it once t is untracked
 * then: a dict emptied stays tracked until a full collection untracks it (3.13); an
 * untracked tuple only the mutator holds is tracked again by a store, and a cycle formed
 * through it is found. No count changes; check() stays clean. The others
 * have no lists: nothing is in one, nothing carries GC_UNTRACKED. */
static void check_untracking(gc_heap *h) {
    gc_set_enabled(h, false);
    gc_object *i = make(h, &node), *d = make(h, &dict2), *s = gc_new(h, &leaf, 8);
    gc_object *t = make(h, &tuple2), *u = make(h, &tuple2), *v = make(h, &tuple2), *w = make(h, &tuple2);
    gc_object *f = make(h, &ftuple), *dd = make(h, &dict2), *g = make(h, &dict2);
    if (!i || !d || !s || !t || !u || !v || !w || !f || !dd || !g) return;
    gc_store(h, d, 0, s);
    gc_store(h, t, 0, s);
    release(h, s);
    gc_store(h, u, 0, t), gc_store(h, v, 0, w), gc_store(h, dd, 0, d), gc_store(h, g, 0, t);
    if (!has_lists(h)) {
        gc_collect(h, 2);
        EXPECT(in_generations(h) == 0, "%s: no object is in a generation", h->collector->name);
        bool none = true;
        gc_object *all[] = {i, d, t, u, v, w, f, dd, g};
        for (size_t k = 0; k < sizeof all / sizeof *all; k++) none = none && !(all[k]->flags & GC_UNTRACKED);
        EXPECT(none, "%s: nothing is untracked", h->collector->name);
        EXPECT(intact(d) && intact(t) && d->slot[0] == s && u->slot[0] == t, "the objects are intact");
        if (is_manual(h)) {
            gc_delete(h, i), gc_delete(h, d), gc_delete(h, s), gc_delete(h, t), gc_delete(h, u), gc_delete(h, v);
            gc_delete(h, w), gc_delete(h, f), gc_delete(h, dd), gc_delete(h, g);
        } else {
            release(h, i), release(h, d), release(h, t), release(h, u), release(h, v), release(h, w), release(h, f);
            release(h, dd), release(h, g);
        }
        if (counting(h) || is_manual(h)) EXPECT(live(h) == 0, "all freed (live %llu)", (unsigned long long)live(h));
        tap_skip("%s has no generations: nothing to untrack", h->collector->name);
        finish(h);
        return;
    }
    const bool v313 = generational(h);
    EXPECT(v313 ? untracked(d) && !untracked(g) && !untracked(dd) : !untracked(d) && !untracked(g) && !untracked(dd),
           "%s: dicts %s", current,
           v313 ? "are born untracked, and tracked when a value that may be tracked is stored (g, dd)" : "are tracked");
    EXPECT(!untracked(i) && !untracked(t) && !untracked(u) && !untracked(v) && !untracked(w) && !untracked(f),
           "instances and tuples are tracked at birth");
    gc_collect(h, 0);
    EXPECT(untracked(t) && untracked(u) && untracked(w), "collect(0) untracks the tuples holding nothing trackable");
    EXPECT(v313 ? !untracked(v) : untracked(v),
           "v (made before its element w): %s", v313 ? "still tracked, w was untracked after v in the pass"
                                                      : "untracked too: 3.14 untracks the young tuples first");
    EXPECT(!untracked(i) && !untracked(f) && !untracked(dd), "the instance, the tuple with a finalizer and dd stay");
    if (v313) {
        gc_collect(h, 1);
        EXPECT(untracked(v), "collect(1) untracks v, now that w is");
    }
    EXPECT(i->refcnt == 1 && t->refcnt == 3 && w->refcnt == 2 && d->refcnt == 2, "counts unchanged");
    EXPECT(gc_check(h) == 0, "the lists are sound without them");

    /* a dict emptied stays tracked until a full collection (3.13's untrack_dicts) */
    gc_object *e = make(h, &dict2);
    gc_store(h, e, 0, i);
    EXPECT(!untracked(e), "a dict holding an instance is tracked");
    gc_store(h, e, 0, NULL);
    gc_collect(h, 0);
    EXPECT(!untracked(e), "emptied, it stays tracked through a young collection");
    gc_collect(h, 2);
    EXPECT(v313 ? untracked(e) && untracked(d) && untracked(g) && !untracked(dd) : !untracked(e) && !untracked(g),
           "%s", v313 ? "a full collection untracks the dicts holding nothing trackable (not dd: d may be tracked)"
                      : "3.14 never untracks a dict");
    EXPECT(gc_check(h) == 0, "sound after the full collection");

    /* an untracked tuple that only the mutator holds (unsealed) is tracked again by a
     * store; the soundness case: a cycle formed through it from then on is found */
    gc_object *x = make(h, &tuple2);
    gc_collect(h, 0);
    EXPECT(untracked(x), "x (holding None) is untracked");
    gc_object *b = make(h, &node);
    gc_store(h, x, 0, i);
    EXPECT(!untracked(x) && (x->flags & GC_TRACKED), "storing an instance into x tracks it again");
    gc_store(h, x, 1, b), gc_store(h, b, 0, x);
    release(h, x), release(h, b), release(h, e);
    uint64_t before = live(h);
    size_t found = gc_collect(h, 0);
    EXPECT(found == 2 && live(h) == before - 2, "the cycle x <-> b is collected (found %zu, live %llu -> %llu)", found,
           (unsigned long long)before, (unsigned long long)live(h));
    release(h, i), release(h, d), release(h, t), release(h, u), release(h, v), release(h, w), release(h, f);
    release(h, dd), release(h, g);
    EXPECT(live(h) == 0 && fin.calls == 1, "all freed (live %llu)", (unsigned long long)live(h));
    finish(h);
}

/* test_gc's bug1055820 family: weakref callbacks reaching cyclic garbage. a <-> b are
 * garbage, wa and wb (alive, held by the mutator) refer to them, each with a callback that
 * reads both weakrefs: every weakref to the garbage is cleared before the first callback
 * runs, so no callback can reach a dying object (3.13's handle_weakrefs; 3.14 clears those
 * with callbacks first, which these are). */
static gc_object *seen_wa, *seen_wb;
static unsigned seen_live; /* weakrefs a callback found still giving an object */
static void read_both(gc_heap *h, gc_object *w, void *arg) {
    (void)w, (void)arg;
    seen_live += (gc_weakref_get(h, seen_wa) != NULL) + (gc_weakref_get(h, seen_wb) != NULL);
    fin.callbacks++;
}
static void check_weakref_callbacks_reach_garbage(gc_heap *h) {
    if (!exact(h)) {
        tap_skip("%s does not collect cycles exactly with weakref callbacks", h->collector->name);
        gc_close(h);
        return;
    }
    gc_object *b, *a = two_cycle(h, &node, false, &b);
    if (!a) return;
    seen_wa = gc_weakref_new(h, a, read_both, NULL), seen_wb = gc_weakref_new(h, b, read_both, NULL);
    seen_live = 0;
    release(h, a), release(h, b);
    EXPECT(gc_collect(h, 2) == 2 && fin.callbacks == 2, "the cycle is collected, both callbacks run (%u)",
           fin.callbacks);
    EXPECT(seen_live == 0, "no callback reached a dying object through a weakref (%u did)", seen_live);
    release(h, seen_wa), release(h, seen_wb);
    seen_wa = seen_wb = NULL;
    EXPECT(live(h) == 0, "all freed (live %llu)", (unsigned long long)live(h));
    finish(h);
}

/* test_gc's test_get_count and test_collect_generations: the counts after collections.
 * rc-gen (3.13): an allocation adds one to generation 0's count; collect(g) zeroes
 * 0..g and adds one to g+1's. rc-inc (3.14): count 0 is the young count, zeroed by young
 * and full collections. */
static void check_counts_after_collections(gc_heap *h) {
    if (!has_lists(h)) {
        EXPECT(stats(h).count[0] == 0, "%s keeps no counts", h->collector->name);
        tap_skip("%s has no generations", h->collector->name);
        gc_close(h);
        return;
    }
    gc_set_enabled(h, false);
    gc_collect(h, 2);
    gc_object *o = make(h, &node);
    if (!o) return;
    EXPECT(stats(h).count[0] == 1, "one allocation since the collection: count %llu",
           (unsigned long long)stats(h).count[0]);
    gc_collect(h, 0);
    gc_stats st = stats(h);
    if (generational(h)) {
        EXPECT(st.count[0] == 0 && st.count[1] == 1 && st.count[2] == 0, "collect(0): (0, 1, 0), got (%llu, %llu, %llu)",
               (unsigned long long)st.count[0], (unsigned long long)st.count[1], (unsigned long long)st.count[2]);
        gc_collect(h, 1);
        st = stats(h);
        EXPECT(st.count[0] == 0 && st.count[1] == 0 && st.count[2] == 1, "collect(1): (0, 0, 1), got (%llu, %llu, %llu)",
               (unsigned long long)st.count[0], (unsigned long long)st.count[1], (unsigned long long)st.count[2]);
    } else {
        EXPECT(st.count[0] == 0, "collect(0) zeroes the young count (%llu)", (unsigned long long)st.count[0]);
    }
    gc_collect(h, 2);
    st = stats(h);
    EXPECT(st.count[0] == 0 && st.count[1] == 0 && st.count[2] == 0, "collect(2): (0, 0, 0), got (%llu, %llu, %llu)",
           (unsigned long long)st.count[0], (unsigned long long)st.count[1], (unsigned long long)st.count[2]);
    release(h, o);
    finish(h);
}

/* gc.freeze (CPython's _PyGC_Freeze): every tracked object moves to the permanent
 * generation, which no collection scans, and the counts are zeroed: a cycle dropped while
 * frozen is found only after gc_unfreeze puts it back (into the oldest generation; rc-inc:
 * the visited space). Frozen objects still die by their counts. Collectors without lists
 * move nothing. */
static void check_freeze(gc_heap *h) {
    gc_set_enabled(h, false);
    gc_object *keep = make(h, &node), *dies = make(h, &node);
    gc_object *a = two_cycle(h, &fnode, true, NULL);
    if (!keep || !dies || !a) return;
    const size_t moved = gc_freeze(h);
    if (!has_lists(h)) {
        EXPECT(moved == 0 && gc_live_in_generation(h, GC_LIST_PERMANENT) == 0, "%s: nothing to freeze (%zu)",
               h->collector->name, moved);
        EXPECT(gc_unfreeze(h) == 0, "nothing to unfreeze");
        if (is_manual(h)) gc_delete(h, a->slot[0]), gc_delete(h, a), gc_delete(h, keep), gc_delete(h, dies);
        else if (counting(h)) break_cycle(h, a), release(h, keep), release(h, dies);
        tap_skip("%s has no lists: freeze moves nothing", h->collector->name);
        finish(h);
        return;
    }
    EXPECT(moved == 4 && gc_live_in_generation(h, GC_LIST_PERMANENT) == 4 && in_generations(h) == 0,
           "freeze moved the 4 tracked objects (%zu) into the permanent generation", moved);
    EXPECT(stats(h).count[0] == 0, "and zeroed the counts");
    release(h, dies);
    EXPECT(live(h) == 3 && gc_live_in_generation(h, GC_LIST_PERMANENT) == 3, "a frozen object dies by its count");
    EXPECT(gc_collect(h, 2) == 0 && live(h) == 3 && fin.calls == 0, "a full collection never scans the frozen cycle");
    EXPECT(gc_check(h) == 0, "sound while frozen");
    EXPECT(gc_unfreeze(h) == 3 && gc_live_in_generation(h, GC_LIST_PERMANENT) == 0, "unfreeze moves the 3 back");
    EXPECT(gc_collect(h, 2) == 2 && live(h) == 1 && fin.calls == 2, "then the cycle is found (live %llu)",
           (unsigned long long)live(h));
    release(h, keep);
    EXPECT(live(h) == 0, "all freed");
    finish(h);
}

/* rc-gen.untrack=eager (no CPython rule): a container that holds no container is kept
 * out of the lists — from birth, and by every collection — and tracked when a container
 * is stored into it (docs/gc.md, "Untracking"). rc-gen's option: the others skip.
 *   e     holds nothing                         untracked
 *   l     holds a slot-less object only         untracked
 *   p ->  c, c holds nothing                    c untracked, p tracked (it holds a container)
 *   f     holds nothing, has a finalizer        tracked
 *   t     holds nothing, a weakref w to it      tracked, and so is w */
static void check_untracking_eager(gc_heap *h) {
    if (!generational(h)) {
        tap_skip("untrack=eager is rc-gen's option");
        gc_close(h);
        return;
    }
    if ((h = reopen(h, "untrack=eager")) == NULL) return;
    gc_set_enabled(h, false);
    gc_object *e = make(h, &node), *l = make(h, &node), *p = make(h, &node), *c = make(h, &node);
    gc_object *f = make(h, &fnode), *t = make(h, &node), *s = gc_new(h, &leaf, 8);
    gc_object *w = t ? gc_weakref_new(h, t, NULL, NULL) : NULL;
    if (!e || !l || !p || !c || !f || !t || !s || !w) return;
    gc_store(h, l, 0, s);
    release(h, s);
    gc_store(h, p, 0, c);
    release(h, c);
    EXPECT(gc_live_in_generation(h, 0) == 4 && untracked(e) && untracked(l) && untracked(c),
           "p, f, t and w in generation 0 (%zu); e, l and c never were", gc_live_in_generation(h, 0));
    EXPECT(gc_collect(h, 0) == 0, "nothing is garbage");
    EXPECT(untracked(e) && untracked(l) && untracked(c), "e, l and c stay out of the generations");
    EXPECT(!untracked(p) && !untracked(f) && !untracked(t) && !untracked(w), "p, f, t and w stay tracked");
    EXPECT(gc_live_in_generation(h, 0) == 0 && gc_live_in_generation(h, 1) == 4,
           "generation 1 holds the four that stay tracked (%zu)", gc_live_in_generation(h, 1));
    EXPECT(e->refcnt == 1 && l->refcnt == 1 && c->refcnt == 1 && s->refcnt == 1 && p->refcnt == 1,
           "counts unchanged (e %zu, l %zu, c %zu, s %zu)", (size_t)e->refcnt, (size_t)l->refcnt, (size_t)c->refcnt,
           (size_t)s->refcnt);
    EXPECT(intact(e) && intact(l) && intact(c) && l->slot[0] == s && p->slot[0] == c, "and intact");
    EXPECT(gc_check(h) == 0, "the lists are sound without them");
    gc_collect(h, 2);
    EXPECT(untracked(e) && in_generations(h) == 4, "a full collection does not bring them back (%zu)",
           in_generations(h));
    EXPECT(stats(h).collected[0] + stats(h).collected[2] == 0, "and collected nothing");

    /* storing a slot-less object or NULL keeps a container untracked; a container tracks it */
    gc_object *s2 = gc_new(h, &leaf, 8);
    gc_store(h, l, 1, s2);
    release(h, s2);
    gc_store(h, e, 1, NULL);
    EXPECT(untracked(l) && untracked(e) && gc_live_in_generation(h, 0) == 0, "a slot-less object or NULL: still out");
    gc_store(h, l, 1, c); /* an untracked container is a container */
    EXPECT(!untracked(l) && (l->flags & GC_TRACKED) && gc_live_in_generation(h, 0) == 1,
           "storing an untracked container tracks l again, in generation 0 (%zu)", gc_live_in_generation(h, 0));
    EXPECT(untracked(c), "what was stored stays as it was");
    EXPECT(gc_check(h) == 0, "an untracked referent holds no container");

    /* the soundness case: a cycle through the once-untracked e, formed after it is
     * tracked again, is garbage like any other */
    gc_object *b = make(h, &node);
    if (!b) return;
    EXPECT(untracked(b), "a new container holding nothing starts untracked");
    gc_store(h, e, 0, b);
    EXPECT(!untracked(e) && untracked(b) && gc_live_in_generation(h, 0) == 2, "e is tracked again (generation 0: %zu)",
           gc_live_in_generation(h, 0));
    gc_store(h, b, 0, e);
    EXPECT(!untracked(b) && gc_live_in_generation(h, 0) == 3, "and b once it holds e (generation 0: %zu)",
           gc_live_in_generation(h, 0));
    release(h, e), release(h, b);
    uint64_t before = live(h);
    size_t found = gc_collect(h, 0);
    EXPECT(found == 2 && stats(h).collected[0] == 2 && live(h) == before - 2,
           "the cycle e <-> b is collected (found %zu, live %llu -> %llu)", found, (unsigned long long)before,
           (unsigned long long)live(h));
    EXPECT(untracked(c) && c->refcnt == 2, "c, held by p and l, is untouched (%zu)", (size_t)c->refcnt);
    EXPECT(gc_check(h) == 0, "sound after the collection");
    release(h, l), release(h, p), release(h, f), release(h, w), release(h, t);
    EXPECT(live(h) == 0 && fin.calls == 1, "all freed (live %llu)", (unsigned long long)live(h));
    finish(h);
}

/* How an untracked object's death counts, with threshold0=3. rc-gen (3.13.0): generation
 * 0's count is GC allocations minus GC deallocations (_PyObject_GC_Link, PyObject_GC_Del),
 * tracked or not, so an untracked dict u dying makes room for one more allocation before
 * the automatic collection. rc-inc (3.14.0): young.count is objects tracked minus objects
 * untracked, so an untracked tuple u, uncounted when a collection untracked it, makes no
 * room when it dies. */
static void check_untracked_death(gc_heap *h) {
    if (!has_lists(h)) {
        tap_skip("%s has no generations", current);
        gc_close(h);
        return;
    }
    const bool v313 = generational(h);
    if ((h = reopen(h, "threshold0=3")) == NULL) return;
    gc_object *u = make(h, v313 ? &dict2 : &tuple2);
    gc_collect(h, 0); /* the count := 0; u is untracked (born so, or by this collection) */
    EXPECT(u && untracked(u) && stats(h).count[0] == 0, "u is untracked, the count 0 (%llu)",
           (unsigned long long)stats(h).count[0]);
    const int automatic = v313 ? 0 : 1; /* rc-gen collects generation 0; rc-inc runs an increment */
    const uint64_t base = stats(h).collections[automatic];
    gc_object *c[5];
    for (int i = 0; i < 3; i++) c[i] = make(h, &node); /* counted: 3, not past the threshold */
    EXPECT(stats(h).count[0] == 3 && stats(h).collections[automatic] == base, "no automatic collection at 3");
    release(h, u);
    EXPECT(stats(h).count[0] == (v313 ? 2u : 3u), "u's death %s (count %llu)", v313 ? "counted" : "not counted",
           (unsigned long long)stats(h).count[0]);
    c[3] = make(h, &node);
    EXPECT(stats(h).collections[automatic] == base + (v313 ? 0u : 1u), "the 4th allocation %s",
           v313 ? "does not pass the threshold" : "passes it");
    c[4] = make(h, &node);
    EXPECT(stats(h).collections[automatic] == base + 1, "the 5th: one automatic collection in all (%llu)",
           (unsigned long long)(stats(h).collections[automatic] - base));
    for (int i = 0; i < 5; i++) release(h, c[i]);
    EXPECT(live(h) == 0, "all freed");
    finish(h);
}

/* rc-inc's increments as 3.14.0 runs them (gc_collect_increment), the rules its pauses
 * follow from (docs/gc.md, "Where rc-inc's pauses come from"): a rooted chain of 100 r,
 * then objects the mutator alone holds (y: young, never marked).
 *   - the first increment of a scavenge only marks, and marks everything the roots reach
 *     whatever its work (mark_at_start has no budget), subtracting the count twice
 *     (its own decrement and its caller's, CPython gh-141890);
 *   - an increment whose work is below 0 does nothing: the young generation stays;
 *   - a collecting increment takes the whole young generation, however far past its work;
 *   - when the pending space is empty the spaces flip and the next increment marks the
 *     rooted chain again, all of it. */
static void check_incremental_marking(gc_heap *h) {
    if (!incremental(h)) {
        tap_skip("%s has no increments", current);
        gc_close(h);
        return;
    }
    gc_set_enabled(h, false); /* only the explicit increments below */
    enum { CHAIN = 100, FEW = 10, MANY = 200, MORE = 150 };
    gc_object *r = make(h, &node), *y[FEW + MANY + MORE];
    if (!r) return;
    gc_object *tail = r;
    for (int i = 1; i < CHAIN; i++) {
        gc_object *o = make(h, &node);
        if (!o) return;
        gc_store(h, tail, 0, o);
        release(h, o);
        tail = o;
    }
    gc_root_add(h, &r);
    gc_collect(h, 2); /* the chain ends pending, work_to_do 0, the next increment marks */
    EXPECT(gc_live_in_generation(h, 2) == CHAIN, "after a full collection the chain is pending (%zu)",
           gc_live_in_generation(h, 2));
    for (int i = 0; i < FEW; i++) y[i] = make(h, &node);
    gc_collect(h, 1); /* work 0 + 10 new + 110/100 = 11: it marks 100, work 11 - 2 * 100 */
    EXPECT(gc_live_in_generation(h, 1) == CHAIN && gc_live_in_generation(h, 2) == 0,
           "the marking increment marked the whole rooted chain, past its work of 11 (visited %zu, pending %zu)",
           gc_live_in_generation(h, 1), gc_live_in_generation(h, 2));
    EXPECT(gc_live_in_generation(h, 0) == FEW && stats(h).collected[1] == 0,
           "and collected nothing: the young generation stays (%zu)", gc_live_in_generation(h, 0));
    gc_collect(h, 1); /* work -189 + 0 */
    EXPECT(gc_live_in_generation(h, 0) == FEW && gc_live_in_generation(h, 1) == CHAIN,
           "an increment whose work is below 0 does nothing (young %zu)", gc_live_in_generation(h, 0));
    for (int i = FEW; i < FEW + MANY; i++) y[i] = make(h, &node);
    gc_collect(h, 1); /* work -189 + 200 + 310/100 = 14: it takes all 210 young; pending is empty */
    EXPECT(gc_live_in_generation(h, 0) == 0 && gc_live_in_generation(h, 1) == 0 &&
               gc_live_in_generation(h, 2) == CHAIN + FEW + MANY,
           "the collecting increment took all %d young objects past its work of 14, and the spaces flipped "
           "(young %zu, visited %zu, pending %zu)",
           FEW + MANY, gc_live_in_generation(h, 0), gc_live_in_generation(h, 1), gc_live_in_generation(h, 2));
    gc_collect(h, 1); /* work 0: the next scavenge starts by marking */
    EXPECT(gc_live_in_generation(h, 1) == CHAIN && gc_live_in_generation(h, 2) == FEW + MANY,
           "the next scavenge marked the rooted chain again, all of it (visited %zu, pending %zu)",
           gc_live_in_generation(h, 1), gc_live_in_generation(h, 2));
    for (int i = FEW + MANY; i < FEW + MANY + MORE; i++) y[i] = make(h, &node);
    gc_collect(h, 1); /* work -200 + 150 + 460/100 = -46 (54 were it counted once) */
    EXPECT(gc_live_in_generation(h, 0) == MORE,
           "the marked count was subtracted twice: 150 new objects leave the work below 0 (young %zu)",
           gc_live_in_generation(h, 0));
    EXPECT(stats(h).collections[1] == 5 && collected_total(h) == 0, "five increments, nothing collected");
    gc_root_remove(h, &r);
    release(h, r);
    for (int i = 0; i < FEW + MANY + MORE; i++) release(h, y[i]);
    EXPECT(live(h) == 0, "all freed (live %llu)", (unsigned long long)live(h));
    finish(h);
}

/* Survivors found late: the one outside reference is to the newest object and the links
 * run backwards and across the list, so a generation-0 scan first sends every other member
 * to the unreachable list, then rescues the live ones one by one from the middle of it.
 *   made in order  x0 .. x9, then H; the mutator keeps H only
 *   live           H -> x5 -> x2 -> x8 -> x0
 *   garbage        x1 <-> x3, x4 <-> x6, x7 <-> x9 */
static void check_rescue_order(gc_heap *h) {
    static const int chain[] = {5, 2, 8, 0}, pairs[3][2] = {{1, 3}, {4, 6}, {7, 9}};
    gc_set_enabled(h, false);
    gc_object *x[10], *top;
    for (int i = 0; i < 10; i++)
        if ((x[i] = make(h, &fnode)) == NULL) return;
    if ((top = make(h, &fnode)) == NULL) return;
    gc_object *prev = top;
    for (int i = 0; i < 4; i++) gc_store(h, prev, 0, x[chain[i]]), prev = x[chain[i]];
    for (int p = 0; p < 3; p++) {
        gc_store(h, x[pairs[p][0]], 0, x[pairs[p][1]]);
        gc_store(h, x[pairs[p][1]], 0, x[pairs[p][0]]);
    }
    if (counting(h))
        for (int i = 0; i < 10; i++) gc_decref(h, x[i]);
    size_t found = gc_collect(h, 0);
    bool linked = top->slot[0] == x[5] && x[5]->slot[0] == x[2] && x[2]->slot[0] == x[8] && x[8]->slot[0] == x[0];
    EXPECT(linked && intact(top) && intact(x[5]) && intact(x[2]) && intact(x[8]) && intact(x[0]),
           "the live chain is intact");
    if (exact(h)) {
        EXPECT(found == 6 && stats(h).collected[0] == 6 && fin.calls == 6, "the three garbage pairs went (found %zu, finalized %u)",
               found, fin.calls);
        bool counts = top->refcnt == 1;
        for (int i = 0; i < 4; i++) counts = counts && x[chain[i]]->refcnt == 1;
        EXPECT(counts && live(h) == 5, "the chain kept its counts (live %llu)", (unsigned long long)live(h));
        EXPECT(gc_live_in_generation(h, 0) == 0 && gc_live_in_generation(h, 1) == 5,
               "all five survivors were promoted (generation 1: %zu)", gc_live_in_generation(h, 1));
        EXPECT(gc_check(h) == 0, "the lists are whole again after the rescues");
    } else if (counting(h)) {
        EXPECT(found == 0 && live(h) == 11, "rc: nothing collected, the pairs leak (live %llu)", (unsigned long long)live(h));
        for (int p = 0; p < 3; p++) break_cycle(h, x[pairs[p][0]]);
    } else if (is_manual(h)) {
        EXPECT(found == 0 && live(h) == 11, "manual: collect finds nothing");
        for (int i = 0; i < 10; i++) gc_delete(h, x[i]);
        gc_delete(h, top);
        top = NULL;
    }
    if (top) release(h, top);
    if (counting(h)) EXPECT(live(h) == 0, "releasing the newest frees the chain (live %llu)", (unsigned long long)live(h));
    finish(h);
}

static void check_automatic(gc_heap *h, bool disabled) {
    if (disabled) gc_set_enabled(h, false);
    gc_object *garbage = two_cycle(h, &fnode, true, NULL);
    (void)garbage;
    if (counting(h) || is_manual(h)) {
        gc_object *chain = make(h, &holder), *tail = chain;
        for (int i = 0; i < 2001; i++) { /* 2 + 2001 tracked allocations: past threshold0 = 2000 */
            gc_object *o = make(h, &holder);
            gc_store(h, tail, 0, o);
            release(h, o);
            tail = o;
        }
        gc_stats s = stats(h);
        if (generational(h) && !disabled) {
            EXPECT(s.collections[0] == 1, "one automatic young collection (got %llu)",
                   (unsigned long long)s.collections[0]);
            EXPECT(s.collected[0] == 2 && fin.calls == 2, "it found the cycle (%llu)", (unsigned long long)s.collected[0]);
        } else if (incremental(h) && !disabled) {
            /* _Py_RunGC runs an increment; work_to_do starts at -5000 and 2002 new objects
             * and a heap fraction do not lift it above 0: the increment does nothing */
            EXPECT(s.collections[1] == 1 && s.collections[0] + s.collections[2] == 0,
                   "one automatic increment (got %llu/%llu/%llu)", (unsigned long long)s.collections[0],
                   (unsigned long long)s.collections[1], (unsigned long long)s.collections[2]);
            EXPECT(s.collected[1] == 0 && fin.calls == 0, "which finds nothing yet: its work is still negative (%llu)",
                   (unsigned long long)s.collected[1]);
            EXPECT(gc_collect(h, 2) == 2 && fin.calls == 2, "a full collection finds the cycle");
        } else {
            EXPECT(s.collections[0] + s.collections[1] + s.collections[2] == 0 && fin.calls == 0,
                   "%s: no automatic collection", disabled ? "disabled" : "no cycle detector");
        }
        if (exact(h) && disabled) {
            gc_set_enabled(h, true);
            EXPECT(gc_collect(h, 2) == 2, "an explicit collection still works when automatic ones are off");
        }
        if (is_manual(h)) {
            for (gc_object *o = chain, *next; o; o = next) next = o->slot[0], gc_delete(h, o);
            gc_object *b = garbage->slot[0];
            gc_delete(h, garbage), gc_delete(h, b);
        } else {
            release(h, chain);
            if (!exact(h)) break_cycle(h, garbage);
        }
    } else {
        uint64_t before = stats(h).collections[2];
        for (int i = 0; i < 1000000; i++) gc_new(h, &node, 200); /* ~240 MB of garbage */
        uint64_t after = stats(h).collections[2];
        if (disabled) EXPECT(after == before, "boehm disabled: no collection (%llu)", (unsigned long long)(after - before));
        else EXPECT(after > before, "boehm collects by itself under allocation");
        gc_set_enabled(h, true);
        gc_new(h, &node, 0);
    }
    finish(h);
}

static void check_resurrection(gc_heap *h, bool transitive) {
    keeper = make(h, &holder);
    fin.resurrect = true;
    gc_object *a = make(h, &fnode), *b = make(h, &node), *c = make(h, &node);
    if (!keeper || !a || !b || !c) return;
    gc_store(h, a, 0, b);
    gc_store(h, b, 1, c);
    if (exact(h)) gc_store(h, b, 0, a); /* a <-> b, b -> c: cyclic garbage once released */
    release(h, b), release(h, c), release(h, a);
    if (exact(h)) gc_collect(h, 2);
    if (is_manual(h)) {
        gc_delete(h, a);
        EXPECT(fin.calls == 1, "manual: delete finalizes once; resurrection cannot stop it");
        keeper->slot[0] = NULL;
        gc_delete(h, b), gc_delete(h, c), gc_delete(h, keeper);
        finish(h);
        return;
    }
    if (!counting(h)) {
        gc_collect(h, 2);
        EXPECT(fin.calls <= 1, "boehm: a finalizer runs at most once (%u)", fin.calls);
        keeper = NULL;
        finish(h);
        return;
    }
    EXPECT(fin.calls == 1 && keeper->slot[0] == a, "the finalizer ran once and resurrected a");
    EXPECT(intact(a) && a->slot[0] == b, "a is intact");
    if (transitive) {
        EXPECT(intact(b) && intact(c) && b->slot[1] == c, "what a reaches (b, c) survives intact");
        EXPECT(gc_check(h) == 0, "counts consistent after resurrection");
    }
    fin.resurrect = false;
    gc_store(h, keeper, 0, NULL); /* a is garbage again */
    if (exact(h)) gc_collect(h, 2);
    EXPECT(fin.calls == 1, "the finalizer did not run a second time (%u)", fin.calls);
    EXPECT(live(h) == 1, "all but the keeper freed (live %llu)", (unsigned long long)live(h));
    release(h, keeper);
    finish(h);
}

static void on_weak(gc_heap *h, gc_object *w, void *arg) {
    (void)arg;
    EXPECT(gc_weakref_get(h, w) == NULL, "the weakref is cleared when its callback runs");
    fin.callbacks++;
}

static void check_weakrefs(gc_heap *h) {
    gc_object *t = make(h, &fnode);
    gc_object *w = gc_weakref_new(h, t, on_weak, NULL);
    if (!t || !w) return;
    EXPECT(gc_weakref_get(h, w) == t, "a weakref gives its live target");
    if (!(caps(h) & GC_CAP_WEAK_CALLBACKS)) {
        tap_skip("%s: disappearing links without callbacks; clearing is not exact", h->collector->name);
        finish(h);
        return;
    }
    fin.watch = w;
    if (is_manual(h)) gc_delete(h, t);
    else release(h, t);
    EXPECT(gc_weakref_get(h, w) == NULL && fin.callbacks == 1, "target gone: cleared, callback once (%u)",
           fin.callbacks);
    EXPECT(fin.watch_was_cleared == false, "at plain death the finalizer runs before weakrefs are cleared");
    if (exact(h)) {
        /* cyclic target: cleared before finalizers run; callback for the surviving weakref */
        gc_object *a = two_cycle(h, &fnode, true, NULL);
        gc_object *w2 = gc_weakref_new(h, a, on_weak, NULL);
        fin.watch = w2;
        /* a weakref that is itself garbage: no callback */
        gc_object *b = two_cycle(h, &node, false, NULL);
        gc_object *w3 = gc_weakref_new(h, b, on_weak, NULL);
        gc_store(h, b, 1, w3);
        release(h, w3);
        gc_object *b2 = b->slot[0];
        release(h, b), release(h, b2);
        fin.callbacks = 0;
        gc_collect(h, 2);
        EXPECT(fin.watch_was_cleared, "in a collection, weakrefs are cleared before finalizers run");
        EXPECT(gc_weakref_get(h, w2) == NULL, "the weakref to cyclic garbage is cleared");
        EXPECT(fin.callbacks == 1, "only the surviving weakref's callback ran (%u)", fin.callbacks);
        release(h, w2);
    }
    fin.watch = NULL;
    if (is_manual(h)) gc_delete(h, w);
    else release(h, w);
    EXPECT(live(h) == 0, "live %llu", (unsigned long long)live(h));
    finish(h);
}

static void check_finalizer_effects(gc_heap *h, bool collect_inside) {
    if (!exact(h)) {
        tap_skip("%s does not collect cycles exactly", h->collector->name);
        gc_close(h);
        return;
    }
    fin.break_links = !collect_inside;
    fin.collect_inside = collect_inside;
    gc_object *a = make(h, &fnode), *b = make(h, &fnode), *c = make(h, &fnode);
    gc_store(h, a, 0, b), gc_store(h, b, 0, c), gc_store(h, c, 0, a), gc_store(h, a, 1, c);
    release(h, a), release(h, b), release(h, c);
    size_t found = gc_collect(h, 2);
    if (collect_inside) {
        EXPECT(found == 3 && stats(h).collected[2] == 3, "all three collected (found %zu)", found);
        EXPECT(fin.inner_collect == 0, "a collection inside a finalizer is a safe no-op");
    } else { /* a's finalizer frees b, b's c, c's gives a back: none is left for step 9 */
        EXPECT(found == 0 && stats(h).collected[2] == 0,
               "freed by their finalizers, none counted: CPython counts what is still unreachable after them "
               "(found %zu)", found);
    }
    EXPECT(fin.calls == 3 && live(h) == 0, "each finalized once, all freed (calls %u)", fin.calls);
    finish(h);
}

/* Every finalizer breaks its links and resurrects its object: a's finalizer frees b by
 * counting in the middle of the collection, b's finalizer brings b back (re-tracked while
 * the collection runs), then a resurrects too. Both must come back whole and clean. */
static void check_resurrection_mid_collection(gc_heap *h) {
    if (!exact(h)) {
        tap_skip("%s does not collect cycles exactly", h->collector->name);
        gc_close(h);
        return;
    }
    keeper = make(h, &node);
    fin.resurrect = fin.break_links = true;
    gc_object *b, *a = two_cycle(h, &fnode, true, &b);
    gc_collect(h, 2);
    EXPECT(fin.calls == 2 && live(h) == 3, "both finalized once and resurrected (calls %u, live %llu)", fin.calls,
           (unsigned long long)live(h));
    EXPECT(keeper->slot[0] == b && keeper->slot[1] == a, "the keeper holds both");
    EXPECT(gc_check(h) == 0, "no collection state left on the resurrected objects");
    fin.resurrect = fin.break_links = false;
    gc_store(h, keeper, 0, NULL), gc_store(h, keeper, 1, NULL);
    EXPECT(live(h) == 1 && fin.calls == 2, "released, they are freed without a second finalization");
    release(h, keeper);
    finish(h);
}

/* test_gc's test_resurrection_does_not_block_cleanup_of_other_objects: N self-loops are
 * garbage beside a self-loop Z whose finalizer resurrects it (stores it into the keeper,
 * CPython's `zs.append(self)`). Z alone: nothing is collected or counted. Z beside N
 * others: exactly the N are collected and counted, Z survives whole and usable. Let go,
 * the resurrected ones are collected by the next collection, not finalized again. */
static void check_resurrection_not_blocking(gc_heap *h) {
    enum { N = 100 };
    if (!exact(h)) {
        tap_skip("%s does not collect cycles exactly", h->collector->name);
        gc_close(h);
        return;
    }
    gc_set_enabled(h, false);
    keeper = make(h, &node);
    fin.resurrect = true;
    gc_object *z[2];
    for (int round = 0; round < 3; round++) {
        if (round != 1)
            for (int i = 0; i < N; i++) {
                gc_object *a = make(h, &node);
                gc_store(h, a, 0, a);
                release(h, a);
            }
        if (round > 0) {
            z[round - 1] = make(h, &fnode);
            gc_store(h, z[round - 1], 0, z[round - 1]);
            release(h, z[round - 1]);
        }
        const gc_stats before = stats(h);
        const size_t found = gc_collect(h, 2), want = round == 1 ? 0 : N;
        const gc_stats after = stats(h);
        EXPECT(found == want && after.collected[2] - before.collected[2] == want &&
                   after.uncollectable[2] == before.uncollectable[2],
               "round %d: collect found %zu, counted %llu collected and %llu uncollectable (want %zu and 0)", round,
               found, (unsigned long long)(after.collected[2] - before.collected[2]),
               (unsigned long long)(after.uncollectable[2] - before.uncollectable[2]), want);
        EXPECT(live(h) == 1 + (uint64_t)round && fin.calls == (unsigned)round,
               "round %d: the keeper and %d resurrected are left (live %llu, finalizers %u)", round, round,
               (unsigned long long)live(h), fin.calls);
    }
    EXPECT(keeper->slot[0] == z[0] && keeper->slot[1] == z[1], "the keeper holds both resurrected objects");
    EXPECT(intact(z[0]) && intact(z[1]) && z[0]->slot[0] == z[0] && z[1]->slot[0] == z[1] &&
               (z[1]->flags & GC_FINALIZED),
           "each came back whole, finalized once");
    gc_store(h, z[1], 1, z[0]); /* usable: the mutator stores into a resurrected object */
    EXPECT(z[1]->slot[1] == z[0] && gc_check(h) == 0, "a resurrected object takes a store; the heap is sound");
    fin.resurrect = false;
    gc_store(h, keeper, 0, NULL), gc_store(h, keeper, 1, NULL);
    EXPECT(gc_collect(h, 2) == 2 && fin.calls == 2 && live(h) == 1,
           "let go, both are collected without a second finalization (live %llu, finalizers %u)",
           (unsigned long long)live(h), fin.calls);
    release(h, keeper);
    finish(h);
}

/* What CPython's test_gc calls "boom" and bug21435: a finalizer of cyclic garbage empties
 * its own slot, so other garbage dies by count in the middle of the collection and gives
 * back references to the object being finalized (which the collector holds across the
 * call, as CPython does). `bug21435`: a (no finalizer) <-> b (finalizer: `self.attr =
 * None`), b also holding x; else "boom": a <-> b, both with finalizers emptying both slots.
 * The garbage must all be freed, each finalizer run once, the heap sound. */
static void check_finalizer_frees_garbage(gc_heap *h, bool bug21435) {
    gc_object *a = make(h, bug21435 ? &node : &fnode), *b = make(h, &fnode), *x = bug21435 ? make(h, &node) : NULL;
    if (!a || !b || (bug21435 && !x)) return;
    gc_store(h, a, 0, b);
    gc_store(h, b, 0, a);
    if (x) gc_store(h, b, 1, x), release(h, x);
    const unsigned finalizers = bug21435 ? 1 : 2;
    const uint64_t objects = bug21435 ? 3 : 2;
    if (bug21435) fin.clear_attr = true;
    else fin.break_links = true;
    release(h, a), release(h, b);
    if (exact(h)) {
        size_t found = gc_collect(h, 2);
        EXPECT(found == 0 && stats(h).collected[2] == 0,
               "the cycle is freed by count inside the finalizers, so none is counted, as CPython counts "
               "(found %zu, collected %llu)", found, (unsigned long long)stats(h).collected[2]);
        EXPECT(fin.calls == finalizers && live(h) == 0, "finalizers %u (want %u), live %llu", fin.calls, finalizers,
               (unsigned long long)live(h));
    } else if (counting(h)) {
        EXPECT(live(h) == objects && fin.calls == 0, "rc leaks the cycle, by design (live %llu)",
               (unsigned long long)live(h));
        break_cycle(h, a); /* b dies by count: its finalizer empties its slot, freeing a (and x) */
        EXPECT(fin.calls == finalizers && live(h) == 0, "broken, all freed: finalizers %u (want %u), live %llu",
               fin.calls, finalizers, (unsigned long long)live(h));
    } else if (is_manual(h)) {
        gc_delete(h, b);
        gc_delete(h, a);
        if (x) gc_delete(h, x);
        EXPECT(fin.calls == finalizers && live(h) == 0, "manual: deleted, finalized once each (%u)", fin.calls);
    } else {
        gc_collect(h, 2);
        EXPECT(fin.calls <= finalizers, "boehm: each finalizer at most once (%u)", fin.calls);
    }
    finish(h);
}

/* A chain of n `holder` objects hanging off `head` (the caller holds head only). */
static gc_object *grow_chain(gc_heap *h, gc_object *tail, int n) {
    for (int i = 0; i < n && tail; i++) {
        gc_object *o = make(h, &holder);
        gc_store(h, tail, 0, o);
        release(h, o);
        tail = o;
    }
    return tail;
}

static void release_chain(gc_heap *h, gc_object *head) {
    if (!is_manual(h)) {
        release(h, head);
        return;
    }
    for (gc_object *o = head, *next; o; o = next) next = o->slot[0], gc_delete(h, o);
}

/* threshold0=N: the automatic collection comes at the (N+1)th tracked allocation, not
 * before; threshold0=0 turns automatic collection off. rc-gen collects generation 0 there
 * and finds the cycle; rc-inc runs an increment, whose work is still negative (it starts
 * at -5000): it finds nothing. Only they have thresholds. */
static void check_threshold_option(gc_heap *h) {
    const bool lists = has_lists(h), v313 = generational(h);
    const int automatic = v313 ? 0 : 1;
    gc_close(h);
    mm_error err = {{0}};
    gc_config cfg = {.options = "threshold0=100"};
    h = gc_open_named(current, &cfg, &err);
    if (!lists) {
        EXPECT(h == NULL, "%s accepted a threshold it does not have", current);
        EXPECT(strstr(err.message, "threshold0") != NULL, "the refusal names the option: '%s'", err.message);
        if (h) gc_close(h);
        return;
    }
    if (!EXPECT(h != NULL, "threshold0=100 accepted: %s", err.message)) return;
    reset();
    gc_object *garbage = two_cycle(h, &fnode, true, NULL); /* 2 tracked allocations */
    (void)garbage;
    gc_object *head = make(h, &holder);                     /* 3 */
    gc_object *tail = grow_chain(h, head, 97);              /* 100 */
    EXPECT(stats(h).collections[automatic] == 0, "no collection at 100 tracked allocations");
    grow_chain(h, tail, 1);                                 /* 101 */
    EXPECT(stats(h).collections[automatic] == 1 && stats(h).collected[automatic] == (v313 ? 2u : 0u),
           "the 101st triggers one that %s", v313 ? "finds the cycle" : "finds nothing yet (negative work)");
    release_chain(h, head);
    finish(h);
    cfg.options = "threshold0=0";
    h = gc_open_named(current, &cfg, &err);
    if (!EXPECT(h != NULL, "threshold0=0 accepted: %s", err.message)) return;
    head = make(h, &holder);
    grow_chain(h, head, 10000);
    EXPECT(stats(h).collections[0] + stats(h).collections[1] + stats(h).collections[2] == 0,
           "threshold0=0: never automatic");
    release_chain(h, head);
    gc_close(h);
}

/* The 25% rule: with a long-lived structure of 4000 objects, full collections wait until
 * more than 1000 objects were promoted into the old generation since the last one. */
static void check_long_lived_rule(gc_heap *h) {
    if (!generational(h)) {
        tap_skip("%s has no generations", h->collector->name);
        gc_close(h);
        return;
    }
    gc_close(h);
    mm_error err = {{0}};
    gc_config cfg = {.options = "threshold0=100,threshold1=1,threshold2=1"};
    h = gc_open_named(current, &cfg, &err);
    if (!EXPECT(h != NULL, "open: %s", err.message)) return;
    reset();
    gc_set_enabled(h, false);
    gc_object *old = make(h, &holder);
    grow_chain(h, old, 3999);
    gc_collect(h, 2); /* long_lived_total = 4000 */
    gc_set_enabled(h, true);
    gc_object *young = make(h, &holder);
    gc_object *tail = grow_chain(h, young, 899);
    gc_stats s = stats(h);
    EXPECT(s.collections[1] >= 2, "middle collections ran (%llu)", (unsigned long long)s.collections[1]);
    EXPECT(s.collections[2] == 1, "no automatic full collection while <= 25%% new (%llu)",
           (unsigned long long)s.collections[2]);
    grow_chain(h, tail, 1500);
    EXPECT(stats(h).collections[2] >= 2, "past 25%% new, a full collection runs");
    release_chain(h, young);
    release_chain(h, old);
    finish(h);
}

static void check_stats_add_up(gc_heap *h) {
    if (!exact(h)) {
        tap_skip("%s keeps no exact per-generation counts", h->collector->name);
        gc_close(h);
        return;
    }
    gc_set_enabled(h, false);
    for (int g = 0; g < GC_GENERATIONS; g++) {
        for (int i = 0; i < 10 * (g + 1); i++) two_cycle(h, &fnode, true, NULL);
        gc_collect(h, g);
    }
    gc_object *l1 = two_cycle(h, &lnode, true, NULL);
    (void)l1;
    gc_collect(h, 2);
    gc_stats s = stats(h);
    /* rc-inc: collect(1) is the first increment, whose work is still negative (-5000 at
     * the start): the 40 wait for the full collection */
    const uint64_t want1 = generational(h) ? 40 : 0, want2 = generational(h) ? 60 : 100;
    EXPECT(s.collected[0] == 20 && s.collected[1] == want1 && s.collected[2] == want2,
           "per generation %llu/%llu/%llu (want 20/%llu/%llu)", (unsigned long long)s.collected[0],
           (unsigned long long)s.collected[1], (unsigned long long)s.collected[2], (unsigned long long)want1,
           (unsigned long long)want2);
    EXPECT(s.collected[0] + s.collected[1] + s.collected[2] == s.finalizers_run, "collected adds up to finalizers run");
    EXPECT(s.uncollectable[2] == 2 && gc_live_in_generation(h, GC_GENERATIONS) == 2,
           "a legacy-finalizer cycle is uncollectable and reported (%llu)", (unsigned long long)s.uncollectable[2]);
    EXPECT(s.collections[0] == 1 && s.collections[1] == 1 && s.collections[2] == 2, "collections counted");
    finish(h); /* close frees the uncollectable pair and reports it leaked */
}

static void check_bounded(gc_heap *h) {
    enum { ROUNDS = 300, PER = 100 };
    uint64_t most = 0;
    gc_object **kept = is_manual(h) || (counting(h) && !exact(h)) ? calloc(ROUNDS * PER, sizeof *kept) : NULL;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < PER; i++) {
            gc_object *a = two_cycle(h, &fnode, true, NULL);
            if (kept) kept[r * PER + i] = a;
        }
        if (is_manual(h))
            for (int i = 0; i < PER; i++) {
                gc_object *a = kept[r * PER + i], *b = a->slot[0];
                gc_delete(h, a), gc_delete(h, b);
            }
        if (live(h) > most) most = live(h);
    }
    if (incremental(h)) {
        /* 3.14's increments trail the young garbage (its work starts at -5000, and an
         * increment scans what work_to_do allows): more stays alive than under rc-gen, but
         * the increments keep up (docs/gc.md, "What rc-inc trades") */
        EXPECT(most > 3 * 2000 && most <= 5 * 2000, "live objects stayed bounded, above rc-gen's bound (most %llu of %d)",
               (unsigned long long)most, 2 * ROUNDS * PER);
        EXPECT(gc_collect(h, 2) > 0 && live(h) == 0, "a full collection leaves nothing (live %llu)",
               (unsigned long long)live(h));
    } else if (exact(h) || is_manual(h)) {
        EXPECT(most <= 3 * 2000, "live objects stayed bounded (most %llu of %d made)", (unsigned long long)most,
               2 * ROUNDS * PER);
    } else if (counting(h)) {
        EXPECT(live(h) == 2 * ROUNDS * PER, "rc: all cycles leak, by design (live %llu)", (unsigned long long)live(h));
        for (int i = 0; i < ROUNDS * PER; i++) break_cycle(h, kept[i]);
    } else {
        gc_collect(h, 2);
        EXPECT(fin.calls >= 2 * ROUNDS * PER * 9 / 10, "boehm reclaimed the churn (%u finalized)", fin.calls);
    }
    free(kept);
    finish(h);
}

/* Every entry of a collector's table is set (gc.h, "Contract"): nothing is reached
 * through a NULL pointer, and an operation outside a collector's design is refused by
 * gc_delete_unsupported, the same for all. */
static void check_table_complete(const gc_collector *c) {
    const void *entries[] = {
        (const void *)c->open,        (const void *)c->close,       (const void *)c->new_object,
        (const void *)c->incref,      (const void *)c->decref,      (const void *)c->store,
        (const void *)c->delete_object, (const void *)c->root_add,  (const void *)c->root_remove,
        (const void *)c->collect,     (const void *)c->weakref_new, (const void *)c->weakref_get,
        (const void *)c->check,       (const void *)c->live_in_generation,
    };
    for (size_t i = 0; i < sizeof entries / sizeof *entries; i++)
        EXPECT(entries[i] != NULL, "%s: table entry %zu is NULL", c->name, i);
    EXPECT(c->name && c->summary, "%s has a name and a summary", c->name ? c->name : "?");
    bool deletes = c->caps & GC_CAP_DELETE;
    EXPECT(deletes == (c->delete_object != gc_delete_unsupported),
           "%s: delete is %s, as GC_CAP_DELETE says", c->name, deletes ? "its own" : "gc_delete_unsupported");
}

/* gc_delete on a collector without GC_CAP_DELETE is refused the one way gc.h documents:
 * one line naming the collector and the operation, then abort. In a child process, so
 * the abort is observed; the object it was given stays the caller's. */
static void check_unsupported_delete(gc_heap *h) {
    gc_object *o = make(h, &node);
    if (!o) return;
    if (is_manual(h)) {
        gc_delete(h, o);
        EXPECT(live(h) == 0, "manual supports delete");
        finish(h);
        return;
    }
    int pipefd[2];
    if (!EXPECT(pipe(pipefd) == 0, "pipe")) return;
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        gc_delete(h, o);
        _exit(0); /* not reached when the refusal works */
    }
    close(pipefd[1]);
    char said[256] = {0};
    size_t got = 0;
    for (ssize_t r; got < sizeof said - 1 && (r = read(pipefd[0], said + got, sizeof said - 1 - got)) > 0;) got += (size_t)r;
    close(pipefd[0]);
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "%s: gc_delete aborts (status %#x)",
           h->collector->name, status);
    EXPECT(strstr(said, h->collector->name) && strstr(said, "gc_delete") && strstr(said, "not supported"),
           "the one line names the collector and the operation: '%s'", said);
    EXPECT(intact(o), "the object is untouched in the parent");
    release(h, o);
    finish(h);
}

int main(void) {
    size_t item = 0;
    gc_matrix_heap heaps[256];
    size_t n = gc_matrix_list(GC_MATRIX_ALL, heaps, 256);
    if (!EXPECT(n <= 256, "the matrix has %zu heaps, this test room for 256", n)) return tap_finish();
    for (size_t c = 0; c < gc_collector_count; c++) {
        if (!tap_shard_owns(item++)) continue;
        tap_case("gc.table-complete[%s]", gc_collectors[c]->name);
        check_table_complete(gc_collectors[c]);
    }
#define GC_CASE(check_name, call)                                          \
    if (tap_shard_owns(item++)) {                                          \
        tap_case("gc.%s[%s]", check_name, heaps[i].name);                  \
        current = heaps[i].name;                                           \
        gc_heap *h = open_heap(heaps[i].name, NULL);                       \
        if (h) call;                                                       \
    }
    for (size_t i = 0; i < n; i++) {
        GC_CASE("last-decref", check_last_decref(h));
        GC_CASE("deep-cascade", check_deep_cascade(h));
        GC_CASE("self-cycle", check_small_cycle(h, 1));
        GC_CASE("two-cycle", check_small_cycle(h, 2));
        GC_CASE("rings-of-21", check_rings(h));
        GC_CASE("held-cycle-survives", check_held_cycle(h));
        GC_CASE("garbage-to-live", check_garbage_to_live(h));
        GC_CASE("promotion", check_promotion(h));
        GC_CASE("rescue-order", check_rescue_order(h));
        GC_CASE("untracking", check_untracking(h));
        GC_CASE("untracking-eager", check_untracking_eager(h));
        GC_CASE("freeze", check_freeze(h));
        GC_CASE("weakref-callbacks-reach-garbage-bug1055820", check_weakref_callbacks_reach_garbage(h));
        GC_CASE("counts-after-collections", check_counts_after_collections(h));
        GC_CASE("untracked-death", check_untracked_death(h));
        GC_CASE("incremental-marking", check_incremental_marking(h));
        GC_CASE("automatic-collection", check_automatic(h, false));
        GC_CASE("disabled-collection", check_automatic(h, true));
        GC_CASE("finalizer-once-resurrection", check_resurrection(h, false));
        GC_CASE("transitive-resurrection", check_resurrection(h, true));
        GC_CASE("weakrefs", check_weakrefs(h));
        GC_CASE("finalizer-breaks-links", check_finalizer_effects(h, false));
        GC_CASE("collect-in-finalizer", check_finalizer_effects(h, true));
        GC_CASE("resurrection-mid-collection", check_resurrection_mid_collection(h));
        GC_CASE("resurrection-not-blocking-others", check_resurrection_not_blocking(h));
        GC_CASE("finalizer-frees-garbage-boom", check_finalizer_frees_garbage(h, false));
        GC_CASE("finalizer-frees-garbage-bug21435", check_finalizer_frees_garbage(h, true));
        GC_CASE("threshold-option", check_threshold_option(h));
        GC_CASE("long-lived-25-percent", check_long_lived_rule(h));
        GC_CASE("stats-add-up", check_stats_add_up(h));
        GC_CASE("bounded-under-churn", check_bounded(h));
        GC_CASE("unsupported-delete", check_unsupported_delete(h));
    }
    return tap_finish();
}
