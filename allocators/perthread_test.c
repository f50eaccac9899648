/* perthread_test.c — per-thread heaps (allocators/perthread.h) with real threads, over
 * every strategy the layer serves. The single-threaded contract runs through the layer in
 * conformance's *_per_thread targets; here is what only threads can show:
 *   owners     (each strategy alone) every block of every size lies in pages its page
 *              layer recorded for its owner, and nothing stays recorded after close
 *   pipeline   blocks made in one thread are checked, resized and freed in the next
 *   exit       threads exit holding blocks; others free them later (into abandoned heaps,
 *              drained as they die) and new threads adopt those heaps
 *   guests     usable_size and realloc of a busy owner's blocks from another thread
 *   limit      one limit shared by every thread's heap
 *   random     threads doing random operations on shared slots (a fuzz): every block
 *              keeps its bytes, whichever thread made, resized or frees it
 *   fork       fork while threads work: the child uses and frees blocks of every heap
 * Every case ends with check() == 0, which also proves the footprint exact: each heap's
 * recorded pages equal its footprint, and their sum is the layer's.
 * Built optimised, with ASan+UBSan, and with ThreadSanitizer (perthread_test_tsan);
 * argument --fences: the handshake without membarrier (perthread_fences_test).
 */
#include "allocators/perthread.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
enum { SCALE = 1 };
#else
enum { SCALE = 8 };
#endif

static unsigned long long seed;

/* ---- blocks that carry their own check: a header {size, tag}, then a pattern ---- */

typedef struct stamp {
    uint64_t size, tag;
} stamp;

static unsigned char pattern(uint64_t tag, size_t i) { return (unsigned char)(tag * 31 + i * 7 + (i >> 8)); }

/* Fills block p of `size` bytes (at least a stamp) with tag's pattern. */
static void stamp_fill(void *p, size_t size, uint64_t tag) {
    unsigned char *b = p;
    *(stamp *)p = (stamp){size, tag};
    for (size_t i = sizeof(stamp); i < size; i += i < 4096 ? 1 : 509) b[i] = pattern(tag, i);
}

/* Is p still as stamp_fill left it (its first `keep` bytes, or all)? */
static bool stamp_intact(const void *p, size_t keep) {
    const stamp *s = p;
    const unsigned char *b = p;
    size_t n = keep < s->size ? keep : s->size;
    for (size_t i = sizeof(stamp); i < n; i += i < 4096 ? 1 : 509)
        if (b[i] != pattern(s->tag, i)) return false;
    return true;
}

static size_t draw_size(wl_rng *r, bool big) {
    uint64_t x = wl_rng_below(r, 1000);
    if (big && x == 0) return (size_t)wl_rng_range(r, 2u << 20, 5u << 20); /* the page layer's cache */
    if (x < 20) return (size_t)wl_rng_range(r, 8192, 300u << 10);
    if (x < 300) return (size_t)wl_rng_range(r, 513, 8192);
    return (size_t)wl_rng_range(r, sizeof(stamp), 512);
}

/* ---- the strategies the layer serves ---- */

static bool served(const mm_strategy *s) {
    return !(s->caps & MM_CAP_THREADS) && (s->caps & MM_CAP_LIMIT) && !mm_strategy_unavailable(s);
}

static mm_heap *open_layer(const mm_strategy *s, size_t limit) {
    mm_error err = {{0}};
    mm_config cfg = {.limit = limit};
    mm_heap *h = mm_perthread_open(s, &cfg, &err);
    EXPECT(h != NULL, "per-thread heaps of %s open: %s", s->name, err.message);
    return h;
}

static void finish(mm_heap *h, const char *what) {
    size_t broken = mm_check(h);
    EXPECT(broken == 0, "%s: check() found %zu broken invariants", what, broken);
    mm_stats st;
    mm_stats_get(h, &st);
    EXPECT(st.peak_footprint >= st.footprint && st.footprint > 0, "%s: footprint %zu, peak %zu", what, st.footprint,
           st.peak_footprint);
    mm_close(h);
}

static void run_threads(int n, void *(*body)(void *), void *args, size_t arg_size) {
    pthread_t t[16];
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, body, (char *)args + (size_t)i * arg_size) != 0) abort();
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
}

/* ---- owners: the page layer's side of the contract, strategy by strategy ---- */

static void check_owners(const mm_strategy *s) {
    mm_pagemap map = {0};
    mm_owner me = {&map};
    mm_error err = {{0}};
    mm_config cfg = {.owner = &me, .options = mm_strategy_find("pool") == s ? "fallback=best-fit" : NULL};
    mm_heap *h = mm_open(s, &cfg, &err);
    if (!EXPECT(h != NULL, "%s opens with an owner: %s", s->name, err.message)) return;
    static const size_t sizes[] = {0, 1, 16, 100, 512, 513, 4096, 70000, 600000, 2u << 20, 5u << 20};
    void *blocks[sizeof sizes / sizeof *sizes][3];
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (size_t a = 0; a < 3; a++) {
            size_t align = a == 0 ? 0 : a == 1 ? 64 : 4096;
            void *p = blocks[i][a] = mm_alloc(h, sizes[i], align);
            if (!EXPECT(p != NULL, "alloc(%zu, %zu)", sizes[i], align)) continue;
            const char *last = (char *)p + mm_usable_size(h, p) - 1;
            EXPECT(mm_pagemap_find(&map, p) == &me && mm_pagemap_find(&map, last) == &me,
                   "%s: block %p (%zu bytes, align %zu) lies in pages recorded as its heap's", s->name, p, sizes[i],
                   align);
        }
    mm_stats st;
    mm_stats_get(h, &st);
    EXPECT(mm_pagemap_bytes(&map, &me) == st.footprint, "%s: recorded %zu bytes, footprint %zu", s->name,
           mm_pagemap_bytes(&map, &me), st.footprint);
    EXPECT(atomic_load(&map.held) == st.footprint + mm_pagemap_node_bytes(&map), "%s: held %zu", s->name,
           atomic_load(&map.held));
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (size_t a = 0; a < 3; a++) mm_free(h, blocks[i][a]);
    mm_close(h);
    EXPECT(mm_pagemap_bytes(&map, NULL) == 0, "%s: closed, yet %zu bytes stay recorded", s->name,
           mm_pagemap_bytes(&map, NULL));
    mm_pagemap_release(&map);
    EXPECT(atomic_load(&map.held) == 0, "%s: every byte counted is back (%zu)", s->name, atomic_load(&map.held));
}

/* ---- pipeline: each thread's blocks are checked, resized and freed by the next ---- */

enum { PIPE_THREADS = 3, PIPE_BATCH = 300, PIPE_ROUNDS = 8 * SCALE };

typedef struct pipe_crew {
    mm_heap *h;
    pthread_barrier_t round_end;
    void *box[PIPE_THREADS][2][PIPE_BATCH]; /* thread t's outbox of round r: box[t][r & 1] */
} pipe_crew;

typedef struct pipe_member {
    pipe_crew *crew;
    int index;
} pipe_member;

static void *pipe_body(void *arg) {
    pipe_member *m = arg;
    pipe_crew *k = m->crew;
    wl_rng r;
    wl_rng_seed(&r, seed + (uint64_t)m->index);
    for (int round = 0; round < PIPE_ROUNDS; round++) {
        void **in = k->box[(m->index + PIPE_THREADS - 1) % PIPE_THREADS][(round + 1) & 1];
        for (int i = 0; round > 0 && i < PIPE_BATCH; i++) {
            void *p = in[i];
            if (p == NULL) continue;
            size_t size = ((stamp *)p)->size;
            EXPECT(stamp_intact(p, SIZE_MAX), "a block of %zu bytes changed on its way between threads", size);
            EXPECT(mm_usable_size(k->h, p) >= size, "another thread's block: usable %zu < %zu", mm_usable_size(k->h, p),
                   size);
            if (i % 4 == 0) { /* resize it: it may move into this thread's heap */
                size_t to = draw_size(&r, false);
                void *q = mm_realloc(k->h, p, to);
                if (!EXPECT(q != NULL, "realloc of another thread's block to %zu", to)) continue;
                EXPECT(stamp_intact(q, to), "realloc of another thread's block kept its first %zu bytes", to);
                p = q;
            }
            mm_free(k->h, p);
            in[i] = NULL;
        }
        void **out = k->box[m->index][round & 1];
        for (int i = 0; i < PIPE_BATCH; i++) {
            size_t size = draw_size(&r, true);
            out[i] = mm_alloc(k->h, size, i % 16 == 0 ? 256 : 0);
            if (EXPECT(out[i] != NULL, "alloc(%zu)", size)) stamp_fill(out[i], size, wl_rng_next(&r));
        }
        pthread_barrier_wait(&k->round_end);
    }
    return NULL;
}

static void check_pipeline(const mm_strategy *s) {
    mm_heap *h = open_layer(s, 0);
    if (!h) return;
    pipe_crew *k = calloc(1, sizeof *k);
    k->h = h;
    pthread_barrier_init(&k->round_end, NULL, PIPE_THREADS);
    pipe_member m[PIPE_THREADS];
    for (int i = 0; i < PIPE_THREADS; i++) m[i] = (pipe_member){k, i};
    run_threads(PIPE_THREADS, pipe_body, m, sizeof *m);
    for (int t = 0; t < PIPE_THREADS; t++) /* the last round's blocks: freed by this thread */
        for (int i = 0; i < PIPE_BATCH; i++) mm_free(h, k->box[t][(PIPE_ROUNDS - 1) & 1][i]);
    EXPECT(mm_perthread_heaps(h) <= PIPE_THREADS + 1, "%zu heaps for %d threads", mm_perthread_heaps(h), PIPE_THREADS);
    pthread_barrier_destroy(&k->round_end);
    free(k);
    finish(h, s->name);
}

/* ---- exit: threads die holding blocks; new threads adopt their heaps ---- */

enum { EXIT_THREADS = 4, EXIT_WAVES = 3, EXIT_BLOCKS = 500 * SCALE };

typedef struct exit_member {
    mm_heap *h;
    uint64_t seed;
    void *blocks[EXIT_BLOCKS];
} exit_member;

static void *exit_body(void *arg) {
    exit_member *m = arg;
    wl_rng r;
    wl_rng_seed(&r, m->seed);
    for (int i = 0; i < EXIT_BLOCKS; i++) {
        size_t size = draw_size(&r, false);
        m->blocks[i] = mm_alloc(m->h, size, 0);
        if (EXPECT(m->blocks[i] != NULL, "alloc(%zu)", size)) stamp_fill(m->blocks[i], size, wl_rng_next(&r));
    }
    return NULL; /* exits holding every block */
}

static void check_exit(const mm_strategy *s) {
    mm_heap *h = open_layer(s, 0);
    if (!h) return;
    exit_member *m = calloc(EXIT_WAVES * EXIT_THREADS, sizeof *m);
    size_t peak = 0;
    for (int wave = 0; wave < EXIT_WAVES; wave++) {
        exit_member *w = &m[wave * EXIT_THREADS];
        for (int i = 0; i < EXIT_THREADS; i++) w[i] = (exit_member){.h = h, .seed = seed + 100 * (uint64_t)wave + (uint64_t)i};
        run_threads(EXIT_THREADS, exit_body, w, sizeof *w);
        EXPECT(mm_perthread_heaps(h) <= EXIT_THREADS, "wave %d: %zu heaps: exited threads' heaps were not adopted", wave,
               mm_perthread_heaps(h));
        mm_stats st;
        mm_stats_get(h, &st);
        if (st.footprint > peak) peak = st.footprint;
    }
    for (int i = 0; i < EXIT_WAVES * EXIT_THREADS; i++) /* every block, freed by a thread that never allocated */
        for (int j = 0; j < EXIT_BLOCKS; j++) {
            if (m[i].blocks[j] == NULL) continue;
            EXPECT(stamp_intact(m[i].blocks[j], SIZE_MAX), "a dead thread's block changed");
            mm_free(h, m[i].blocks[j]);
        }
    mm_stats st;
    mm_stats_get(h, &st);
    if (s->caps & MM_CAP_FREE) /* the abandoned heaps drained as their blocks died */
        EXPECT(st.footprint <= peak / 2, "%zu bytes held after freeing every block (peak %zu)", st.footprint, peak);
    free(m);
    finish(h, s->name);
}

/* ---- guests: another thread asks about and resizes a busy owner's blocks ---- */

enum { GUEST_SLOTS = 64, GUEST_OPS = 4000 * SCALE };

typedef struct guest_crew {
    mm_heap *h;
    _Atomic(void *) slot[GUEST_SLOTS];
    _Atomic int done;
} guest_crew;

static void *owner_body(void *arg) {
    guest_crew *k = arg;
    wl_rng r;
    wl_rng_seed(&r, seed + 7);
    void *own[32] = {0};
    for (int op = 0; op < GUEST_OPS; op++) {
        int i = (int)wl_rng_below(&r, 32); /* its own churn, so it is often inside its heap */
        mm_free(k->h, own[i]);
        own[i] = mm_alloc(k->h, draw_size(&r, false), 0);
        size_t size = draw_size(&r, false);
        void *p = mm_alloc(k->h, size, 0);
        if (!EXPECT(p != NULL, "alloc(%zu)", size)) break;
        stamp_fill(p, size, (uint64_t)op);
        void *old = atomic_exchange(&k->slot[wl_rng_below(&r, GUEST_SLOTS)], p);
        if (old) mm_free(k->h, old);
    }
    for (int i = 0; i < 32; i++) mm_free(k->h, own[i]);
    atomic_store(&k->done, 1);
    return NULL;
}

static void *guest_body(void *arg) {
    guest_crew *k = arg;
    wl_rng r;
    wl_rng_seed(&r, seed + 8);
    while (!atomic_load(&k->done)) {
        void *p = atomic_exchange(&k->slot[wl_rng_below(&r, GUEST_SLOTS)], NULL);
        if (p == NULL) continue;
        size_t size = ((stamp *)p)->size;
        EXPECT(mm_usable_size(k->h, p) >= size, "usable_size of a busy owner's block");
        size_t to = wl_rng_below(&r, 2) ? size * 2 : size - size / 4;
        void *q = mm_realloc(k->h, p, to);
        if (EXPECT(q != NULL, "realloc of a busy owner's block to %zu", to))
            EXPECT(stamp_intact(q, to), "realloc of a busy owner's block kept its bytes");
        mm_free(k->h, q);
    }
    return NULL;
}

typedef struct guest_role {
    guest_crew *crew;
    bool guest;
} guest_role;

static void *guest_role_body(void *arg) {
    guest_role *r = arg;
    return r->guest ? guest_body(r->crew) : owner_body(r->crew);
}

static void check_guests(const mm_strategy *s) {
    mm_heap *h = open_layer(s, 0);
    if (!h) return;
    guest_crew *k = calloc(1, sizeof *k);
    k->h = h;
    guest_role roles[2] = {{k, false}, {k, true}};
    run_threads(2, guest_role_body, roles, sizeof *roles);
    for (int i = 0; i < GUEST_SLOTS; i++) mm_free(h, atomic_load(&k->slot[i]));
    free(k);
    finish(h, s->name);
}

/* ---- limit: one ceiling for every thread's heap together ---- */

enum { LIMIT_THREADS = 3, LIMIT_BLOCKS = 4096 };
static const size_t LIMIT = 24u << 20;

typedef struct limit_member {
    mm_heap *h;
    size_t got;
    void *blocks[LIMIT_BLOCKS];
} limit_member;

static void *limit_body(void *arg) {
    limit_member *m = arg;
    while (m->got < LIMIT_BLOCKS && (m->blocks[m->got] = mm_alloc(m->h, 64u << 10, 0)) != NULL) m->got++;
    return NULL;
}

static void check_limit(const mm_strategy *s) {
    mm_heap *h = open_layer(s, LIMIT);
    if (!h) return;
    limit_member *m = calloc(LIMIT_THREADS, sizeof *m);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < LIMIT_THREADS; i++) m[i].h = h, m[i].got = 0;
        run_threads(LIMIT_THREADS, limit_body, m, sizeof *m);
        size_t got = 0;
        for (int i = 0; i < LIMIT_THREADS; i++) got += m[i].got;
        mm_stats st;
        mm_stats_get(h, &st);
        EXPECT(st.peak_footprint <= LIMIT, "round %d: peak footprint %zu past the shared limit %zu", round,
               st.peak_footprint, LIMIT);
        EXPECT(got * (64u << 10) > LIMIT / 4, "round %d: only %zu blocks of 64 KiB under a %zu-byte limit", round, got,
               LIMIT);
        EXPECT(mm_check(h) == 0, "round %d: check() at the limit", round);
        if (!(s->caps & MM_CAP_FREE)) break;
        for (int i = 0; i < LIMIT_THREADS; i++) /* freed by another thread than made them */
            for (size_t j = 0; j < m[(i + 1) % LIMIT_THREADS].got; j++) mm_free(h, m[(i + 1) % LIMIT_THREADS].blocks[j]);
    }
    free(m);
    finish(h, s->name);
}

/* ---- random: threads on shared slots, every path in any order ---- */

enum { RANDOM_THREADS = 4, RANDOM_SLOTS = 256, RANDOM_OPS = 3000 * SCALE };

typedef struct random_crew {
    mm_heap *h;
    _Atomic(void *) slot[RANDOM_SLOTS];
} random_crew;

typedef struct random_member {
    random_crew *crew;
    uint64_t seed;
} random_member;

/* A block taken from a slot: checked, then freed or kept (returned). */
static void *inspect(random_crew *k, void *p, wl_rng *r) {
    size_t size = ((stamp *)p)->size;
    EXPECT(stamp_intact(p, SIZE_MAX), "a %zu-byte block changed while it sat in a slot", size);
    EXPECT(mm_usable_size(k->h, p) >= size, "usable_size %zu < %zu", mm_usable_size(k->h, p), size);
    switch (wl_rng_below(r, 4)) {
    case 0: {
        size_t to = draw_size(r, true);
        void *q = mm_realloc(k->h, p, to);
        if (!EXPECT(q != NULL, "realloc(%zu -> %zu)", size, to)) return p;
        EXPECT(stamp_intact(q, to), "realloc(%zu -> %zu) kept the prefix", size, to);
        stamp_fill(q, to, wl_rng_next(r));
        return q;
    }
    case 1: return p;
    default: mm_free(k->h, p); return NULL;
    }
}

static void *random_body(void *arg) {
    random_member *m = arg;
    random_crew *k = m->crew;
    wl_rng r;
    wl_rng_seed(&r, m->seed);
    for (int op = 0; op < RANDOM_OPS && tap_case_failures() == 0; op++) {
        _Atomic(void *) *slot = &k->slot[wl_rng_below(&r, RANDOM_SLOTS)];
        void *p = atomic_exchange(slot, NULL);
        if (p != NULL) {
            p = inspect(k, p, &r);
        } else {
            size_t size = draw_size(&r, true), align = wl_rng_below(&r, 8) == 0 ? (size_t)1 << wl_rng_range(&r, 5, 12) : 0;
            p = mm_alloc(k->h, size, align);
            if (!EXPECT(p != NULL && ((uintptr_t)p & ((align ? align : MM_MIN_ALIGN) - 1)) == 0, "alloc(%zu, %zu) = %p",
                        size, align, p))
                continue;
            stamp_fill(p, size, wl_rng_next(&r));
        }
        if (p == NULL) continue;
        void *displaced = atomic_exchange(slot, p);
        if (displaced != NULL) {
            EXPECT(stamp_intact(displaced, SIZE_MAX), "a displaced block changed");
            mm_free(k->h, displaced);
        }
    }
    return NULL;
}

static void check_random(const mm_strategy *s) {
    mm_heap *h = open_layer(s, 0);
    if (!h) return;
    random_crew *k = calloc(1, sizeof *k);
    k->h = h;
    random_member m[RANDOM_THREADS];
    for (int i = 0; i < RANDOM_THREADS; i++) m[i] = (random_member){k, seed * 977 + (uint64_t)i};
    run_threads(RANDOM_THREADS, random_body, m, sizeof *m);
    for (int i = 0; i < RANDOM_SLOTS; i++) {
        void *p = atomic_load(&k->slot[i]);
        if (p) EXPECT(stamp_intact(p, SIZE_MAX), "a block left in a slot changed"), mm_free(h, p);
    }
    free(k);
    finish(h, s->name);
}

/* ---- fork: the child inherits every heap whole, and uses them ---- */

enum { FORK_THREADS = 2, FORK_BLOCKS = 200 };

typedef struct fork_crew {
    mm_heap *h;
    _Atomic int stop;
    _Atomic(void *) made[FORK_THREADS][FORK_BLOCKS];
} fork_crew;

typedef struct fork_member {
    fork_crew *crew;
    int index;
} fork_member;

static void *fork_body(void *arg) {
    fork_member *m = arg;
    fork_crew *k = m->crew;
    wl_rng r;
    wl_rng_seed(&r, seed + 50 + (uint64_t)m->index);
    while (!atomic_load(&k->stop)) {
        int i = (int)wl_rng_below(&r, FORK_BLOCKS);
        size_t size = draw_size(&r, false);
        void *p = mm_alloc(k->h, size, 0);
        if (!p) continue;
        stamp_fill(p, size, wl_rng_next(&r));
        void *old = atomic_exchange(&k->made[m->index][i], p);
        if (old) mm_free(k->h, old);
    }
    return NULL;
}

static void check_fork(const mm_strategy *s) {
    mm_heap *h = open_layer(s, 0);
    if (!h) return;
    fork_crew *k = calloc(1, sizeof *k);
    k->h = h;
    fork_member m[FORK_THREADS];
    pthread_t t[FORK_THREADS];
    for (int i = 0; i < FORK_THREADS; i++) {
        m[i] = (fork_member){k, i};
        if (pthread_create(&t[i], NULL, fork_body, &m[i]) != 0) abort();
    }
    void *mine = mm_alloc(h, 100, 0);
    usleep(20000);
    mm_perthread_fork(h, MM_FORK_PREPARE);
    pid_t pid = fork();
    if (pid == 0) { /* the child: one thread, every heap whole */
        mm_perthread_fork(h, MM_FORK_CHILD);
        int bad = 0;
        for (int i = 0; i < FORK_THREADS; i++)
            for (int j = 0; j < FORK_BLOCKS; j++) {
                void *p = atomic_load(&k->made[i][j]);
                if (p == NULL) continue;
                bad += !stamp_intact(p, SIZE_MAX);
                if (j % 2) p = mm_realloc(h, p, 3000); /* another (gone) thread's block */
                mm_free(h, p);
            }
        for (int i = 0; i < 2000; i++) mm_free(h, mm_alloc(h, (size_t)i * 13 % 5000, 0));
        mm_free(h, mine);
        bad += mm_check(h) != 0;
        _exit(bad ? 1 : 0);
    }
    mm_perthread_fork(h, MM_FORK_PARENT);
    EXPECT(pid > 0, "fork");
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child used every heap and found them whole (status %d)",
           status);
    atomic_store(&k->stop, 1);
    for (int i = 0; i < FORK_THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < FORK_THREADS; i++)
        for (int j = 0; j < FORK_BLOCKS; j++) mm_free(h, atomic_load(&k->made[i][j]));
    mm_free(h, mine);
    free(k);
    finish(h, s->name);
}

/* ---- refusals ---- */

static void check_refusals(void) {
    mm_error err = {{0}};
    mm_config plain = {0}, bad = {.options = "no_such_option=1"}, tiny = {.limit = 4096};
    EXPECT(mm_perthread_open(mm_strategy_find("system"), &plain, &err) == NULL && strstr(err.message, "serves threads"),
           "system serves threads itself: '%s'", err.message);
    EXPECT(mm_perthread_open(mm_strategy_find("best-fit"), &bad, &err) == NULL && strstr(err.message, "no_such_option"),
           "a bad option is told at open: '%s'", err.message);
    EXPECT(mm_perthread_open(mm_strategy_find("best-fit"), &tiny, &err) == NULL && strchr(err.message, '\n') == NULL,
           "a limit too small to open: one line, '%s'", err.message);
    mm_config system_fallback = {.options = "fallback=system"};
    EXPECT(mm_perthread_open(mm_strategy_find("pool"), &system_fallback, &err) == NULL &&
               strstr(err.message, "fallback=best-fit"),
           "pool's blocks must all be in the page layer: '%s'", err.message);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--fences") == 0) mm_perthread_use_fences();
    seed = tap_seed(20261121);
    tap_case("perthread.refusals");
    check_refusals();
    size_t item = 0;
#define CASE(label, call)                                  \
    if (tap_shard_owns(item++)) {                          \
        tap_case("perthread.%s[%s]", label, s->name);      \
        call;                                              \
    }
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        if (!served(s)) continue;
        CASE("owners", check_owners(s));
        CASE("pipeline", check_pipeline(s));
        CASE("exit", check_exit(s));
        CASE("guests", check_guests(s));
        CASE("limit", check_limit(s));
        CASE("random", check_random(s));
        CASE("fork", check_fork(s));
    }
    return tap_finish();
}
