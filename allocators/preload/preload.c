/* preload.c — libmmpreload.so: any in-house strategy as the malloc of a whole program.
 *
 *   MMBENCH_STRATEGY=best-fit LD_PRELOAD=bazel-bin/allocators/preload/libmmpreload.so prog
 *   (./mmbench preload best-fit -- prog args   does the same, checking the name first)
 *
 * Vocabulary
 *   the heap     one heap of the strategy named by MMBENCH_STRATEGY (a name from
 *                strategies.def: the registry is linked in, so every strategy there is
 *                available with no list of its own), opened on the first call, with
 *                MMBENCH_OPTIONS ("key=value,...") and MMBENCH_LIMIT (bytes; page-layer
 *                limit) as its configuration. It is never closed: the program may free
 *                until its very last instruction.
 *   the lock     one mutex around every call into the heap. Strategies are single-threaded
 *                (mm.h), so a multi-threaded program is served one call at a time: correct,
 *                not scalable (the thread workloads measure what that costs).
 *   bootstrap    a static 256 KiB area for calls made while this thread is already inside
 *                the allocator (the first call's initialisation: pthread_atfork may
 *                allocate). Its blocks are never reused; free ignores them.
 *
 * What is replaced: malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size (glibc's allocator
 * replacement set); glibc's own internal calls go through these symbols too.
 *
 * Rules and limits
 *   - Only in-house strategies (MM_CAP_LIMIT: they take memory from the page layer, never
 *     from malloc) can be preloaded: `system` and the peers call malloc themselves, and the
 *     harness runs them natively or by preloading the peer's own library instead.
 *   - A strategy without MM_CAP_FREE (bump) never reuses memory: the program runs until
 *     its total allocation reaches the limit, 2 GiB unless MMBENCH_LIMIT says otherwise
 *     (0 = none), and then sees malloc return NULL (ENOMEM), as on any exhausted machine.
 *   - Alignments above MM_MAX_ALIGN (4096) are refused (EINVAL from posix_memalign, NULL
 *     with ENOMEM elsewhere): the interface does not offer them.
 *   - A strategy with a `fallback` option (pool: requests above 512 B) gets
 *     fallback=best-fit unless MMBENCH_OPTIONS is set: its default, `system`, would call
 *     the very malloc this library replaces.
 *   - fork: the lock is taken before fork and released in both processes after it, so
 *     the child inherits a consistent heap (pthread_atfork, registered at initialisation).
 *   - A fatal setup error (unknown strategy, bad option) is one line on stderr and exit
 *     status 2 at the program's first allocation.
 */
#define _GNU_SOURCE
#include "allocators/mm.h"

#define PRELOAD_FALLBACK "best-fit"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define NO_FREE_LIMIT ((size_t)2 << 30)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static mm_heap *heap;
static __thread int inside __attribute__((tls_model("initial-exec")));

enum { BOOTSTRAP_BYTES = 256 << 10 };
static _Alignas(MM_MAX_ALIGN) unsigned char bootstrap[BOOTSTRAP_BYTES];
static size_t bootstrap_used;

static int in_bootstrap(const void *p) {
    return (const unsigned char *)p >= bootstrap && (const unsigned char *)p < bootstrap + BOOTSTRAP_BYTES;
}

/* A bootstrap block: its size in the 16 bytes before it. Called with the lock held or
 * before any other thread can exist (initialisation). */
static void *bootstrap_alloc(size_t size, size_t align) {
    size_t a = align > MM_MIN_ALIGN ? align : MM_MIN_ALIGN;
    size_t at = mm_align_up(bootstrap_used + MM_MIN_ALIGN, a);
    if (size > BOOTSTRAP_BYTES || at + size > BOOTSTRAP_BYTES) return NULL;
    ((size_t *)(bootstrap + at))[-1] = size;
    bootstrap_used = at + size;
    return bootstrap + at;
}

static size_t bootstrap_size(const void *p) { return ((const size_t *)p)[-1]; }

static void fatal(const char *a, const char *b, const char *c) {
    const char *parts[] = {"mmbench preload: ", a, b, c, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (write(2, parts[i], strlen(parts[i])) < 0) break;
    _exit(2);
}

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork(void) { pthread_mutex_unlock(&lock); }

static size_t parse_size(const char *text) {
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end) fatal("MMBENCH_LIMIT='", text, "' is not a byte count");
    return (size_t)v;
}

/* Opens the heap; the lock is held and `inside` is set. */
static void open_heap(void) {
    const char *name = getenv("MMBENCH_STRATEGY");
    if (name == NULL || !*name) fatal("MMBENCH_STRATEGY is not set (a strategy name, see ./mmbench list)", "", "");
    const mm_strategy *s = mm_strategy_find(name);
    if (s == NULL) fatal("unknown strategy '", name, "' (see ./mmbench list)");
    if (!(s->caps & MM_CAP_LIMIT))
        fatal("'", name, "' is not an in-house strategy (it allocates with malloc itself); "
                         "./mmbench preload runs it natively or with its own library");
    const char *limit = getenv("MMBENCH_LIMIT");
    mm_config config = {.options = getenv("MMBENCH_OPTIONS"),
                        .limit = limit ? parse_size(limit) : (s->caps & MM_CAP_FREE) ? 0 : NO_FREE_LIMIT};
    mm_error err = {{0}};
    if (config.options == NULL) {
        /* A strategy that passes some requests to a fallback (pool's large blocks) cannot
         * fall back on the C library's malloc here: that is the function being replaced. */
        mm_config own = config;
        own.options = "fallback=" PRELOAD_FALLBACK;
        heap = mm_open(s, &own, &err);
    }
    if (heap == NULL) heap = mm_open(s, &config, &err);
    if (heap == NULL) fatal(err.message, "", "");
    pthread_atfork(before_fork, after_fork, after_fork);
}

/* Every entry point: the lock, the re-entry guard and lazy opening in one place.
 * `call` runs with `heap` open and the lock held; re-entrant calls get `reentered`. */
#define WITH_HEAP(result, call, reentered)                                                      \
    do {                                                                                        \
        if (inside) {                                                                           \
            result = (reentered);                                                               \
            break;                                                                              \
        }                                                                                       \
        pthread_mutex_lock(&lock);                                                              \
        inside = 1;                                                                             \
        if (heap == NULL) open_heap();                                                          \
        result = (call);                                                                        \
        inside = 0;                                                                             \
        pthread_mutex_unlock(&lock);                                                            \
    } while (0)

static void *allocate(size_t size, size_t align) {
    if (align > MM_MAX_ALIGN) {
        errno = ENOMEM;
        return NULL;
    }
    void *p;
    WITH_HEAP(p, mm_alloc(heap, size, align), bootstrap_alloc(size, align));
    if (p == NULL) errno = ENOMEM;
    return p;
}

EXPORT void *malloc(size_t size) { return allocate(size, 0); }

EXPORT void free(void *p) {
    if (p == NULL || in_bootstrap(p)) return;
    int done;
    WITH_HEAP(done, (mm_free(heap, p), 1), 0);
    (void)done;
}

EXPORT void *calloc(size_t n, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = allocate(bytes, 0);
    if (p) memset(p, 0, bytes); /* reused blocks are not zero, whatever the page layer gave */
    return p;
}

EXPORT void *realloc(void *p, size_t size) {
    if (p == NULL) return allocate(size, 0);
    if (in_bootstrap(p)) { /* move it to the heap */
        void *q = allocate(size, 0);
        size_t old = bootstrap_size(p);
        if (q) memcpy(q, p, old < size ? old : size);
        return q;
    }
    void *q;
    WITH_HEAP(q, mm_realloc(heap, p, size), NULL);
    if (q == NULL) errno = ENOMEM;
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, bytes);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size) {
    if (!mm_is_power_of_two(align) || align % sizeof(void *) != 0) return EINVAL;
    if (align > MM_MAX_ALIGN) return EINVAL;
    int saved = errno;
    void *p = allocate(size, align);
    errno = saved; /* posix_memalign reports through its result, not errno */
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t size) {
    if (!mm_is_power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return allocate(size, align);
}

EXPORT void *memalign(size_t align, size_t size) {
    if (!mm_is_power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return allocate(size, align);
}

EXPORT void *valloc(size_t size) { return allocate(size, mm_page_size()); }

EXPORT void *pvalloc(size_t size) {
    size_t page = mm_page_size();
    if (size > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    return allocate(mm_align_up(size ? size : 1, page), page);
}

EXPORT size_t malloc_usable_size(void *p) {
    if (p == NULL) return 0;
    if (in_bootstrap(p)) return bootstrap_size(p);
    size_t n;
    WITH_HEAP(n, mm_usable_size(heap, p), 0);
    return n;
}
