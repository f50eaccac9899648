/* options_fuzz.c — the strategy options parser (mm_options_parse, reached through open)
 * fuzzed for every strategy: options text is user input (`--param bump.chunk=8M`).
 *
 * Input format
 *   byte 0      strategy: mm_strategies[byte % mm_strategy_count] (a variant, fuzz.h)
 *   the rest    the options text, up to the first NUL (at most 1000 bytes)
 *
 * Expectations: open either succeeds — and then the heap is healthy (check() == 0), serves
 * a small block and closes — or fails with a non-empty one-line reason (no newline or other
 * control character: it is printed as the user's one error line). Never a crash.
 */
#include "allocators/mm.h"
#include "conformance/fuzz/fuzz.h"

#include <string.h>

size_t fuzz_variant_count(void) { return mm_strategy_count; }
const char *fuzz_variant_name(size_t v) { return mm_strategies[v % mm_strategy_count]->name; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const mm_strategy *s = mm_strategies[data[0] % mm_strategy_count];
    char text[1001];
    size_t n = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
    memcpy(text, data + 1, n);
    text[n] = '\0';
    mm_config cfg = {.options = text};
    mm_error err = {{0}};
    mm_heap *h = mm_open(s, &cfg, &err);
    if (h == NULL) {
        if (err.message[0] == '\0') FUZZ_FAIL("%s: open refused options without a reason", s->name);
        for (const char *c = err.message; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                FUZZ_FAIL("%s: the reason holds control character 0x%02x: '%s'", s->name, (unsigned char)*c,
                          err.message);
                break;
            }
        return 0;
    }
    if (mm_check(h) != 0) {
        FUZZ_FAIL("%s: a heap opened with '%s' is broken", s->name, text);
        return 0;
    }
    void *p = mm_alloc(h, 100, 0);
    if (p == NULL) {
        FUZZ_FAIL("%s: a heap opened with '%s' cannot serve 100 bytes", s->name, text);
        return 0;
    }
    memset(p, 1, 100);
    mm_free(h, p);
    mm_close(h);
    return 0;
}
