/* preload_bench.c — two plain malloc programs to time under the drop-in and under glibc
 * (allocators/preload/measure.sh runs them; docs/preload.md shows the command).
 *
 *   preload_bench churn THREADS STEPS [LIVE]
 *       small-object churn, STEPS in all, split evenly over THREADS threads: each keeps
 *       LIVE (default 10000) blocks of 16-512 B and replaces a random one per step, so
 *       the same total work runs on 1 or 2 threads and wall time shows how the allocator
 *       scales. One step in 64 hands its block to the next thread, which frees it: some
 *       frees are remote, as in a real program.
 *   preload_bench big STEPS [LIVE]
 *       multi-MiB blocks (mimalloc's malloc-large test shape): LIVE (default 10) buffers of
 *       2-15 MiB; each step frees a random one and allocates another of a random size,
 *       writing every byte of it (as std::make_unique<char[]> does).
 *
 * Prints one checksum line (the same under every allocator), so nothing is optimised away.
 * Bad arguments: one line on stderr, exit status 2.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *x) { /* splitmix64 */
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static long number(const char *text, const char *what, long lo, long hi) {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "preload_bench: %s '%s' is not a whole number from %ld to %ld\n", what, text, lo, hi);
        exit(2);
    }
    return v;
}

/* ---- churn ---- */

enum { MAX_THREADS = 64, HANDOFF = 64 };

typedef struct worker {
    long steps, live;
    int index, threads;
    uint64_t sum;
    pthread_t thread;
} worker;

static _Atomic(void *) mailbox[MAX_THREADS]; /* one block in flight to each thread */

static void *churn(void *arg) {
    worker *w = arg;
    uint64_t x = 42 + (uint64_t)w->index;
    char **slot = calloc((size_t)w->live, sizeof *slot);
    for (long s = 0; s < w->steps; s++) {
        long i = (long)(next(&x) % (uint64_t)w->live);
        if (slot[i]) {
            w->sum += (unsigned char)slot[i][0];
            if (s % HANDOFF == 0 && w->threads > 1) { /* to the next thread, which frees it */
                void *old = atomic_exchange(&mailbox[(w->index + 1) % w->threads], slot[i]);
                free(old);
            } else {
                free(slot[i]);
            }
        }
        size_t size = 16 + next(&x) % 497;
        slot[i] = malloc(size);
        slot[i][0] = (char)size;
        slot[i][size - 1] = (char)s;
        if (s % HANDOFF == HANDOFF / 2) free(atomic_exchange(&mailbox[w->index], NULL));
    }
    for (long i = 0; i < w->live; i++) free(slot[i]);
    free(slot);
    return NULL;
}

static int run_churn(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "preload_bench: usage: preload_bench churn THREADS STEPS [LIVE]\n");
        return 2;
    }
    int threads = (int)number(argv[2], "THREADS", 1, MAX_THREADS);
    long steps = number(argv[3], "STEPS", 1, 1L << 40), live = argc > 4 ? number(argv[4], "LIVE", 1, 1L << 26) : 10000;
    worker w[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        w[t] = (worker){.steps = steps / threads + (t < steps % threads), .live = live, .index = t, .threads = threads};
        if (t > 0 && pthread_create(&w[t].thread, NULL, churn, &w[t]) != 0) {
            fprintf(stderr, "preload_bench: cannot start thread %d\n", t);
            return 1;
        }
    }
    churn(&w[0]);
    uint64_t sum = 0;
    for (int t = 0; t < threads; t++) {
        if (t > 0) pthread_join(w[t].thread, NULL);
        sum += w[t].sum;
    }
    for (int t = 0; t < threads; t++) free(atomic_exchange(&mailbox[t], NULL));
    printf("churn %d threads %ld steps: checksum %llu\n", threads, steps, (unsigned long long)sum);
    return 0;
}

/* ---- big blocks ---- */

static int run_big(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "preload_bench: usage: preload_bench big STEPS [LIVE]\n");
        return 2;
    }
    long steps = number(argv[2], "STEPS", 1, 1L << 30), live = argc > 3 ? number(argv[3], "LIVE", 1, 1000) : 10;
    const size_t lo = (size_t)2 << 20, hi = (size_t)15 << 20;
    char **slot = calloc((size_t)live, sizeof *slot);
    uint64_t x = 42, sum = 0;
    for (long s = 0; s < steps; s++) {
        long i = (long)(next(&x) % (uint64_t)live);
        if (slot[i]) sum += (unsigned char)slot[i][s % 4096];
        free(slot[i]);
        size_t size = lo + next(&x) % (hi - lo + 1);
        slot[i] = malloc(size);
        if (slot[i] == NULL) {
            fprintf(stderr, "preload_bench: malloc(%zu) failed at step %ld\n", size, s);
            return 1;
        }
        memset(slot[i], (int)(s & 0x7f), size);
    }
    for (long i = 0; i < live; i++) free(slot[i]);
    free(slot);
    printf("big %ld steps: checksum %llu\n", steps, (unsigned long long)sum);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "churn") == 0) return run_churn(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "big") == 0) return run_big(argc, argv);
    fprintf(stderr, "preload_bench: usage: preload_bench churn THREADS STEPS [LIVE] | big STEPS [LIVE]\n");
    return 2;
}
