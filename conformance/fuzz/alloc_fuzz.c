/* alloc_fuzz.c — the allocator fuzz target: an operation sequence decoded from the input
 * runs on one strategy of the registry and is checked against a shadow model.
 *
 * Input format (every byte string is a valid input; a short one just ends early)
 *   byte 0        strategy: mm_strategies[byte % mm_strategy_count] (a variant, fuzz.h)
 *   byte 1        limit: bits 0-1 pick none, none, 1 MiB or 256 KiB for the page layer
 *   then ops      one opcode byte each: op = byte & 7, slot = byte >> 3 (32 slots),
 *                 followed by the op's operands:
 *     0 1 2  alloc into the slot (freeing what it held): size (2 bytes), align (1 byte)
 *     3      free the slot
 *     4      realloc the slot (realloc(NULL, n) when empty): size (2 bytes)
 *     5      touch: usable_size, then write every usable byte
 *     6      check(): 0, and every live block still holds its bytes
 *     7      a request the contract refuses (impossible size or alignment; operand 1 byte)
 *   size          first byte k, second m: k>>6 chooses 0..63 (k&63), 0..4095, up to
 *                 256 KiB in 16-byte steps, or an edge size from EDGE_SIZES[m]
 *   align         byte % 16: 1..13 give 2^(b-1) (1..4096), anything else 0 (default)
 *
 * Shadow model: per slot the block's address, requested size, usable size, alignment and
 * fill byte. After every operation: returned blocks are aligned, usable_size >= size, no
 * two live blocks' usable ranges overlap, contents survive until free (realloc keeps the
 * prefix), refused requests return NULL and leave the heap working, check() == 0, and the
 * stats add up (peak >= footprint, the limit holds, an exact footprint covers the live
 * blocks' usable bytes).
 * NULL for a valid request is excused only under a limit, for a strategy that honours one.
 */
#include "allocators/mm.h"
#include "conformance/fuzz/fuzz.h"

#include <string.h>

enum { SLOTS = 32 };

static const size_t EDGE_SIZES[] = {
    0, 1, 15, 16, 17, 511, 512, 513, 4095, 4096, 4097, 16383, 16384, 65535, 65536, 65537,
    (128u << 10) - 16, 128u << 10, (1u << 20) - 1, 1u << 20, (1u << 20) + 1, 3u << 19,
};
static const size_t REFUSED_SIZES[] = {SIZE_MAX, SIZE_MAX - 4095, SIZE_MAX / 2, (size_t)1 << 50};
/* mm_effective_align reads values below MM_MIN_ALIGN as MM_MIN_ALIGN: only larger
 * non-powers of two and alignments past MM_MAX_ALIGN are refused. */
static const size_t REFUSED_ALIGNS[] = {24, 48, 100, MM_MAX_ALIGN * 2};

typedef struct slot {
    unsigned char *p;
    size_t size, usable, align;
    unsigned char fill;
} slot;

typedef struct fuzz_state {
    const uint8_t *in, *end;
    mm_heap *heap;
    const mm_strategy *s;
    bool may_run_out; /* a limit is set and the strategy honours it */
    slot slots[SLOTS];
    unsigned char next_fill;
} fuzz_state;

static uint8_t next_byte(fuzz_state *f) { return f->in < f->end ? *f->in++ : 0; }

static size_t decode_size(fuzz_state *f) {
    uint8_t k = next_byte(f), m = next_byte(f);
    switch (k >> 6) {
    case 0: return k & 63u;
    case 1: return ((size_t)(k & 63u) << 8 | m) & 4095u;
    case 2: return ((size_t)(k & 63u) << 8 | m) << 4;
    default: return EDGE_SIZES[m % (sizeof EDGE_SIZES / sizeof *EDGE_SIZES)];
    }
}

static size_t decode_align(fuzz_state *f) {
    uint8_t b = next_byte(f) % 16u;
    return (b >= 1 && b <= 13) ? (size_t)1 << (b - 1) : 0;
}

/* Every one of the first n bytes is the fill byte: the first is, and each equals the next
 * (one memcmp, which the sanitizers check as a whole range: fast on megabyte blocks). */
static bool holds_fill(const slot *b, size_t n) {
    return n == 0 || (b->p[0] == b->fill && memcmp(b->p, b->p + 1, n - 1) == 0);
}

static size_t extent(const slot *b) { return b->usable ? b->usable : 1; }

/* Checks a block just returned for slot `at` (already recorded there); false on failure. */
static bool fresh_block_ok(fuzz_state *f, size_t at) {
    slot *b = &f->slots[at];
    size_t want = b->align > MM_MIN_ALIGN ? b->align : MM_MIN_ALIGN;
    if (((uintptr_t)b->p & (want - 1)) != 0) {
        FUZZ_FAIL("%s: block %p of %zu bytes is not %zu-aligned", f->s->name, (void *)b->p, b->size, want);
        return false;
    }
    b->usable = mm_usable_size(f->heap, b->p);
    if (b->usable < b->size) {
        FUZZ_FAIL("%s: usable_size %zu < requested %zu", f->s->name, b->usable, b->size);
        return false;
    }
    for (size_t i = 0; i < SLOTS; i++) {
        const slot *o = &f->slots[i];
        if (i == at || o->p == NULL) continue;
        if (b->p < o->p + extent(o) && o->p < b->p + extent(b)) {
            FUZZ_FAIL("%s: block %p (+%zu) overlaps live block %p (+%zu)", f->s->name, (void *)b->p, extent(b),
                      (void *)o->p, extent(o));
            return false;
        }
    }
    b->fill = ++f->next_fill;
    memset(b->p, b->fill, b->size);
    return true;
}

static bool release(fuzz_state *f, slot *b) {
    if (b->p == NULL) return true;
    if (!holds_fill(b, b->size)) {
        FUZZ_FAIL("%s: a block of %zu bytes changed before it was freed", f->s->name, b->size);
        return false;
    }
    mm_free(f->heap, b->p);
    b->p = NULL;
    return true;
}

static bool null_excused(fuzz_state *f, size_t size, const char *what) {
    if (f->may_run_out) return true;
    FUZZ_FAIL("%s: %s(%zu) returned NULL with no limit to excuse it", f->s->name, what, size);
    return false;
}

static bool op_alloc(fuzz_state *f, size_t at) {
    slot *b = &f->slots[at];
    size_t size = decode_size(f), align = decode_align(f);
    if (!release(f, b)) return false;
    unsigned char *p = mm_alloc(f->heap, size, align);
    if (p == NULL) return null_excused(f, size, "alloc");
    *b = (slot){.p = p, .size = size, .align = align};
    return fresh_block_ok(f, at);
}

static bool op_realloc(fuzz_state *f, size_t at) {
    slot *b = &f->slots[at];
    size_t size = decode_size(f);
    if (b->p && !holds_fill(b, b->size)) {
        FUZZ_FAIL("%s: a block of %zu bytes changed before realloc", f->s->name, b->size);
        return false;
    }
    unsigned char *q = mm_realloc(f->heap, b->p, size);
    if (q == NULL) {
        if (b->p && !holds_fill(b, b->size)) {
            FUZZ_FAIL("%s: a failed realloc changed the block", f->s->name);
            return false;
        }
        return null_excused(f, size, "realloc");
    }
    slot old = *b;
    *b = (slot){.p = q, .size = size, .align = 0, .fill = old.fill};
    size_t keep = old.p && old.size < size ? old.size : (old.p ? size : 0);
    if (!holds_fill(b, keep)) {
        FUZZ_FAIL("%s: realloc from %zu to %zu bytes lost the prefix", f->s->name, old.size, size);
        return false;
    }
    return fresh_block_ok(f, at);
}

static bool op_touch(fuzz_state *f, size_t at) {
    slot *b = &f->slots[at];
    if (b->p == NULL) return true;
    size_t usable = mm_usable_size(f->heap, b->p);
    if (usable < b->size) {
        FUZZ_FAIL("%s: usable_size fell to %zu below the %zu requested", f->s->name, usable, b->size);
        return false;
    }
    b->usable = usable;
    memset(b->p, b->fill, usable); /* every usable byte is the caller's: neighbours must not change */
    return true;
}

static bool op_check(fuzz_state *f) {
    for (size_t i = 0; i < SLOTS; i++) {
        const slot *b = &f->slots[i];
        if (b->p && !holds_fill(b, b->size)) {
            FUZZ_FAIL("%s: live block in slot %zu (%zu bytes) lost its contents", f->s->name, i, b->size);
            return false;
        }
    }
    return true;
}

static bool op_refused(fuzz_state *f) {
    uint8_t k = next_byte(f);
    size_t size = REFUSED_SIZES[k % (sizeof REFUSED_SIZES / sizeof *REFUSED_SIZES)];
    size_t align = REFUSED_ALIGNS[(k >> 4) % (sizeof REFUSED_ALIGNS / sizeof *REFUSED_ALIGNS)];
    if (k & 8) {
        void *p = mm_alloc(f->heap, 64, align);
        if (p != NULL) {
            FUZZ_FAIL("%s: alloc(64, %zu) must refuse an alignment the interface does not accept", f->s->name, align);
            return false;
        }
    } else if (mm_alloc(f->heap, size, 0) != NULL) {
        FUZZ_FAIL("%s: alloc(%zu) must return NULL", f->s->name, size);
        return false;
    }
    slot *b = &f->slots[k % SLOTS];
    if (b->p && mm_realloc(f->heap, b->p, size) != NULL) {
        FUZZ_FAIL("%s: realloc to %zu must return NULL", f->s->name, size);
        return false;
    }
    mm_free(f->heap, NULL);
    return true;
}

/* The page layer's accounting: peak >= footprint, the limit holds, and an exact footprint
 * covers every live block's usable bytes. */
static bool stats_ok(fuzz_state *f, size_t limit) {
    mm_stats st;
    mm_stats_get(f->heap, &st);
    if (st.peak_footprint < st.footprint) {
        FUZZ_FAIL("%s: peak footprint %zu < footprint %zu", f->s->name, st.peak_footprint, st.footprint);
        return false;
    }
    if (f->may_run_out && st.peak_footprint > limit) {
        FUZZ_FAIL("%s: peak footprint %zu past the limit %zu", f->s->name, st.peak_footprint, limit);
        return false;
    }
    if (f->s->caps & MM_CAP_EXACT_FOOTPRINT) {
        size_t usable = 0;
        for (size_t i = 0; i < SLOTS; i++) usable += f->slots[i].p ? f->slots[i].usable : 0;
        if (st.footprint < usable) {
            FUZZ_FAIL("%s: footprint %zu < %zu usable bytes alive", f->s->name, st.footprint, usable);
            return false;
        }
    }
    return true;
}

static bool run_ops(fuzz_state *f, size_t limit) {
    while (f->in < f->end) {
        uint8_t code = next_byte(f);
        size_t at = (size_t)(code >> 3) % SLOTS;
        bool ok = true;
        switch (code & 7u) {
        case 0: case 1: case 2: ok = op_alloc(f, at); break;
        case 3: ok = release(f, &f->slots[at]); break;
        case 4: ok = op_realloc(f, at); break;
        case 5: ok = op_touch(f, at); break;
        case 6: ok = op_check(f); break;
        default: ok = op_refused(f); break;
        }
        if (!ok) return false;
        size_t broken = mm_check(f->heap);
        if (broken != 0) {
            FUZZ_FAIL("%s: check() found %zu broken invariants after op %u", f->s->name, broken, code & 7u);
            return false;
        }
        if (!stats_ok(f, limit)) return false;
    }
    if (!op_check(f)) return false;
    for (size_t i = 0; i < SLOTS; i++)
        if (!release(f, &f->slots[i])) return false;
    size_t broken = mm_check(f->heap);
    if (broken != 0) {
        FUZZ_FAIL("%s: check() found %zu broken invariants after freeing everything", f->s->name, broken);
        return false;
    }
    return true;
}

size_t fuzz_variant_count(void) { return mm_strategy_count; }
const char *fuzz_variant_name(size_t v) { return mm_strategies[v % mm_strategy_count]->name; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const size_t limits[] = {0, 0, 1u << 20, 256u << 10};
    if (size < 2) return 0;
    fuzz_state f = {.in = data + 2, .end = data + size};
    f.s = mm_strategies[data[0] % mm_strategy_count];
    if (mm_strategy_unavailable(f.s)) return 0; /* a peer not installed here */
    mm_config cfg = {.limit = limits[data[1] & 3u]};
    mm_error err = {{0}};
    f.heap = mm_open(f.s, &cfg, &err);
    if (f.heap == NULL) {
        /* a small limit may leave no room for the heap itself: that is a clean refusal */
        if (cfg.limit == 0 || !(f.s->caps & MM_CAP_LIMIT)) FUZZ_FAIL("%s: open failed: %s", f.s->name, err.message);
        return 0;
    }
    f.may_run_out = cfg.limit != 0 && (f.s->caps & MM_CAP_LIMIT);
    if (run_ops(&f, cfg.limit)) mm_close(f.heap); /* after a failure the heap is left as it is */
    return 0;
}
