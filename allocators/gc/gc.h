/* gc.h — the collector interface: objects with reference slots, and the collectors that
 * manage them (manual, rc, rc-gen, rc-inc, boehm), each opened on top of an allocator
 * strategy.
 *
 * Vocabulary
 *   object     what gc_new returns: a gc_object header (type, count, flags: 16 bytes),
 *              then `type->slots` reference slots, then `payload` bytes of plain data
 *              (below 4 GiB). Collectors may keep private words in front of the header
 *              (rc-gen keeps its generation links there, as CPython's PyGC_Head precedes
 *              PyObject).
 *   type       describes an object: how many reference slots, an optional finalizer,
 *              whether that finalizer is unsafe to run inside a cycle (a legacy finalizer:
 *              cyclic garbage reaching such an object is reported uncollectable instead),
 *              and its kind: which CPython container's tracking rules it follows.
 *   kind       GC_KIND_INSTANCE (a class instance, a list: tracked from birth to death),
 *              GC_KIND_TUPLE (a tuple: a collection untracks it once nothing it holds may
 *              be tracked), GC_KIND_DICT (a dict: under 3.13's rules born untracked,
 *              tracked when a value that may be tracked is stored, untracked again by a
 *              full collection). A type with a finalizer, and an object that ever had a
 *              weakref, are instances whatever their kind (as CPython untracks only exact
 *              tuples and dicts, which have neither). Collectors without lists ignore it.
 *   reference  a pointer to an object held in a slot, a root or by the mutator. Under the
 *              counting collectors every reference is counted: gc_new hands the caller one
 *              reference, gc_incref adds one, gc_decref gives one back.
 *   store      gc_store(holder, slot, value): THE write path into a slot. The new value
 *              gains a reference first, then the old one loses its own (so storing an
 *              object into the slot that already holds it is safe).
 *   root       a location outside every object that holds a reference (gc_root_add). The
 *              counting collectors count that reference like any other; a tracing
 *              collector (boehm) scans the location.
 *   weakref    an object (gc_weakref_new) that refers to a target without keeping it alive.
 *              When the target dies the weakref is cleared (gc_weakref_get gives NULL) and
 *              its callback runs, but only if the weakref itself is still alive.
 *   collector  a constant table (gc_collector), listed once in collectors.def; a gc_heap is
 *              one open instance over one allocator heap (mm_heap), named "rc-gen/system".
 *   pause      one call into the memory manager that frees or scans: a decref cascade that
 *              freed more than one object (every counting collector), or a collection
 *              (rc-gen, rc-inc, boehm). A call that frees one object (a decref to zero of a
 *              leaf, manual's gc_delete) is an ordinary operation, as free() is. Pauses do
 *              not nest: a cascade inside a collection (the garbage it deletes) is part of
 *              that collection's pause. A collection pause is a pause that is a collection.
 *   freeze     gc_freeze moves every tracked object into a permanent generation that no
 *              collection scans (CPython's gc.freeze, for pre-fork servers); gc_unfreeze
 *              moves them back into the oldest generation. Frozen objects still die by
 *              their counts.
 *
 * Contract (checked for every collector by conformance/gc_contract.c; capabilities say
 * which checks a collector meets by design and which documented behaviour it shows instead)
 *   - A finalizer runs at most once per object, even across resurrection.
 *   - No operation recurses on the object graph: a chain of a million objects is freed,
 *     traversed and collected with constant C stack.
 *   - stats: per generation, collections + collected + uncollectable and the count;
 *     finalizers run; objects live; time in GC and the pause histograms (all pauses, and
 *     collection pauses: max, p50, p99).
 *   - check() verifies the collector's own invariants (counts, lists) and returns the
 *     number broken: 0 = healthy.
 *   - close() reports objects still alive as leaked_at_exit and gives their memory back
 *     where the collector can find them.
 *   - Every entry of a collector's table is set. An operation outside a collector's design
 *     either has a documented neutral meaning (incref/decref do nothing under manual and
 *     boehm, collect finds 0 under manual and rc, live_in_generation is 0 without
 *     generations, freeze and unfreeze move nothing without lists, weakref callbacks are
 *     never called without GC_CAP_WEAK_CALLBACKS), or, where no neutral meaning exists,
 *     it is refused the same way for every collector:
 *     gc_unsupported prints one line naming the collector and the operation on stderr
 *     and aborts. Today that is gc_delete without GC_CAP_DELETE (silently doing nothing
 *     would leak under rc and rc-gen and hide the caller's mistake everywhere).
 */
#ifndef MMBENCH_GC_H
#define MMBENCH_GC_H

#include "allocators/mm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GC_GENERATIONS 3

typedef struct gc_heap gc_heap;
typedef struct gc_object gc_object;
typedef struct gc_type gc_type;

/* Which CPython container's tracking rules a type follows (see "kind" above). */
typedef enum { GC_KIND_INSTANCE = 0, GC_KIND_TUPLE, GC_KIND_DICT } gc_kind;

struct gc_type {
    const char *name;
    uint32_t slots;                               /* reference slots in every object */
    void (*finalize)(gc_heap *heap, gc_object *o); /* optional; may resurrect o */
    bool legacy_finalizer; /* finalize is unsafe inside cyclic garbage: such cycles are uncollectable */
    gc_kind kind;          /* the CPython container whose tracking rules apply (default: instance) */
};

/* Object flags. */
enum {
    GC_FINALIZED = 1u << 0,       /* the finalizer has run (it never runs again) */
    GC_WEAKLY_REFERENCED = 1u << 1, /* some weakref may point here: clear them at death */
    GC_TRACKED = 1u << 2,         /* in a generation list (rc-gen) */
    GC_UNCOLLECTABLE = 1u << 3,   /* parked in the uncollectable list (rc-gen) */
    GC_COLLECTING = 1u << 4,      /* in the generation being collected (rc-gen, during collect) */
    GC_DYING = 1u << 5,           /* refcount reached zero; on the cascade's pending list */
    GC_UNREACHABLE = 1u << 6,     /* in the unreachable set of the running collection */
    GC_UNTRACKED = 1u << 7,       /* a container kept out of the lists (a dict born so, a
                                     tuple or dict a collection untracked): it holds nothing
                                     that may be tracked; storing such a value tracks it */
};


/* 16 bytes, as CPython's PyObject: a node of two slots is 32 bytes before any prefix. */
struct gc_object {
    const gc_type *type;
    uint32_t refcnt;   /* references held (counting collectors): at most 2^32 - 1 */
    uint32_t flags;    /* GC_* above */
    gc_object *slot[]; /* type->slots references, then the payload */
};
_Static_assert(sizeof(gc_object) == 16, "the object header is two words");

static inline void *gc_payload(gc_object *o) { return (void *)(o->slot + o->type->slots); }

/* Weak references: objects of this type; the callback runs after the target died, while
 * the weakref itself is alive. */
typedef void (*gc_weak_callback)(gc_heap *heap, gc_object *weakref, void *arg);
extern const gc_type gc_weakref_type;

/* Statistics, declared once: X(name, description). Per-generation arrays come after. */
#define GC_STATS_FIELDS(X)                                                                    \
    X(objects_allocated, "objects created")                                                  \
    X(objects_freed, "objects whose memory went back to the allocator")                      \
    X(objects_live, "objects alive now (allocated - freed)")                                 \
    X(finalizers_run, "finalizers called")                                                   \
    X(leaked_at_exit, "objects still alive when the heap closed (rc: unreclaimed cycles)")   \
    X(gc_ns, "nanoseconds spent in pauses (cascades and collections)")                        \
    X(pauses, "pauses recorded (cascades of more than one object, and collections)")         \
    X(pause_max_ns, "longest pause")                                                         \
    X(pause_p50_ns, "median pause (histogram bucket, within 1/16)")                          \
    X(pause_p99_ns, "99th percentile pause (histogram bucket, within 1/16)")                 \
    X(collection_ns, "nanoseconds spent in collection pauses")                               \
    X(collection_pauses, "collection pauses recorded")                                       \
    X(collection_pause_max_ns, "longest collection pause")                                   \
    X(collection_pause_p50_ns, "median collection pause (within 1/16)")                      \
    X(collection_pause_p99_ns, "99th percentile collection pause (within 1/16)")             \
    X(longest_cascade, "most objects freed by a single decref")

typedef struct gc_stats {
#define GC_STATS_MEMBER(name, doc) uint64_t name;
    GC_STATS_FIELDS(GC_STATS_MEMBER)
#undef GC_STATS_MEMBER
    uint64_t collections[GC_GENERATIONS];
    uint64_t collected[GC_GENERATIONS];     /* unreachable objects found and freed */
    uint64_t uncollectable[GC_GENERATIONS]; /* unreachable but kept (legacy finalizers) */
    uint64_t count[GC_GENERATIONS]; /* the generations' counts now, as CPython's gc.get_count() */
} gc_stats;

/* The pause histogram: log-linear buckets (16 per power of two), so p50/p99 are exact to
 * within 1/16 and recording is a few instructions. */
enum { GC_HIST_SUB = 16, GC_HIST_BUCKETS = 64 * GC_HIST_SUB };
typedef struct gc_hist {
    uint64_t count, total_ns, max_ns;
    uint64_t bucket[GC_HIST_BUCKETS];
} gc_hist;
void gc_hist_record(gc_hist *h, uint64_t ns);
uint64_t gc_hist_percentile(const gc_hist *h, double fraction); /* upper bound of the bucket */
uint64_t gc_now_ns(void);

/* Capabilities: what a collector does, so the conformance suite checks each one against
 * its design and says why where it asserts the documented behaviour instead. */
enum {
    GC_CAP_COUNTS = 1u << 0,     /* reference counts are kept; frees at the last decref */
    GC_CAP_CYCLES = 1u << 1,     /* unreachable cycles are reclaimed */
    GC_CAP_EXACT = 1u << 2,      /* exact: collects every unreachable object, counts exact */
    GC_CAP_GENERATIONS = 1u << 3,/* three generations with thresholds and promotion */
    GC_CAP_DELETE = 1u << 4,     /* manual: memory is freed only by gc_delete */
    GC_CAP_WEAK_CALLBACKS = 1u << 5, /* weakref callbacks run */
    GC_CAP_OWN_ALLOCATOR = 1u << 6,  /* runs over its own allocator; its name has no /strategy */
    GC_CAP_INCREMENTAL = 1u << 7,    /* a young generation and an old one scanned in increments */
    GC_CAP_FREEZE = 1u << 8,         /* gc_freeze moves tracked objects to a permanent generation */
};

/* live_in_generation's lists beyond the generations: the uncollectable objects (CPython's
 * gc.garbage) and the permanent generation (gc.freeze; gc.get_freeze_count()). */
enum { GC_LIST_GARBAGE = GC_GENERATIONS, GC_LIST_PERMANENT = GC_GENERATIONS + 1 };

typedef struct gc_config {
    size_t limit;              /* page-layer limit of the allocator heap (0 = none) */
    const char *options;       /* collector options "key=value,..." (the collector's `defaults` lists them) */
    const char *alloc_options; /* allocator options */
} gc_config;

typedef struct gc_collector gc_collector;

/* Every collector's heap struct starts with this. */
struct gc_heap {
    const gc_collector *collector;
    mm_heap *alloc;     /* the allocator below (NULL for a collector with its own) */
    bool owns_alloc;    /* close() closes `alloc` too (gc_open_named) */
    bool enabled;       /* automatic collection on (rc-gen thresholds, boehm) */
    gc_stats stats;     /* counters the collectors keep; percentiles filled by gc_stats_get */
    gc_hist pauses;            /* every pause */
    gc_hist collection_pauses; /* the pauses that are collections */
    bool pause_open;           /* a pause is being timed: a nested one is part of it */
};

struct gc_collector {
    const char *name;    /* CLI name; the heap is named "<name>/<strategy>" */
    const char *summary; /* one line for ./mmbench list */
    unsigned caps;       /* GC_CAP_* */
    /* Its options with their defaults, "key=value,..." ("" for none): parsed before the
     * user's, so this string is the one place a default is written; --list-json shows
     * it, and the harness names a heap run with other values after them. */
    const char *defaults;
    gc_heap *(*open)(mm_heap *alloc, const gc_config *config, mm_error *err);
    void (*close)(gc_heap *heap);
    gc_object *(*new_object)(gc_heap *heap, const gc_type *type, size_t payload);
    void (*incref)(gc_heap *heap, gc_object *o);
    void (*decref)(gc_heap *heap, gc_object *o);
    void (*store)(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value);
    void (*delete_object)(gc_heap *heap, gc_object *o); /* GC_CAP_DELETE; else gc_delete_unsupported */
    void (*root_add)(gc_heap *heap, gc_object **where);
    void (*root_remove)(gc_heap *heap, gc_object **where);
    size_t (*collect)(gc_heap *heap, int generation); /* returns unreachable objects found */
    gc_object *(*weakref_new)(gc_heap *heap, gc_object *target, gc_weak_callback cb, void *arg);
    gc_object *(*weakref_get)(gc_heap *heap, gc_object *weakref);
    size_t (*check)(gc_heap *heap);
    size_t (*live_in_generation)(gc_heap *heap, int generation); /* tracked objects there now */
    size_t (*freeze)(gc_heap *heap);   /* GC_CAP_FREEZE: objects moved to the permanent generation */
    size_t (*unfreeze)(gc_heap *heap); /* the permanent generation back into the oldest; how many */
};

/* Calls through the table: the only way anyone reaches a collector. */
static inline gc_object *gc_new(gc_heap *h, const gc_type *t, size_t payload) { return h->collector->new_object(h, t, payload); }
static inline void gc_incref(gc_heap *h, gc_object *o) { h->collector->incref(h, o); }
static inline void gc_decref(gc_heap *h, gc_object *o) { h->collector->decref(h, o); }
static inline void gc_store(gc_heap *h, gc_object *holder, size_t slot, gc_object *v) { h->collector->store(h, holder, slot, v); }
static inline void gc_delete(gc_heap *h, gc_object *o) { h->collector->delete_object(h, o); }
static inline void gc_root_add(gc_heap *h, gc_object **where) { h->collector->root_add(h, where); }
static inline void gc_root_remove(gc_heap *h, gc_object **where) { h->collector->root_remove(h, where); }
static inline size_t gc_collect(gc_heap *h, int generation) { return h->collector->collect(h, generation); }
static inline gc_object *gc_weakref_new(gc_heap *h, gc_object *t, gc_weak_callback cb, void *arg) { return h->collector->weakref_new(h, t, cb, arg); }
static inline gc_object *gc_weakref_get(gc_heap *h, gc_object *w) { return h->collector->weakref_get(h, w); }
static inline size_t gc_check(gc_heap *h) { return h->collector->check(h); }
static inline size_t gc_live_in_generation(gc_heap *h, int g) { return h->collector->live_in_generation(h, g); }
static inline void gc_set_enabled(gc_heap *h, bool on) { h->enabled = on; }
static inline size_t gc_freeze(gc_heap *h) { return h->collector->freeze(h); }
static inline size_t gc_unfreeze(gc_heap *h) { return h->collector->unfreeze(h); }
void gc_close(gc_heap *h);
/* Copies the counters and fills the pause counts, max, p50 and p99 from the histograms. */
void gc_stats_get(gc_heap *h, gc_stats *out);

/* Opens collector `c` over `alloc` (ignored with GC_CAP_OWN_ALLOCATOR). */
gc_heap *gc_open(const gc_collector *c, mm_heap *alloc, const gc_config *config, mm_error *err);
/* Opens "COLLECTOR/STRATEGY" (e.g. "rc-gen/system"; "boehm" alone), the allocator heap
 * included; a bad name gets a one-line reason naming the valid ones. */
gc_heap *gc_open_named(const char *name, const gc_config *config, mm_error *err);

/* The registry: every collector, in the order of collectors.def. */
extern const gc_collector *const gc_collectors[];
extern const size_t gc_collector_count;
const gc_collector *gc_collector_find(const char *name);

/* THE default matrix of a run: the allocators each collector runs over unless the user
 * names others (collectors with their own allocator run once). NULL-terminated. */
extern const char *const gc_default_allocators[];

/* The collector x allocator heaps: every collector (collectors.def order) over every
 * allocator strategy that can run here (strategies.def order: a peer that is not
 * installed is left out), a collector with its own allocator once, alone. The benchmark
 * names, the conformance and pymix-gc matrices, the fuzzer's heaps and the harness (through
 * the benchmark binary's --list-json "gc_heaps") all come from this one list. */
enum { GC_HEAP_NAME_MAX = 64 };
typedef struct gc_matrix_heap {
    const gc_collector *collector;
    const mm_strategy *strategy; /* NULL: the collector runs over its own allocator */
    bool in_default;             /* in a default run: own allocator, or a gc_default_allocators strategy */
    char name[GC_HEAP_NAME_MAX]; /* what gc_open_named takes: "rc-gen/system", "boehm" */
} gc_matrix_heap;
typedef enum { GC_MATRIX_ALL, GC_MATRIX_DEFAULT } gc_matrix;
/* Writes the heaps of `which` (all of them, or those in_default) into out[0..cap) and
 * returns how many there are (more than `cap`: only the first `cap` were written). */
size_t gc_matrix_list(gc_matrix which, gc_matrix_heap *out, size_t cap);

/* The one way an unsupported operation fails (see "Contract"): one line on stderr naming
 * the heap's collector and `operation`, then abort(). */
_Noreturn void gc_unsupported(const gc_heap *heap, const char *operation);
/* The table entry of a collector without GC_CAP_DELETE. */
void gc_delete_unsupported(gc_heap *heap, gc_object *o);

#endif
