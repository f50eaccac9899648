/* fuzz.h — what a fuzz target is, so one source serves libFuzzer and the corpus replay.
 *
 * Vocabulary
 *   target    a C file defining LLVMFuzzerTestOneInput plus the two variant functions
 *             below; declared in conformance/fuzz/BUILD with mm_fuzz_target(NAME, ...).
 *   corpus    conformance/fuzz/corpus/NAME/: committed inputs, each a file of raw bytes.
 *   variant   a value of the input's first byte that selects what is fuzzed (for the
 *             allocator target: one per registered strategy). The replay feeds every
 *             corpus file once per variant, so a strategy added later meets the whole
 *             corpus without a new file being written.
 *   failure   a broken expectation: FUZZ_FAIL names it. Under libFuzzer (fuzz_libfuzzer.c)
 *             it prints the line and aborts, so libFuzzer saves the input; under the
 *             replay (replay.c, a normal mm_test) it is one failed TAP case.
 *
 * Invariant: a target returns 0 and leaves no memory behind whatever the bytes are; after
 * FUZZ_FAIL it returns at once (the heap may be broken: nothing more is asked of it).
 */
#ifndef MM_FUZZ_H
#define MM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* How many values the first byte selects between (0: the target has no variants). */
size_t fuzz_variant_count(void);
/* The name of variant v, for test names (the strategy's name, for the allocator target). */
const char *fuzz_variant_name(size_t v);

void fuzz_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define FUZZ_FAIL(...) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__)

#endif
