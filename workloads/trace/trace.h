/* trace.h — reading and writing allocation traces (binary and text), and turning one into
 * a replay program.
 *
 * Vocabulary
 *   record     one decoded call (wl_trace_rec): op, thread, ptr (the argument of free and
 *              realloc), align, size, result, and the byte offset where it starts.
 *   text form  one record a line (docs/trace-format.md): "[tN ]op fields...", '#' comments;
 *              its first line is "mmtrace 1". The reader takes either form (by the magic).
 *   block id   replay knows blocks by dense ids, not addresses: an address gets an id when
 *              an allocation returns it and gives it back when freed; ids are reused, so
 *              the replay's table is as large as the most blocks ever alive at once.
 *   replay op  one allocator call with ids in place of addresses (wl_replay_op, 16 bytes).
 *
 * Errors (bad input) carry the byte offset where the problem starts and one line of text;
 * the tools print "FILE: byte N: message" and exit 2.
 */
#ifndef WL_TRACE_H
#define WL_TRACE_H

#include "workloads/trace/format.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wl_trace_error {
    uint64_t offset;
    char message[200];
} wl_trace_error;

typedef struct wl_trace_rec {
    wl_trace_op op;
    uint32_t thread;
    uint64_t ptr, align, size, result;
    uint64_t offset;
} wl_trace_rec;

typedef struct wl_trace_header {
    uint32_t version;
    uint64_t time_ns;
    uint32_t pid;
    const char *command; /* not NUL-terminated; args separated by NUL */
    size_t command_len;
    bool text; /* the input was the text form */
} wl_trace_header;

typedef struct wl_trace_reader {
    const uint8_t *data;
    size_t len, pos;
    wl_trace_header header;
    wl_trace_coder coder; /* decoding state, mirroring the encoder's */
    bool ended;
    size_t line;       /* text form: the number of the last line read */
    char *command_buf; /* text form: the unescaped command line (owned) */
} wl_trace_reader;

/* Reads the header of `data` (a whole file, binary or text); false with err on bad input. */
bool wl_trace_open(wl_trace_reader *r, const uint8_t *data, size_t len, wl_trace_error *err);
/* The next record: 1 with *rec filled, 0 at the (valid) end, -1 with err on bad input. */
int wl_trace_next(wl_trace_reader *r, wl_trace_rec *rec, wl_trace_error *err);
void wl_trace_close(wl_trace_reader *r);

/* A whole file mapped read-only (an empty file gives len 0). false with err->message. */
typedef struct wl_trace_file {
    uint8_t *data;
    size_t len;
} wl_trace_file;
bool wl_trace_file_map(const char *path, wl_trace_file *f, wl_trace_error *err);
void wl_trace_file_unmap(wl_trace_file *f);

/* Writers: the header, then records (the end record included, as read). */
void wl_trace_write_header(FILE *out, const wl_trace_header *h, bool text);
void wl_trace_write_rec(FILE *out, wl_trace_coder *c, const wl_trace_rec *rec, bool text);

const char *wl_trace_op_name(wl_trace_op op);

/* The replay program. */
typedef enum { WL_REPLAY_ALLOC, WL_REPLAY_CALLOC, WL_REPLAY_REALLOC, WL_REPLAY_FREE } wl_replay_kind;
typedef struct wl_replay_op {
    uint8_t kind;       /* wl_replay_kind */
    uint8_t align_log2; /* ALLOC: alignment asked for (0 = default) */
    uint16_t unused;
    uint32_t id;   /* the block */
    uint64_t size; /* ALLOC, CALLOC, REALLOC: the new size */
} wl_replay_op;
_Static_assert(sizeof(wl_replay_op) == 16, "replay ops stay compact");

typedef struct wl_replay_prog {
    wl_replay_op *ops;
    size_t count, capacity;
    uint32_t ids;              /* block ids used: the most blocks alive at once */
    uint64_t records;          /* records in the trace */
    uint64_t skipped;          /* free(NULL) and failed calls: nothing to replay */
    uint64_t clamped_align;    /* alignments above the interface's MM_MAX_ALIGN, replayed at it */
    uint64_t leftover;         /* blocks still alive at the end of the trace */
    uint64_t peak_live;        /* most requested bytes alive at once */
    uint32_t threads;          /* distinct threads in the trace */
    uint64_t *live_curve;      /* when asked: live bytes after each replay op (count entries) */
} wl_replay_prog;

/* Reads a trace file and builds its replay program; false with err (offset set) on bad
 * input: unreadable, corrupt, an unknown block freed, an address returned twice, or no
 * allocation at all. With `curve`, also records the live-bytes curve. */
bool wl_replay_load(const char *path, wl_replay_prog *out, bool curve, wl_trace_error *err);
/* The same from bytes in memory (the fuzz target's entry). */
bool wl_replay_build(const uint8_t *data, size_t len, wl_replay_prog *out, bool curve, wl_trace_error *err);
void wl_replay_free(wl_replay_prog *r);

#endif
