/* recorder.c — libmmtrace.so: preload it and every malloc, calloc, realloc, free,
 * memalign, posix_memalign and aligned_alloc (and valloc, pvalloc, reallocarray, which
 * glibc would otherwise serve without passing through the others) is written to a trace.
 *
 *   MMTRACE_DIR=/tmp/t LD_PRELOAD=.../libmmtrace.so COMMAND ARGS...
 *
 * Vocabulary
 *   process file  each program image writes its own trace, DIR/trace.<pid> (a program that
 *                 runs others, like a compiler driver, leaves one file per program; the
 *                 harness keeps the one the user wants). A forked child records nothing
 *                 until it execs (it inherits blocks its trace never saw allocated); an
 *                 exec'd program starts afresh and replaces the file of its pid.
 *   buffer        records are encoded into a static 1 MiB buffer and written out with
 *                 write(2) when it fills and at exit; the recorder never calls malloc.
 *   real          glibc's own allocator, reached through its exported __libc_* entry points,
 *                 so no dlsym (which itself allocates) is needed.
 *
 * Invariants
 *   one lock is held around each real call *and* its record, so the trace's order is an
 *   order the calls could really have happened in (a block is never reused before the
 *   record of its free): recording serialises allocation across threads, by design;
 *   the buffer holds only whole records (flushed before a record that would not fit);
 *   a thread inside the recorder does not record again (calls made by glibc while we hold
 *   the lock go straight to the real allocator).
 * Without MMTRACE_DIR the library records nothing and only passes calls on.
 */
#define _GNU_SOURCE
#include "workloads/trace/format.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

#define EXPORT __attribute__((visibility("default")))

enum { BUFFER = 1 << 20, COMMAND_MAX = 4096 };

static atomic_flag lock = ATOMIC_FLAG_INIT;
static int state; /* 0 not started, 1 recording, -1 off (no MMTRACE_DIR, or a write failed) */
static int fd = -1;
static pid_t owner; /* the process the open file belongs to */
static wl_trace_coder coder;
static uint8_t buffer[BUFFER];
static size_t used;
static atomic_uint next_thread;
#define TLS __thread __attribute__((tls_model("initial-exec"))) /* no __tls_get_addr: it may allocate */
static TLS uint32_t thread_index_plus_one;
static TLS int inside;

static void spin_lock(void) {
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) sched_yield();
}
static void spin_unlock(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

static void write_all(const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            state = -1; /* the disk is full or gone: stop, the trace will read as truncated */
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static void flush(void) {
    if (used && state == 1) write_all(buffer, used);
    used = 0;
}

/* Opens DIR/trace.<pid> and writes the header. Called with the lock held. */
static void start(void) {
    const char *dir = getenv("MMTRACE_DIR");
    state = -1;
    if (!dir || !*dir) return;
    char path[4096];
    pid_t pid = getpid();
    if ((size_t)snprintf(path, sizeof path, "%s/trace.%d", dir, (int)pid) >= sizeof path) return;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    owner = pid;
    char command[COMMAND_MAX];
    ssize_t n = 0;
    int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
        n = read(cfd, command, sizeof command);
        close(cfd);
    }
    if (n < 0) n = 0;
    if (n > 0 && command[n - 1] == '\0') n--; /* the last argument's NUL is a separator too many */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    memset(&coder, 0, sizeof coder);
    used = wl_trace_encode_header(buffer, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, (uint32_t)pid,
                                  (uint32_t)n);
    memcpy(buffer + used, command, (size_t)n);
    used += (size_t)n;
    state = 1;
}

static uint32_t thread_index(void) {
    if (!thread_index_plus_one) thread_index_plus_one = atomic_fetch_add(&next_thread, 1) + 1;
    return thread_index_plus_one - 1;
}

/* Called with the lock held, after the real call. */
static void record(wl_trace_op op, uint64_t ptr, uint64_t align, uint64_t size, uint64_t result) {
    if (state == 0) start();
    if (state != 1) return;
    if (owner != getpid()) return; /* a child the atfork handler did not see (vfork, clone) */
    if (used + WL_TRACE_MAX_RECORD > BUFFER) flush();
    used += wl_trace_encode(buffer + used, &coder, op, thread_index(), ptr, align, size, result);
}

static void finish(void) {
    inside = 1;
    spin_lock();
    if (state == 1 && owner == getpid()) {
        if (used + WL_TRACE_MAX_RECORD > BUFFER) flush();
        used += wl_trace_encode(buffer + used, &coder, WL_TRACE_END, 0, 0, 0, 0, 0);
        flush();
        close(fd);
        fd = -1;
        state = -1;
    }
    spin_unlock();
    inside = 0;
}

/* A forked child inherits the parent's heap, so its first frees would be of blocks its own
 * trace never saw: it records nothing (the parent's buffered records are the parent's to
 * write). If it execs, the new program starts the recorder afresh, in a file of its own. */
static void child_after_fork(void) {
    atomic_flag_clear(&lock);
    if (fd >= 0) close(fd);
    fd = -1;
    used = 0;
    state = -1;
}
static void prepare_fork(void) { spin_lock(); }
static void parent_after_fork(void) { spin_unlock(); }

extern int pthread_atfork(void (*)(void), void (*)(void), void (*)(void));

__attribute__((constructor)) static void recorder_init(void) {
    inside = 1;
    pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
    spin_lock();
    if (state == 0) start();
    spin_unlock();
    inside = 0;
}

__attribute__((destructor)) static void recorder_fini(void) { finish(); }

/* The hooks: real call and record under one lock; nested calls pass straight through. */
#define HOOK(call, op, ptr, align, size, result_expr)                 \
    do {                                                              \
        if (inside) return call;                                      \
        inside = 1;                                                   \
        spin_lock();                                                  \
        __typeof__(call) r_ = call;                                   \
        record(op, (uint64_t)(uintptr_t)(ptr), align, size, result_expr); \
        spin_unlock();                                                \
        inside = 0;                                                   \
        return r_;                                                    \
    } while (0)

EXPORT void *malloc(size_t n) { HOOK(__libc_malloc(n), WL_TRACE_MALLOC, 0, 0, n, (uintptr_t)r_); }

EXPORT void *calloc(size_t k, size_t n) {
    size_t total = k * n;
    if (n && total / n != k) total = SIZE_MAX; /* overflows: the call fails, recorded as such */
    HOOK(__libc_calloc(k, n), WL_TRACE_CALLOC, 0, 0, total, (uintptr_t)r_);
}

EXPORT void *realloc(void *p, size_t n) { HOOK(__libc_realloc(p, n), WL_TRACE_REALLOC, p, 0, n, (uintptr_t)r_); }

EXPORT void *reallocarray(void *p, size_t k, size_t n) {
    size_t total = k * n;
    if (n && total / n != k) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

EXPORT void free(void *p) {
    if (inside || p == NULL) { /* free(NULL) is a no-op: not worth a record */
        __libc_free(p);
        return;
    }
    inside = 1;
    spin_lock();
    record(WL_TRACE_FREE, (uint64_t)(uintptr_t)p, 0, 0, 0); /* before the block can be reused */
    __libc_free(p);
    spin_unlock();
    inside = 0;
}

EXPORT void *memalign(size_t a, size_t n) { HOOK(__libc_memalign(a, n), WL_TRACE_MEMALIGN, 0, a, n, (uintptr_t)r_); }

EXPORT void *aligned_alloc(size_t a, size_t n) {
    HOOK(__libc_memalign(a, n), WL_TRACE_ALIGNED_ALLOC, 0, a, n, (uintptr_t)r_);
}

static void *posix_memalign_real(void **out, size_t a, size_t n, int *rc) {
    if (a % sizeof(void *) || (a & (a - 1)) || a == 0) {
        *rc = EINVAL;
        return NULL;
    }
    void *p = __libc_memalign(a, n);
    *rc = p ? 0 : ENOMEM;
    if (p) *out = p;
    return p;
}

EXPORT int posix_memalign(void **out, size_t a, size_t n) {
    int rc;
    if (inside) {
        posix_memalign_real(out, a, n, &rc);
        return rc;
    }
    inside = 1;
    spin_lock();
    void *p = posix_memalign_real(out, a, n, &rc);
    record(WL_TRACE_POSIX_MEMALIGN, 0, a, n, (uint64_t)(uintptr_t)p);
    spin_unlock();
    inside = 0;
    return rc;
}

EXPORT void *valloc(size_t n) { return memalign((size_t)sysconf(_SC_PAGESIZE), n); }

EXPORT void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return memalign(page, (n + page - 1) & ~(page - 1));
}

/* _exit skips destructors; the trace must still end properly. */
EXPORT void _exit(int status) {
    finish();
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}
