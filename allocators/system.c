/* system.c — the process's malloc through the common table (glibc's ptmalloc when
 * nothing is preloaded, which is how ./mmbench starts `system`), and the code every
 * "process malloc" strategy shares (process_malloc.h: the peers use it too).
 *
 * Vocabulary
 *   call       alloc is malloc(size), sizes below 16 asked as 16 (glibc gives 16-byte
 *              alignment anyway; the peers' 8-byte size classes would not), or
 *              posix_memalign above 16-byte alignment; free is free; realloc is realloc,
 *              with realloc(p, 0) sent as realloc(p, 16) (glibc would free and return
 *              NULL, which is not the interface's contract); usable_size is
 *              malloc_usable_size. Nothing else happens on the way: no per-call counting.
 *   glibc's reading  mallinfo2(): held = arena (the system memory of every arena: the
 *              main one in the program break and the threads' arenas, each a mapping
 *              grown as it fills) + hblkhd (chunks mapped on their own); in_use = uordblks
 *              + hblkhd. mallinfo2 walks every free chunk, hence the sampling below.
 *   heap       a view of the one process malloc (open/close cannot isolate heaps): a
 *              library, a sampling schedule and the last reading, in page-layer memory
 *              so the heap itself is in no library's statistics.
 *
 * Invariants and limits
 *   footprint = held at the last reading + (program break now − at that reading) − in_use
 *   at open, never below 0; peak_footprint is the largest footprint stats() returned.
 *   Readings are sampled (process_malloc.h): no MM_CAP_EXACT_FOOTPRINT.
 *   No limit (MM_CAP_LIMIT) and no heap walk (MM_CAP_CHECK): check() returns 0.
 *   In a sanitizer build malloc is the sanitizer's and the footprint reads 0 (no library
 *   to read); with a peer preloaded, `system` is that peer and reads the peer's statistics.
 */
#define _GNU_SOURCE
#include "mm.h"
#include "allocators/process_malloc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sizes no allocator can give; refused before the library sees them (tcmalloc prints a
 * warning for each, memcheck calls them fishy). */
#define TOO_BIG(size) ((size) > ((size_t)1 << 48))

typedef struct malloc_heap {
    mm_heap base;
    const mm_malloc_library *library; /* NULL: nobody's statistics to read */
    pthread_mutex_t lock;             /* stats() may be called from any thread */
    size_t calls, next_read, every;   /* the sampling schedule, in stats() calls */
    bool big_since_read;              /* a block of MM_MALLOC_READ_BIG or more came since (atomic) */
    size_t in_use_at_open;
    size_t held;   /* the last reading */
    char *brk;     /* the program break at that reading */
    size_t peak;   /* the largest footprint returned */
} malloc_heap;

static void glibc_read(mm_malloc_usage *out) {
    struct mallinfo2 m = mallinfo2();
    out->held = m.arena + m.hblkhd;
    out->in_use = m.uordblks + m.hblkhd;
}

const mm_malloc_library mm_glibc = {"glibc", glibc_read};

/* A reading, with the program break it goes with. */
static mm_malloc_usage read_library(malloc_heap *h) {
    mm_malloc_usage u = {0, 0};
    h->library->read(&u);
    h->brk = sbrk(0);
    return u;
}

mm_heap *mm_malloc_open(const char *name, const mm_malloc_library *library, const mm_config *config, mm_error *err) {
    if (!mm_options_parse(name, config->options, NULL, 0, err)) return NULL;
    mm_pages pages = {0};
    malloc_heap *h = mm_pages_map(&pages, sizeof *h, 0);
    if (h == NULL) {
        mm_error_set(err, "%s: out of memory opening the heap", name);
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->library = library;
    h->every = MM_MALLOC_READ_EVERY_MIN;
    if (library) {
        mm_malloc_usage u = read_library(h);
        h->held = u.held;
        h->in_use_at_open = u.in_use;
    }
    return &h->base;
}

void mm_malloc_close(mm_heap *heap) {
    malloc_heap *h = (malloc_heap *)heap;
    pthread_mutex_destroy(&h->lock);
    mm_pages pages = {.mapped = mm_align_up(sizeof *h, mm_page_size())};
    mm_pages_unmap(&pages, h, sizeof *h);
}

/* Above 16-byte alignment. One byte more when the size is a multiple of the alignment:
 * mimalloc 2.0.9 (Debian 12) then hands out blocks aligned to less than asked
 * (posix_memalign(256, 512) came back 128-aligned: its shortcut trusts size classes to be
 * naturally aligned); the contract suite caught it. */
MM_SLOW_PATH static void *aligned_alloc_of(size_t size, size_t align) {
    if (size % align == 0) size++;
    void *p;
    return posix_memalign(&p, align, size) == 0 ? p : NULL;
}

/* A block this big moves the footprint further than sampling may miss between two
 * readings (a peak of a few multi-MiB blocks lasts a few calls): the next stats() reads. */
static inline void note_size(mm_heap *heap, size_t size) {
    if (size >= MM_MALLOC_READ_BIG) __atomic_store_n(&((malloc_heap *)heap)->big_since_read, true, __ATOMIC_RELAXED);
}

void *mm_malloc_alloc(mm_heap *heap, size_t size, size_t align) {
    size_t a = mm_effective_align(align);
    if (a == 0 || TOO_BIG(size)) return NULL;
    note_size(heap, size);
    if (a == MM_MIN_ALIGN) return malloc(size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size);
    return aligned_alloc_of(size, a);
}

void mm_malloc_free(mm_heap *heap, void *p) {
    (void)heap;
    free(p);
}

void *mm_malloc_realloc(mm_heap *heap, void *p, size_t size) {
    if (TOO_BIG(size)) return NULL;
    note_size(heap, size);
    return realloc(p, size < MM_MIN_ALIGN ? MM_MIN_ALIGN : size);
}

size_t mm_malloc_usable_size(mm_heap *heap, const void *p) {
    (void)heap;
    return malloc_usable_size((void *)p);
}

void mm_malloc_stats(mm_heap *heap, mm_stats *out) {
    malloc_heap *h = (malloc_heap *)heap;
    memset(out, 0, sizeof *out);
    if (h->library == NULL) return;
    pthread_mutex_lock(&h->lock);
    bool big = __atomic_exchange_n(&h->big_since_read, false, __ATOMIC_RELAXED);
    if (h->calls++ == h->next_read || big) {
        size_t predicted = h->held + (size_t)((char *)sbrk(0) - h->brk);
        size_t held = read_library(h).held;
        h->every = held == predicted ? h->every * 2 : MM_MALLOC_READ_EVERY_MIN;
        if (h->every > MM_MALLOC_READ_EVERY_MAX) h->every = MM_MALLOC_READ_EVERY_MAX;
        h->next_read = h->calls + h->every - 1;
        h->held = held;
    }
    size_t held = h->held + (size_t)((char *)sbrk(0) - h->brk); /* the break may have moved either way */
    size_t footprint = held > h->in_use_at_open ? held - h->in_use_at_open : 0;
    if (footprint > h->peak) h->peak = footprint;
    out->footprint = footprint;
    out->peak_footprint = h->peak;
    pthread_mutex_unlock(&h->lock);
}

size_t mm_malloc_check(mm_heap *heap) {
    (void)heap;
    return 0; /* no library here offers a heap walk; glibc aborts by itself on corruption it detects */
}

static mm_heap *system_open(const mm_config *config, mm_error *err) {
    return mm_malloc_open("system", mm_malloc_in_charge(), config, err);
}

MM_MALLOC_STRATEGY(system, "the process's malloc (glibc's ptmalloc as ./mmbench runs it), called through the same table",
                   system_open, NULL);
