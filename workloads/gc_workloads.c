/* gc_workloads.c — the GC workloads: object graphs driven through a collector (gc.h).
 *
 * Vocabulary
 *   drop      the mutator is done with a structure it owns: decref for the counting
 *             collectors, forgetting it for boehm, an explicit delete walk for manual (the
 *             no-GC baseline: what a C program does to free the same structure).
 *   run       one timed iteration: the whole shape below, once.
 *   op        one object created: ns/op is wall time per object, for every collector.
 *
 * Shapes
 *   binary-trees  the Benchmarks Game program: a stretch tree of depth D+1, a long-lived
 *                 tree of depth D, then for d = 4, 6, .. D, 2^(D-d+4) trees of depth d,
 *                 each built, checked (nodes counted) and dropped. Bottom-up garbage with
 *                 no cycles: reference counting frees it at once, tracing must find it.
 *                 A node is allocated before its children (as the C program does). Its
 *                 kind (`node`): an instance (`class Node` with __slots__ left, right: GCBench's
 *                 node, tracked from birth to death: the default) or a tuple (the Python
 *                 program's `(left, right)`, which collections untrack once its children
 *                 are). The long-lived tree is a root while it lives (gc_root_add: the
 *                 Python program's local in main's frame, which rc-inc marks from).
 *   rings         `rings` rings of 21 objects, made and dropped, then one explicit full
 *                 collection (gc.collect()-style): cyclic garbage only a cycle detector or
 *                 a tracer reclaims; rc leaks it (counted), manual deletes it node by node.
 *   nested        a nested container of `objects` containers (`fanout` children each, 1 to
 *                 4; 1 nests them all in one chain) built breadth first, then traversed
 *                 `passes` times with an explicit stack, then dropped: no garbage at all while it lives, so every collection the build
 *                 triggers is pure overhead (rc-gen's 25% rule keeps full ones rare).
 *   weakcache     a cache of `live` entries keyed by weakref, as Python programs keep them
 *                 (weakref.WeakValueDictionary, functools caches of weakrefs): each entry
 *                 is a value and a weakref to it with a callback. Every step looks one
 *                 random entry up through its weakref, then replaces the oldest: its value
 *                 is dropped (dies at once under counting; its weakref is cleared and the
 *                 callback runs), then its weakref, and a new pair takes the place. What
 *                 one death costs must not grow with the number of weakrefs alive.
 *   service       a long-running service: a state of `records` record pairs (a cycle each)
 *                 in pages under a root, then `requests` requests, each a request/response
 *                 cycle dropped when handled after reading one random record; every 1000
 *                 requests `replace` records are replaced (the old pair becomes cyclic
 *                 garbage in the old generation). rc-inc finds old garbage one scavenge
 *                 later than a full collection would: its footprint against rc-gen's.
 *   prefork       a pre-fork server: the same state built, gc_freeze (`freeze=1`), then
 *                 requests that never change the state; unfrozen and dropped at the end.
 *                 Collections never scan a frozen state (CPython's gc.freeze).
 * Every object is stored into a reachable parent the moment it exists, so a tracing
 * collector always sees it (the workloads' own tables are not scanned).
 */
#include "allocators/gc/gc.h"
#include "workloads/rng.h"
#include "workloads/wl.h"

#include <string.h>

static const gc_type tree_node[] = {
    {.name = "tree", .slots = 2, .kind = GC_KIND_INSTANCE},
    {.name = "tree-tuple", .slots = 2, .kind = GC_KIND_TUPLE},
};
static const gc_type ring_node = {.name = "ring", .slots = 1};
static const gc_type container = {.name = "container", .slots = 4};

static inline void own_release(gc_heap *h, gc_object *o) {
    if (h->collector->caps & GC_CAP_COUNTS) gc_decref(h, o);
}

/* ---- binary-trees ---------------------------------------------------------------- */

enum { BT_DEPTH, BT_RUNS, BT_NODE };
static wl_param bt_params[] = {
    [BT_DEPTH] = {"depth", "maximum tree depth (the Benchmarks Game's N)", 12, 4, 22, true},
    [BT_RUNS] = {"runs", "timed runs of the whole program", 3, 1, 1000, true},
    [BT_NODE] = {"node", "what a node is: a class instance (tracked from birth to death) or a tuple (untracked by "
                         "collections once its children are)",
                 .text = "instance", .choices = "instance|tuple"},
};

static gc_object *bt_make(wl_ctx *c, const gc_type *type, int depth) {
    gc_heap *h = c->gc;
    gc_object *n = gc_new(h, type, 0);
    if (n == NULL) {
        c->error = "allocation failed";
        return NULL;
    }
    c->ops++;
    if (depth > 0) {
        for (int i = 0; i < 2; i++) {
            gc_object *child = bt_make(c, type, depth - 1);
            if (child == NULL) return n;
            gc_store(h, n, (size_t)i, child);
            own_release(h, child);
        }
    }
    return n;
}

static uint64_t bt_check(gc_object *n) {
    return 1 + (n->slot[0] ? bt_check(n->slot[0]) + bt_check(n->slot[1]) : 0);
}

static void bt_drop(wl_ctx *c, gc_object *n) {
    gc_heap *h = c->gc;
    if (n == NULL) return;
    if (!(h->collector->caps & GC_CAP_DELETE)) {
        own_release(h, n);
        return;
    }
    gc_object *stack[64]; /* a tree of depth <= 23: at most one pending right child per level */
    size_t top = 0;
    stack[top++] = n;
    while (top) {
        gc_object *o = stack[--top];
        while (o) {
            gc_object *left = o->slot[0], *right = o->slot[1];
            gc_delete(h, o);
            if (right) stack[top++] = right;
            o = left;
        }
    }
}

static int64_t bt_iterations(const double *param) { return (int64_t)param[BT_RUNS]; }

static void bt_run(wl_ctx *c) {
    const int depth = (int)c->param[BT_DEPTH];
    const gc_type *type = &tree_node[wl_param_choice(&bt_params[BT_NODE])];
    int64_t left = c->iterations;
    uint64_t check = 0;
    while (wl_next(c, &left) && !c->error) {
        gc_object *stretch = bt_make(c, type, depth + 1);
        if (stretch) check += bt_check(stretch);
        bt_drop(c, stretch);
        gc_object *long_lived = bt_make(c, type, depth);
        gc_root_add(c->gc, &long_lived);
        for (int d = 4; d <= depth && !c->error; d += 2) {
            int64_t n = (int64_t)1 << (depth - d + 4);
            for (int64_t i = 0; i < n && !c->error; i++) {
                gc_object *t = bt_make(c, type, d);
                if (t) check += bt_check(t);
                bt_drop(c, t);
            }
        }
        gc_root_remove(c->gc, &long_lived);
        if (long_lived) check += bt_check(long_lived);
        bt_drop(c, long_lived);
    }
    c->sink ^= (unsigned char)check;
    wl_meter_mix(&c->meter, check);
}

wl_workload wl_binary_trees = {
    .name = "binary-trees",
    .summary = "GC: build, check and drop perfect binary trees; a long-lived tree beside them",
    .origin = "the Computer Language Benchmarks Game's binary-trees (Boehm's GCBench before it)",
    .threads = 1,
    .params = bt_params,
    .param_count = sizeof bt_params / sizeof bt_params[0],
    .iterations = bt_iterations,
    .run = bt_run,
    .collected = true,
};

/* ---- rings of 21 ----------------------------------------------------------------- */

enum { RG_RINGS, RG_RUNS };
enum { RING = 21 };
static wl_param rg_params[] = {
    [RG_RINGS] = {"rings", "rings of 21 objects made and dropped before each collect", 1000, 1, 1e7, true},
    [RG_RUNS] = {"runs", "timed rounds (rings, then one explicit full collection)", 20, 1, 1e6, true},
};

static int64_t rg_iterations(const double *param) { return (int64_t)param[RG_RUNS]; }

static void rg_run(wl_ctx *c) {
    gc_heap *h = c->gc;
    const int64_t rings = (int64_t)c->param[RG_RINGS];
    const bool manual = h->collector->caps & GC_CAP_DELETE;
    int64_t left = c->iterations;
    while (wl_next(c, &left) && !c->error) {
        for (int64_t r = 0; r < rings; r++) {
            gc_object *first = gc_new(h, &ring_node, 16), *prev = first;
            if (first == NULL) {
                c->error = "allocation failed";
                return;
            }
            for (int i = 1; i < RING; i++) {
                gc_object *o = gc_new(h, &ring_node, 16);
                if (o == NULL) {
                    c->error = "allocation failed";
                    break;
                }
                gc_store(h, prev, 0, o);
                own_release(h, o);
                prev = o;
            }
            gc_store(h, prev, 0, first);
            c->ops += RING;
            if (manual) {
                gc_object *o = first;
                for (int i = 0; i < RING; i++) {
                    gc_object *next = o->slot[0];
                    gc_delete(h, o);
                    o = next;
                }
            } else {
                own_release(h, first);
            }
        }
        gc_collect(h, GC_GENERATIONS - 1);
    }
}

wl_workload wl_rings = {
    .name = "rings",
    .summary = "GC: rings of 21 objects dropped as cyclic garbage, then an explicit full collection",
    .origin = "CPython's gc tests (rings of 21) under gc.collect()-style timing",
    .threads = 1,
    .params = rg_params,
    .param_count = sizeof rg_params / sizeof rg_params[0],
    .iterations = rg_iterations,
    .run = rg_run,
    .collected = true,
};

/* ---- nested containers, no garbage ------------------------------------------------ */

enum { NE_OBJECTS, NE_FANOUT, NE_PASSES, NE_RUNS };
static wl_param ne_params[] = {
    [NE_OBJECTS] = {"objects", "containers in the nested structure", 200000, 1, 1e8, true},
    [NE_FANOUT] = {"fanout", "children per container (1: one chain, as deep as it is long)", 4, 1, 4, true},
    [NE_PASSES] = {"passes", "full traversals per run", 3, 0, 1000, true},
    [NE_RUNS] = {"runs", "timed runs (build, traverse, drop)", 3, 1, 1e6, true},
};

static int64_t ne_iterations(const double *param) { return (int64_t)param[NE_RUNS]; }

static void ne_drop_manual(gc_heap *h, gc_object *root, gc_object **stack) {
    size_t top = 0;
    stack[top++] = root;
    while (top) {
        gc_object *o = stack[--top];
        for (int i = 0; i < 4; i++)
            if (o->slot[i]) stack[top++] = o->slot[i];
        gc_delete(h, o);
    }
}

static void ne_run(wl_ctx *c) {
    gc_heap *h = c->gc;
    const size_t objects = (size_t)c->param[NE_OBJECTS];
    const int passes = (int)c->param[NE_PASSES];
    const int fanout = (int)c->param[NE_FANOUT];
    gc_object **work = wl_scratch_alloc(objects * sizeof *work); /* build queue, then traversal stack */
    if (work == NULL) {
        c->error = "no memory for the work list";
        return;
    }
    uint64_t sum = 0;
    int64_t left = c->iterations;
    while (wl_next(c, &left) && !c->error) {
        gc_object *root = gc_new(h, &container, sizeof(uint64_t));
        if (root == NULL) {
            c->error = "allocation failed";
            break;
        }
        size_t made = 1, head = 0, tail = 0;
        work[tail++] = root;
        while (made < objects) { /* breadth first: each container gets `fanout` children in turn */
            gc_object *parent = work[head++];
            for (int i = 0; i < fanout && made < objects; i++) {
                gc_object *o = gc_new(h, &container, sizeof(uint64_t));
                if (o == NULL) {
                    c->error = "allocation failed";
                    break;
                }
                *(uint64_t *)gc_payload(o) = made++;
                gc_store(h, parent, (size_t)i, o);
                own_release(h, o);
                work[tail++] = o;
            }
            if (c->error) break;
        }
        c->ops += (int64_t)made;
        for (int p = 0; p < passes; p++) {
            size_t top = 0;
            work[top++] = root;
            while (top) {
                gc_object *o = work[--top];
                sum += *(uint64_t *)gc_payload(o);
                for (int i = 0; i < 4; i++)
                    if (o->slot[i]) work[top++] = o->slot[i];
            }
        }
        if (h->collector->caps & GC_CAP_DELETE) ne_drop_manual(h, root, work);
        else own_release(h, root);
    }
    c->sink ^= (unsigned char)sum;
    wl_scratch_free(work, objects * sizeof *work);
}

wl_workload wl_nested = {
    .name = "nested",
    .summary = "GC: build and traverse a large nested container; no garbage while it lives",
    .origin = "a program holding a big live data structure: collections that find nothing",
    .threads = 1,
    .params = ne_params,
    .param_count = sizeof ne_params / sizeof ne_params[0],
    .iterations = ne_iterations,
    .run = ne_run,
    .collected = true,
};

/* ---- a cache keyed by weakref --------------------------------------------------- */

enum { WC_LIVE, WC_STEPS, WC_RUNS, WC_SEED };
enum { WC_PAGE = 128, WC_PAGES = 8192 }; /* entries per page; pages in the directory: 1M entries */
static wl_param wc_params[] = {
    [WC_LIVE] = {"live", "cache entries (a value and a weakref to it), all alive at once", 10000, 1,
                 WC_PAGE * WC_PAGES, true},
    [WC_STEPS] = {"steps", "entries replaced per run, each after one lookup", 100000, 0, 1e9, true},
    [WC_RUNS] = {"runs", "timed runs (fill the cache, replace, drop it)", 3, 1, 1e6, true},
    [WC_SEED] = {"seed", "random seed (which entries are looked up)", 42, 0, 9007199254740992.0, true},
};

/* The cache lives in objects, so a tracing collector sees all of it: a directory of pages,
 * a page holding entry k's value in slot 2k and its weakref in slot 2k + 1. */
static const gc_type wc_dir = {.name = "cache-directory", .slots = WC_PAGES};
static const gc_type wc_page = {.name = "cache-page", .slots = 2 * WC_PAGE};
static const gc_type wc_value = {.name = "cache-value", .slots = 0};
enum { WC_VALUE_BYTES = 32 };

static void wc_evicted(gc_heap *h, gc_object *weakref, void *arg) {
    (void)h;
    (void)weakref;
    (*(uint64_t *)arg)++;
}

/* A new value and its weakref at entry `k` of `page` (whose slots there are empty). */
static void wc_put(wl_ctx *c, gc_object *page, size_t k, uint64_t id, uint64_t *evicted) {
    gc_heap *h = c->gc;
    gc_object *v = gc_new(h, &wc_value, WC_VALUE_BYTES);
    if (v == NULL) {
        c->error = "allocation failed";
        return;
    }
    memcpy(gc_payload(v), &id, sizeof id);
    gc_store(h, page, 2 * k, v);
    own_release(h, v);
    gc_object *w = gc_weakref_new(h, v, wc_evicted, evicted);
    if (w == NULL) {
        c->error = "allocation failed";
        return;
    }
    gc_store(h, page, 2 * k + 1, w);
    own_release(h, w);
    c->ops += 2;
}

/* Entry k of `page` goes: its value, then its weakref (manual: deleted, as a C program
 * frees them; the counting collectors free them as their slots let go). */
static void wc_drop(gc_heap *h, gc_object *page, size_t k) {
    for (size_t slot = 2 * k; slot <= 2 * k + 1; slot++) {
        if (h->collector->caps & GC_CAP_DELETE) gc_delete(h, page->slot[slot]);
        gc_store(h, page, slot, NULL);
    }
}

static int64_t wc_iterations(const double *param) { return (int64_t)param[WC_RUNS]; }

static void wc_run(wl_ctx *c) {
    gc_heap *h = c->gc;
    const size_t live = (size_t)c->param[WC_LIVE];
    const uint64_t steps = (uint64_t)c->param[WC_STEPS];
    const unsigned caps = h->collector->caps;
    /* where a dropped value dies at once, its weakref's callback has run by the time the
     * drop returns (a value dies under counting, or is deleted by manual) */
    const bool dies_at_drop = (caps & GC_CAP_WEAK_CALLBACKS) && (caps & (GC_CAP_COUNTS | GC_CAP_DELETE));
    wl_rng r;
    wl_rng_seed(&r, (uint64_t)c->param[WC_SEED]);
    uint64_t evicted = 0, id = 0, sum = 0;
    int64_t left = c->iterations;
    while (wl_next(c, &left) && !c->error) {
        gc_object *dir = gc_new(h, &wc_dir, 0);
        if (dir == NULL) {
            c->error = "allocation failed";
            break;
        }
        for (size_t e = 0; e < live && !c->error; e++) { /* fill */
            if (dir->slot[e / WC_PAGE] == NULL) {
                gc_object *page = gc_new(h, &wc_page, 0);
                if (page == NULL) {
                    c->error = "allocation failed";
                    break;
                }
                gc_store(h, dir, e / WC_PAGE, page);
                own_release(h, page);
            }
            wc_put(c, dir->slot[e / WC_PAGE], e % WC_PAGE, id++, &evicted);
        }
        for (uint64_t s = 0; s < steps && !c->error; s++) {
            size_t j = (size_t)wl_rng_below(&r, live); /* a lookup: every entry is alive */
            gc_object *v = gc_weakref_get(h, dir->slot[j / WC_PAGE]->slot[2 * (j % WC_PAGE) + 1]);
            if (v == NULL) {
                c->error = "a live entry's weakref was cleared";
                break;
            }
            sum += *(unsigned char *)gc_payload(v);
            size_t oldest = (size_t)(s % live);
            gc_object *page = dir->slot[oldest / WC_PAGE];
            uint64_t before = evicted;
            wc_drop(h, page, oldest % WC_PAGE);
            if (dies_at_drop && evicted != before + 1) {
                c->error = "a dropped value's weakref callback did not run once";
                break;
            }
            wc_put(c, page, oldest % WC_PAGE, id++, &evicted);
        }
        if (caps & GC_CAP_DELETE) { /* manual: entries, pages, the directory, in turn */
            for (size_t e = 0; e < live && dir->slot[e / WC_PAGE]; e++)
                if (dir->slot[e / WC_PAGE]->slot[2 * (e % WC_PAGE)]) wc_drop(h, dir->slot[e / WC_PAGE], e % WC_PAGE);
            for (size_t p = 0; p < WC_PAGES && dir->slot[p]; p++) gc_delete(h, dir->slot[p]);
            gc_delete(h, dir);
        } else {
            own_release(h, dir);
        }
    }
    c->sink ^= (unsigned char)sum;
    wl_meter_mix(&c->meter, id);
}

wl_workload wl_weakcache = {
    .name = "weakcache",
    .summary = "GC: a cache keyed by weakref: lookups through weakrefs, the oldest entry replaced each step",
    .origin = "Python's weakref.WeakValueDictionary-style caches; CPython keeps each object's weakrefs in a list on "
              "the object, so a death costs what that object has",
    .threads = 1,
    .params = wc_params,
    .param_count = sizeof wc_params / sizeof wc_params[0],
    .iterations = wc_iterations,
    .run = wc_run,
    .collected = true,
};

/* ---- a long-running service, and a pre-fork server ------------------------------- */

/* The state: `records` records, each a record object and its attribute object referring to
 * each other (a 2-cycle, as a Python object and its __dict__ or a parent/child pair), held
 * in pages of a directory that is a root (the module global holding the state). A request
 * makes a request and a response object referring to each other (cyclic garbage once
 * handled, as a request's exception, frame or callback closure is), reads one random
 * record, and is dropped. */
enum { SV_PAGE = 256, SV_PAGES = 4096 };
static const gc_type sv_dir = {.name = "service-directory", .slots = SV_PAGES};
static const gc_type sv_page = {.name = "service-page", .slots = SV_PAGE};
static const gc_type sv_node = {.name = "service-object", .slots = 1};
enum { SV_RECORD_BYTES = 48, SV_ATTR_BYTES = 64, SV_REQUEST_BYTES = 32 };

/* A 2-cycle a <-> b; returns a, the only reference the caller holds. */
static gc_object *sv_pair(wl_ctx *c, size_t a_bytes, size_t b_bytes, uint64_t id) {
    gc_heap *h = c->gc;
    gc_object *a = gc_new(h, &sv_node, a_bytes), *b = a ? gc_new(h, &sv_node, b_bytes) : NULL;
    if (b == NULL) {
        c->error = "allocation failed";
        return a;
    }
    memcpy(gc_payload(a), &id, sizeof id);
    gc_store(h, a, 0, b);
    gc_store(h, b, 0, a);
    own_release(h, b);
    c->ops += 2;
    return a;
}

/* The mutator is done with the pair a <-> b it holds (manual: deletes both). */
static void sv_drop_pair(gc_heap *h, gc_object *a) {
    if (h->collector->caps & GC_CAP_DELETE) {
        gc_delete(h, a->slot[0]);
        gc_delete(h, a);
    } else {
        own_release(h, a);
    }
}

/* Record k of the state goes (manual: deleted) and, with `fresh`, a new one takes its place. */
static void sv_replace(wl_ctx *c, gc_object *dir, size_t k, uint64_t fresh) {
    gc_heap *h = c->gc;
    gc_object *page = dir->slot[k / SV_PAGE];
    gc_object *old = page->slot[k % SV_PAGE];
    if (old && (h->collector->caps & GC_CAP_DELETE)) sv_drop_pair(h, old);
    gc_store(h, page, k % SV_PAGE, NULL); /* counting: the old pair is cyclic garbage now */
    if (!fresh) return;
    gc_object *rec = sv_pair(c, SV_RECORD_BYTES, SV_ATTR_BYTES, fresh);
    if (rec == NULL) return;
    gc_store(h, page, k % SV_PAGE, rec);
    own_release(h, rec);
}

typedef struct sv_shape {
    size_t records;
    uint64_t requests; /* per run */
    double replace;    /* records replaced per request */
    bool freeze;       /* gc_freeze once the state is built (pre-fork) */
    uint64_t seed;
} sv_shape;

static void sv_serve(wl_ctx *c, const sv_shape *s) {
    gc_heap *h = c->gc;
    wl_rng r;
    wl_rng_seed(&r, s->seed);
    uint64_t id = 1, sum = 0;
    double owed = 0; /* replacements due */
    int64_t left = c->iterations;
    while (wl_next(c, &left) && !c->error) {
        gc_object *dir = gc_new(h, &sv_dir, 0);
        if (dir == NULL) {
            c->error = "allocation failed";
            break;
        }
        gc_root_add(h, &dir);
        for (size_t p = 0; p * SV_PAGE < s->records && !c->error; p++) {
            gc_object *page = gc_new(h, &sv_page, 0);
            if (page == NULL) {
                c->error = "allocation failed";
                break;
            }
            gc_store(h, dir, p, page);
            own_release(h, page);
        }
        for (size_t k = 0; k < s->records && !c->error; k++) sv_replace(c, dir, k, id++);
        if (s->freeze) gc_freeze(h); /* the master is about to fork: its state is shared */
        for (uint64_t q = 0; q < s->requests && !c->error; q++) {
            gc_object *req = sv_pair(c, SV_REQUEST_BYTES, SV_REQUEST_BYTES, id++);
            if (req == NULL) break;
            size_t k = (size_t)wl_rng_below(&r, s->records);
            gc_object *rec = dir->slot[k / SV_PAGE]->slot[k % SV_PAGE];
            sum += *(unsigned char *)gc_payload(rec);
            sv_drop_pair(h, req);
            for (owed += s->replace; owed >= 1 && !c->error; owed--)
                sv_replace(c, dir, (size_t)wl_rng_below(&r, s->records), id++);
        }
        if (s->freeze) gc_unfreeze(h); /* shutdown: the state may be collected again */
        gc_root_remove(h, &dir);
        if (h->collector->caps & GC_CAP_DELETE) {
            for (size_t k = 0; k < s->records; k++) sv_replace(c, dir, k, 0);
            for (size_t p = 0; p * SV_PAGE < s->records; p++) gc_delete(h, dir->slot[p]);
            gc_delete(h, dir);
        } else {
            own_release(h, dir);
        }
        gc_collect(h, GC_GENERATIONS - 1); /* the state's cycles, between runs (not in rc: leaked) */
    }
    c->sink ^= (unsigned char)sum;
    wl_meter_mix(&c->meter, id);
}

enum { SV_RECORDS, SV_REQUESTS, SV_REPLACE, SV_RUNS, SV_SEED };
static wl_param sv_params[] = {
    [SV_RECORDS] = {"records", "records in the long-lived state (two objects each, a cycle)", 100000, 1,
                    SV_PAGE * SV_PAGES, true},
    [SV_REQUESTS] = {"requests", "requests per run (two objects each, a cycle dropped when handled)", 200000, 0, 1e9,
                     true},
    [SV_REPLACE] = {"replace", "records replaced per 1000 requests (how slowly the state changes)", 20, 0, 1e6, false},
    [SV_RUNS] = {"runs", "timed runs (build the state, serve, drop it)", 2, 1, 1e6, true},
    [SV_SEED] = {"seed", "random seed (which records are read and replaced)", 42, 0, 9007199254740992.0, true},
};

static int64_t sv_iterations(const double *param) { return (int64_t)param[SV_RUNS]; }

static void sv_run(wl_ctx *c) {
    const sv_shape s = {.records = (size_t)c->param[SV_RECORDS], .requests = (uint64_t)c->param[SV_REQUESTS],
                        .replace = c->param[SV_REPLACE] / 1000.0, .seed = (uint64_t)c->param[SV_SEED]};
    sv_serve(c, &s);
}

wl_workload wl_service = {
    .name = "service",
    .summary = "GC: a long-running service: a large, slowly changing old generation of cycles beside cyclic "
               "garbage per request",
    .origin = "a Python web service's long-lived state and its requests (the case CPython 3.14.5 reverted the "
              "incremental collector for)",
    .threads = 1,
    .params = sv_params,
    .param_count = sizeof sv_params / sizeof sv_params[0],
    .iterations = sv_iterations,
    .run = sv_run,
    .collected = true,
};

enum { PF_RECORDS, PF_REQUESTS, PF_FREEZE, PF_RUNS, PF_SEED };
static wl_param pf_params[] = {
    [PF_RECORDS] = {"records", "records built before the fork (two objects each, a cycle)", 100000, 1,
                    SV_PAGE * SV_PAGES, true},
    [PF_REQUESTS] = {"requests", "requests a worker serves per run (two objects each, cyclic garbage)", 200000, 0, 1e9,
                     true},
    [PF_FREEZE] = {"freeze", "1: gc_freeze the state before serving (gc.freeze before os.fork); 0: do not", 1, 0, 1,
                   true},
    [PF_RUNS] = {"runs", "timed runs (build the state, freeze, serve, unfreeze and drop it)", 2, 1, 1e6, true},
    [PF_SEED] = {"seed", "random seed (which records are read)", 42, 0, 9007199254740992.0, true},
};

static int64_t pf_iterations(const double *param) { return (int64_t)param[PF_RUNS]; }

static void pf_run(wl_ctx *c) {
    const sv_shape s = {.records = (size_t)c->param[PF_RECORDS], .requests = (uint64_t)c->param[PF_REQUESTS],
                        .freeze = c->param[PF_FREEZE] != 0, .seed = (uint64_t)c->param[PF_SEED]};
    sv_serve(c, &s);
}

wl_workload wl_prefork = {
    .name = "prefork",
    .summary = "GC: a pre-fork server: state built, frozen (gc.freeze), then requests that never change it",
    .origin = "a server whose master calls gc.freeze() before os.fork(), as CPython's gc.freeze documentation advises",
    .threads = 1,
    .params = pf_params,
    .param_count = sizeof pf_params / sizeof pf_params[0],
    .iterations = pf_iterations,
    .run = pf_run,
    .collected = true,
};
