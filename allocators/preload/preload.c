/* preload.c — libmmpreload.so: any in-house strategy as the malloc of a whole program.
 *
 *   MMBENCH_STRATEGY=best-fit LD_PRELOAD=bazel-bin/allocators/preload/libmmpreload.so prog
 *   (./mmbench preload best-fit -- prog args   does the same, checking the name first)
 *
 * Vocabulary
 *   the heap     the strategy named by MMBENCH_STRATEGY (a name from strategies.def: the
 *                registry is linked in, so every strategy there is available with no list
 *                of its own), opened on the first call with MMBENCH_OPTIONS and
 *                MMBENCH_LIMIT (bytes; page-layer limit) as its configuration, and served
 *                to threads one of two ways (option threads=):
 *                  per-thread (default)  per-thread heaps (allocators/perthread.h): each
 *                                        thread allocates from a heap of its own, a block
 *                                        freed by another thread goes home through its
 *                                        heap's mailbox; no lock on a thread's own calls;
 *                  shared                one heap behind one mutex (allocators/locked.h):
 *                                        correct, not scalable, kept for comparison.
 *                A strategy that serves threads itself (MM_CAP_THREADS: bump, whose
 *                threads fill chunks of their own) runs bare unless threads=shared.
 *                It is never closed: the program may free until its very last instruction.
 *   options      MMBENCH_OPTIONS is the strategy's "key=value,..." plus the drop-in's own
 *                key threads=per-thread|shared, taken out before the rest reaches the
 *                strategy (./mmbench preload STRATEGY --options threads=shared -- ...).
 *   bootstrap    a static 256 KiB area for calls made while this thread is already inside
 *                the allocator (the first call's initialisation: pthread_atfork may
 *                allocate; a thread's first call: pthread_setspecific may). Its blocks are
 *                never reused; free ignores them.
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
 *     The limit covers every thread's heap together.
 *   - Alignments above MM_MAX_ALIGN (4096) are refused (EINVAL from posix_memalign, NULL
 *     with ENOMEM elsewhere): the interface does not offer them.
 *   - A strategy with a `fallback` option (pool: requests above 512 B) gets
 *     fallback=best-fit unless MMBENCH_OPTIONS names one (mm_open_in_house): its default,
 *     `system`, would call the very malloc this library replaces.
 *   - fork: before fork every heap is stopped between calls (per-thread) or the lock is
 *     taken (shared), and released in both processes after it, so the child inherits
 *     whole heaps; the heaps of threads that did not come along are the child's to adopt
 *     (pthread_atfork, registered at initialisation).
 *   - A fatal setup error (unknown strategy, bad option) is one line on stderr and exit
 *     status 2 at the program's first allocation.
 */
#define _GNU_SOURCE
#include "allocators/locked.h"
#include "allocators/perthread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define NO_FREE_LIMIT ((size_t)2 << 30)

static _Atomic(mm_heap *) heap;
static bool shared; /* threads=shared: `heap` is the locked wrapper */
static bool bare;   /* the strategy serves threads itself: `heap` is its own, no layer */
static pthread_mutex_t opening = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside __attribute__((tls_model("initial-exec")));

enum { BOOTSTRAP_BYTES = 256 << 10 };
static _Alignas(MM_MAX_ALIGN) unsigned char bootstrap[BOOTSTRAP_BYTES];
static _Atomic size_t bootstrap_used;

static int in_bootstrap(const void *p) {
    return (const unsigned char *)p >= bootstrap && (const unsigned char *)p < bootstrap + BOOTSTRAP_BYTES;
}

/* A bootstrap block: its size in the 16 bytes before it. Threads may take them at once
 * (each thread's first call), so the area is claimed with a compare-and-swap. */
static void *bootstrap_alloc(size_t size, size_t align) {
    size_t a = align > MM_MIN_ALIGN ? align : MM_MIN_ALIGN, used = atomic_load(&bootstrap_used), at;
    do {
        at = mm_align_up(used + MM_MIN_ALIGN, a);
        if (size > BOOTSTRAP_BYTES || at + size > BOOTSTRAP_BYTES) return NULL;
    } while (!atomic_compare_exchange_weak(&bootstrap_used, &used, at + size));
    ((size_t *)(bootstrap + at))[-1] = size;
    return bootstrap + at;
}

static size_t bootstrap_size(const void *p) { return ((const size_t *)p)[-1]; }

static void fatal(const char *a, const char *b, const char *c) {
    const char *parts[] = {"mmbench preload: ", a, b, c, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (write(2, parts[i], strlen(parts[i])) < 0) break;
    _exit(2);
}

static void before_fork(void) {
    if (bare) return;
    if (shared) mm_locked_hold(heap);
    else mm_perthread_fork(heap, MM_FORK_PREPARE);
}
static void after_fork_parent(void) {
    if (bare) return;
    if (shared) mm_locked_release(heap);
    else mm_perthread_fork(heap, MM_FORK_PARENT);
}
static void after_fork_child(void) {
    if (bare) return;
    if (shared) mm_locked_release(heap);
    else mm_perthread_fork(heap, MM_FORK_CHILD);
}

static size_t parse_size(const char *text) {
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end) fatal("MMBENCH_LIMIT='", text, "' is not a byte count");
    return (size_t)v;
}

/* MMBENCH_OPTIONS without the drop-in's own key threads=..., which sets `shared`; NULL
 * when nothing is left for the strategy. */
static const char *strategy_options(const char *text) {
    static char rest[MM_OPTIONS_MAX];
    if (text == NULL) return NULL;
    size_t used = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        if (len > 8 && strncmp(p, "threads=", 8) == 0) {
            if (len == 18 && strncmp(p + 8, "per-thread", 10) == 0) shared = false;
            else if (len == 14 && strncmp(p + 8, "shared", 6) == 0) shared = true;
            else fatal("MMBENCH_OPTIONS: '", p, "' is not threads=per-thread or threads=shared");
        } else if (len > 0) {
            if (used + len + 2 > sizeof rest) fatal("MMBENCH_OPTIONS is too long: '", text, "'");
            if (used) rest[used++] = ',';
            memcpy(rest + used, p, len);
            used += len;
        }
        p += len + (p[len] == ',');
    }
    rest[used] = '\0';
    return used ? rest : NULL;
}

/* Opens the heap; `opening` is held and `inside` is set. */
static void open_heap(void) {
    const char *name = getenv("MMBENCH_STRATEGY");
    if (name == NULL || !*name) fatal("MMBENCH_STRATEGY is not set (a strategy name, see ./mmbench list)", "", "");
    const mm_strategy *s = mm_strategy_find(name);
    if (s == NULL) fatal("unknown strategy '", name, "' (see ./mmbench list)");
    if (!(s->caps & MM_CAP_LIMIT))
        fatal("'", name, "' is not an in-house strategy (it allocates with malloc itself); "
                         "./mmbench preload runs it natively or with its own library");
    const char *limit = getenv("MMBENCH_LIMIT");
    mm_config config = {.options = strategy_options(getenv("MMBENCH_OPTIONS")),
                        .limit = limit ? parse_size(limit) : (s->caps & MM_CAP_FREE) ? 0 : NO_FREE_LIMIT};
    mm_error err = {{0}};
    static char options[MM_OPTIONS_MAX]; /* a heap keeps its options */
    mm_heap *h;
    bare = !shared && (s->caps & MM_CAP_THREADS);
    if (shared || bare) {
        mm_heap *inner = mm_open_in_house(s, &config, options, &err);
        h = inner && shared ? mm_locked_wrap(inner) : inner;
    } else {
        h = mm_perthread_open(s, &config, &err);
    }
    if (h == NULL) fatal(err.message[0] ? err.message : "no memory for the heap", "", "");
    atomic_store_explicit(&heap, h, memory_order_release);
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

MM_SLOW_PATH static mm_heap *first_call(void) {
    pthread_mutex_lock(&opening);
    if (atomic_load_explicit(&heap, memory_order_relaxed) == NULL) open_heap();
    pthread_mutex_unlock(&opening);
    return heap;
}

static inline mm_heap *the_heap(void) {
    mm_heap *h = atomic_load_explicit(&heap, memory_order_acquire);
    return __builtin_expect(h != NULL, 1) ? h : first_call();
}

/* Every entry point: the re-entry guard and lazy opening in one place. `call` runs with
 * `h` the heap; re-entrant calls get `reentered`. */
#define WITH_HEAP(result, call, reentered)                                                      \
    do {                                                                                        \
        if (inside) {                                                                           \
            result = (reentered);                                                               \
            break;                                                                              \
        }                                                                                       \
        inside = 1;                                                                             \
        mm_heap *h = the_heap();                                                                \
        result = (call);                                                                        \
        inside = 0;                                                                             \
    } while (0)

static void *allocate(size_t size, size_t align) {
    if (align > MM_MAX_ALIGN) {
        errno = ENOMEM;
        return NULL;
    }
    void *p;
    WITH_HEAP(p, mm_alloc(h, size, align), bootstrap_alloc(size, align));
    if (p == NULL) errno = ENOMEM;
    return p;
}

EXPORT void *malloc(size_t size) { return allocate(size, 0); }

EXPORT void free(void *p) {
    if (p == NULL || in_bootstrap(p)) return;
    int done;
    WITH_HEAP(done, (mm_free(h, p), 1), 0);
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
    WITH_HEAP(q, mm_realloc(h, p, size), NULL);
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
    WITH_HEAP(n, mm_usable_size(h, p), 0);
    return n;
}
