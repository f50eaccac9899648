/* threads.c — multi-threaded workloads: a Larson-style server and a producer/consumer at
 * 1, 2 and N threads (N = twice the machine's cores), and Hoard's two false-sharing tests,
 * each in two variants: in-house strategies on per-thread heaps, and (-shared) one heap
 * behind one mutex.
 *
 * Vocabulary
 *   crew      the T threads of one pass; thread 0 is the benchmark's own thread (it also
 *             drives the timed loop), threads 1..T-1 are started for the pass.
 *   round     one timed-loop iteration: every thread does BATCH steps, then all meet at
 *             a barrier. A round is the unit of hand-over between threads.
 *   larson    (Larson & Krishnan 1998, the "server" benchmark) each thread owns a set of
 *             `live` slots and churns them like `churn`; after every round each set moves
 *             on to the next thread, so most blocks are freed by a thread other than the
 *             one that allocated them — what a server's worker pool does.
 *   prodcons  every step allocates one block into the thread's outbox; after the round
 *             barrier thread t frees, block by block, what thread t-1 allocated in the
 *             previous round: every free is remote (with T = 1, the thread's own blocks).
 *   thrash    (Hoard's cache-thrash: active false sharing) every step allocates a `size`
 *             object, writes each of its bytes `writes` times and frees it. An allocator
 *             that hands objects of one cache line to different threads makes the line
 *             bounce between their cores on every write.
 *   scratch   (Hoard's cache-scratch: passive false sharing) the same steps, after thread
 *             0 allocated one object for every thread (neighbours, so sharing lines) and
 *             each thread began by freeing its own: an allocator that gives a freed object
 *             to the freeing thread's next request keeps the sharing going.
 *   heaps     how a strategy without MM_CAP_THREADS serves the crew:
 *               per-thread  (larson-2, ...) per-thread heaps (allocators/perthread.h), opened
 *                           with the driver's config; a thread's own calls take no lock;
 *               shared      (larson-2-shared, ...) the driver's heap behind one mutex
 *                           (allocators/locked.h), taken at 1 thread too, so 1 -> 2 -> N
 *                           shows contention and not the price of the lock itself.
 *             Either replaces the driver's heap in the context (wl.h), which checks and
 *             closes it after the run. system and the peers serve threads themselves and
 *             run bare in both variants.
 *
 * Passes
 *   timed    all threads run at once; ns/op is wall time over every thread's operations
 *            (throughput: perfect scaling halves it from 1 to 2 threads).
 *   metered  the same threads and operations, but taking turns: within a round thread 0
 *            works, then thread 1, ... (a mutex and a condition variable pass the turn),
 *            so the meter sees a deterministic operation stream (same checksum and
 *            peaks on every strategy) while thread caches and arenas stay real.
 *
 * Budget (wl.h): the metered pass looks at the deadline before every round (crew_next), and
 *   hands the verdict (done, cut) back on the driver's own context, so a slow strategy is
 *   cut after whole rounds like churn after whole batches. The setup (larson's fill) counts
 *   against the deadline but is not cut: it makes the live set being measured, and it is
 *   linear in that set. The first round always runs.
 *
 * Invariants: each thread's operations come from its own generator (seed + thread), so a
 * thread does the same work in both passes; a slot set / outbox is touched only by the
 * thread that holds it this round; the barrier separates rounds.
 */
#include "allocators/locked.h"
#include "allocators/perthread.h"
#include "workloads/wl.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* Parameters: the churning shapes, then the false-sharing ones. */
enum { P_LIVE, P_STEPS, P_MIN, P_MAX, P_SEED };
enum { C_SIZE, C_WRITES, C_STEPS, C_SEED };
enum { BATCH = 1000, MAX_THREADS = 64 };

typedef enum { LARSON, PRODCONS, THRASH, SCRATCH } shape;
typedef enum { PER_THREAD, SHARED } heaps;

typedef struct slots {
    void **p;
    uint32_t *size;
    size_t n;
} slots;

typedef struct crew crew;
typedef struct member {
    crew *crew;
    int index;
    wl_ctx ctx; /* this thread's own context: same heap and parameters, own sink/error */
    wl_rng rng;
    pthread_t thread;
} member;

struct crew {
    shape kind;
    int threads;
    bool metered;
    int64_t rounds;
    size_t live;
    uint64_t lo, hi;  /* block sizes (thrash, scratch: both the object size) */
    uint64_t writes;  /* thrash, scratch: writes of every byte of an object */
    slots *sets;   /* larson: one slot set per thread; prodcons: two outboxes per thread;
                      scratch: the object each thread frees first */
    pthread_barrier_t start, end;
    volatile bool stop;
    pthread_mutex_t turn_lock; /* metered pass: whose turn it is */
    pthread_cond_t turn_moved;
    int turn;
    wl_meter meter; /* metered pass: the one meter, carried by whoever has the turn */
    member member[MAX_THREADS];
};

static bool slots_make(slots *s, size_t n) {
    s->n = n;
    s->p = wl_scratch_alloc(n * sizeof *s->p);
    s->size = wl_scratch_alloc(n * sizeof *s->size);
    return s->p && s->size;
}

static void slots_drop(slots *s) {
    wl_scratch_free(s->p, s->n * sizeof *s->p);
    wl_scratch_free(s->size, s->n * sizeof *s->size);
}

/* The sets a shape uses, and how many slots each holds. */
static size_t set_count(shape kind, int threads) { return kind == PRODCONS ? 2 * (size_t)threads : (size_t)threads; }
static size_t set_size(const crew *k) { return k->kind == LARSON ? k->live : k->kind == PRODCONS ? BATCH : 1; }

/* A thrash or scratch step: a fresh object, each byte written `writes` times, freed. */
static inline __attribute__((always_inline)) void write_through(member *m, const bool metered) {
    crew *k = m->crew;
    wl_ctx *c = &m->ctx;
    volatile unsigned char *p = wl_alloc(c, k->lo, metered);
    if (p == NULL) return;
    for (uint64_t w = 0; w < k->writes; w++)
        for (uint64_t b = 0; b < k->lo; b++) p[b] = (unsigned char)(w + b);
    wl_free(c, (void *)p, k->lo, metered);
}

static inline __attribute__((always_inline)) void round_body(member *m, int64_t round, const bool metered) {
    crew *k = m->crew;
    wl_ctx *c = &m->ctx;
    const int t = m->index, T = k->threads;
    if (k->kind == LARSON) {
        slots *s = &k->sets[(t + round) % T];
        for (int i = 0; i < BATCH && !c->error; i++) {
            size_t j = (size_t)wl_rng_below(&m->rng, s->n);
            uint32_t n = (uint32_t)wl_rng_range(&m->rng, k->lo, k->hi);
            wl_free(c, s->p[j], s->size[j], metered);
            s->p[j] = wl_alloc(c, n, metered);
            s->size[j] = s->p[j] ? n : 0;
        }
    } else if (k->kind == PRODCONS) {
        slots *mine = &k->sets[2 * t + (round & 1)];
        slots *theirs = &k->sets[2 * ((t + T - 1) % T) + ((round + 1) & 1)];
        for (int i = 0; i < BATCH && !c->error; i++) {
            if (theirs->p[i]) wl_free(c, theirs->p[i], theirs->size[i], metered);
            theirs->p[i] = NULL;
            uint32_t n = (uint32_t)wl_rng_range(&m->rng, k->lo, k->hi);
            mine->p[i] = wl_alloc(c, n, metered);
            mine->size[i] = mine->p[i] ? n : 0;
        }
    } else {
        slots *first = &k->sets[t]; /* scratch: thread 0's neighbouring object, freed here */
        if (k->kind == SCRATCH && first->p[0]) {
            wl_free(c, first->p[0], first->size[0], metered);
            first->p[0] = NULL;
        }
        for (int i = 0; i < BATCH && !c->error; i++) write_through(m, metered);
    }
}

/* Metered pass: wait for this thread's turn, carry the meter through the round, pass on. */
static void metered_round(member *m, int64_t round) {
    crew *k = m->crew;
    pthread_mutex_lock(&k->turn_lock);
    while (k->turn != m->index) pthread_cond_wait(&k->turn_moved, &k->turn_lock);
    pthread_mutex_unlock(&k->turn_lock);
    m->ctx.meter = k->meter;
    round_body(m, round, true);
    k->meter = m->ctx.meter;
    pthread_mutex_lock(&k->turn_lock);
    k->turn = (k->turn + 1) % k->threads;
    pthread_cond_broadcast(&k->turn_moved);
    pthread_mutex_unlock(&k->turn_lock);
}

static void do_round(member *m, int64_t round) {
    if (m->crew->metered) metered_round(m, round);
    else round_body(m, round, false);
}

static void *worker(void *arg) {
    member *m = arg;
    crew *k = m->crew;
    for (int64_t round = 0;; round++) {
        pthread_barrier_wait(&k->start);
        if (k->stop) break;
        do_round(m, round);
        pthread_barrier_wait(&k->end);
    }
    return NULL;
}

/* Setup (untimed, thread 0, metered like any operation): larson's slot sets are filled;
 * scratch's objects, one per thread, are allocated side by side. */
static void fill(crew *k, wl_ctx *c) {
    if (k->kind != LARSON && k->kind != SCRATCH) return;
    for (int t = 0; t < k->threads && !c->error; t++) {
        slots *s = &k->sets[t];
        for (size_t j = 0; j < s->n && !c->error; j++) {
            s->size[j] = (uint32_t)wl_rng_range(&k->member[t].rng, k->lo, k->hi);
            s->p[j] = k->metered ? wl_alloc(c, s->size[j], true) : wl_alloc(c, s->size[j], false);
            if (!s->p[j]) s->size[j] = 0;
        }
    }
}

static void drain(crew *k, wl_ctx *c, size_t sets) {
    for (size_t i = 0; i < sets; i++) {
        slots *s = &k->sets[i];
        for (size_t j = 0; j < s->n; j++) {
            if (!s->p || !s->p[j]) continue;
            if (k->metered) wl_free(c, s->p[j], s->size[j], true);
            else wl_free(c, s->p[j], s->size[j], false);
        }
        if (s->p) slots_drop(s);
    }
}

/* The crew's loop condition: wl_next, except that the metered pass looks at the deadline
 * before every round. A round is BATCH steps on each of T threads, so wl_next's look every
 * 16 iterations would let a slow strategy run 16 rounds (64000 steps at T = 4) past it. */
static bool crew_next(wl_ctx *c, int64_t *left) {
    if (!c->timer && c->deadline > 0 && c->done > 0 && *left > 0 && wl_now() > c->deadline) {
        c->cut = true;
        return false;
    }
    return wl_next(c, left);
}

/* Puts the heap the crew runs on in c->heap: the driver's own for a strategy that serves
 * threads, else per-thread heaps of it or the driver's behind the lock. */
static bool serve_threads(wl_ctx *c, heaps how) {
    if (c->heap->strategy->caps & MM_CAP_THREADS) return true;
    mm_heap *h;
    if (how == SHARED) {
        h = mm_locked_wrap(c->heap);
    } else {
        mm_error err = {{0}};
        h = mm_perthread_open(c->heap->strategy, &c->config, &err);
        if (h) mm_close(c->heap);
    }
    if (h == NULL) {
        c->error = how == SHARED ? "no memory for the lock" : "per-thread heaps would not open";
        return false;
    }
    c->heap = h;
    return true;
}

static void threads_run(wl_ctx *c, shape kind, heaps how, int threads) {
    if (!serve_threads(c, how)) return;
    crew *k = wl_scratch_alloc(sizeof *k);
    if (k == NULL) {
        c->error = "no memory for the crew";
        return;
    }
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->threads = threads;
    k->metered = c->timer == NULL;
    k->rounds = c->iterations;
    if (kind == THRASH || kind == SCRATCH) {
        k->lo = k->hi = (uint64_t)c->param[C_SIZE];
        k->writes = (uint64_t)c->param[C_WRITES];
    } else {
        k->live = (size_t)c->param[P_LIVE];
        k->lo = (uint64_t)c->param[P_MIN];
        k->hi = (uint64_t)c->param[P_MAX];
    }
    uint64_t seed = (uint64_t)c->param[kind == THRASH || kind == SCRATCH ? C_SEED : P_SEED];
    k->meter = c->meter;
    size_t sets = set_count(kind, threads);
    k->sets = wl_scratch_alloc(sets * sizeof *k->sets);
    if (k->sets == NULL) {
        c->error = "no memory for the slot tables";
        goto out;
    }
    memset(k->sets, 0, sets * sizeof *k->sets);
    for (size_t i = 0; i < sets; i++)
        if (!slots_make(&k->sets[i], set_size(k))) c->error = "no memory for the slot tables";
    for (int t = 0; t < threads; t++) {
        member *m = &k->member[t];
        m->crew = k;
        m->index = t;
        m->ctx = *c;
        wl_rng_seed(&m->rng, seed + (uint64_t)t * 0x9E3779B97F4A7C15ull);
    }
    wl_ctx *c0 = &k->member[0].ctx;
    if (!c->error) fill(k, c0);
    k->meter = c0->meter;
    pthread_barrier_init(&k->start, NULL, (unsigned)threads);
    pthread_barrier_init(&k->end, NULL, (unsigned)threads);
    pthread_mutex_init(&k->turn_lock, NULL);
    pthread_cond_init(&k->turn_moved, NULL);
    int started = 1;
    for (; started < threads && !c->error; started++)
        if (pthread_create(&k->member[started].thread, NULL, worker, &k->member[started]) != 0) break;
    if (started < threads) {
        c->error = "could not start the threads";
        k->rounds = 0;
    }
    int64_t left = k->rounds, round = 0;
    while (started == threads && !c->error && crew_next(c0, &left)) {
        pthread_barrier_wait(&k->start);
        do_round(&k->member[0], round++);
        pthread_barrier_wait(&k->end);
        for (int t = 0; t < threads; t++)
            if (k->member[t].ctx.error) c->error = k->member[t].ctx.error;
    }
    k->stop = true;
    if (started == threads) pthread_barrier_wait(&k->start);
    for (int t = 1; t < started; t++) pthread_join(k->member[t].thread, NULL);
    pthread_barrier_destroy(&k->start);
    pthread_barrier_destroy(&k->end);
    pthread_mutex_destroy(&k->turn_lock);
    pthread_cond_destroy(&k->turn_moved);
    c0->meter = k->meter;
    drain(k, c0, sets);
    c->meter = c0->meter;
    c->done = c0->done; /* the budget's verdict goes back to the driver (bench_main.c) */
    c->cut = c0->cut;
    for (int t = 0; t < threads; t++) {
        c->sink ^= k->member[t].ctx.sink;
        if (k->member[t].ctx.error) c->error = k->member[t].ctx.error;
    }
    c->ops = round * threads * BATCH * 2;
out:
    if (k->sets) wl_scratch_free(k->sets, sets * sizeof *k->sets);
    wl_scratch_free(k, sizeof *k);
}

static int64_t threads_iterations(const double *param) { return (int64_t)param[P_STEPS] / BATCH; }
static int64_t sharing_iterations(const double *param) { return (int64_t)param[C_STEPS] / BATCH; }

static const char *threads_validate(const double *param) {
    if (param[P_MIN] > param[P_MAX]) return "min_size must not exceed max_size";
    if ((int64_t)param[P_STEPS] % BATCH) return "steps must be a multiple of 1000";
    return NULL;
}

static const char *sharing_validate(const double *param) {
    if ((int64_t)param[C_STEPS] % BATCH) return "steps must be a multiple of 1000";
    return NULL;
}

#define THREAD_PARAMS                                                                              \
    {                                                                                              \
        [P_LIVE] = {"live", "blocks each thread keeps alive (larson)", 2000, 1, 1e7, true},        \
        [P_STEPS] = {"steps", "timed steps per thread, a multiple of 1000", 100000, 1000, 1e9, true}, \
        [P_MIN] = {"min_size", "smallest block in bytes", 16, 0, 1 << 20, true},                   \
        [P_MAX] = {"max_size", "largest block in bytes", 512, 0, 1 << 20, true},                   \
        [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},                       \
    }
#define SHARING_PARAMS                                                                             \
    {                                                                                              \
        [C_SIZE] = {"size", "bytes of each object (Hoard's objSize)", 8, 1, 4096, true},           \
        [C_WRITES] = {"writes", "writes of every byte of an object before its free", 1000, 1, 1e6, true}, \
        [C_STEPS] = {"steps", "objects per thread, a multiple of 1000", 10000, 1000, 1e9, true},   \
        [C_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},                       \
    }

/* One workload per shape, thread count and heaps: wl_<id>, named `cli`; `table` is
 * THREAD_PARAMS or SHARING_PARAMS, `rule` the stem of its iterations and validate. */
#define THREAD_WORKLOAD(kind, how, id, cli, count, text, from, table, rule)                       \
    static wl_param id##_params[] = table;                                                         \
    wl_workload wl_##id;                                                                           \
    static void id##_run(wl_ctx *c) { threads_run(c, kind, how, wl_##id.threads); }                \
    wl_workload wl_##id = {                                                                        \
        .name = cli,                                                                               \
        .summary = text,                                                                           \
        .origin = from,                                                                            \
        .threads = count,                                                                          \
        .params = id##_params,                                                                     \
        .param_count = sizeof id##_params / sizeof(wl_param),                                      \
        .iterations = rule##_iterations,                                                           \
        .validate = rule##_validate,                                                               \
        .run = id##_run,                                                                           \
        .full_suite_only = FULL_SUITE_ONLY_##how,                                                  \
    };

/* The one-lock twins measure the lock layer (the drop-in's threads=shared), not a strategy:
 * a plain run leaves them out (docs/harness.md, "Suites"). */
#define FULL_SUITE_ONLY_PER_THREAD NULL
#define FULL_SUITE_ONLY_SHARED                                                                  \
    "in-house strategies behind one lock (the drop-in's threads=shared): a layer, not a "        \
    "strategy; in the full suite, or when named"
#define PER_THREAD_TEXT " (in-house strategies: per-thread heaps)"
#define SHARED_TEXT " (in-house strategies: one heap behind one mutex)"
#define LARSON_TEXT "server simulation: each thread churns its slot set, sets move between threads every round"
#define LARSON_FROM "Larson & Krishnan 1998 (the Larson server benchmark); 16-512 B"
#define PRODCONS_TEXT "producer/consumer: every block is freed by the next thread, a round after it was allocated"
#define PRODCONS_FROM "cross-thread free, as in pipelines and message queues (mimalloc's xmalloc-test shape)"
#define THRASH_TEXT "active false sharing: each thread allocates an 8-byte object, writes it 1000 times, frees it"
#define THRASH_FROM "Hoard's cache-thrash (Berger et al. 2000)"
#define SCRATCH_TEXT "passive false sharing: each thread first frees one of thread 0's neighbouring objects, then as cache-thrash"
#define SCRATCH_FROM "Hoard's cache-scratch (Berger et al. 2000)"

#define LARSON(id, cli, how, count, text) \
    THREAD_WORKLOAD(LARSON, how, id, cli, count, LARSON_TEXT text, LARSON_FROM, THREAD_PARAMS, threads)
#define PRODCONS(id, cli, how, count, text) \
    THREAD_WORKLOAD(PRODCONS, how, id, cli, count, PRODCONS_TEXT text, PRODCONS_FROM, THREAD_PARAMS, threads)
#define SHARING(kind, id, cli, how, text, from) \
    THREAD_WORKLOAD(kind, how, id, cli, 2, text, from, SHARING_PARAMS, sharing)

LARSON(larson_1, "larson-1", PER_THREAD, 1, PER_THREAD_TEXT)
LARSON(larson_1_shared, "larson-1-shared", SHARED, 1, SHARED_TEXT)
LARSON(larson_2, "larson-2", PER_THREAD, 2, PER_THREAD_TEXT)
LARSON(larson_2_shared, "larson-2-shared", SHARED, 2, SHARED_TEXT)
LARSON(larson_n, "larson-n", PER_THREAD, 4, PER_THREAD_TEXT)
LARSON(larson_n_shared, "larson-n-shared", SHARED, 4, SHARED_TEXT)
PRODCONS(prodcons_1, "prodcons-1", PER_THREAD, 1, PER_THREAD_TEXT)
PRODCONS(prodcons_1_shared, "prodcons-1-shared", SHARED, 1, SHARED_TEXT)
PRODCONS(prodcons_2, "prodcons-2", PER_THREAD, 2, PER_THREAD_TEXT)
PRODCONS(prodcons_2_shared, "prodcons-2-shared", SHARED, 2, SHARED_TEXT)
PRODCONS(prodcons_n, "prodcons-n", PER_THREAD, 4, PER_THREAD_TEXT)
PRODCONS(prodcons_n_shared, "prodcons-n-shared", SHARED, 4, SHARED_TEXT)
SHARING(THRASH, cache_thrash_2, "cache-thrash-2", PER_THREAD, THRASH_TEXT PER_THREAD_TEXT, THRASH_FROM)
SHARING(THRASH, cache_thrash_2_shared, "cache-thrash-2-shared", SHARED, THRASH_TEXT SHARED_TEXT, THRASH_FROM)
SHARING(SCRATCH, cache_scratch_2, "cache-scratch-2", PER_THREAD, SCRATCH_TEXT PER_THREAD_TEXT, SCRATCH_FROM)
SHARING(SCRATCH, cache_scratch_2_shared, "cache-scratch-2-shared", SHARED, SCRATCH_TEXT SHARED_TEXT, SCRATCH_FROM)

/* "N" is twice the machine's cores (so every machine shows oversubscription). */
__attribute__((constructor)) static void threads_count_cores(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores > 1 ? 2 * (int)cores : 2;
    n = n < MAX_THREADS ? n : MAX_THREADS;
    wl_larson_n.threads = wl_larson_n_shared.threads = wl_prodcons_n.threads = wl_prodcons_n_shared.threads = n;
}
