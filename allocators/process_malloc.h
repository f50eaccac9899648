/* process_malloc.h — the process's malloc behind the common table: what system.c and
 * peers.c share.
 *
 * Vocabulary
 *   process malloc  the malloc, free, realloc and malloc_usable_size the process resolves:
 *              glibc's, or a peer's library preloaded in front of it (or linked in). The
 *              strategy functions below call them and nothing else, so `system` and every
 *              peer run the same code and differ only in the library behind it.
 *   library    whose statistics give the footprint: glibc's (system.c) or a peer's
 *              (peers.c); mm_malloc_in_charge() says which is the process's malloc.
 *   reading    one call of a library's statistics, process-wide:
 *                held    bytes it holds from the OS (committed and in use, never a mere
 *                        reservation of address space);
 *                in_use  bytes of blocks handed out and not yet freed.
 *   footprint  held − (in_use when the heap opened): what the library holds beyond what
 *              other code already had in use, so memory it held free at open counts.
 *
 * Sampling
 *   A reading can cost (glibc's mallinfo2 walks every free chunk: 0.8 ms on a heap of
 *   100k blocks; jemalloc's refresh merges its arenas: 15 us), so stats() takes one at its
 *   first call and then every MM_MALLOC_READ_EVERY_MIN calls while readings move, twice as
 *   far apart each time a reading is what the last one predicted, up to
 *   MM_MALLOC_READ_EVERY_MAX. Between readings the footprint moves with the program break
 *   (glibc's main arena, tcmalloc's first source), read at every call: the main arena's
 *   growth is seen at once, the rest (mapped chunks, threads' arenas, the peers) is sampled;
 *   an allocation of MM_MALLOC_READ_BIG bytes or more makes the next stats() read, since a
 *   peak of a few such blocks can come and go between two samples (its cost is nothing
 *   beside the block's).
 */
#ifndef MM_PROCESS_MALLOC_H
#define MM_PROCESS_MALLOC_H

#include "allocators/mm.h"

#define MM_MALLOC_READ_EVERY_MIN 64u
#define MM_MALLOC_READ_EVERY_MAX 65536u
#define MM_MALLOC_READ_BIG ((size_t)1 << 20)

typedef struct mm_malloc_usage {
    size_t held;
    size_t in_use;
} mm_malloc_usage;

typedef struct mm_malloc_library {
    const char *name;                   /* "glibc", "jemalloc", ... */
    void (*read)(mm_malloc_usage *out); /* one reading, process-wide */
} mm_malloc_library;

extern const mm_malloc_library mm_glibc;

/* The library that is the process's malloc, or NULL when it is none we can read (a
 * sanitizer's malloc, the drop-in library's). peers.c. */
const mm_malloc_library *mm_malloc_in_charge(void);

/* The strategy functions (system.c). A heap reads `library`'s statistics (NULL: its
 * footprint reads 0). */
mm_heap *mm_malloc_open(const char *name, const mm_malloc_library *library, const mm_config *config, mm_error *err);
void mm_malloc_close(mm_heap *heap);
void *mm_malloc_alloc(mm_heap *heap, size_t size, size_t align);
void mm_malloc_free(mm_heap *heap, void *p);
void *mm_malloc_realloc(mm_heap *heap, void *p, size_t size);
size_t mm_malloc_usable_size(mm_heap *heap, const void *p);
void mm_malloc_stats(mm_heap *heap, mm_stats *out);
size_t mm_malloc_check(mm_heap *heap);

/* Every strategy that is the process's malloc: the same table but for its name, summary,
 * open and unavailable. */
#define MM_MALLOC_STRATEGY(id, text, open_fn, unavailable_fn)                                       \
    const mm_strategy mm_##id = {                                                                  \
        .name = #id,                                                                               \
        .summary = text,                                                                           \
        .caps = MM_CAP_FREE | MM_CAP_THREADS,                                                      \
        .open = open_fn,                                                                           \
        .close = mm_malloc_close,                                                                  \
        .alloc = mm_malloc_alloc,                                                                  \
        .free = mm_malloc_free,                                                                    \
        .realloc = mm_malloc_realloc,                                                              \
        .usable_size = mm_malloc_usable_size,                                                      \
        .stats = mm_malloc_stats,                                                                  \
        .check = mm_malloc_check,                                                                  \
        .unavailable = unavailable_fn,                                                             \
    }

#endif
