/* rng.h — the one pseudo-random generator of the tree (workloads and tests alike):
 * xoshiro256** seeded through splitmix64. Same seed, same stream, on every machine. */
#ifndef WL_RNG_H
#define WL_RNG_H

#include <stdint.h>

typedef struct wl_rng {
    uint64_t s[4];
} wl_rng;

static inline uint64_t wl_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void wl_rng_seed(wl_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = wl_splitmix64(&seed);
}

static inline uint64_t wl_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t wl_rng_next(wl_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = wl_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = wl_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) by multiply-shift (Lemire); the tiny bias is irrelevant here. */
static inline uint64_t wl_rng_below(wl_rng *r, uint64_t n) {
    return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline uint64_t wl_rng_range(wl_rng *r, uint64_t lo, uint64_t hi) { return lo + wl_rng_below(r, hi - lo + 1); }

#endif
