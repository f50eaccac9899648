/* format.h — the binary trace format, version 1 (docs/trace-format.md), and its encoder.
 *
 * Vocabulary
 *   trace     one process's allocation calls, in the order they happened: a header, then
 *             records, then one end record.
 *   record    one call: an op byte, maybe a thread index, then the op's fields as LEB128
 *             varints. Addresses are coded as the zigzag difference from the previous
 *             address field of the trace (heap addresses sit close together: 2-3 bytes).
 *   thread    a small index given to each thread in the order it first allocated (0 for
 *             the first). A record carries it only when it differs from the record before.
 *
 *   header: "MMTRACE\0" | u16 version | u16 flags | u32 header_len |
 *           u64 time_ns | u32 pid | u32 command_len | command bytes (args, NUL-separated)
 *   record: op | [uvarint thread if op & 0x80] | fields
 *           malloc, calloc      size, result
 *           realloc             ptr, size, result
 *           free                ptr
 *           memalign, posix_memalign, aligned_alloc
 *                               align, size, result
 *           end                 uvarint count of the records before it (nothing follows)
 *
 * Invariants
 *   every integer is little-endian (fixed) or LEB128 (varint, at most 10 bytes);
 *   the end record's count equals the number of records before it.
 * This header does no allocation, so the preloaded recorder can use it inside malloc.
 */
#ifndef WL_TRACE_FORMAT_H
#define WL_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WL_TRACE_MAGIC "MMTRACE" /* 8 bytes with its NUL */
#define WL_TRACE_VERSION 1u
#define WL_TRACE_FIXED_HEADER 16u  /* magic, version, flags, header_len */
#define WL_TRACE_HEADER_FIELDS 16u /* time_ns, pid, command_len: before the command bytes */
#define WL_TRACE_THREAD_FLAG 0x80u
#define WL_TRACE_OP_MASK 0x0Fu
#define WL_TRACE_MAX_RECORD 48u /* op + thread + three 10-byte varints, rounded up */

typedef enum wl_trace_op {
    WL_TRACE_MALLOC = 1,
    WL_TRACE_CALLOC = 2,
    WL_TRACE_REALLOC = 3,
    WL_TRACE_FREE = 4,
    WL_TRACE_MEMALIGN = 5,
    WL_TRACE_POSIX_MEMALIGN = 6,
    WL_TRACE_ALIGNED_ALLOC = 7,
    WL_TRACE_END = 15,
} wl_trace_op;

/* The encoder's state: what the next record is coded against. */
typedef struct wl_trace_coder {
    uint64_t prev_addr;
    uint32_t thread;
    uint64_t records;
} wl_trace_coder;

static inline size_t wl_trace_put_uvarint(uint8_t *out, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static inline size_t wl_trace_put_addr(uint8_t *out, wl_trace_coder *c, uint64_t addr) {
    uint64_t delta = addr - c->prev_addr;
    c->prev_addr = addr;
    return wl_trace_put_uvarint(out, (delta << 1) ^ (uint64_t)((int64_t)delta >> 63));
}

static inline void wl_trace_put_u16(uint8_t *out, uint16_t v) {
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
}
static inline void wl_trace_put_u32(uint8_t *out, uint32_t v) {
    for (int i = 0; i < 4; i++) out[i] = (uint8_t)(v >> (8 * i));
}
static inline void wl_trace_put_u64(uint8_t *out, uint64_t v) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
}

/* The fields of each op, in file order, one letter each: p ptr, a align, s size (uvarints);
 * r result (p and r are addresses, coded as differences). The encoder, both readers and
 * the text writer all follow this one table. */
static inline const char *wl_trace_fields(wl_trace_op op) {
    switch (op) {
    case WL_TRACE_MALLOC:
    case WL_TRACE_CALLOC: return "sr";
    case WL_TRACE_REALLOC: return "psr";
    case WL_TRACE_FREE: return "p";
    case WL_TRACE_MEMALIGN:
    case WL_TRACE_POSIX_MEMALIGN:
    case WL_TRACE_ALIGNED_ALLOC: return "asr";
    default: return "";
    }
}

static inline int wl_trace_is_addr(char field) { return field == 'p' || field == 'r'; }

/* Encodes one record into out (at least WL_TRACE_MAX_RECORD bytes); returns its length.
 * Fields an op does not have are ignored (see wl_trace_fields). */
static inline size_t wl_trace_encode(uint8_t *out, wl_trace_coder *c, wl_trace_op op, uint32_t thread,
                                     uint64_t ptr, uint64_t align, uint64_t size, uint64_t result) {
    size_t n = 1;
    out[0] = (uint8_t)op;
    if (op == WL_TRACE_END) return n + wl_trace_put_uvarint(out + n, c->records);
    if (thread != c->thread) {
        out[0] |= WL_TRACE_THREAD_FLAG;
        n += wl_trace_put_uvarint(out + n, thread);
        c->thread = thread;
    }
    for (const char *f = wl_trace_fields(op); *f; f++) {
        uint64_t v = *f == 'p' ? ptr : *f == 'a' ? align : *f == 's' ? size : result;
        n += wl_trace_is_addr(*f) ? wl_trace_put_addr(out + n, c, v) : wl_trace_put_uvarint(out + n, v);
    }
    c->records++;
    return n;
}

/* Encodes the fixed header and header fields into out (32 bytes); the command_len bytes of
 * the command follow it in the file. Returns 32. */
static inline size_t wl_trace_encode_header(uint8_t *out, uint64_t time_ns, uint32_t pid, uint32_t command_len) {
    memcpy(out, WL_TRACE_MAGIC, 8);
    wl_trace_put_u16(out + 8, WL_TRACE_VERSION);
    wl_trace_put_u16(out + 10, 0);
    wl_trace_put_u32(out + 12, WL_TRACE_HEADER_FIELDS + command_len);
    wl_trace_put_u64(out + 16, time_ns);
    wl_trace_put_u32(out + 24, pid);
    wl_trace_put_u32(out + 28, command_len);
    return 32;
}

#endif
