/* tap.h — the test protocol every C test in the tree speaks (a small TAP dialect).
 *
 *   tap_case("contract.alignment[%s]", name);   begins a case (ends the one before)
 *   EXPECT(p != NULL, "alloc(%zu)", n);           records a failure, keeps going
 *   tap_skip("bump does not free");               the current case is skipped, with why
 *   return tap_finish();                          exit status: 0 only when nothing failed
 *
 * Output: "ok N - name", "not ok N - name" (with "# file:line: ..." lines under it),
 * "ok N - name # SKIP why", then "1..N" and "# P passed, F failed, S skipped". The
 * launcher (harness/testing.py) reads these lines from every test log to count cases.
 *
 * Sharding: under `bazel test` with shard_count, tap_shard_owns(i) says whether work
 * item i belongs to this shard, so suites split across both cores.
 */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stddef.h>

void tap_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool tap_expect(bool ok, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Failures so far in the current case: lets a case stop early once it is broken. */
size_t tap_case_failures(void);
int tap_finish(void);
bool tap_shard_owns(size_t item);
/* A seed for randomized tests: TAP_SEED from the environment, else `fallback`. Printed
 * with every failure so the run can be replayed. */
unsigned long long tap_seed(unsigned long long fallback);

#define EXPECT(cond, ...) tap_expect((cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

#endif
