/* pymix.c — Python-like object churn: the allocation pattern of a CPython program, with
 * the object sizes of a 64-bit CPython (pyobj.h), driven through the allocator interface.
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
 *             separate items/keys block.
 *   ownership every object but the roots has exactly one owner; dropping an object drops
 *             what it owns (a decref cascade in a program without cycles). A cycle's back
 *             edge is a *reference* that owns nothing.
 *   sink      what carries the model's events out: here the allocator (sink_new,
 *             sink_resize, sink_drop call wl_alloc/wl_realloc/wl_free; sink_ref, the
 *             back edge of a cycle, costs the allocator nothing). The sink is chosen by a
 *             compile-time constant, so the allocator variant has no indirection.
 *
 * Adding the collector-driven variant (after the collector interface lands): add a
 * PYMIX_GC sink whose sink_new is gc_new with the object's slot count, sink_ref and
 * ownership links are gc_store(holder, slot, value), sink_drop is the decref of the
 * owner's reference (so a dropped cycle is left to the cycle collector), plus a second
 * workload entry `pymix_gc` in workloads.def whose run calls pymix_body(c, m, PYMIX_GC).
 * The model and its op stream (and so ops_checksum) stay the same.
 *
 * Invariants
 *   an object is live iff ptr[h] != NULL; live objects = the sum of 1 over them;
 *   a list's items block holds capacity*8 bytes >= nitems*8; a dict's keys table has
 *   used <= usable(log2); children lists are doubly linked and hold exactly the objects
 *   whose owner is that container; the container registry holds exactly the live
 *   containers (reg[regpos[h]] == h).
 */
#include "workloads/pyobj.h"
#include "workloads/wl.h"

#include <string.h>

enum { P_STEPS, P_OBJECTS, P_SEED };
enum { BATCH = 1000, YOUNG = 64, ROOTS = 8, NONE = -1 };
enum { K_SCALAR, K_TUPLE, K_LIST, K_DICT, K_INSTANCE };
enum { PYMIX_MM }; /* the sinks; PYMIX_GC joins after the collector interface */

static wl_param pymix_params[] = {
    [P_STEPS] = {"steps", "program steps (each a few allocator calls), a multiple of 1000", 1000000, 1000, 1e9, true},
    [P_OBJECTS] = {"objects", "live objects the program holds at its steady state", 50000, 100, 1e7, true},
    [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},
};

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
    int64_t ops;
} model;

/* ---- the sink: the allocator ------------------------------------------------------------ */

static inline __attribute__((always_inline)) void *sink_new(wl_ctx *c, model *m, size_t size, const int sink,
                                                            const bool metered) {
    (void)sink;
    m->ops++;
    return wl_alloc(c, size, metered);
}
static inline __attribute__((always_inline)) void *sink_resize(wl_ctx *c, model *m, void *p, size_t old, size_t size,
                                                               const int sink, const bool metered) {
    (void)sink;
    m->ops++;
    return p ? wl_realloc(c, p, old, size, metered) : wl_alloc(c, size, metered);
}
static inline __attribute__((always_inline)) void sink_drop(wl_ctx *c, model *m, void *p, size_t size, const int sink,
                                                            const bool metered) {
    (void)sink;
    m->ops++;
    wl_free(c, p, size, metered);
}
/* A reference that owns nothing (a cycle's back edge): free for the allocator. */
static inline void sink_ref(wl_ctx *c, int32_t holder, int32_t target, const int sink, const bool metered) {
    (void)sink;
    if (metered) wl_meter_mix(&c->meter, (uint64_t)holder << 32 | (uint32_t)target);
}

/* ---- the model -------------------------------------------------------------------------- */

static bool model_open(model *m, size_t cap) {
    memset(m, 0, sizeof *m);
    m->cap = cap;
#define TABLE(field) (m->field = wl_scratch_alloc(cap * sizeof *m->field)) != NULL
    bool ok = TABLE(ptr) && TABLE(aux) && TABLE(size) && TABLE(aux_size) && TABLE(kind) && TABLE(owner) && TABLE(first) &&
              TABLE(next) && TABLE(prev) && TABLE(count) && TABLE(room) && TABLE(reg) && TABLE(regpos) &&
              TABLE(free_handles) && TABLE(stack);
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
    UNMAP(prev), UNMAP(count), UNMAP(room), UNMAP(reg), UNMAP(regpos), UNMAP(free_handles), UNMAP(stack);
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
    if (!(m->ptr[h] = sink_new(c, m, size, sink, metered))) {
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
            void *items = sink_resize(c, m, m->aux[h], m->aux_size[h], 8u * room, sink, metered);
            if (!items) return false;
            m->aux[h] = items;
            m->aux_size[h] = 8u * room;
            m->room[h] = room;
        }
        m->count[h] = n;
        return true;
    }
    unsigned log2 = m->room[h] ? m->room[h] : 3;
    if (!m->aux[h] || m->count[h] + 1 > wl_py_dict_usable(log2)) {
        if (m->aux[h]) log2++;
        size_t bytes = wl_py_dict_keys_size(log2);
        void *keys = sink_new(c, m, bytes, sink, metered);
        if (!keys) return false;
        if (m->aux[h]) sink_drop(c, m, m->aux[h], m->aux_size[h], sink, metered);
        m->aux[h] = keys;
        m->aux_size[h] = (uint32_t)bytes;
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
        void *items = sink_resize(c, m, m->aux[h], m->aux_size[h], 8u * room, sink, metered);
        if (!items) return false;
        m->aux[h] = items;
        m->aux_size[h] = 8u * room;
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
    int32_t roots[ROOTS]; /* module dicts: live for the whole run */
    for (int i = 0; i < ROOTS; i++)
        if ((roots[i] = obj_new(c, &m, K_DICT, WL_PY_DICT, NONE, sink, metered)) == NONE) goto failed;
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
                sink_ref(c, b2, a, sink, metered); /* b -> a: the edge that makes the cycle */
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
}

static int64_t pymix_iterations(const double *param) { return (int64_t)param[P_STEPS] / BATCH; }

static const char *pymix_validate(const double *param) {
    return (int64_t)param[P_STEPS] % BATCH ? "pymix.steps must be a multiple of 1000" : NULL;
}

static void pymix_run(wl_ctx *c) {
    if (c->bench) pymix_body(c, PYMIX_MM, false);
    else pymix_body(c, PYMIX_MM, true);
}

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
