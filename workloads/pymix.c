/* pymix.c — Python-like object churn: the allocation pattern of a CPython program, with
 * the object sizes of a 64-bit CPython (pyobj.h), driven through the allocator interface
 * (workload pymix) or the collector interface (workload pymix-gc): one model, two sinks.
 *
 * Vocabulary
 *   model     decides what the "program" does next (pymix_body): temporaries that die
 *             young, tuples packing them, lists that are appended to (their item array
 *             grown with realloc by CPython's over-allocation rule, shrunk when half
 *             empty), dicts that are filled (their keys table replaced by a bigger one at
 *             2/3 full), instances with a __dict__, containers dropped with everything
 *             they hold, and now and then two lists that refer to each other (a cycle).
 *   object    a handle into the model's tables: its block, size, kind, its owner (the
 *             container that holds it) and, for containers, its children and its
 *             separate items/keys block (its "aux" block).
 *   ownership every object but the roots and the temporaries has exactly one owner;
 *             dropping an object drops what it owns (a decref cascade in a program without
 *             cycles). A cycle's back edge is a *reference* that owns nothing.
 *   sink      what carries the model's events out, chosen by a compile-time constant so
 *             neither variant pays for the other:
 *               PYMIX_MM  the allocator: sink_new, sink_aux and sink_drop call
 *                         wl_alloc/wl_realloc/wl_free; sink_ref (a cycle's back edge),
 *                         sink_link/sink_unlink/sink_hold cost the allocator nothing.
 *               PYMIX_GC  the collector (c->gc): sink_new is gc_new with the kind's slot
 *                         count; sink_link stores the new object where its owner holds it;
 *                         sink_unlink is the store that takes the owner's reference back
 *                         (so rc frees the subtree at once, and a dropped cycle is left to
 *                         the cycle collector); sink_ref is a store into the back slot;
 *                         sink_drop is gc_delete for manual and nothing otherwise; an aux
 *                         block is a slotless object stored in the container's aux slot.
 *   frame     (PYMIX_GC) one rooted object whose slots hold what has no owner: the 8
 *             roots, the 64 young temporaries and 2 "pending" slots where a temporary
 *             waits between its creation and its place in the young ring.
 *   chain     (PYMIX_GC) how a container holds its children: its FIRST slot names the
 *             newest child, each child's NEXT slot the next older one — the model's
 *             children list, as references. Every object is reachable from the frame
 *             through owners and chains the moment it exists (boehm scans nothing else).
 *
 * Op stream: both sinks hash the same events in the metered pass (sizes of new objects
 * and aux blocks, realloc'd sizes, back edges), so pymix and pymix-gc with the same
 * parameters have the same ops_checksum on every strategy and every collector.
 *
 * Invariants
 *   an object is live iff ptr[h] != NULL; live objects = the sum of 1 over them;
 *   a list's items block holds capacity*8 bytes >= nitems*8; a dict's keys table has
 *   used <= usable(log2); children lists are doubly linked and hold exactly the objects
 *   whose owner is that container; the container registry holds exactly the live
 *   containers (reg[regpos[h]] == h).
 *   PYMIX_GC: for every live h with an owner, the owner's FIRST slot or the NEXT slot of
 *   prev[h] holds h; for every live h without one, frame slot hold[h] holds h; a live
 *   container's AUX slot holds aux[h]; under the counting collectors each of those slots
 *   holds the object's only reference, apart from back edges.
 */
#include "allocators/gc/gc.h"
#include "workloads/pyobj.h"
#include "workloads/wl.h"

#include <string.h>

enum { P_STEPS, P_OBJECTS, P_SEED };
enum { BATCH = 1000, YOUNG = 64, ROOTS = 8, NONE = -1 };
enum { K_SCALAR, K_TUPLE, K_LIST, K_DICT, K_INSTANCE, K_BLOCK /* an aux block (PYMIX_GC) */ };
enum { PYMIX_MM, PYMIX_GC }; /* the sinks */

/* Both workloads take the same parameters, each in its own array (--param pymix.steps
 * leaves pymix-gc alone). */
#define PYMIX_PARAMS                                                                                                  \
    {                                                                                                                 \
        [P_STEPS] = {"steps", "program steps (each a few allocator calls), a multiple of 1000", 1000000, 1000, 1e9,   \
                     true},                                                                                           \
        [P_OBJECTS] = {"objects", "live objects the program holds at its steady state", 50000, 100, 1e7, true},       \
        [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},                                          \
    }
static wl_param pymix_params[] = PYMIX_PARAMS;
static wl_param pymix_gc_params[] = PYMIX_PARAMS;

/* PYMIX_GC: the slots of each kind, and the types. Every object can sit in a chain (NEXT);
 * containers and tuples own children (FIRST); lists and dicts have an aux block (AUX);
 * lists can hold a cycle's back edge (BACK). Each object asks for CPython's size: the
 * payload is what the header and slots leave of it (none when they exceed it). */
enum { S_NEXT, S_FIRST, S_AUX, S_BACK };
enum { FRAME_YOUNG = ROOTS, FRAME_PENDING = ROOTS + YOUNG, FRAME_SLOTS = ROOTS + YOUNG + 2 };
/* Their kinds (gc.h, "kind": whose tracking rules a collector with lists applies): a dict
 * is a dict; a list, an instance and the frame are instances. A tuple here owns children
 * through a chain slot that changes as they come and go (mutable, unlike CPython's), so it
 * is an instance. A scalar, which CPython never tracks, holds only the chain's NEXT slot:
 * it takes a dict's rules, untracked while that slot holds nothing that may be tracked. */
static const gc_type py_type[] = {
    [K_SCALAR] = {.name = "py-scalar", .slots = 1, .kind = GC_KIND_DICT},
    [K_TUPLE] = {.name = "py-tuple", .slots = 2},
    [K_LIST] = {.name = "py-list", .slots = 4},
    [K_DICT] = {.name = "py-dict", .slots = 3, .kind = GC_KIND_DICT},
    [K_INSTANCE] = {.name = "py-instance", .slots = 2},
    [K_BLOCK] = {.name = "py-block", .slots = 0},
};
static const gc_type py_frame = {.name = "py-frame", .slots = FRAME_SLOTS};

typedef struct model {
    size_t cap;                    /* object handles */
    void **ptr, **aux;             /* the object's block; a list's items / a dict's keys */
    uint32_t *size, *aux_size;     /* requested bytes of each */
    uint8_t *kind;
    int32_t *owner, *first, *next, *prev; /* ownership tree: children doubly linked */
    uint32_t *count, *room;        /* list: items, capacity; dict: used, log2 of slots */
    int32_t *reg, *regpos;         /* live containers, for random picks */
    size_t nreg;
    int32_t *free_handles, *stack;
    size_t nfree, live;
    int32_t young[YOUNG];
    size_t young_at;
    int64_t ops;         /* PYMIX_MM: allocator calls; PYMIX_GC: objects created */
    gc_object *frame;    /* PYMIX_GC: the rooted holder of roots, temporaries, pending */
    int32_t *hold;       /* PYMIX_GC: the frame slot of an object without owner */
    unsigned pending;    /* PYMIX_GC: the next pending slot (of 2) */
    bool counting, manual; /* PYMIX_GC: the collector counts references / deletes explicitly */
} model;

/* ---- the sinks ------------------------------------------------------------------------ */

static inline size_t py_payload(const gc_type *t, size_t size) {
    size_t fixed = sizeof(gc_object) + sizeof(gc_object *) * t->slots;
    return size > fixed ? size - fixed : 0;
}

/* The owner's (or the caller's, just after gc_new) reference goes back. */
static inline void py_release(wl_ctx *c, model *m, gc_object *o) {
    if (m->counting) gc_decref(c->gc, o);
}

static inline __attribute__((always_inline)) void *sink_new(wl_ctx *c, model *m, size_t size, uint8_t kind,
                                                            const int sink, const bool metered) {
    m->ops++;
    if (sink == PYMIX_MM) return wl_alloc(c, size, metered);
    if (metered) wl_meter_mix(&c->meter, size);
    gc_object *o = gc_new(c->gc, &py_type[kind], py_payload(&py_type[kind], size));
    if (__builtin_expect(o == NULL, 0)) c->error = "allocation failed";
    return o;
}

/* Gives container h an aux block of `size` bytes: a list's items are resized in place
 * (realloc), a dict's keys table is replaced (a new block, then the old one freed). */
static inline __attribute__((always_inline)) bool sink_aux(wl_ctx *c, model *m, int32_t h, size_t size, const int sink,
                                                           const bool metered) {
    void *old = m->aux[h], *p;
    bool in_place = m->kind[h] == K_LIST;
    m->ops++;
    if (sink == PYMIX_MM) {
        if (in_place) {
            p = old ? wl_realloc(c, old, m->aux_size[h], size, metered) : wl_alloc(c, size, metered);
        } else if ((p = wl_alloc(c, size, metered)) != NULL && old) {
            m->ops++;
            wl_free(c, old, m->aux_size[h], metered);
        }
        if (!p) return false;
    } else {
        if (metered) wl_meter_mix(&c->meter, in_place && old ? size ^ 0x5245ull << 48 : size);
        gc_object *b = gc_new(c->gc, &py_type[K_BLOCK], py_payload(&py_type[K_BLOCK], size));
        if (b == NULL) {
            c->error = "allocation failed";
            return false;
        }
        gc_store(c->gc, m->ptr[h], S_AUX, b); /* the old block loses its only reference */
        if (m->manual && old) gc_delete(c->gc, old);
        py_release(c, m, b);
        p = b;
    }
    m->aux[h] = p;
    m->aux_size[h] = (uint32_t)size;
    return true;
}

/* One object of a dropped subtree (its aux block too): freed by the allocator, deleted by
 * manual; the counting and tracing collectors got their cue from sink_unlink. */
static inline __attribute__((always_inline)) void sink_drop(wl_ctx *c, model *m, void *p, size_t size, const int sink,
                                                            const bool metered) {
    if (sink == PYMIX_MM) {
        m->ops++;
        wl_free(c, p, size, metered);
    } else if (m->manual) {
        gc_delete(c->gc, p);
    }
}

/* A reference that owns nothing (a cycle's back edge): free for the allocator, a store
 * into the holder's back slot for a collector. */
static inline __attribute__((always_inline)) void sink_ref(wl_ctx *c, model *m, int32_t holder, int32_t target,
                                                           const int sink, const bool metered) {
    if (metered) wl_meter_mix(&c->meter, (uint64_t)holder << 32 | (uint32_t)target);
    if (sink == PYMIX_GC) gc_store(c->gc, m->ptr[holder], S_BACK, m->ptr[target]);
}

/* PYMIX_GC: new object h (just linked into the model) is stored where its owner holds it,
 * or in a pending frame slot; then the creator's reference goes back. */
static inline __attribute__((always_inline)) void sink_link(wl_ctx *c, model *m, int32_t parent, int32_t h,
                                                            const int sink) {
    if (sink == PYMIX_MM) return;
    gc_object *o = m->ptr[h];
    if (parent == NONE) {
        m->hold[h] = FRAME_PENDING + (int32_t)(m->pending++ & 1);
        gc_store(c->gc, m->frame, (size_t)m->hold[h], o);
    } else {
        if (m->next[h] != NONE) gc_store(c->gc, o, S_NEXT, m->ptr[m->next[h]]);
        gc_store(c->gc, m->ptr[parent], S_FIRST, o);
    }
    py_release(c, m, o);
}

/* PYMIX_GC: the owner's reference to h goes back (h is still in the model's lists). Its
 * chain link goes too, so a dropped cycle keeps alive only what it owns, as in CPython. */
static inline __attribute__((always_inline)) void sink_unlink(wl_ctx *c, model *m, int32_t h, const int sink) {
    if (sink == PYMIX_MM) return;
    int32_t parent = m->owner[h];
    gc_object *o = m->ptr[h];
    if (parent == NONE) {
        gc_store(c->gc, m->frame, (size_t)m->hold[h], NULL);
        return;
    }
    if (m->counting) gc_incref(c->gc, o); /* h outlives the relinking below */
    gc_object *next = m->next[h] == NONE ? NULL : m->ptr[m->next[h]];
    if (m->prev[h] == NONE) gc_store(c->gc, m->ptr[parent], S_FIRST, next);
    else gc_store(c->gc, m->ptr[m->prev[h]], S_NEXT, next);
    if (next) gc_store(c->gc, o, S_NEXT, NULL);
    py_release(c, m, o); /* rc frees the subtree here, unless a cycle holds it */
}

/* PYMIX_GC: h, without owner, moves to frame slot `slot` (a root's, a young one's). */
static inline __attribute__((always_inline)) void sink_hold(wl_ctx *c, model *m, int32_t h, int32_t slot,
                                                            const int sink) {
    if (sink == PYMIX_MM) return;
    gc_store(c->gc, m->frame, (size_t)slot, m->ptr[h]);
    gc_store(c->gc, m->frame, (size_t)m->hold[h], NULL);
    m->hold[h] = slot;
}

/* ---- the model -------------------------------------------------------------------------- */

static bool model_open(model *m, size_t cap) {
    memset(m, 0, sizeof *m);
    m->cap = cap;
#define TABLE(field) (m->field = wl_scratch_alloc(cap * sizeof *m->field)) != NULL
    bool ok = TABLE(ptr) && TABLE(aux) && TABLE(size) && TABLE(aux_size) && TABLE(kind) && TABLE(owner) && TABLE(first) &&
              TABLE(next) && TABLE(prev) && TABLE(count) && TABLE(room) && TABLE(reg) && TABLE(regpos) &&
              TABLE(free_handles) && TABLE(stack) && TABLE(hold);
#undef TABLE
    if (!ok) return false;
    for (size_t i = 0; i < cap; i++) m->free_handles[i] = (int32_t)(cap - 1 - i);
    m->nfree = cap;
    for (size_t i = 0; i < YOUNG; i++) m->young[i] = NONE;
    return true;
}

static void model_close(model *m) {
#define UNMAP(field) wl_scratch_free(m->field, m->cap * sizeof *m->field)
    UNMAP(ptr), UNMAP(aux), UNMAP(size), UNMAP(aux_size), UNMAP(kind), UNMAP(owner), UNMAP(first), UNMAP(next);
    UNMAP(prev), UNMAP(count), UNMAP(room), UNMAP(reg), UNMAP(regpos), UNMAP(free_handles), UNMAP(stack), UNMAP(hold);
#undef UNMAP
}

static inline bool is_container(uint8_t kind) { return kind == K_LIST || kind == K_DICT || kind == K_INSTANCE; }

static inline void link_child(model *m, int32_t parent, int32_t h) {
    m->owner[h] = parent;
    m->prev[h] = NONE;
    m->next[h] = parent == NONE ? NONE : m->first[parent];
    if (parent == NONE) return;
    if (m->first[parent] != NONE) m->prev[m->first[parent]] = h;
    m->first[parent] = h;
}

static inline void unlink_child(model *m, int32_t h) {
    int32_t parent = m->owner[h];
    if (parent == NONE) return;
    if (m->prev[h] != NONE) m->next[m->prev[h]] = m->next[h];
    else m->first[parent] = m->next[h];
    if (m->next[h] != NONE) m->prev[m->next[h]] = m->prev[h];
    m->owner[h] = NONE;
}

/* A new object of `kind` and `size`, owned by `parent` (NONE: a root or a temporary). */
static inline __attribute__((always_inline)) int32_t obj_new(wl_ctx *c, model *m, uint8_t kind, size_t size,
                                                             int32_t parent, const int sink, const bool metered) {
    if (m->nfree == 0) return NONE;
    int32_t h = m->free_handles[--m->nfree];
    if (!(m->ptr[h] = sink_new(c, m, size, kind, sink, metered))) {
        m->free_handles[m->nfree++] = h;
        return NONE;
    }
    m->size[h] = (uint32_t)size;
    m->kind[h] = kind;
    m->aux[h] = NULL;
    m->aux_size[h] = 0;
    m->count[h] = m->room[h] = 0;
    m->first[h] = NONE;
    link_child(m, parent, h);
    sink_link(c, m, parent, h, sink);
    if (is_container(kind)) {
        m->regpos[h] = (int32_t)m->nreg;
        m->reg[m->nreg++] = h;
    }
    m->live++;
    return h;
}

/* Drops h and everything it owns, deepest first (the decref cascade). */
static inline __attribute__((always_inline)) void obj_drop(wl_ctx *c, model *m, int32_t h, const int sink,
                                                           const bool metered) {
    sink_unlink(c, m, h, sink);
    unlink_child(m, h);
    size_t top = 0;
    m->stack[top++] = h;
    while (top) {
        int32_t x = m->stack[top - 1];
        if (m->first[x] != NONE) { /* children first */
            int32_t child = m->first[x];
            m->first[x] = m->next[child];
            m->stack[top++] = child;
            continue;
        }
        top--;
        if (m->aux[x]) sink_drop(c, m, m->aux[x], m->aux_size[x], sink, metered);
        sink_drop(c, m, m->ptr[x], m->size[x], sink, metered);
        m->ptr[x] = NULL;
        if (is_container(m->kind[x])) {
            int32_t last = m->reg[--m->nreg];
            m->reg[m->regpos[x]] = last;
            m->regpos[last] = m->regpos[x];
        }
        m->free_handles[m->nfree++] = x;
        m->live--;
    }
}

static inline size_t scalar_size(wl_rng *r) {
    uint64_t u = wl_rng_below(r, 10);
    if (u < 4) return wl_py_str_size(wl_rng_range(r, 1, 20));
    if (u < 7) return wl_py_int_size(wl_rng_below(r, 8) ? 1 : 2);
    if (u < 9) return WL_PY_FLOAT;
    return wl_py_str_size(wl_rng_range(r, 20, 300));
}

/* Adds an item to a list (growing its items block) or an entry to a dict (replacing its
 * keys table when full); returns false when an allocation failed. */
static inline __attribute__((always_inline)) bool container_grow(wl_ctx *c, model *m, int32_t h, const int sink,
                                                                 const bool metered) {
    if (m->kind[h] == K_LIST) {
        uint32_t n = m->count[h] + 1;
        if (n > m->room[h]) {
            uint32_t room = (uint32_t)wl_py_list_capacity(n);
            if (!sink_aux(c, m, h, 8u * room, sink, metered)) return false;
            m->room[h] = room;
        }
        m->count[h] = n;
        return true;
    }
    unsigned log2 = m->room[h] ? m->room[h] : 3;
    if (!m->aux[h] || m->count[h] + 1 > wl_py_dict_usable(log2)) {
        if (m->aux[h]) log2++;
        if (!sink_aux(c, m, h, wl_py_dict_keys_size(log2), sink, metered)) return false;
        m->room[h] = log2;
    }
    m->count[h]++;
    return true;
}

/* Removes one child of container h (a list pop, a dict delete); shrinks a list's items. */
static inline __attribute__((always_inline)) bool container_remove(wl_ctx *c, model *m, int32_t h, const int sink,
                                                                   const bool metered) {
    int32_t child = m->first[h];
    if (child == NONE) return true;
    obj_drop(c, m, child, sink, metered);
    if (m->count[h]) m->count[h]--;
    if (m->kind[h] == K_LIST && m->room[h] > 16 && m->count[h] < m->room[h] / 2) {
        uint32_t room = (uint32_t)wl_py_list_capacity(m->count[h]);
        if (!sink_aux(c, m, h, 8u * room, sink, metered)) return false;
        m->room[h] = room;
    }
    return true;
}

static inline int32_t pick_container(model *m, wl_rng *r) {
    return m->nreg ? m->reg[wl_rng_below(r, m->nreg)] : NONE;
}

/* A temporary enters the young ring; the one it replaces dies. */
static inline __attribute__((always_inline)) void make_young(wl_ctx *c, model *m, int32_t h, const int sink,
                                                             const bool metered) {
    int32_t old = m->young[m->young_at];
    if (old != NONE && m->ptr[old] && m->owner[old] == NONE) obj_drop(c, m, old, sink, metered);
    sink_hold(c, m, h, FRAME_YOUNG + (int32_t)m->young_at, sink);
    m->young[m->young_at] = h;
    m->young_at = (m->young_at + 1) % YOUNG;
}

static inline __attribute__((always_inline)) void pymix_body(wl_ctx *c, const int sink, const bool metered) {
    const size_t target = (size_t)c->param[P_OBJECTS];
    model m;
    wl_rng r;
    wl_rng_seed(&r, (uint64_t)c->param[P_SEED]);
    if (!model_open(&m, target * 2 + 4096)) {
        c->error = "no memory for the object tables";
        goto out;
    }
    if (sink == PYMIX_GC) {
        m.counting = c->gc->collector->caps & GC_CAP_COUNTS;
        m.manual = c->gc->collector->caps & GC_CAP_DELETE;
        if ((m.frame = gc_new(c->gc, &py_frame, 0)) == NULL) {
            c->error = "allocation failed";
            goto out;
        }
        gc_root_add(c->gc, &m.frame);
    }
    int32_t roots[ROOTS]; /* module dicts: live for the whole run */
    for (int i = 0; i < ROOTS; i++) {
        if ((roots[i] = obj_new(c, &m, K_DICT, WL_PY_DICT, NONE, sink, metered)) == NONE) goto failed;
        sink_hold(c, &m, roots[i], i, sink);
    }
    m.ops = 0;
    int64_t left = c->iterations;
    while (wl_next(c, &left)) {
        for (int b = 0; b < BATCH; b++) {
            uint64_t u = wl_rng_below(&r, 100);
            if (m.live > target && u >= 40) u = 95; /* over the steady state: drop something */
            if (u < 40) { /* temporaries, sometimes packed into an argument tuple */
                int32_t t = obj_new(c, &m, K_SCALAR, scalar_size(&r), NONE, sink, metered);
                if (t == NONE) goto failed;
                if (wl_rng_below(&r, 3) == 0) {
                    size_t n = 1 + wl_rng_below(&r, 3);
                    int32_t tup = obj_new(c, &m, K_TUPLE, wl_py_tuple_size(n), NONE, sink, metered);
                    if (tup == NONE) goto failed;
                    for (size_t k = 1; k < n; k++)
                        if (obj_new(c, &m, K_SCALAR, scalar_size(&r), tup, sink, metered) == NONE) goto failed;
                    make_young(c, &m, tup, sink, metered);
                }
                make_young(c, &m, t, sink, metered);
            } else if (u < 80) { /* store into a container: list append or dict set */
                int32_t h = pick_container(&m, &r);
                if (m.kind[h] == K_INSTANCE) h = m.first[h] != NONE ? m.first[h] : h; /* its __dict__ */
                if (m.kind[h] == K_INSTANCE) continue;
                if (!container_grow(c, &m, h, sink, metered)) goto failed;
                if (m.kind[h] == K_DICT && obj_new(c, &m, K_SCALAR, wl_py_str_size(wl_rng_range(&r, 3, 16)), h, sink,
                                                   metered) == NONE)
                    goto failed;
                size_t n = wl_rng_below(&r, 4) == 0 ? 1 + wl_rng_below(&r, 4) : 0;
                int32_t v = obj_new(c, &m, n ? K_TUPLE : K_SCALAR, n ? wl_py_tuple_size(n) : scalar_size(&r), h, sink,
                                    metered);
                if (v == NONE) goto failed;
            } else if (u < 88) { /* a new container inside another one */
                int32_t parent = pick_container(&m, &r);
                uint64_t k = wl_rng_below(&r, 3);
                if (m.kind[parent] == K_INSTANCE || !container_grow(c, &m, parent, sink, metered)) continue;
                if (k == 2) {
                    int32_t inst = obj_new(c, &m, K_INSTANCE, WL_PY_INSTANCE, parent, sink, metered);
                    if (inst == NONE || obj_new(c, &m, K_DICT, WL_PY_DICT, inst, sink, metered) == NONE) goto failed;
                } else if (obj_new(c, &m, k ? K_DICT : K_LIST, k ? WL_PY_DICT : WL_PY_LIST, parent, sink, metered) ==
                           NONE) {
                    goto failed;
                }
            } else if (u < 90) { /* a cycle: two lists holding each other, owned by a container */
                int32_t parent = pick_container(&m, &r);
                if (m.kind[parent] == K_INSTANCE || !container_grow(c, &m, parent, sink, metered)) continue;
                int32_t a = obj_new(c, &m, K_LIST, WL_PY_LIST, parent, sink, metered);
                if (a == NONE || !container_grow(c, &m, a, sink, metered)) goto failed;
                int32_t b2 = obj_new(c, &m, K_LIST, WL_PY_LIST, a, sink, metered);
                if (b2 == NONE || !container_grow(c, &m, b2, sink, metered)) goto failed;
                sink_ref(c, &m, b2, a, sink, metered); /* b -> a: the edge that makes the cycle */
            } else { /* drop: a container's last item, or a whole container */
                int32_t h = pick_container(&m, &r);
                bool root = false;
                for (int i = 0; i < ROOTS; i++) root |= roots[i] == h;
                if (root || (m.live <= target && wl_rng_below(&r, 8))) { /* mostly pops, until full */
                    if (m.kind[h] != K_INSTANCE && !container_remove(c, &m, h, sink, metered)) goto failed;
                } else {
                    int32_t parent = m.owner[h];
                    obj_drop(c, &m, h, sink, metered);
                    if (parent != NONE && m.count[parent]) m.count[parent]--;
                }
            }
        }
    }
    c->ops = m.ops;
    goto out;
failed:
    if (!c->error) c->error = "the object tables are full";
out:
    if (m.ptr) {
        for (size_t h = 0; h < m.cap; h++) /* teardown: every object still alive, owners first */
            if (m.ptr[h] && m.owner[h] == NONE) obj_drop(c, &m, (int32_t)h, sink, metered);
        model_close(&m);
    }
    if (sink == PYMIX_GC && m.frame) { /* the program exits: a last full collection, as CPython's finalization runs */
        gc_root_remove(c->gc, &m.frame);
        if (m.manual) gc_delete(c->gc, m.frame);
        py_release(c, &m, m.frame);
        gc_collect(c->gc, GC_GENERATIONS - 1);
    }
}

static int64_t pymix_iterations(const double *param) { return (int64_t)param[P_STEPS] / BATCH; }

static const char *pymix_validate(const double *param) {
    return (int64_t)param[P_STEPS] % BATCH ? "pymix.steps must be a multiple of 1000" : NULL;
}

static const char *pymix_gc_validate(const double *param) {
    return (int64_t)param[P_STEPS] % BATCH ? "pymix-gc.steps must be a multiple of 1000" : NULL;
}

/* pymix's body for each sink, as WL_PASSES takes it */
static inline __attribute__((always_inline)) void pymix_mm_body(wl_ctx *c, bool metered) {
    pymix_body(c, PYMIX_MM, metered);
}
static inline __attribute__((always_inline)) void pymix_gc_body(wl_ctx *c, bool metered) {
    pymix_body(c, PYMIX_GC, metered);
}
WL_PASSES(pymix_run, pymix_mm_body)
WL_PASSES(pymix_gc_run, pymix_gc_body)

wl_workload wl_pymix = {
    .name = "pymix",
    .summary = "Python-like objects: ints, floats, strs, tuples, lists that realloc as they grow, dicts that resize",
    .origin = "64-bit CPython 3.11/3.12 object sizes and list_resize/dictresize growth rules (pyobj.h); most objects "
              "die young, containers own what they hold, some form cycles",
    .threads = 1,
    .params = pymix_params,
    .param_count = sizeof pymix_params / sizeof pymix_params[0],
    .iterations = pymix_iterations,
    .validate = pymix_validate,
    .run = pymix_run,
};

wl_workload wl_pymix_gc = {
    .name = "pymix-gc",
    .summary = "GC: the pymix program on a collector: containers hold references, dropped cycles wait for the cycle "
               "collector",
    .origin = "pymix's model and op stream (same checksum); objects get 64-bit CPython's sizes, references follow "
              "ownership",
    .threads = 1,
    .params = pymix_gc_params,
    .param_count = sizeof pymix_gc_params / sizeof pymix_gc_params[0],
    .iterations = pymix_iterations,
    .validate = pymix_gc_validate,
    .run = pymix_gc_run,
    .collected = true,
};
