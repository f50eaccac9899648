/* asserts_test.c — asserts live in the test builds and nowhere else (bazel/defs.bzl).
 *
 * Vocabulary
 *   variant   this file is built twice, as every test: optimised (`asserts_test`, linked
 *             against the libraries the benchmarks link) and ASan+UBSan
 *             (`asserts_test_asan`, against the `_asan` libraries).
 *   witness   an assert of the counting core whose message is a string only that assert
 *             puts in a binary: rc_store's "store into a slot the type has".
 * Claims, each a TAP case that can fail:
 *   - asserts.witness-in-binary: the witness message is in this executable exactly in the
 *     ASan variant: the library objects there keep their asserts, the optimised ones
 *     have none (asserts_nm_test.sh checks the benchmark binary itself for __assert_fail).
 *   - asserts.fire (ASan variant): breaking the witness's invariant aborts with its message.
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

/* The witness message, spelt backwards: written forwards here it would be in this
 * executable whatever the libraries hold. */
static const char WITNESS_REVERSED[] = "sah epyt eht tols a otni erots";
static char witness[sizeof WITNESS_REVERSED];

static void spell_witness(void) {
    size_t n = sizeof WITNESS_REVERSED - 1;
    for (size_t i = 0; i < n; i++) witness[i] = WITNESS_REVERSED[n - 1 - i];
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

/* In a child: a store into slot 2 of a one-slot object, which rc_store's assert refuses. */
static void break_the_witness(void) {
    static const gc_type one = {.name = "one", .slots = 1};
    mm_error err = {{0}};
    gc_heap *h = gc_open_named("rc/system", NULL, &err);
    if (h == NULL) _exit(3);
    gc_object *o = gc_new(h, &one, 64); /* payload behind the slot: the stray store stays in the block */
    gc_store(h, o, 2, NULL);
    _exit(0);
}

int main(void) {
    spell_witness();
    tap_case("asserts.witness-in-binary");
    bool present = file_contains("/proc/self/exe", witness);
    EXPECT(present == SANITIZED, "the assert message '%s' is %s this %s build", witness,
           present ? "in" : "missing from", SANITIZED ? "ASan" : "optimised");

    if (SANITIZED) {
        tap_case("asserts.fire");
        int pipefd[2];
        if (EXPECT(pipe(pipefd) == 0, "pipe")) {
            fflush(NULL);
            pid_t child = fork();
            if (child == 0) {
                dup2(pipefd[1], 2);
                close(pipefd[0]);
                break_the_witness();
            }
            close(pipefd[1]);
            char said[512] = {0};
            size_t got = 0;
            for (ssize_t r; got < sizeof said - 1 && (r = read(pipefd[0], said + got, sizeof said - 1 - got)) > 0;)
                got += (size_t)r;
            close(pipefd[0]);
            int status = 0;
            waitpid(child, &status, 0);
            EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "the broken invariant aborts (status %#x)",
                   status);
            EXPECT(strstr(said, witness) != NULL, "with the assert's message: '%s'", said);
        }
    }
    return tap_finish();
}
