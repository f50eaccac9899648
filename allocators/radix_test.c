/* radix_test.c — the region tree against a shadow array: regions anywhere in the 48-bit
 * address space, every address inside a region finds it, addresses outside (or above
 * 2^48) find nothing, removal (also of a region just found, which the cache holds),
 * and the page layer's count of the nodes. */
#include "allocators/radix.h"
#include "conformance/tap.h"
#include "workloads/rng.h"

#include <stdlib.h>

enum { KEYS = 3000, ROUNDS = 40000, SHIFT = 21 };

int main(void) {
    wl_rng r;
    wl_rng_seed(&r, tap_seed(11));
    mm_pages pages = {0};
    mm_radix t = {.shift = SHIFT};
    uintptr_t *base = calloc(KEYS, sizeof *base);
    bool *present = calloc(KEYS, sizeof *present);
    /* distinct regions: half clustered (sharing leaves), half scattered (own mid nodes) */
    for (size_t i = 0; i < KEYS; i++)
        base[i] = (i % 2 ? (uintptr_t)(i * 2654435761u % (1u << 27)) : (uintptr_t)(i + 4096)) << SHIFT;

    tap_case("radix.shadow");
    EXPECT(mm_radix_find(&t, (void *)base[0]) == NULL && mm_radix_bytes(&t) == 0, "an empty tree finds nothing");
    size_t count = 0;
    for (int round = 0; round < ROUNDS && tap_case_failures() == 0; round++) {
        size_t i = (size_t)wl_rng_below(&r, KEYS);
        if (present[i]) {
            EXPECT(mm_radix_find(&t, (void *)base[i]) == &present[i], "round %d: region %zu found", round, i);
            mm_radix_remove(&t, base[i]); /* it was the last region found: the cache must forget it */
            EXPECT(mm_radix_find(&t, (void *)(base[i] + 1)) == NULL, "round %d: region %zu removed", round, i);
            present[i] = false, count--;
        } else {
            EXPECT(mm_radix_insert(&t, &pages, base[i], &present[i]), "insert %zu", i);
            present[i] = true, count++;
        }
        size_t j = (size_t)wl_rng_below(&r, KEYS);
        uintptr_t inside = base[j] + (uintptr_t)wl_rng_below(&r, (uint64_t)1 << SHIFT);
        void *want = present[j] ? &present[j] : NULL;
        EXPECT(mm_radix_find(&t, (void *)base[j]) == want && mm_radix_find(&t, (void *)inside) == want,
               "round %d: region %zu is %s, at its base and inside", round, j, present[j] ? "present" : "absent");
        EXPECT(mm_radix_find(&t, (void *)(base[j] | (uintptr_t)1 << 48)) == NULL,
               "an address above 2^48 is never a region");
        EXPECT(t.count == count, "count at round %d", round);
    }
    EXPECT(pages.mapped == mm_radix_bytes(&t) && pages.mapped > 0, "the nodes are all the page layer holds");
    mm_radix_release(&t, &pages);
    EXPECT(pages.mapped == 0 && mm_radix_find(&t, (void *)base[0]) == NULL, "release unmaps every node");
    free(base);
    free(present);
    return tap_finish();
}
