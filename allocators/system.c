/* system.c — the C library's malloc (glibc's ptmalloc here), through the common table.
 *
 * Vocabulary
 *   brk heap   glibc's main arena grows the program break; its size is sbrk(0) minus the
 *              break when the heap was opened.
 *   mmapped    requests above glibc's mmap threshold get a mapping of their own; glibc
 *              marks such a chunk with bit 1 (IS_MMAPPED) of the size word just before
 *              the block, so the wrapper counts them exactly as they come and go.
 *   footprint  brk heap + mmapped chunks. Cheap enough to read after every operation,
 *              unlike mallinfo2(), which walks every free chunk (milliseconds on a large
 *              heap); the conformance suite cross-checks the two.
 *
 * Invariants and limits
 *   All heaps share the one process heap: open/close cannot isolate them, and memory other
 *   code in the process takes is counted too (benchmarks keep their own tables off malloc).
 *   Only the main arena is seen: threads' arenas are outside the footprint.
 *   No limit (MM_CAP_LIMIT) and no heap walk (MM_CAP_CHECK): check() returns 0.
 *   Under AddressSanitizer malloc is the sanitizer's, chunk headers mean nothing and the
 *   footprint reads 0; under valgrind (malloc is memcheck's) mmapped chunks read 0.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "mm_valgrind.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SYSTEM_GLIBC_CHUNKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYSTEM_GLIBC_CHUNKS 0
#endif
#endif
#if !defined(SYSTEM_GLIBC_CHUNKS) && defined(__GLIBC__)
#define SYSTEM_GLIBC_CHUNKS 1
#elif !defined(SYSTEM_GLIBC_CHUNKS)
#define SYSTEM_GLIBC_CHUNKS 0
#endif

typedef struct system_heap {
    mm_heap base;
    char *brk_at_open;
    size_t mmapped;      /* bytes in IS_MMAPPED chunks allocated through this heap */
    size_t mmap_chunks;  /* how many were ever allocated */
    size_t munmap_chunks;
    size_t peak;         /* the largest footprint stats() has seen */
} system_heap;

#define IS_MMAPPED 0x2u
#define CHUNK_FLAGS 0x7u

/* glibc chunk size of an mmapped block, or 0 when the block lives in an arena. */
static size_t mmapped_chunk_size(const void *p) {
#if SYSTEM_GLIBC_CHUNKS
    /* the chunk's size word sits just before the block (read through an integer
     * address: it is glibc's memory, outside the object the compiler knows about) */
    if (mm_vg_running()) return 0; /* no glibc chunk header: memcheck's malloc */
    size_t word = *(const size_t *)((uintptr_t)p - sizeof(size_t));
    return (word & IS_MMAPPED) ? (word & ~(size_t)CHUNK_FLAGS) : 0;
#else
    (void)p;
    return 0;
#endif
}

/* glibc's malloc is thread-safe (MM_CAP_THREADS), so the counters are updated atomically. */
static void count(size_t *counter, size_t delta) { __atomic_fetch_add(counter, delta, __ATOMIC_RELAXED); }

static void note_alloc(system_heap *h, void *p) {
    size_t chunk = p ? mmapped_chunk_size(p) : 0;
    if (chunk) count(&h->mmapped, chunk), count(&h->mmap_chunks, 1);
}

static void note_free(system_heap *h, void *p) {
    size_t chunk = mmapped_chunk_size(p);
    if (chunk) count(&h->mmapped, -chunk), count(&h->munmap_chunks, 1);
}

static mm_heap *system_open(const mm_config *config, mm_error *err) {
    if (!mm_options_parse("system", config->options, NULL, 0, err)) return NULL;
    system_heap *h = calloc(1, sizeof *h);
    if (h == NULL) {
        mm_error_set(err, "system: out of memory opening the heap");
        return NULL;
    }
    h->brk_at_open = sbrk(0);
    return &h->base;
}

static void system_close(mm_heap *heap) { free(heap); }

static void *system_alloc(mm_heap *heap, size_t size, size_t align) {
    size_t a = mm_effective_align(align);
    if (a == 0 || size > PTRDIFF_MAX) return NULL; /* as glibc would; memcheck calls such sizes fishy */
    void *p;
    if (a == MM_MIN_ALIGN) p = malloc(size);
    else if (posix_memalign(&p, a, size) != 0) p = NULL;
    note_alloc((system_heap *)heap, p);
    return p;
}

static void system_free(mm_heap *heap, void *p) {
    if (p == NULL) return;
    note_free((system_heap *)heap, p);
    free(p);
}

static void *system_realloc(mm_heap *heap, void *p, size_t size) {
    system_heap *h = (system_heap *)heap;
    if (p == NULL) return system_alloc(heap, size, 0);
    size_t old_chunk = mmapped_chunk_size(p);
    void *q = realloc(p, size ? size : 1); /* glibc's realloc(p, 0) frees: not our contract */
    if (q == NULL) return NULL;
    if (old_chunk) count(&h->mmapped, -old_chunk), count(&h->munmap_chunks, 1);
    note_alloc(h, q);
    return q;
}

static size_t system_usable_size(mm_heap *heap, const void *p) {
    (void)heap;
    return malloc_usable_size((void *)p);
}

static void system_stats(mm_heap *heap, mm_stats *out) {
    system_heap *h = (system_heap *)heap;
    memset(out, 0, sizeof *out);
#if SYSTEM_GLIBC_CHUNKS
    char *brk = sbrk(0);
    size_t grown = brk > h->brk_at_open ? (size_t)(brk - h->brk_at_open) : 0;
    out->footprint = grown + h->mmapped;
#endif
    if (out->footprint > h->peak) h->peak = out->footprint;
    out->peak_footprint = h->peak;
    out->map_calls = h->mmap_chunks;
    out->unmap_calls = h->munmap_chunks;
}

static size_t system_check(mm_heap *heap) {
    (void)heap;
    return 0; /* glibc offers no heap walk; it aborts by itself on corruption it detects */
}

const mm_strategy mm_system = {
    .name = "system",
    .summary = "the C library's malloc/free (glibc ptmalloc), called through the same table",
    .caps = MM_CAP_FREE | MM_CAP_THREADS,
    .open = system_open,
    .close = system_close,
    .alloc = system_alloc,
    .free = system_free,
    .realloc = system_realloc,
    .usable_size = system_usable_size,
    .stats = system_stats,
    .check = system_check,
};
