/* tap.c — see tap.h. */
#include "tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_REPORTED = 5 };

static struct {
    bool open;
    char name[200];
    char skip[200];
    size_t failures;
    unsigned number, passed, failed, skipped;
    unsigned long long seed;
    bool seeded;
} tap;

static void tap_end_case(void) {
    if (!tap.open) return;
    tap.open = false;
    tap.number++;
    if (tap.failures) {
        printf("not ok %u - %s\n", tap.number, tap.name);
        if (tap.failures > MAX_REPORTED) printf("#   (%zu failures in all)\n", tap.failures);
        tap.failed++;
    } else if (tap.skip[0]) {
        printf("ok %u - %s # SKIP %s\n", tap.number, tap.name, tap.skip);
        tap.skipped++;
    } else {
        printf("ok %u - %s\n", tap.number, tap.name);
        tap.passed++;
    }
    fflush(stdout);
}

void tap_case(const char *fmt, ...) {
    tap_end_case();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tap.name, sizeof tap.name, fmt, ap);
    va_end(ap);
    tap.open = true;
    tap.failures = 0;
    tap.skip[0] = '\0';
}

bool tap_expect(bool ok, const char *file, int line, const char *expr, const char *fmt, ...) {
    if (ok) return true;
    if (!tap.open) tap_case("(outside any case)");
    if (++tap.failures <= MAX_REPORTED) {
        char what[300];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        printf("#   %s:%d: expected %s: %s", file, line, expr, what);
        if (tap.seeded) printf(" (replay with TAP_SEED=%llu)", tap.seed);
        printf("\n");
    }
    return false;
}

void tap_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tap.skip, sizeof tap.skip, fmt, ap);
    va_end(ap);
}

size_t tap_case_failures(void) { return tap.failures; }

int tap_finish(void) {
    tap_end_case();
    printf("1..%u\n# %u passed, %u failed, %u skipped\n", tap.number, tap.passed, tap.failed, tap.skipped);
    if (tap.number == 0) {
        printf("# no test case ran: that is a failure too\n");
        return 1;
    }
    return tap.failed ? 1 : 0;
}

bool tap_shard_owns(size_t item) {
    const char *total = getenv("TEST_TOTAL_SHARDS"), *index = getenv("TEST_SHARD_INDEX");
    const char *status = getenv("TEST_SHARD_STATUS_FILE");
    if (status) {
        FILE *f = fopen(status, "w"); /* tells Bazel this test understands sharding */
        if (f) fclose(f);
    }
    if (!total || !index) return true;
    unsigned long n = strtoul(total, NULL, 10), i = strtoul(index, NULL, 10);
    return n == 0 || item % n == i;
}

unsigned long long tap_seed(unsigned long long fallback) {
    const char *env = getenv("TAP_SEED");
    char *end = NULL;
    errno = 0;
    tap.seed = env ? strtoull(env, &end, 10) : fallback;
    if (env && (*env < '0' || *env > '9' || *end != '\0' || errno == ERANGE)) { /* a user's mistake: one line, exit 2 */
        fprintf(stderr, "TAP_SEED='%s' is not a whole number (a seed printed by a failing test)\n", env);
        exit(2);
    }
    tap.seeded = true;
    return tap.seed;
}

/* Sanitizer builds: the contract says an impossible request returns NULL, so ask ASan to
 * return NULL too instead of reporting it; leaks are still reported at exit. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
