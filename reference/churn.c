/* churn.c — the external reference: random-replacement churn through plain malloc and free,
 * written as a user would, sharing no code with mmbench.
 *
 *   churn STEPS      fill LIVE (100000) slots with blocks of 16..512 bytes, then STEPS
 *                    times free a random slot's block and put a new block of a random
 *                    size there; every block's first bytes are written when it is made and
 *                    read before it is freed. Prints a checksum of what it read.
 *
 * Run under callgrind with an allocator preloaded at two lengths, the difference of the
 * instruction totals over the difference of operations (two per step: a free and a
 * malloc) is that allocator's instructions per operation, with start-up, fill and
 * teardown cancelled out (reference/reference_test.py).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LIVE = 100000, SMALLEST = 16, LARGEST = 512 };

static uint64_t state = 0x2545F4914F6CDD1Dull;

/* xorshift64*: Vigna's scrambled xorshift, plenty for picking slots and sizes. */
static uint64_t next(void) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}

static size_t below(size_t n) { return (size_t)(((unsigned __int128)next() * n) >> 64); }

static char *make(size_t size) {
    char *p = malloc(size);
    if (p == NULL) {
        fprintf(stderr, "churn: out of memory\n");
        exit(1);
    }
    memcpy(p, &size, sizeof size);
    return p;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long long steps = argc == 2 ? strtoll(argv[1], &end, 10) : -1;
    if (argc != 2 || *end || steps < 0) {
        fprintf(stderr, "usage: churn STEPS\n");
        return 2;
    }
    static char *slot[LIVE];
    uint64_t sum = 0;
    for (size_t i = 0; i < LIVE; i++) slot[i] = make(SMALLEST + below(LARGEST - SMALLEST + 1));
    for (long long s = 0; s < steps; s++) {
        size_t i = below(LIVE);
        sum += (unsigned char)slot[i][0];
        free(slot[i]);
        slot[i] = make(SMALLEST + below(LARGEST - SMALLEST + 1));
    }
    for (size_t i = 0; i < LIVE; i++) free(slot[i]);
    printf("%llu\n", (unsigned long long)sum);
    return 0;
}
