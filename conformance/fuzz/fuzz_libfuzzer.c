/* fuzz_libfuzzer.c — the glue that turns a fuzz target (fuzz.h) into a libFuzzer binary.
 * Not built by Bazel: `./mmbench test --full` compiles it with clang beside the target's
 * sources (harness/full.py). A failure prints its one line and aborts, which is how
 * libFuzzer learns the input is a crash and saves it.
 */
#include "conformance/fuzz/fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void fuzz_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz failure at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* The contract says impossible requests return NULL: ask ASan to do the same (the system
 * strategy passes them to malloc) instead of reporting them. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

/* libFuzzer's runtime is C++ and brings libstdc++, whose one-time internal
 * allocations (operator new with no frames of ours above them) stay alive until exit
 * by design; LeakSanitizer is told so, and nothing else. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libstdc++.so\n"; }
