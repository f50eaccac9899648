/* pyobj.h — the sizes a 64-bit CPython (3.11/3.12) asks its allocator for, per object
 * kind, and the growth rules of its containers. Shared by the generator's "python" size
 * distribution (gen.c) and the Python-like object mix (pymix.c).
 *
 * Vocabulary
 *   request   the bytes CPython passes to PyObject_Malloc for one object: the struct, plus
 *             the 16-byte GC header for container types (tuple, list, dict, instances).
 *   items     a list's separate item array (8 bytes a slot), grown with PyMem_Realloc by
 *             list_resize's over-allocation rule; a dict's keys table is a separate block
 *             replaced (new block, copy, free old) when 2/3 full.
 * Sizes (sys.getsizeof agrees, GC header included):
 *   int with d 30-bit digits   24 + 4*max(d,1)    (small ints 0..256 are never allocated)
 *   float                      24
 *   str, n ASCII chars         40 + n + 1         (PyASCIIObject + text + NUL)
 *   tuple of n                 40 + 8*n           (24 + 8n + GC header)
 *   list object                56                 (40 + GC header); items: 8 * allocated
 *   dict object                64                 (48 + GC header); keys: see below
 *   dict keys, 2^k slots       32 + 2^k * ixsize + usable * 24, usable = 2^(k+1)/3,
 *                              ixsize 1 byte up to 128 slots, 2 up to 32768, then 4
 *   instance (with __dict__)   48 (object with GC header, __dict__ made lazily: a dict)
 */
#ifndef WL_PYOBJ_H
#define WL_PYOBJ_H

#include "workloads/rng.h"

#include <stddef.h>
#include <stdint.h>

static inline size_t wl_py_int_size(unsigned digits) { return 24 + 4 * (digits ? digits : 1); }
static inline size_t wl_py_str_size(size_t chars) { return 40 + chars + 1; }
static inline size_t wl_py_tuple_size(size_t n) { return 40 + 8 * n; }
enum { WL_PY_FLOAT = 24, WL_PY_LIST = 56, WL_PY_DICT = 64, WL_PY_INSTANCE = 48 };

/* list_resize: the capacity a list of `n` items is given when it must grow. */
static inline size_t wl_py_list_capacity(size_t n) { return (n + (n >> 3) + 6) & ~(size_t)3; }

/* A dict keys table with 2^log2 slots: its request and how many entries it holds. */
static inline size_t wl_py_dict_usable(unsigned log2) { return ((size_t)2 << log2) / 3; }
static inline size_t wl_py_dict_keys_size(unsigned log2) {
    size_t slots = (size_t)1 << log2, ix = slots <= 128 ? 1 : slots <= 32768 ? 2 : 4;
    return 32 + slots * ix + wl_py_dict_usable(log2) * 24;
}

/* One object size drawn from the mix of a typical program's allocations (counts measured
 * roughly from CPython running its own test suite: scalars and short strings dominate,
 * tuples next, then containers). */
static inline size_t wl_py_sample_size(wl_rng *r) {
    uint64_t u = wl_rng_below(r, 100);
    if (u < 22) return wl_py_str_size(wl_rng_range(r, 1, 24));           /* identifiers, keys */
    if (u < 30) return wl_py_str_size(wl_rng_range(r, 25, 200));         /* text */
    if (u < 44) return wl_py_int_size(wl_rng_below(r, 10) ? 1 : 2);      /* ints */
    if (u < 52) return WL_PY_FLOAT;
    if (u < 72) return wl_py_tuple_size(wl_rng_range(r, 1, 4));          /* tuples, arg packs */
    if (u < 80) return WL_PY_LIST;
    if (u < 86) return 8 * wl_py_list_capacity(wl_rng_range(r, 1, 40)); /* list items */
    if (u < 91) return WL_PY_DICT;
    if (u < 95) return wl_py_dict_keys_size((unsigned)wl_rng_range(r, 3, 6));
    if (u < 98) return WL_PY_INSTANCE;
    return wl_py_str_size(wl_rng_range(r, 200, 4000));                   /* the odd big string */
}

#endif
