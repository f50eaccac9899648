/* asserts_test.c — asserts and debug validators live in the test builds and nowhere else
 * (bazel/defs.bzl).
 *
 * Vocabulary
 *   variant   this file is built twice, as every test: optimised (`asserts_test`, linked
 *             against the libraries the benchmarks link) and ASan+UBSan
 *             (`asserts_test_asan`, against the `_asan` libraries: asserts on, MM_DEBUG).
 *   witness   an assert or validator whose message only it puts in a binary: rc_store's
 *             assert, and one message of each debug-only validator (rc-gen's
 *             validate_list, pool's validate_pool, fit's validate_in_use).
 *   breakage  what a child process does to trip a witness: a store past an object's slots,
 *             a corrupt flag on a tracked object, a double free into pool and into best-fit.
 * Claims, each a TAP case that can fail:
 *   - asserts.in-binary[witness]: its message is in this executable exactly in the ASan
 *     variant (the optimised libraries carry no assert and no validator; asserts_nm_test.sh
 *     checks the benchmark binary itself for __assert_fail).
 *   - asserts.fire[witness] (ASan variant): its breakage aborts the child with its message.
 */
#define _GNU_SOURCE /* memmem */
#include "allocators/gc/gc.h"
#include "conformance/tap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
enum { SANITIZED = 1 };
#else
enum { SANITIZED = 0 };
#endif

static const gc_type one = {.name = "one", .slots = 1};

/* Each breakage runs in a child; it returns only if nothing stopped it. */
static void store_past_the_slots(void) {
    gc_heap *h = gc_open_named("rc/system", NULL, NULL);
    gc_object *o = gc_new(h, &one, 64); /* payload behind the slot: the stray store stays in the block */
    gc_store(h, o, 2, NULL);
}

static void finalize_nothing(gc_heap *h, gc_object *o) {
    (void)h;
    (void)o;
}

static void corrupt_a_tracked_flag(void) {
    static const gc_type final = {.name = "final", .slots = 1, .finalize = finalize_nothing};
    gc_heap *h = gc_open_named("rc-gen/system", NULL, NULL);
    gc_object *o = gc_new(h, &final, 0); /* a finalizer keeps it tracked, in generation 0 */
    o->flags |= GC_UNREACHABLE;          /* no object at rest carries it */
    gc_collect(h, 0);
}

static void double_free(const char *strategy, const char *options) {
    const mm_config cfg = {.options = options};
    mm_heap *h = mm_open(mm_strategy_find(strategy), &cfg, NULL);
    void *a = mm_alloc(h, 16, 0), *b = mm_alloc(h, 16, 0), *c = mm_alloc(h, 16, 0);
    mm_free(h, b);
    mm_free(h, b);
    mm_free(h, a); /* pool: the pool's last blocks go, and it turns empty */
    mm_free(h, c);
}
static void double_free_pool(void) { double_free("pool", "cache=0"); }
static void double_free_best_fit(void) { double_free("best-fit", NULL); }

/* A witness's message, spelt with '~' for ' ': written plainly here it would be in this
 * executable whatever the libraries hold. */
static const struct witness {
    const char *name, *message;
    void (*breakage)(void);
} witnesses[] = {
    {"rc_store", "store~into~a~slot~the~type~has", store_past_the_slots},
    {"rc-gen.validate_list", "validate_list:~a~member's~flags~fit~the~phase", corrupt_a_tracked_flag},
    {"pool.validate_pool", "validate_pool:~the~free~list~holds~distinct~carved~blocks", double_free_pool},
    {"fit.validate_in_use", "validate_in_use:~a~block~freed~is~a~block~in~use", double_free_best_fit},
};

static void spell(const char *tilde, char *out, size_t cap) {
    size_t i = 0;
    for (; tilde[i] && i + 1 < cap; i++) out[i] = tilde[i] == '~' ? ' ' : tilde[i];
    out[i] = '\0';
}

/* Whether `needle` occurs in the file at `path`. */
static bool file_contains(const char *path, const char *needle) {
    FILE *f = fopen(path, "rb");
    if (!EXPECT(f != NULL, "open %s", path)) return false;
    size_t n = strlen(needle), have = 0;
    char buf[1 << 16];
    bool found = false;
    for (size_t got; !found && (got = fread(buf + have, 1, sizeof buf - have, f)) > 0;) {
        have += got;
        found = memmem(buf, have, needle, n) != NULL;
        if (have >= n) { /* keep the last n - 1 bytes: a match may straddle two reads */
            memmove(buf, buf + have - (n - 1), n - 1);
            have = n - 1;
        }
    }
    fclose(f);
    return found;
}

/* Runs `fn` in a child with its stderr captured into said[0..cap); returns its wait status. */
static int in_child(void (*fn)(void), char *said, size_t cap) {
    int pipefd[2];
    if (!EXPECT(pipe(pipefd) == 0, "pipe")) return 0;
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        fn();
        _exit(0);
    }
    close(pipefd[1]);
    size_t got = 0;
    for (ssize_t r; got + 1 < cap && (r = read(pipefd[0], said + got, cap - 1 - got)) > 0;) got += (size_t)r;
    said[got] = '\0';
    close(pipefd[0]);
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

int main(void) {
    for (size_t i = 0; i < sizeof witnesses / sizeof *witnesses; i++) {
        const struct witness *w = &witnesses[i];
        char message[128];
        spell(w->message, message, sizeof message);
        tap_case("asserts.in-binary[%s]", w->name);
        bool present = file_contains("/proc/self/exe", message);
        EXPECT(present == SANITIZED, "'%s' is %s this %s build", message, present ? "in" : "missing from",
               SANITIZED ? "ASan" : "optimised");
        if (!SANITIZED) continue; /* the optimised build has no assert to fire */
        tap_case("asserts.fire[%s]", w->name);
        char said[2048];
        int status = in_child(w->breakage, said, sizeof said);
        EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "the breakage aborts (status %#x)", status);
        EXPECT(strstr(said, message) != NULL, "with the message '%s': '%s'", message, said);
    }
    return tap_finish();
}
