/* threads.c — multi-threaded workloads: a Larson-style server and a producer/consumer,
 * each with 1, 2 and N threads (N = the machine's cores, at least 4).
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
 *   lock      a strategy without MM_CAP_THREADS is used through the locking wrapper
 *             (allocators/locked.h), at every thread count, so 1→2→N shows contention
 *             and not the price of the lock itself.
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
#include "workloads/wl.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

enum { P_LIVE, P_STEPS, P_MIN, P_MAX, P_SEED };
enum { BATCH = 1000, MAX_THREADS = 64 };

typedef enum { LARSON, PRODCONS } shape;

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
    uint64_t lo, hi;
    slots *sets;   /* larson: one slot set per thread; prodcons: two outboxes per thread */
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
    } else {
        slots *mine = &k->sets[2 * t + (round & 1)];
        slots *theirs = &k->sets[2 * ((t + T - 1) % T) + ((round + 1) & 1)];
        for (int i = 0; i < BATCH && !c->error; i++) {
            if (theirs->p[i]) wl_free(c, theirs->p[i], theirs->size[i], metered);
            theirs->p[i] = NULL;
            uint32_t n = (uint32_t)wl_rng_range(&m->rng, k->lo, k->hi);
            mine->p[i] = wl_alloc(c, n, metered);
            mine->size[i] = mine->p[i] ? n : 0;
        }
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

/* Setup (untimed, thread 0, metered like any operation): larson's slot sets are filled. */
static void fill(crew *k, wl_ctx *c) {
    if (k->kind != LARSON) return;
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

static int crew_size(const wl_workload *w) { return w->threads < MAX_THREADS ? w->threads : MAX_THREADS; }

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

static void threads_run(wl_ctx *c, shape kind, int threads) {
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
    k->live = (size_t)c->param[P_LIVE];
    k->lo = (uint64_t)c->param[P_MIN];
    k->hi = (uint64_t)c->param[P_MAX];
    k->meter = c->meter;
    mm_heap *outer = c->heap;
    mm_heap *heap = (outer->strategy->caps & MM_CAP_THREADS) ? outer : mm_locked_wrap(outer);
    size_t sets = kind == LARSON ? (size_t)threads : 2 * (size_t)threads;
    k->sets = wl_scratch_alloc(sets * sizeof *k->sets);
    if (heap == NULL || k->sets == NULL) {
        c->error = "no memory for the lock or the slot tables";
        goto out;
    }
    memset(k->sets, 0, sets * sizeof *k->sets);
    for (size_t i = 0; i < sets; i++)
        if (!slots_make(&k->sets[i], kind == LARSON ? k->live : BATCH)) c->error = "no memory for the slot tables";
    for (int t = 0; t < threads; t++) {
        member *m = &k->member[t];
        m->crew = k;
        m->index = t;
        m->ctx = *c;
        m->ctx.heap = heap;
        wl_rng_seed(&m->rng, (uint64_t)c->param[P_SEED] + (uint64_t)t * 0x9E3779B97F4A7C15ull);
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
    if (heap && heap != outer) mm_locked_unwrap(heap);
    if (k->sets) wl_scratch_free(k->sets, sets * sizeof *k->sets);
    wl_scratch_free(k, sizeof *k);
}

static int64_t threads_iterations(const double *param) { return (int64_t)param[P_STEPS] / BATCH; }

static const char *threads_validate(const double *param) {
    if (param[P_MIN] > param[P_MAX]) return "min_size must not exceed max_size";
    if ((int64_t)param[P_STEPS] % BATCH) return "steps must be a multiple of 1000";
    return NULL;
}

#define THREAD_PARAMS(live_default)                                                                \
    {                                                                                              \
        [P_LIVE] = {"live", "blocks each thread keeps alive (larson)", live_default, 1, 1e7, true}, \
        [P_STEPS] = {"steps", "timed steps per thread, a multiple of 1000", 100000, 1000, 1e9, true}, \
        [P_MIN] = {"min_size", "smallest block in bytes", 16, 0, 1 << 20, true},                   \
        [P_MAX] = {"max_size", "largest block in bytes", 512, 0, 1 << 20, true},                   \
        [P_SEED] = {"seed", "random seed", 42, 0, 9007199254740992.0, true},                       \
    }

/* One workload per shape and thread count: wl_<shape>_<suffix>, named "<shape>-<suffix>". */
#define THREAD_WORKLOAD(kind, id, label, suffix, count, text, from)                                 \
    static wl_param id##_##suffix##_params[] = THREAD_PARAMS(2000);                               \
    wl_workload wl_##id##_##suffix;                                                                \
    static void id##_##suffix##_run(wl_ctx *c) { threads_run(c, kind, crew_size(&wl_##id##_##suffix)); } \
    wl_workload wl_##id##_##suffix = {                                                             \
        .name = label "-" #suffix,                                                                 \
        .summary = text,                                                                           \
        .origin = from,                                                                            \
        .threads = count,                                                                          \
        .params = id##_##suffix##_params,                                                          \
        .param_count = 5,                                                                          \
        .iterations = threads_iterations,                                                          \
        .validate = threads_validate,                                                              \
        .run = id##_##suffix##_run,                                                                \
    };

#define LARSON_TEXT "server simulation: each thread churns its slot set, sets move between threads every round"
#define LARSON_FROM "Larson & Krishnan 1998 (the Larson server benchmark); 16-512 B"
#define PRODCONS_TEXT "producer/consumer: every block is freed by the next thread, a round after it was allocated"
#define PRODCONS_FROM "cross-thread free, as in pipelines and message queues (mimalloc's xmalloc-test shape)"

THREAD_WORKLOAD(LARSON, larson, "larson", 1, 1, LARSON_TEXT, LARSON_FROM)
THREAD_WORKLOAD(LARSON, larson, "larson", 2, 2, LARSON_TEXT, LARSON_FROM)
THREAD_WORKLOAD(LARSON, larson, "larson", n, 4, LARSON_TEXT, LARSON_FROM)
THREAD_WORKLOAD(PRODCONS, prodcons, "prodcons", 1, 1, PRODCONS_TEXT, PRODCONS_FROM)
THREAD_WORKLOAD(PRODCONS, prodcons, "prodcons", 2, 2, PRODCONS_TEXT, PRODCONS_FROM)
THREAD_WORKLOAD(PRODCONS, prodcons, "prodcons", n, 4, PRODCONS_TEXT, PRODCONS_FROM)

/* "N" is the machine's cores, at least 4 (so a 2-core machine shows oversubscription). */
__attribute__((constructor)) static void threads_count_cores(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores > 4 ? (int)cores : 4;
    wl_larson_n.threads = wl_prodcons_n.threads = n < MAX_THREADS ? n : MAX_THREADS;
}
