/* addrmap_test.c — the region map against a shadow array: inserts, lookups, removals
 * (with the backward shift that keeps probe runs whole), growth, and the page layer's count. */
#include "allocators/addrmap.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <stdlib.h>

enum { KEYS = 5000, ROUNDS = 40000 };

int main(void) {
    wl_rng r;
    wl_rng_seed(&r, tap_seed(7));
    mm_pages pages = {0};
    mm_addrmap m = {.shift = 20};
    uintptr_t *keys = calloc(KEYS, sizeof *keys);
    bool *present = calloc(KEYS, sizeof *present);
    for (size_t i = 0; i < KEYS; i++) keys[i] = (uintptr_t)(i * 7919 + 1) << 20; /* distinct, 1 MiB-aligned */

    tap_case("addrmap.shadow");
    EXPECT(mm_addrmap_find(&m, 0) == NULL && mm_addrmap_find(&m, keys[0]) == NULL, "an empty map finds nothing");
    size_t count = 0;
    for (int round = 0; round < ROUNDS && tap_case_failures() == 0; round++) {
        size_t i = (size_t)wl_rng_below(&r, KEYS);
        if (present[i]) {
            mm_addrmap_remove(&m, keys[i]);
            present[i] = false, count--;
        } else {
            EXPECT(mm_addrmap_insert(&m, &pages, keys[i], i), "insert %zu", i);
            present[i] = true, count++;
        }
        size_t j = (size_t)wl_rng_below(&r, KEYS);
        const mm_addrmap_slot *s = mm_addrmap_find(&m, keys[j]);
        EXPECT(present[j] ? (s && s->value == j) : s == NULL, "round %d: key %zu is %s", round, j,
               present[j] ? "present" : "absent");
        EXPECT(mm_addrmap_find(&m, 0) == NULL, "key 0 (a NULL pointer's) is never found");
        if (round % 1000 == 0) EXPECT(mm_addrmap_check(&m) == 0 && m.count == count, "check() at round %d", round);
    }
    EXPECT(pages.mapped == mm_addrmap_bytes(&m), "the table is all the page layer holds");
    mm_addrmap_release(&m, &pages);
    EXPECT(pages.mapped == 0, "release unmaps the table");
    free(keys);
    free(present);
    return tap_finish();
}
