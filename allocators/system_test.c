/* system_test.c — system's footprint is glibc's own count, every arena included.
 *
 *   system.footprint-vs-mallinfo2  after small blocks (main arena) and an 8 MiB block (a
 *                                  chunk mapped on its own), the footprint is mallinfo2's
 *                                  growth plus at most what glibc held free at open;
 *                                  freeing the big block lowers it.
 *   system.between-readings        between two readings the footprint follows the program
 *                                  break: the main arena's growth shows at the next call.
 *   system.threads-arenas          16 MiB allocated by another thread (in an arena of its
 *                                  own, outside the program break) are in the footprint.
 */
#define _GNU_SOURCE
#include "allocators/mm.h"
#include "allocators/process_malloc.h"
#include "conformance/tap.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* The footprint as of a reading taken now (a reading comes at least once in every
 * MM_MALLOC_READ_EVERY_MAX calls). */
static mm_stats stats_now(mm_heap *h) {
    mm_stats st = {0};
    for (unsigned i = 0; i < MM_MALLOC_READ_EVERY_MAX; i++) mm_stats_get(h, &st);
    return st;
}

static size_t held(void) {
    struct mallinfo2 m = mallinfo2();
    return m.arena + m.hblkhd;
}

static void check_vs_mallinfo2(void) {
    size_t free_at_open = mallinfo2().fordblks, before = held();
    mm_heap *h = mm_open(mm_strategy_find("system"), NULL, NULL);
    if (!EXPECT(h != NULL, "open")) return;
    static void *blocks[20000];
    for (int i = 0; i < 20000; i++) blocks[i] = mm_alloc(h, 16 + (size_t)(i * 37) % 500, 0);
    void *big = mm_alloc(h, 8u << 20, 0); /* past the mmap threshold: a chunk of its own */
    mm_stats st = stats_now(h);
    size_t grew = held() - before;
    EXPECT(st.footprint >= (8u << 20), "the 8 MiB mapped chunk is counted: footprint %zu", st.footprint);
    EXPECT(st.footprint >= grew && st.footprint <= grew + free_at_open,
           "footprint %zu: mallinfo2's growth %zu plus at most the %zu bytes free at open", st.footprint, grew,
           free_at_open);
    mm_free(h, big);
    mm_stats after = stats_now(h);
    EXPECT(after.peak_footprint >= (8u << 20) && after.footprint + (8u << 20) <= after.peak_footprint,
           "freeing the chunk lowers the footprint by 8 MiB: %zu, peak %zu", after.footprint, after.peak_footprint);
    for (int i = 0; i < 20000; i++) mm_free(h, blocks[i]);
    mm_close(h);
}

static void check_between_readings(void) {
    mm_heap *h = mm_open(mm_strategy_find("system"), NULL, NULL);
    if (!EXPECT(h != NULL, "open")) return;
    mm_stats first;
    mm_stats_get(h, &first); /* the first call is a reading; the next is not */
    char *brk0 = sbrk(0);
    enum { N = 64 * 1024 };
    static void *blocks[N];
    int n = 0; /* blocks of the main arena until it grows by 2 MiB (it may hold free memory first) */
    while (n < N && (size_t)((char *)sbrk(0) - brk0) < (2u << 20)) blocks[n++] = mm_alloc(h, 500, 0);
    mm_stats second;
    mm_stats_get(h, &second);
    size_t moved = (size_t)((char *)sbrk(0) - brk0);
    EXPECT(moved >= (2u << 20), "%d blocks moved the program break by %zu", n, moved);
    EXPECT(second.footprint == first.footprint + moved, "footprint %zu -> %zu, the break moved %zu", first.footprint,
           second.footprint, moved);
    for (int i = 0; i < n; i++) mm_free(h, blocks[i]);
    mm_close(h);
}

enum { THREAD_BLOCKS = 16 * 1024, THREAD_BLOCK = 1024 }; /* 16 MiB */

typedef struct handover {
    mm_heap *heap;
    pthread_barrier_t allocated, measured;
    void *blocks[THREAD_BLOCKS];
} handover;

static void *allocating_thread(void *arg) {
    handover *k = arg;
    for (int i = 0; i < THREAD_BLOCKS; i++) {
        k->blocks[i] = mm_alloc(k->heap, THREAD_BLOCK, 0);
        if (k->blocks[i]) memset(k->blocks[i], 1, THREAD_BLOCK);
    }
    pthread_barrier_wait(&k->allocated);
    pthread_barrier_wait(&k->measured);
    for (int i = 0; i < THREAD_BLOCKS; i++) mm_free(k->heap, k->blocks[i]);
    return NULL;
}

static void check_threads_arenas(void) {
    static handover k;
    k.heap = mm_open(mm_strategy_find("system"), NULL, NULL);
    if (!EXPECT(k.heap != NULL, "open")) return;
    size_t f0 = stats_now(k.heap).footprint;
    char *brk0 = sbrk(0);
    pthread_barrier_init(&k.allocated, NULL, 2);
    pthread_barrier_init(&k.measured, NULL, 2);
    pthread_t t;
    if (EXPECT(pthread_create(&t, NULL, allocating_thread, &k) == 0, "start a thread")) {
        pthread_barrier_wait(&k.allocated);
        size_t f1 = stats_now(k.heap).footprint, moved = (size_t)((char *)sbrk(0) - brk0);
        const size_t asked = (size_t)THREAD_BLOCKS * THREAD_BLOCK;
        EXPECT(moved < asked / 2, "the thread's blocks are in an arena of its own (the break moved %zu)", moved);
        EXPECT(f1 >= f0 + asked, "16 MiB in a thread's arena: footprint %zu -> %zu", f0, f1);
        pthread_barrier_wait(&k.measured);
        pthread_join(t, NULL);
    }
    pthread_barrier_destroy(&k.allocated);
    pthread_barrier_destroy(&k.measured);
    mm_close(k.heap);
}

int main(void) {
    static const struct {
        const char *name;
        void (*check)(void);
    } cases[] = {
        {"system.footprint-vs-mallinfo2", check_vs_mallinfo2},
        {"system.between-readings", check_between_readings},
        {"system.threads-arenas", check_threads_arenas},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tap_case("%s", cases[i].name);
#if defined(__SANITIZE_ADDRESS__)
        tap_skip("under AddressSanitizer malloc is the sanitizer's: no glibc statistics to read");
#else
        cases[i].check();
#endif
    }
    return tap_finish();
}
