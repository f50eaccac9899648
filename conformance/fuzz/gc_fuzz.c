/* gc_fuzz.c — the collector fuzz target: graph mutations decoded from the input run on one
 * collector heap (allocators/gc/gc.h) and are checked against a shadow graph and its
 * reachability oracle.
 *
 * Input format (every byte string is a valid input; a short one just ends early)
 *   byte 0      heap: one of the variants below (a variant, fuzz.h): the whole collector x
 *               allocator matrix (gc_matrix_list(GC_MATRIX_ALL): "rc/system", "rc/bump",
 *               ..., a collector with its own allocator alone, "boehm")
 *   byte 1      thresholds: threshold0 = T0[b & 7], threshold1 = T12[(b>>3) & 3] (rc-gen
 *               and rc-inc), threshold2 = T12[(b>>5) & 3] (small, so automatic collections
 *               happen), and bit 7: untrack=eager (rc-gen's options); ignored by the others
 *   then ops    one opcode byte each, op = byte % 16, then the op's operand bytes. An
 *               object operand picks among the objects the mutator may use now (byte %
 *               how many); an op whose operand has no candidate does nothing.
 *     0 1  new object: type (byte % TYPES), payload size (byte); the mutator holds it
 *     2 3  store(holder, slot byte, value or NULL)
 *     4    chain: new object (type, payload) stored into holder's slot, then decref'd
 *     5    incref an object          6 7  decref an object the mutator holds
 *     8    root k (byte % ROOTS): added if absent, else removed (its reference given back)
 *     9    root k := object or NULL (k must be added)
 *     10   weakref to an object (callback or not: byte & 1); the mutator holds it
 *     11   weakref get; with byte & 1 and a counting collector, a live target is incref'd
 *          (the mutator revives it through the weakref, as Python code can)
 *     12 13 collect(generation byte % 3)
 *     14   byte < 128: automatic collection on/off (byte & 1); else by byte & 3: 0 gc_freeze,
 *          1 gc_unfreeze, 2 churn, 3 churn of rings (op_churn: chains of 2 + byte % 31
 *          objects made and dropped 1 + byte times; thousands of allocations, enough to
 *          carry rc-inc's work_to_do from -5000 into increments that scan)
 *     15   drop every reference the mutator holds to an object
 *
 * Shadow graph: per object its type, payload size, unique id, slots (as shadow objects),
 * references held by the mutator, and under the counting collectors its count (mutator +
 * roots + slots), freed at zero with the cascade. For the collectors with lists (rc-gen,
 * rc-inc: "lists" below) the list of each object and the collection algorithm of docs/gc.md
 * (what survives, what is collected, what is uncollectable) are computed on the shadow
 * graph from its counts and slots alone. Every type here is an instance (gc.h, "kind"),
 * which CPython never untracks: under rc-gen's default (3.13.0) and rc-inc every GC object
 * is tracked from birth to death. With untrack=eager a reachable member that holds no
 * container (each slot NULL or a slot-less non-weakref) and has no finalizer, is no
 * weakref and was never a weakref's target leaves the generations (gen DETACHED) instead
 * of being promoted; storing a container (an object whose gen is not UNTRACKED) into a
 * detached object puts it back in generation 0; a new container that could be untracked
 * (slots, no finalizer) is born detached, and a weakref's detached target goes to
 * generation 0. The tracking rules of tuples and dicts are conformance's
 * (gc.untracking): a fuzzer's stores into any holder break the tuple's "filled before
 * anyone holds it".
 *   rc-inc: the shadow has the young list (0) and the two old spaces (1, 2) and computes
 *   rc_inc.c's state: the young count, heap size, work_to_do, which space is visited,
 *   whether the next increment marks, the roots as frames (add order, visited). Young
 *   collections (collect(0)), full ones (collect(2)) and increments (automatic, or
 *   collect(1)) are replayed: an increment's work, its marking from the roots, its region
 *   (young, then the first pending object and the pending objects it reaches, while the
 *   region is smaller than the work), what it collects and where survivors go, the flip
 *   when pending is empty. The one thing read rather than predicted is the order of the
 *   pending list (read_pending_order, from the gc heads before each operation that may
 *   run an increment): it decides which pending object an increment takes first, and
 *   following every reordering a collection makes would be writing the collector twice.
 *   A weakref that outlives its callback moves to the collection's destination, from
 *   any list but the uncollectable one. gc_freeze/gc_unfreeze: the shadow's FROZEN.
 * Reachable = from the roots and the mutator's references, through slots.
 *
 * Checked after every operation (the oracle)
 *   - every object the shadow says is alive: header (type), its payload (size,
 *     id, magic, epoch, a byte pattern) and every slot are intact; counting collectors:
 *     refcnt equals the shadow count; GC_FINALIZED is set exactly when its finalizer ran;
 *     lists: GC_TRACKED exactly when the shadow has it in a list, GC_UNTRACKED exactly
 *     when detached
 *   - finalizers run at most once per object, and only for objects the shadow freed (or,
 *     for boehm, found unreachable); the exact collectors run exactly the expected ones
 *   - weakrefs: a live target is returned; a dead target's weakref is cleared, and its
 *     callback ran exactly once if the weakref is alive (at most once otherwise, only
 *     after its target died); boehm: a weakref to a reachable object is never cleared
 *   - gc_check() == 0; objects_live, finalizers_run and (lists) the per-generation
 *     collections/collected/uncollectable counts and live_in_generation add up (rc-inc:
 *     per space, and gc.get_count()'s three counts exactly); freeze and unfreeze move
 *     what the shadow moves
 *   - collect's return value is what the shadow found (lists), 0 for the others
 *   - lists, after collect(2): every unreachable object is freed or reachable from the
 *     uncollectable list (legacy finalizers) or the permanent generation; automatic collections happen only inside
 *     gc_new and gc_weakref_new (each allocates a GC object), never while disabled
 * At the end the mutator lets go of everything: rc-gen and rc-inc collect (only uncollectable
 * garbage stays); rc must be left holding exactly what cyclic garbage reaches (the leak,
 * counted in objects_live), which the target then breaks by hand; manual frees the
 * unreachable as it goes (a perfect program); all must reach 0 live (boehm: unasserted).
 *
 * boehm is conservative and process-wide: a stale word may keep garbage alive, and
 * garbage of earlier inputs is finalized late (the epoch in the payload tells). What is
 * asserted for it: reachable objects stay alive and intact, a finalizer never runs for a
 * reachable object and never twice, weakrefs to reachable objects are not cleared. Its
 * mutator references live in `pinned` (static data, which libgc scans); the shadow keeps
 * object addresses hidden (complemented) so they keep nothing alive; roots are in
 * malloc'd memory, which libgc does not scan unless told by gc_root_add.
 */
#include "allocators/gc/cycle.h" /* rc-inc's pending order: the gc head in front of each object */
#include "allocators/gc/gc.h"
#include "conformance/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OBJECTS = 64,   /* shadow objects alive at once */
    ROOTS = 8,
    MAX_SLOTS = 8,
    MAX_IDS = 1 << 15, /* objects per input (a churn makes thousands) */
    MAX_HEAPS = 64,
    GARBAGE = GC_LIST_GARBAGE, /* the uncollectable list, as live_in_generation numbers it */
    FROZEN = GC_LIST_PERMANENT, /* gc_freeze's permanent generation */
    UNTRACKED = -1, /* never in a list: no slots (rc-gen), or no generations at all */
    DETACHED = -2,  /* rc-gen: a container a collection untracked (it held no container) */
};

static const uint32_t MAGIC = 0x675A4643u;

typedef struct payload_head {
    uint32_t magic, id, epoch, size;
} payload_head;

static void fuzz_finalize(gc_heap *h, gc_object *o);

/* The object types: slots 0..8, with or without a finalizer, legacy or not. */
static const gc_type TYPES[] = {
    {.name = "leaf", .slots = 0},
    {.name = "pair", .slots = 2},
    {.name = "fin1", .slots = 1, .finalize = fuzz_finalize},
    {.name = "fin4", .slots = 4, .finalize = fuzz_finalize},
    {.name = "legacy2", .slots = 2, .finalize = fuzz_finalize, .legacy_finalizer = true},
    {.name = "finleaf", .slots = 0, .finalize = fuzz_finalize},
    {.name = "wide", .slots = MAX_SLOTS},
    {.name = "legacy1", .slots = 1, .finalize = fuzz_finalize, .legacy_finalizer = true},
};
enum { TYPE_COUNT = sizeof TYPES / sizeof *TYPES };

static const size_t T0[] = {0, 1, 2, 3, 5, 10, 40, 2000};
static const size_t T12[] = {0, 1, 3, 10};

typedef struct shadow {
    bool alive;          /* the shadow holds the object alive */
    bool weak;           /* a weakref (gc_weakref_type) */
    bool finalized;      /* its finalizer is expected to have run */
    bool cb_due;         /* weakref: its target died, so its callback is due */
    bool has_cb;         /* weakref: made with a callback */
    bool weakly;         /* some weakref was made to it (GC_WEAKLY_REFERENCED stays set) */
    uint32_t id;         /* unique in this input */
    int type;            /* index in TYPES (weakrefs: -1) */
    size_t payload;      /* payload bytes */
    uintptr_t hidden;    /* ~address: keeps nothing alive under boehm */
    int slot[MAX_SLOTS]; /* shadow index of each slot's value, -1 = NULL */
    long ext;            /* references the mutator holds */
    long count;          /* counting collectors: ext + roots + slots of live objects */
    int gen;             /* rc-gen: 0..2 (rc-inc: 0 young, 1 old space 0, 2 old space 1), GARBAGE, FROZEN,
                            UNTRACKED, DETACHED */
    int target;          /* weakref: shadow index of the target, -1 once cleared */
    uint32_t target_id;  /* weakref: the target's id (boehm: the index may be reused) */
    uintptr_t target_hidden;
    int mark;            /* scratch of the graph walks */
} shadow;

typedef struct root {
    bool added;
    int value;    /* shadow index, -1 */
    uint32_t seq; /* when it was added: rc-inc's roots are frames, newest last */
    bool visited; /* rc-inc: marked from since it was added (mark_stacks stops after it) */
} root;

/* rc-inc's state as the shadow computes it (allocators/gc/rc_inc.c, "work", "increment"). */
typedef struct inc_shadow {
    long young_count;   /* objects tracked minus untracked since the last collection, >= 0 */
    long work;          /* work_to_do */
    long scale;         /* threshold1, at least 2 */
    int visited;        /* the old space that is visited: shadow gen 1 + visited */
    bool marking;       /* the next increment with work >= 0 starts a scavenge: it only marks */
    uint64_t old_count[2];
    uint32_t root_seq;
    int pending_rank[OBJECTS]; /* before the op's increment: each pending object's place in the
                                  real pending list (-1: not pending); read, not predicted */
} inc_shadow;

typedef struct state {
    gc_heap *heap;
    const char *name;
    unsigned caps;
    bool counting, lists, manual, conservative;
    bool incremental; /* rc-inc: shadow lists 0 (young) and 1 (old: both spaces) */
    bool eager;       /* rc-gen with untrack=eager (byte 1, bit 7) */
    bool failed;
    uint32_t epoch;
    const uint8_t *in, *end;
    shadow obj[OBJECTS];
    root roots[ROOTS];
    gc_object **root_loc;   /* ROOTS locations in malloc'd memory */
    uint32_t next_id;
    uint64_t fin_expected;  /* finalizers the shadow expects to have run */
    uint8_t fin_seen[MAX_IDS], fin_due[MAX_IDS], cb_seen[MAX_IDS], cb_due[MAX_IDS], gone[MAX_IDS];
    uint64_t fin_calls_total; /* finalizer calls of this input */
    unsigned news;          /* GC allocations (gc_new, gc_weakref_new) since `before`: automatic collections come there */
    uint32_t fin_calls[MAX_IDS], cb_calls[MAX_IDS]; /* ids seen during the current op */
    size_t nfin_calls, ncb_calls;
    gc_stats before;        /* stats at the start of the op */
    inc_shadow inc;         /* rc-inc only */
} state;

static state S;
/* boehm: the mutator's references, where libgc sees them (static data). */
static gc_object *pinned[OBJECTS];

#define FAIL(...)                                                 \
    do {                                                          \
        if (!S.failed) FUZZ_FAIL(__VA_ARGS__);                    \
        S.failed = true;                                          \
    } while (0)

static gc_object *ptr(int i) { return (gc_object *)~S.obj[i].hidden; }
static uint8_t next_byte(void) { return S.in < S.end ? *S.in++ : 0; }

/* ---- variants -------------------------------------------------------------------- */

static gc_matrix_heap heaps[MAX_HEAPS];
static size_t heap_count;

static void list_heaps(void) {
    if (heap_count == 0) heap_count = gc_matrix_list(GC_MATRIX_ALL, heaps, MAX_HEAPS);
    if (heap_count > MAX_HEAPS) heap_count = MAX_HEAPS; /* MAX_HEAPS is above the whole matrix */
}

size_t fuzz_variant_count(void) {
    list_heaps();
    return heap_count;
}

const char *fuzz_variant_name(size_t v) {
    list_heaps();
    return heaps[v % heap_count].name;
}

/* ---- callbacks from the collector ------------------------------------------------ */

static void fuzz_finalize(gc_heap *h, gc_object *o) {
    (void)h;
    payload_head *p = gc_payload(o);
    if (p->epoch != S.epoch) return; /* an earlier input's garbage, finalized late (boehm) */
    if (p->magic != MAGIC || p->id >= MAX_IDS) {
        FAIL("%s: a finalizer ran on an object whose payload is broken (magic %#x)", S.name, p->magic);
        return;
    }
    S.fin_calls_total++;
    if (++S.fin_seen[p->id] > 1) FAIL("%s: object %u finalized twice", S.name, p->id);
    if (S.nfin_calls < MAX_IDS) S.fin_calls[S.nfin_calls++] = p->id;
}

static void fuzz_weak_callback(gc_heap *h, gc_object *w, void *arg) {
    uint32_t id = (uint32_t)(uintptr_t)arg;
    if (gc_weakref_get(h, w) != NULL) FAIL("%s: weakref %u's callback ran before it was cleared", S.name, id);
    if (id >= MAX_IDS) return;
    if (++S.cb_seen[id] > 1) FAIL("%s: weakref %u's callback ran twice", S.name, id);
    if (S.ncb_calls < MAX_IDS) S.cb_calls[S.ncb_calls++] = id;
}

/* ---- the shadow: counting and the cascade ---------------------------------------- */

static void shadow_decref(int i);

/* Object i dies (count zero, collected, deleted or, for boehm, unreachable). */
static void shadow_die(int i) {
    shadow *o = &S.obj[i];
    o->alive = false;
    if (o->id < MAX_IDS) S.gone[o->id] = 1;
    if (S.incremental && o->gen >= 0 && S.inc.young_count > 0) S.inc.young_count--; /* untracked as it dies */
    if (o->type >= 0 && TYPES[o->type].finalize && !o->finalized && !S.conservative) {
        o->finalized = true;
        S.fin_due[o->id] = 1;
        S.fin_expected++;
    }
    for (int w = 0; w < OBJECTS; w++) {
        shadow *k = &S.obj[w];
        if (!k->weak || k->target != i || k->target_id != o->id) continue;
        if (!S.conservative) k->target = -1; /* boehm clears it in its own time */
        k->cb_due = true;
        S.cb_due[k->id] = 1;
    }
    if (S.counting && o->type >= 0)
        for (uint32_t s = 0; s < TYPES[o->type].slots; s++) {
            int v = o->slot[s];
            o->slot[s] = -1;
            if (v >= 0) shadow_decref(v);
        }
}

/* Iterative enough: the graph has at most OBJECTS nodes, so recursion depth is bounded. */
static void shadow_decref(int i) {
    if (!S.counting) return;
    if (--S.obj[i].count == 0) shadow_die(i);
}

static void shadow_incref(int i) {
    if (S.counting) S.obj[i].count++;
}

/* ---- reachability ---------------------------------------------------------------- */

enum { STACK = OBJECTS * (MAX_SLOTS + 1) + ROOTS }; /* each object pushes its slots once */

/* The one graph walk: every unmarked object reachable through slots from the `top` objects
 * on `stack` (and in `within`, unless NULL) gets mark := value. */
static void spread(int *stack, int top, const bool *within, int value) {
    while (top > 0) {
        int i = stack[--top];
        shadow *o = &S.obj[i];
        if (o->mark || !o->alive || (within && !within[i])) continue;
        o->mark = value;
        for (uint32_t s = 0; o->type >= 0 && s < TYPES[o->type].slots; s++)
            if (o->slot[s] >= 0 && !S.obj[o->slot[s]].mark) stack[top++] = o->slot[s];
    }
}

static void clear_marks(void) {
    for (int i = 0; i < OBJECTS; i++) S.obj[i].mark = 0;
}

/* mark := 1 for every object reachable from the roots and the mutator's references. */
static void mark_reachable(void) {
    int stack[STACK], top = 0;
    clear_marks();
    for (int i = 0; i < OBJECTS; i++)
        if (S.obj[i].alive && S.obj[i].ext > 0) stack[top++] = i;
    for (int r = 0; r < ROOTS; r++)
        if (S.roots[r].added && S.roots[r].value >= 0) stack[top++] = S.roots[r].value;
    spread(stack, top, NULL, 1);
}

/* Objects the mutator may name in an operation: alive, and reachable unless the collector
 * counts (then an unreachable object is still alive until freed: reaching it models the
 * mutator holding a borrowed pointer, e.g. one a weakref gave). */
static bool usable(int i) { return S.obj[i].alive && (S.counting || S.obj[i].mark); }

static int pick(uint8_t b, bool need_slots, bool need_ext) {
    int cand[OBJECTS], n = 0;
    for (int i = 0; i < OBJECTS; i++) {
        const shadow *o = &S.obj[i];
        if (!usable(i) || (need_ext && o->ext == 0)) continue;
        if (need_slots && (o->type < 0 || TYPES[o->type].slots == 0)) continue;
        cand[n++] = i;
    }
    return n ? cand[b % n] : -1;
}

/* After a mutation: manual deletes what became unreachable (a program that frees exactly
 * its garbage), boehm's shadow forgets it (it may be freed at any allocation from now). */
static void settle(void) {
    mark_reachable();
    if (S.counting) return;
    int doomed[OBJECTS], n = 0;
    for (int i = 0; i < OBJECTS; i++)
        if (S.obj[i].alive && !S.obj[i].mark) doomed[n++] = i;
    for (int k = 0; k < n; k++) {
        if (S.manual) gc_delete(S.heap, ptr(doomed[k]));
        shadow_die(doomed[k]);
    }
}

/* ---- the mutator's operations ---------------------------------------------------- */

static int free_record(void) {
    for (int i = 0; i < OBJECTS; i++)
        if (!S.obj[i].alive) return i;
    return -1;
}

static void pin(int i) {
    if (S.conservative) pinned[i] = S.obj[i].ext > 0 ? ptr(i) : NULL;
}

static void read_pending_order(void);

/* A new object of type t held by the mutator; -1 if the table, the ids or the heap ran out. */
static int new_object(uint8_t t, uint8_t sz) {
    int i = free_record();
    if (i < 0 || S.next_id >= MAX_IDS) return -1;
    size_t payload = sizeof(payload_head) + (size_t)(sz % 12) * 16 + (sz >> 7);
    read_pending_order(); /* an increment may run inside */
    gc_object *o = gc_new(S.heap, &TYPES[t], payload);
    S.news++;
    if (o == NULL) {
        FAIL("%s: gc_new(%s, %zu) returned NULL with no limit", S.name, TYPES[t].name, payload);
        return -1;
    }
    shadow *s = &S.obj[i];
    *s = (shadow){.alive = true, .id = S.next_id++, .type = t, .payload = payload, .hidden = ~(uintptr_t)o,
                  .ext = 1, .count = 1, .gen = !S.lists || !TYPES[t].slots          ? UNTRACKED
                                                 : S.eager && !TYPES[t].finalize ? DETACHED /* born untracked */
                                                                                 : 0,
                  .target = -1};
    for (int k = 0; k < MAX_SLOTS; k++) s->slot[k] = -1;
    payload_head *p = gc_payload(o);
    *p = (payload_head){.magic = MAGIC, .id = s->id, .epoch = S.epoch, .size = (uint32_t)payload};
    unsigned char *bytes = (unsigned char *)(p + 1);
    for (size_t k = 0; k < payload - sizeof *p; k++) bytes[k] = (unsigned char)(s->id * 31u + k);
    pin(i);
    o = NULL;
    if (S.incremental && s->gen >= 0) S.inc.young_count++; /* tracked at birth (the increment came after) */
    return i;
}

static int op_new(void) {
    uint8_t t = next_byte() % TYPE_COUNT;
    return new_object(t, next_byte());
}

static void op_store(int holder, uint8_t slot_byte, int value) {
    shadow *h = &S.obj[holder];
    size_t slot = slot_byte % TYPES[h->type].slots;
    gc_store(S.heap, ptr(holder), slot, value >= 0 ? ptr(value) : NULL);
    if (h->gen == DETACHED && value >= 0 && S.obj[value].gen != UNTRACKED) h->gen = 0; /* tracked again */
    int old = h->slot[slot];
    if (value >= 0) shadow_incref(value);
    h->slot[slot] = value;
    if (old >= 0) shadow_decref(old);
}

static void op_incref(int i) {
    gc_incref(S.heap, ptr(i));
    S.obj[i].ext++;
    shadow_incref(i);
    pin(i);
}

static void op_decref(int i) {
    gc_decref(S.heap, ptr(i));
    S.obj[i].ext--;
    pin(i);
    shadow_decref(i);
}

static void op_root_toggle(int r) {
    root *rt = &S.roots[r];
    if (!rt->added) {
        S.root_loc[r] = NULL;
        gc_root_add(S.heap, &S.root_loc[r]);
        *rt = (root){.added = true, .value = -1, .seq = ++S.inc.root_seq};
        return;
    }
    gc_root_remove(S.heap, &S.root_loc[r]);
    gc_object *old = S.root_loc[r];
    S.root_loc[r] = NULL;
    rt->added = false;
    if (rt->value >= 0) {
        if (S.counting) gc_decref(S.heap, old);
        shadow_decref(rt->value);
    }
    rt->value = -1;
}

static void op_root_set(int r, int value) {
    root *rt = &S.roots[r];
    if (!rt->added) return;
    gc_object *old = S.root_loc[r];
    if (value >= 0) {
        if (S.counting) gc_incref(S.heap, ptr(value));
        shadow_incref(value);
    }
    S.root_loc[r] = value >= 0 ? ptr(value) : NULL;
    int was = rt->value;
    rt->value = value;
    if (was >= 0) {
        if (S.counting) gc_decref(S.heap, old);
        shadow_decref(was);
    }
}

static void op_weakref(int target, bool callback) {
    int i = free_record();
    if (i < 0 || S.next_id >= MAX_IDS) return;
    uint32_t id = S.next_id++;
    read_pending_order();
    gc_object *w = gc_weakref_new(S.heap, ptr(target), callback ? fuzz_weak_callback : NULL, (void *)(uintptr_t)id);
    S.news++; /* a weakref is a GC allocation: it may trigger a collection (_PyObject_GC_Link) */
    if (w == NULL) {
        FAIL("%s: gc_weakref_new returned NULL with no limit", S.name);
        return;
    }
    shadow *s = &S.obj[i];
    *s = (shadow){.alive = true, .weak = true, .has_cb = callback, .id = id, .type = -1, .hidden = ~(uintptr_t)w,
                  .ext = 1, .count = 1, .gen = S.lists ? 0 : UNTRACKED, .target = target,
                  .target_id = S.obj[target].id, .target_hidden = S.obj[target].hidden};
    for (int k = 0; k < MAX_SLOTS; k++) s->slot[k] = -1;
    S.obj[target].weakly = true;
    if (S.obj[target].gen == DETACHED) S.obj[target].gen = 0; /* a weakref's target is tracked */
    if (S.incremental) S.inc.young_count++;
    pin(i);
}

/* ---- a collection on the shadow graph (docs/gc.md, rc_gen.c's steps) ------- */

typedef struct found {
    size_t collectable, uncollectable;
} found;

/* A survivor the collection untracks: no finalizer, no weakref to it, not a weakref, and
 * no slot holding a container (an object in a list or detached; weakrefs are in lists). */
static bool detaches(const shadow *o) {
    if (!S.eager || o->weak || o->weakly || TYPES[o->type].slots == 0 || TYPES[o->type].finalize) return false;
    for (uint32_t s = 0; s < TYPES[o->type].slots; s++)
        if (o->slot[s] >= 0 && S.obj[o->slot[s]].gen != UNTRACKED) return false;
    return true;
}

/* One collection of the `member` objects (cycle.h, "One collection of a region"), whose
 * survivors go to list `dest`: returns what it found. Shadow marks: 1 reachable member, 2
 * collectable, 3 uncollectable (legacy finalizers and all they reach). */
static found shadow_collect_region(const bool *member, int dest) {
    found f = {0, 0};
    long refs[OBJECTS];
    for (int i = 0; i < OBJECTS; i++) {
        shadow *o = &S.obj[i];
        refs[i] = member[i] ? o->count : 0;
        o->mark = 0;
    }
    for (int i = 0; i < OBJECTS; i++)
        if (member[i] && S.obj[i].type >= 0)
            for (uint32_t s = 0; s < TYPES[S.obj[i].type].slots; s++)
                if (S.obj[i].slot[s] >= 0 && member[S.obj[i].slot[s]]) refs[S.obj[i].slot[s]]--;
    int stack[STACK], top = 0;
    for (int i = 0; i < OBJECTS; i++)
        if (member[i] && refs[i] > 0) stack[top++] = i;
    spread(stack, top, member, 1); /* reachable from outside the generations */
    top = 0;
    for (int i = 0; i < OBJECTS; i++) /* legacy finalizers and what they reach: uncollectable */
        if (member[i] && !S.obj[i].mark && S.obj[i].type >= 0 && TYPES[S.obj[i].type].legacy_finalizer)
            stack[top++] = i;
    spread(stack, top, member, 3);
    int doomed[OBJECTS], n = 0;
    for (int i = 0; i < OBJECTS; i++) {
        if (!member[i]) continue;
        shadow *o = &S.obj[i];
        if (o->mark == 1) o->gen = detaches(o) ? DETACHED : dest;
        else if (o->mark == 3) o->gen = GARBAGE, o->count++, f.uncollectable++; /* the list holds it */
        else o->mark = 2, doomed[n++] = i, f.collectable++;
    }
    /* weakrefs to the collectable are cleared, finalizers run, then the slots are cleared
     * and the counts free them (and whatever only they held) */
    for (int k = 0; k < n; k++) {
        shadow *o = &S.obj[doomed[k]];
        o->count++; /* pinned while the garbage is taken apart */
        for (int w = 0; w < OBJECTS; w++)
            if (S.obj[w].alive && S.obj[w].weak && S.obj[w].target == doomed[k]) {
                shadow *k_ = &S.obj[w];
                k_->target = -1;
                k_->cb_due = true;
                S.cb_due[k_->id] = 1;
                /* a weakref outliving its callback moves to the destination, from wherever it
                 * is but the uncollectable list (the permanent generation too: CPython's
                 * handle_weakrefs moves it to `old`) */
                if (k_->has_cb && k_->mark != 2 && k_->gen >= 0 && k_->gen != GARBAGE) k_->gen = dest;
            }
        if (o->type >= 0 && TYPES[o->type].finalize && !o->finalized) {
            o->finalized = true;
            S.fin_due[o->id] = 1;
            S.fin_expected++;
        }
    }
    for (int k = 0; k < n; k++) {
        shadow *o = &S.obj[doomed[k]];
        if (!o->alive || o->type < 0) continue;
        for (uint32_t s = 0; s < TYPES[o->type].slots; s++) {
            int v = o->slot[s];
            o->slot[s] = -1;
            if (v >= 0) shadow_decref(v);
        }
    }
    for (int k = 0; k < n; k++) shadow_decref(doomed[k]);
    return f;
}

static long heap_size(void) { /* tracked objects (rc-inc's heap_size) */
    long n = 0;
    for (int i = 0; i < OBJECTS; i++) n += S.obj[i].alive && S.obj[i].gen >= 0;
    return n;
}
static int visited_gen(void) { return 1 + S.inc.visited; }
static int pending_gen(void) { return 2 - S.inc.visited; }

/* rc-inc's completed_scavenge: the spaces flip, the next increment marks. */
static void shadow_completed_scavenge(void) {
    S.inc.visited ^= 1;
    S.inc.work = 0;
    S.inc.marking = true;
}

/* One collection of generations 0..g (rc-inc: g 0 is gc_collect_young, 2 gc_collect_full). */
static found shadow_collect(int g) {
    found f = {0, 0};
    if (!S.lists) return f;
    bool member[OBJECTS];
    for (int i = 0; i < OBJECTS; i++) member[i] = S.obj[i].alive && S.obj[i].gen >= 0 && S.obj[i].gen <= g;
    if (!S.incremental) return shadow_collect_region(member, g + 1 < GC_GENERATIONS ? g + 1 : g);
    S.inc.young_count = 0;
    f = shadow_collect_region(member, visited_gen());
    S.inc.young_count = 0;
    if (g == 0) {
        S.inc.old_count[S.inc.visited]++;
    } else {
        S.inc.old_count[0] = S.inc.old_count[1] = 0;
        shadow_completed_scavenge();
    }
    return f;
}

/* The pending list's order, as the collector holds it, read before an operation that may
 * run an increment (which objects an increment takes depends on it; the shadow predicts
 * everything else). Every tracked object is a shadow object, so the one pending object no
 * other pending object links to is the first. */
static void read_pending_order(void) {
    if (!S.incremental) return;
    int next[OBJECTS], first = -1, n = 0;
    bool linked_to[OBJECTS] = {false};
    for (int i = 0; i < OBJECTS; i++) {
        S.inc.pending_rank[i] = -1;
        next[i] = -1;
        if (!S.obj[i].alive || S.obj[i].gen != pending_gen()) continue;
        n++;
        gc_object *after = object_of(head_of(ptr(i))->next);
        for (int j = 0; j < OBJECTS; j++)
            if (S.obj[j].alive && S.obj[j].gen == pending_gen() && ptr(j) == after) next[i] = j, linked_to[j] = true;
    }
    for (int i = 0; i < OBJECTS; i++)
        if (S.obj[i].alive && S.obj[i].gen == pending_gen() && !linked_to[i]) first = i;
    int rank = 0;
    for (int i = first; i >= 0 && rank < n && S.inc.pending_rank[i] < 0; i = next[i]) S.inc.pending_rank[i] = rank++;
    if (rank != n) FAIL("%s: the pending list is not the shadow's %d pending objects", S.name, n);
}

/* rc-inc's mark_stacks (all roots at the start of a scavenge, else the newest down to and
 * including the first already visited) and mark_all_reachable: everything they reach that
 * is young or pending moves to the visited space. Returns how many moved. */
static long shadow_mark_stacks(bool start) {
    int order[ROOTS], n = 0;
    for (int r = 0; r < ROOTS; r++)
        if (S.roots[r].added) order[n++] = r;
    for (int a = 1; a < n; a++) /* newest first */
        for (int b = a; b > 0 && S.roots[order[b]].seq > S.roots[order[b - 1]].seq; b--) {
            int t = order[b];
            order[b] = order[b - 1], order[b - 1] = t;
        }
    int stack[STACK], top = 0;
    for (int k = 0; k < n; k++) {
        root *rt = &S.roots[order[k]];
        if (rt->value >= 0) stack[top++] = rt->value;
        if (!start && rt->visited) break;
        rt->visited = true;
    }
    long marked = 0;
    while (top > 0) {
        shadow *o = &S.obj[stack[--top]];
        if (!o->alive || (o->gen != 0 && o->gen != pending_gen())) continue;
        o->gen = visited_gen();
        marked++;
        for (uint32_t s = 0; o->type >= 0 && s < TYPES[o->type].slots; s++)
            if (o->slot[s] >= 0) stack[top++] = o->slot[s];
    }
    return marked;
}

/* Pulls into the increment every pending object that `from` reaches through pending
 * objects (expand_region); returns how many joined (from not counted). */
static long shadow_expand(bool *member, int from) {
    int stack[STACK], top = 0;
    long joined = 0;
    stack[top++] = from;
    while (top > 0) {
        shadow *o = &S.obj[stack[--top]];
        for (uint32_t s = 0; o->type >= 0 && s < TYPES[o->type].slots; s++) {
            int v = o->slot[s];
            if (v < 0 || member[v] || S.obj[v].gen != pending_gen()) continue;
            member[v] = true, joined++;
            stack[top++] = v;
        }
    }
    return joined;
}

/* rc-inc's gc_collect_increment: returns what its collection found (nothing when its work
 * is still negative, or when it only marks). */
static found shadow_increment(void) {
    found f = {0, 0};
    long fresh = S.inc.young_count, fraction = heap_size() / 10 / S.inc.scale;
    if (fraction > 2 * fresh) fraction = 2 * fresh;
    S.inc.young_count = 0;
    S.inc.work += fresh + fraction;
    if (S.inc.work < 0) return f;
    if (S.inc.marking) {
        S.inc.work -= 2 * shadow_mark_stacks(true); /* mark_at_start and its caller both subtract */
        S.inc.marking = false;
        return f;
    }
    S.inc.work -= shadow_mark_stacks(false);
    bool member[OBJECTS];
    long size = 0;
    for (int i = 0; i < OBJECTS; i++) {
        member[i] = S.obj[i].alive && S.obj[i].gen == 0;
        size += member[i];
    }
    for (int rank = 0; size < S.inc.work; rank++) {
        int first = -1;
        for (int i = 0; i < OBJECTS; i++)
            if (S.inc.pending_rank[i] == rank) first = i;
        if (first < 0) break;
        if (!S.obj[first].alive || member[first] || S.obj[first].gen != pending_gen()) continue;
        member[first] = true;
        size += 1 + shadow_expand(member, first);
    }
    f = shadow_collect_region(member, visited_gen());
    S.inc.work -= size;
    bool pending_left = false;
    for (int i = 0; i < OBJECTS; i++) pending_left |= S.obj[i].alive && S.obj[i].gen == pending_gen();
    if (!pending_left) shadow_completed_scavenge();
    return f;
}

/* gc_freeze and gc_unfreeze on the shadow: returns how many moved. */
static size_t shadow_freeze(bool freeze) {
    size_t moved = 0;
    for (int i = 0; i < OBJECTS; i++) {
        shadow *o = &S.obj[i];
        if (!o->alive || !S.lists) continue;
        if (freeze && o->gen >= 0 && o->gen < GC_GENERATIONS) o->gen = FROZEN, moved++;
        else if (!freeze && o->gen == FROZEN) o->gen = S.incremental ? visited_gen() : GC_GENERATIONS - 1, moved++;
    }
    if (freeze && S.incremental) S.inc.young_count = 0, S.inc.old_count[0] = S.inc.old_count[1] = 0;
    return moved;
}

/* ---- the oracle ------------------------------------------------------------------ */

static gc_stats stats_now(void) {
    gc_stats s;
    gc_stats_get(S.heap, &s);
    return s;
}

static void check_object(int i) {
    shadow *s = &S.obj[i];
    gc_object *o = ptr(i);
    if (s->weak) {
        if (o->type != &gc_weakref_type) FAIL("%s: weakref %u lost its type", S.name, s->id);
        return;
    }
    const gc_type *t = &TYPES[s->type];
    if (o->type != t) {
        FAIL("%s: live object %u (%s) has a broken header (type %p)", S.name, s->id, t->name, (const void *)o->type);
        return;
    }
    payload_head *p = gc_payload(o);
    if (p->magic != MAGIC || p->id != s->id || p->epoch != S.epoch || p->size != s->payload) {
        FAIL("%s: live object %u (%s) lost its payload (magic %#x, id %u)", S.name, s->id, t->name, p->magic, p->id);
        return;
    }
    const unsigned char *bytes = (const unsigned char *)(p + 1);
    for (size_t k = 0; k < s->payload - sizeof *p; k++)
        if (bytes[k] != (unsigned char)(s->id * 31u + k)) {
            FAIL("%s: live object %u: payload byte %zu changed", S.name, s->id, k);
            return;
        }
    for (uint32_t k = 0; k < t->slots; k++) {
        gc_object *want = s->slot[k] >= 0 ? ptr(s->slot[k]) : NULL;
        if (o->slot[k] != want) {
            FAIL("%s: live object %u: slot %u holds %p, the shadow says %p", S.name, s->id, k, (void *)o->slot[k],
                 (void *)want);
            return;
        }
    }
    if (S.lists && (((o->flags & GC_TRACKED) != 0) != (s->gen >= 0) ||
                          ((o->flags & GC_UNTRACKED) != 0) != (s->gen == DETACHED)))
        FAIL("%s: object %u: flags %#x, but the shadow has it %s", S.name, s->id, o->flags,
             s->gen == DETACHED ? "untracked" : s->gen >= 0 ? "in a list" : "never tracked");
    if (t->finalize && !S.conservative && ((o->flags & GC_FINALIZED) != 0) != (S.fin_seen[s->id] != 0))
        FAIL("%s: object %u: GC_FINALIZED is %s but its finalizer ran %u times", S.name, s->id,
             (o->flags & GC_FINALIZED) ? "set" : "clear", S.fin_seen[s->id]);
}

static void check_weakref(int i) {
    shadow *s = &S.obj[i];
    gc_object *got = gc_weakref_get(S.heap, ptr(i));
    if (S.conservative) {
        bool target_reachable = s->target >= 0 && S.obj[s->target].alive && S.obj[s->target].id == s->target_id;
        gc_object *old = (gc_object *)~s->target_hidden;
        if (target_reachable && got != old)
            FAIL("%s: weakref %u to a reachable object gives %p, not %p", S.name, s->id, (void *)got, (void *)old);
        else if (got != NULL && got != old)
            FAIL("%s: weakref %u gives %p, never its target %p", S.name, s->id, (void *)got, (void *)old);
        return;
    }
    gc_object *want = s->target >= 0 ? ptr(s->target) : NULL;
    if (got != want) FAIL("%s: weakref %u gives %p, the shadow says %p", S.name, s->id, (void *)got, (void *)want);
    if ((S.caps & GC_CAP_WEAK_CALLBACKS) && s->has_cb && s->cb_due && S.cb_seen[s->id] != 1)
        FAIL("%s: weakref %u outlived its target but its callback ran %u times", S.name, s->id, S.cb_seen[s->id]);
}

static void check_calls(void) {
    for (size_t k = 0; k < S.nfin_calls; k++) {
        uint32_t id = S.fin_calls[k];
        if (S.conservative ? !S.gone[id] : !S.fin_due[id])
            FAIL("%s: object %u was finalized while the shadow holds it %s", S.name, id,
                 S.conservative ? "reachable" : "alive");
    }
    for (size_t k = 0; k < S.ncb_calls; k++) {
        uint32_t id = S.cb_calls[k];
        if (!S.cb_due[id]) FAIL("%s: weakref %u's callback ran while its target is alive", S.name, id);
    }
    S.nfin_calls = S.ncb_calls = 0;
}

static void check_stats(void) {
    gc_stats st = stats_now();
    if (st.objects_allocated < st.objects_freed || st.objects_live != st.objects_allocated - st.objects_freed)
        FAIL("%s: objects allocated %llu, freed %llu, live %llu do not add up", S.name,
             (unsigned long long)st.objects_allocated, (unsigned long long)st.objects_freed,
             (unsigned long long)st.objects_live);
    if (S.conservative) return;
    uint64_t live = 0;
    size_t in_gen[FROZEN + 1] = {0};
    for (int i = 0; i < OBJECTS; i++) {
        if (!S.obj[i].alive) continue;
        live++;
        if (S.obj[i].gen >= 0) in_gen[S.obj[i].gen]++;
    }
    if (st.objects_live != live)
        FAIL("%s: %llu objects live, the shadow has %llu", S.name, (unsigned long long)st.objects_live,
             (unsigned long long)live);
    if (st.finalizers_run != S.fin_expected || S.fin_calls_total != S.fin_expected)
        FAIL("%s: %llu finalizers ran (%llu calls seen), the shadow expects %llu", S.name,
             (unsigned long long)st.finalizers_run, (unsigned long long)S.fin_calls_total,
             (unsigned long long)S.fin_expected);
    for (int g = 0; g <= FROZEN; g++) { /* rc-inc: 1 is the visited space, 2 the pending one */
        int shadow_gen = S.incremental && g == 1 ? visited_gen() : S.incremental && g == 2 ? pending_gen() : g;
        size_t real = gc_live_in_generation(S.heap, g), want = S.lists ? in_gen[shadow_gen] : 0;
        if (real != want) FAIL("%s: %zu objects in generation list %d, the shadow has %zu", S.name, real, g, want);
    }
    if (S.incremental && (st.count[0] != (uint64_t)S.inc.young_count || st.count[1] != S.inc.old_count[S.inc.visited] ||
                          st.count[2] != S.inc.old_count[S.inc.visited ^ 1]))
        FAIL("%s: counts (%llu, %llu, %llu), the shadow has (%ld, %llu, %llu)", S.name, (unsigned long long)st.count[0],
             (unsigned long long)st.count[1], (unsigned long long)st.count[2], S.inc.young_count,
             (unsigned long long)S.inc.old_count[S.inc.visited], (unsigned long long)S.inc.old_count[S.inc.visited ^ 1]);
}

/* Everything the oracle knows, after one operation. */
static void verify(void) {
    if (S.failed) return;
    check_calls();
    for (int i = 0; i < OBJECTS && !S.failed; i++) {
        if (!S.obj[i].alive) continue;
        if (S.counting && (long)ptr(i)->refcnt != S.obj[i].count)
            FAIL("%s: object %u has refcnt %zu, the shadow counts %ld", S.name, S.obj[i].id, (size_t)ptr(i)->refcnt,
                 S.obj[i].count);
        check_object(i);
        if (S.obj[i].weak) check_weakref(i);
    }
    if (S.failed) return;
    check_stats();
    size_t broken = gc_check(S.heap);
    if (broken) FAIL("%s: check() found %zu broken invariants", S.name, broken);
}

/* Collections since `S.before` (an explicit collect(g_explicit) and automatic ones, at
 * most one per gc_new since then), replayed on the shadow in order of generation; returns
 * the oldest generation collected, -1 for none. */
static int replay_collections(bool explicit_one, int g_explicit, size_t returned) {
    gc_stats now = stats_now();
    int oldest = -1;
    uint64_t automatic = 0;
    for (int g = 0; g < GC_GENERATIONS && S.lists && !S.failed; g++) {
        uint64_t ran = now.collections[g] - S.before.collections[g];
        uint64_t want = explicit_one && g == g_explicit;
        if (ran < want || ran > want + 1) {
            FAIL("%s: %llu collections of generation %d in one operation", S.name, (unsigned long long)ran, g);
            break;
        }
        automatic += ran - want;
        if (ran == 0) continue;
        found f = S.incremental && g == 1 ? shadow_increment() : shadow_collect(g);
        oldest = g;
        uint64_t collected = now.collected[g] - S.before.collected[g];
        uint64_t uncollectable = now.uncollectable[g] - S.before.uncollectable[g];
        if (collected != f.collectable || uncollectable != f.uncollectable)
            FAIL("%s: generation %d collection: collected %llu, uncollectable %llu; the shadow finds %zu and %zu",
                 S.name, g, (unsigned long long)collected, (unsigned long long)uncollectable, f.collectable,
                 f.uncollectable);
        if (explicit_one && g == g_explicit && ran == 1 && returned != f.collectable + f.uncollectable)
            FAIL("%s: collect(%d) returned %zu, the shadow finds %zu", S.name, g, returned,
                 f.collectable + f.uncollectable);
    }
    if (automatic > S.news)
        FAIL("%s: %llu automatic collections outside GC allocations (%u calls)", S.name, (unsigned long long)automatic, S.news);
    if (automatic > 0 && !S.heap->enabled)
        FAIL("%s: an automatic collection while automatic collection is off", S.name);
    if (explicit_one && !S.lists && returned != 0)
        FAIL("%s: collect(%d) returned %zu, with nothing it could find", S.name, g_explicit, returned);
    S.before = now;
    S.news = 0;
    return oldest;
}

/* After a full collection every unreachable object is gone, or reachable from the
 * uncollectable list or the permanent generation (which no collection scans). */
static void check_full_collection(void) {
    if (!S.lists || S.failed) return;
    mark_reachable();
    int stack[STACK], top = 0;
    for (int i = 0; i < OBJECTS; i++)
        if (S.obj[i].alive && (S.obj[i].gen == GARBAGE || S.obj[i].gen == FROZEN)) stack[top++] = i;
    spread(stack, top, NULL, 1);
    for (int i = 0; i < OBJECTS; i++)
        if (S.obj[i].alive && !S.obj[i].mark)
            FAIL("%s: object %u is unreachable but survived a full collection", S.name, S.obj[i].id);
}

/* rc after the mutator let go of everything: what is left is exactly what cyclic garbage
 * reaches (the leak), then broken by hand so the heap closes empty. */
static void rc_leak_and_break(void) {
    bool on_cycle[OBJECTS] = {false};
    int stack[STACK], top;
    for (int i = 0; i < OBJECTS; i++) { /* i is on a cycle: its slots lead back to it */
        if (!S.obj[i].alive || S.obj[i].type < 0) continue;
        clear_marks();
        top = 0;
        for (uint32_t s = 0; s < TYPES[S.obj[i].type].slots; s++)
            if (S.obj[i].slot[s] >= 0) stack[top++] = S.obj[i].slot[s];
        spread(stack, top, NULL, 1);
        on_cycle[i] = S.obj[i].mark;
    }
    clear_marks();
    top = 0;
    for (int i = 0; i < OBJECTS; i++)
        if (on_cycle[i]) stack[top++] = i;
    spread(stack, top, NULL, 1);
    for (int i = 0; i < OBJECTS; i++)
        if (S.obj[i].alive && !S.obj[i].mark)
            FAIL("%s: object %u leaked without any cycle holding it", S.name, S.obj[i].id);
    for (int i = 0; i < OBJECTS && !S.failed; i++) {
        if (!S.obj[i].alive || S.obj[i].type < 0) continue;
        op_incref(i);
        for (uint32_t s = 0; s < TYPES[S.obj[i].type].slots; s++) op_store(i, (uint8_t)s, -1);
        op_decref(i);
    }
}

/* ---- driving it ------------------------------------------------------------------ */

static int pick_weakref(uint8_t b) {
    int cand[OBJECTS], n = 0;
    for (int i = 0; i < OBJECTS; i++)
        if (usable(i) && S.obj[i].weak) cand[n++] = i;
    return n ? cand[b % n] : -1;
}

/* gc_freeze or gc_unfreeze: the shadow predicts how many move, and where. */
static void op_freeze(bool freeze) {
    if (!(S.caps & GC_CAP_FREEZE)) return;
    size_t moved = freeze ? gc_freeze(S.heap) : gc_unfreeze(S.heap), want = shadow_freeze(freeze);
    if (moved != want)
        FAIL("%s: %s moved %zu objects, the shadow %zu", S.name, freeze ? "freeze" : "unfreeze", moved, want);
}

/* Churn (two operand bytes: length, rounds): chains of 2..32 pairs, each held only through
 * its head, made and dropped round after round (`ring`: the tail holds the head, so each
 * round leaves a garbage cycle). Thousands of allocations in one operation: enough to lift
 * rc-inc's work_to_do from -5000 (rc_inc.c, "work") into increments that collect. */
static void op_churn(bool ring) {
    const int length = 2 + next_byte() % 31, rounds = 1 + next_byte();
    for (int r = 0; r < rounds && !S.failed; r++) {
        int head = new_object(1, 0), tail = head;
        replay_collections(false, 0, 0);
        for (int k = 1; k < length && tail >= 0 && !S.failed; k++) {
            int v = new_object(1, (uint8_t)k);
            replay_collections(false, 0, 0);
            if (v < 0 || S.failed) break;
            op_store(tail, 0, v);
            op_decref(v);
            tail = v;
        }
        if (head < 0 || S.failed) break;
        if (ring) op_store(tail, 1, head);
        op_decref(head);
        settle();
        verify();
    }
}

static void run_op(void) {
    uint8_t code = next_byte() % 16;
    S.before = stats_now();
    S.news = 0;
    bool explicit_collect = false;
    int g = 0;
    size_t returned = 0;
    switch (code) {
    case 0: case 1: op_new(); break;
    case 2: case 3: {
        int holder = pick(next_byte(), true, false);
        uint8_t slot = next_byte(), vb = next_byte();
        int value = vb % 5 == 0 ? -1 : pick(vb, false, false);
        if (holder >= 0) op_store(holder, slot, value);
        break;
    }
    case 4: { /* new object straight into a slot: the common way graphs grow */
        int holder = pick(next_byte(), true, false);
        uint8_t slot = next_byte();
        if (holder < 0) {
            next_byte(), next_byte();
            break;
        }
        op_incref(holder); /* the mutator keeps the holder while the new object is made */
        int v = op_new();
        replay_collections(false, 0, 0); /* an automatic collection in gc_new, before the store */
        if (v >= 0 && !S.failed) {
            op_store(holder, slot, v);
            op_decref(v);
        }
        op_decref(holder);
        break;
    }
    case 5: { int i = pick(next_byte(), false, false); if (i >= 0) op_incref(i); break; }
    case 6: case 7: { int i = pick(next_byte(), false, true); if (i >= 0) op_decref(i); break; }
    case 8: op_root_toggle(next_byte() % ROOTS); break;
    case 9: {
        int r = next_byte() % ROOTS;
        uint8_t vb = next_byte();
        op_root_set(r, vb % 5 == 0 ? -1 : pick(vb, false, false));
        break;
    }
    case 10: {
        uint8_t b = next_byte();
        int t = pick(next_byte(), false, false);
        if (t >= 0) op_weakref(t, b & 1);
        break;
    }
    case 11: {
        uint8_t b = next_byte();
        int w = pick_weakref(b >> 1);
        if (w < 0) break;
        gc_object *t = gc_weakref_get(S.heap, ptr(w));
        int ti = S.obj[w].target;
        if ((b & 1) && S.counting && t != NULL && ti >= 0 && S.obj[ti].alive) op_incref(ti);
        break;
    }
    case 12: case 13:
        g = next_byte() % GC_GENERATIONS;
        read_pending_order(); /* rc-inc: collect(1) is an increment */
        returned = gc_collect(S.heap, g);
        explicit_collect = true;
        break;
    case 14: {
        uint8_t b = next_byte();
        if (!(b & 0x80)) gc_set_enabled(S.heap, b & 1);
        else if ((b & 3) < 2) op_freeze(!(b & 1));
        else op_churn(b & 1);
        break;
    }
    default: {
        int i = pick(next_byte(), false, true);
        while (i >= 0 && S.obj[i].ext > 0 && !S.failed) op_decref(i);
        break;
    }
    }
    if (S.failed) return;
    int oldest = replay_collections(explicit_collect, g, returned);
    settle();
    verify();
    if (oldest == GC_GENERATIONS - 1) check_full_collection();
}

/* The mutator lets go of everything, and what must be left is left. */
static void teardown(void) {
    for (int r = 0; r < ROOTS && !S.failed; r++)
        if (S.roots[r].added) op_root_toggle(r);
    for (int i = 0; i < OBJECTS && !S.failed; i++)
        while (S.obj[i].alive && S.obj[i].ext > 0) op_decref(i);
    if (S.failed) return;
    settle();
    verify();
    if (S.lists) {
        S.before = stats_now();
        S.news = 0;
        size_t returned = gc_collect(S.heap, GC_GENERATIONS - 1);
        replay_collections(true, GC_GENERATIONS - 1, returned);
        verify();
        check_full_collection();
    } else if (S.counting) {
        rc_leak_and_break();
        verify();
    } else if (S.conservative) {
        gc_collect(S.heap, GC_GENERATIONS - 1);
        verify();
    }
    if (S.failed || S.conservative || S.lists) return; /* lists: only uncollectable garbage is left */
    gc_stats st = stats_now();
    if (st.objects_live != 0)
        FAIL("%s: %llu objects live after the mutator let go of everything", S.name,
             (unsigned long long)st.objects_live);
}

/* Forgets every root location (boehm would scan them after they are freed). */
static void drop_roots(void) {
    for (int r = 0; r < ROOTS; r++)
        if (S.roots[r].added) gc_root_remove(S.heap, &S.root_loc[r]);
    free(S.root_loc);
    memset(pinned, 0, sizeof pinned);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    list_heaps();
    static uint32_t epoch;
    memset(&S, 0, sizeof S);
    S.epoch = ++epoch;
    const gc_matrix_heap *heap = &heaps[data[0] % heap_count];
    S.name = heap->name;
    S.in = data + 2;
    S.end = data + size;
    char options[128];
    gc_config cfg = {0};
    mm_error err = {{0}};
    if (heap->collector->caps & GC_CAP_GENERATIONS) {
        snprintf(options, sizeof options, "threshold0=%zu,threshold1=%zu,threshold2=%zu%s", T0[data[1] & 7],
                 T12[(data[1] >> 3) & 3], T12[(data[1] >> 5) & 3], (data[1] & 0x80) ? ",untrack=eager" : "");
        cfg.options = options;
    } else if (heap->collector->caps & GC_CAP_INCREMENTAL) {
        snprintf(options, sizeof options, "threshold0=%zu,threshold1=%zu", T0[data[1] & 7], T12[(data[1] >> 3) & 3]);
        cfg.options = options;
        S.inc = (inc_shadow){.work = -5000, .scale = T12[(data[1] >> 3) & 3] < 2 ? 2 : (long)T12[(data[1] >> 3) & 3],
                             .marking = true};
    }
    S.heap = gc_open_named(S.name, &cfg, &err);
    if (S.heap == NULL) {
        FUZZ_FAIL("%s: open failed: %s", S.name, err.message);
        return 0;
    }
    S.caps = S.heap->collector->caps;
    S.counting = S.caps & GC_CAP_COUNTS;
    S.incremental = S.caps & GC_CAP_INCREMENTAL;
    S.lists = (S.caps & GC_CAP_GENERATIONS) || S.incremental;
    S.eager = (S.caps & GC_CAP_GENERATIONS) && (data[1] & 0x80);
    S.manual = S.caps & GC_CAP_DELETE;
    S.conservative = !S.counting && !S.manual;
    S.root_loc = calloc(ROOTS, sizeof *S.root_loc);
    for (int r = 0; r < ROOTS; r++) S.roots[r].value = -1;
    while (S.in < S.end && !S.failed) run_op();
    if (!S.failed) teardown();
    drop_roots();
    if (!S.failed) gc_close(S.heap); /* after a failure the heap is left as it is */
    return 0;
}
