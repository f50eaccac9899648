/* trace.c — trace reader and writers (binary and text), and the replay-program builder.
 *
 * Vocabulary: see trace.h and format.h.
 * Invariants
 *   the reader never reads past `len` (every varint and field is bounds-checked) and
 *   reports the offset of the record (or header field) it could not decode;
 *   the builder's address table maps exactly the addresses of live blocks to their ids
 *   (open addressing, linear probing, deletion by backward shift: no tombstones), and the
 *   free-id stack holds exactly the ids not in use below `ids`.
 * Memory for the program and the tables is mapped directly (mmap), never malloc'd, so a
 * replay through the system strategy does not share its heap with the replayer.
 */
#define _GNU_SOURCE /* mremap */
#include "workloads/trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static bool fail(wl_trace_error *err, uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(wl_trace_error *err, uint64_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err->offset = offset;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

static const char *const op_names[16] = {
    [WL_TRACE_MALLOC] = "malloc",     [WL_TRACE_CALLOC] = "calloc",
    [WL_TRACE_REALLOC] = "realloc",   [WL_TRACE_FREE] = "free",
    [WL_TRACE_MEMALIGN] = "memalign", [WL_TRACE_POSIX_MEMALIGN] = "posix_memalign",
    [WL_TRACE_ALIGNED_ALLOC] = "aligned_alloc", [WL_TRACE_END] = "end",
};

/* The record field a letter of wl_trace_fields names. */
static uint64_t *field_of(wl_trace_rec *rec, char f) {
    return f == 'p' ? &rec->ptr : f == 'a' ? &rec->align : f == 's' ? &rec->size : &rec->result;
}

const char *wl_trace_op_name(wl_trace_op op) { return (unsigned)op < 16 && op_names[op] ? op_names[op] : "?"; }

/* ---- mapped memory -------------------------------------------------------------------- */

static void *map_bytes(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *remap_bytes(void *p, size_t old, size_t bytes) {
    if (p == NULL) return map_bytes(bytes);
    void *q = mremap(p, old, bytes, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}

bool wl_trace_file_map(const char *path, wl_trace_file *f, wl_trace_error *err) {
    f->data = NULL;
    f->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, 0, "not a regular file");
    }
    f->len = (size_t)st.st_size;
    if (f->len) {
        void *p = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return fail(err, 0, "cannot map: %s", strerror(errno));
        }
        f->data = p;
    }
    close(fd);
    return true;
}

void wl_trace_file_unmap(wl_trace_file *f) {
    if (f->data) munmap(f->data, f->len);
    f->data = NULL;
}

/* ---- binary reader -------------------------------------------------------------------- */

static uint64_t get_le(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static bool get_uvarint(wl_trace_reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->pos >= r->len) return false;
        uint8_t b = r->data[r->pos++];
        if (shift == 63 && b > 1) return false; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

static bool get_addr(wl_trace_reader *r, uint64_t *addr) {
    uint64_t z;
    if (!get_uvarint(r, &z)) return false;
    uint64_t delta = (z >> 1) ^ (uint64_t)(-(int64_t)(z & 1));
    *addr = r->coder.prev_addr += delta;
    return true;
}

static bool open_text(wl_trace_reader *r, wl_trace_error *err);
static int next_text(wl_trace_reader *r, wl_trace_rec *rec, wl_trace_error *err);

bool wl_trace_open(wl_trace_reader *r, const uint8_t *data, size_t len, wl_trace_error *err) {
    memset(r, 0, sizeof *r);
    r->data = data;
    r->len = len;
    if (len == 0) return fail(err, 0, "empty file: not a trace");
    if (len >= 7 && memcmp(data, "mmtrace", 7) == 0) return open_text(r, err);
    if (len < 8 || memcmp(data, WL_TRACE_MAGIC, 8) != 0)
        return fail(err, 0, "wrong magic: not an mmbench trace (want \"MMTRACE\\0\" or a text trace's \"mmtrace 1\")");
    if (len < WL_TRACE_FIXED_HEADER) return fail(err, len, "truncated header");
    uint32_t version = (uint32_t)get_le(data + 8, 2);
    if (version != WL_TRACE_VERSION)
        return fail(err, 8, "unsupported trace version %u (this reader knows version %u)", version, WL_TRACE_VERSION);
    if (get_le(data + 10, 2) != 0) return fail(err, 10, "unknown header flags 0x%04x", (unsigned)get_le(data + 10, 2));
    uint64_t header_len = get_le(data + 12, 4);
    if (header_len < WL_TRACE_HEADER_FIELDS) return fail(err, 12, "header length %llu is too short", (unsigned long long)header_len);
    if (header_len > len - WL_TRACE_FIXED_HEADER) return fail(err, len, "truncated header (%llu bytes announced)", (unsigned long long)header_len);
    const uint8_t *h = data + WL_TRACE_FIXED_HEADER;
    r->header.version = version;
    r->header.time_ns = get_le(h, 8);
    r->header.pid = (uint32_t)get_le(h + 8, 4);
    uint64_t command_len = get_le(h + 12, 4);
    if (command_len > header_len - WL_TRACE_HEADER_FIELDS)
        return fail(err, WL_TRACE_FIXED_HEADER + 12, "command length %llu runs past the header", (unsigned long long)command_len);
    r->header.command = (const char *)h + WL_TRACE_HEADER_FIELDS;
    r->header.command_len = (size_t)command_len;
    r->pos = WL_TRACE_FIXED_HEADER + (size_t)header_len;
    return true;
}

int wl_trace_next(wl_trace_reader *r, wl_trace_rec *rec, wl_trace_error *err) {
    if (r->header.text) return next_text(r, rec, err);
    if (r->ended) return 0;
    memset(rec, 0, sizeof *rec);
    rec->offset = r->pos;
    if (r->pos >= r->len) return fail(err, r->pos, "truncated: the trace ends without an end record"), -1;
    uint8_t b = r->data[r->pos++];
    unsigned op = b & WL_TRACE_OP_MASK;
    if ((b & 0x70) || op == 0 || (op > WL_TRACE_ALIGNED_ALLOC && op != WL_TRACE_END))
        return fail(err, rec->offset, "corrupt record: unknown op byte 0x%02x", b), -1;
    rec->op = (wl_trace_op)op;
    if (b & WL_TRACE_THREAD_FLAG) {
        uint64_t t;
        if (op == WL_TRACE_END || !get_uvarint(r, &t) || t > UINT32_MAX)
            return fail(err, rec->offset, "corrupt record: bad thread field"), -1;
        r->coder.thread = (uint32_t)t;
    }
    rec->thread = r->coder.thread;
    if (rec->op == WL_TRACE_END) {
        uint64_t count;
        if (!get_uvarint(r, &count))
            return fail(err, rec->offset, "truncated or corrupt end record"), -1;
        if (count != r->coder.records)
            return fail(err, rec->offset, "corrupt: the end record counts %llu records, the trace has %llu",
                        (unsigned long long)count, (unsigned long long)r->coder.records), -1;
        if (r->pos != r->len)
            return fail(err, r->pos, "corrupt: %zu bytes after the end record", r->len - r->pos), -1;
        r->ended = true;
        return 0;
    }
    bool ok = true;
    for (const char *f = wl_trace_fields(rec->op); *f && ok; f++)
        ok = wl_trace_is_addr(*f) ? get_addr(r, field_of(rec, *f)) : get_uvarint(r, field_of(rec, *f));
    if (!ok) return fail(err, rec->offset, "truncated or corrupt %s record", wl_trace_op_name(rec->op)), -1;
    r->coder.records++;
    return 1;
}

void wl_trace_close(wl_trace_reader *r) {
    free(r->command_buf);
    r->command_buf = NULL;
}

/* ---- text reader ---------------------------------------------------------------------- */

typedef struct line {
    const char *p, *end; /* the unread rest of the line */
    size_t start;        /* byte offset of the line */
} line;

/* The next line that is not blank or a comment; false at the end of the data. */
static bool next_line(wl_trace_reader *r, line *l, size_t *number) {
    while (r->pos < r->len) {
        const char *s = (const char *)r->data + r->pos;
        const char *nl = memchr(s, '\n', r->len - r->pos);
        const char *e = nl ? nl : (const char *)r->data + r->len;
        l->start = r->pos;
        r->pos = (size_t)(e - (const char *)r->data) + (nl ? 1 : 0);
        (*number)++;
        while (s < e && (*s == ' ' || *s == '\t')) s++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r')) t--;
        if (s == t || *s == '#') continue;
        l->p = s;
        l->end = t;
        return true;
    }
    return false;
}

static bool token(line *l, const char **tok, size_t *n) {
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t')) l->p++;
    if (l->p == l->end) return false;
    *tok = l->p;
    while (l->p < l->end && *l->p != ' ' && *l->p != '\t') l->p++;
    *n = (size_t)(l->p - *tok);
    return true;
}

static bool token_is(const char *tok, size_t n, const char *word) { return strlen(word) == n && memcmp(tok, word, n) == 0; }

/* A decimal or 0x-hex unsigned number filling the whole token. */
static bool parse_number(const char *tok, size_t n, uint64_t *v) {
    int base = 10;
    if (n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
        base = 16;
        tok += 2;
        n -= 2;
    }
    if (n == 0) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        int d;
        char ch = tok[i];
        if (ch >= '0' && ch <= '9') d = ch - '0';
        else if (base == 16 && ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
        else if (base == 16 && ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
        else return false;
        if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
        x = x * (uint64_t)base + (uint64_t)d;
    }
    *v = x;
    return true;
}

static bool number_field(line *l, uint64_t *v) {
    const char *tok;
    size_t n;
    return token(l, &tok, &n) && parse_number(tok, n, v);
}

static bool open_text(wl_trace_reader *r, wl_trace_error *err) {
    r->header.text = true;
    r->header.version = WL_TRACE_VERSION;
    line l;
    size_t number = 0;
    const char *tok;
    size_t n;
    uint64_t v;
    if (!next_line(r, &l, &number) || !token(&l, &tok, &n) || !token_is(tok, n, "mmtrace"))
        return fail(err, 0, "wrong magic: a text trace begins with the line \"mmtrace 1\"");
    if (!number_field(&l, &v) || l.p != l.end) return fail(err, l.start, "line 1: want \"mmtrace 1\"");
    if (v != WL_TRACE_VERSION)
        return fail(err, l.start, "unsupported trace version %llu (this reader knows version %u)", (unsigned long long)v,
                    WL_TRACE_VERSION);
    /* Header lines (time, pid, command) until the first record. */
    for (;;) {
        size_t at = r->pos, at_number = number;
        if (!next_line(r, &l, &number)) break;
        line probe = l;
        if (!token(&probe, &tok, &n)) break;
        if (token_is(tok, n, "time") || token_is(tok, n, "pid")) {
            if (!number_field(&probe, &v) || probe.p != probe.end)
                return fail(err, l.start, "line %zu: want \"%.*s NUMBER\"", number, (int)n, tok);
            if (tok[0] == 't') r->header.time_ns = v;
            else if (v > UINT32_MAX) return fail(err, l.start, "line %zu: pid out of range", number);
            else r->header.pid = (uint32_t)v;
        } else if (token_is(tok, n, "command")) {
            const char *s = probe.p;
            if (s < probe.end && *s == ' ') s++;
            size_t cap = (size_t)(probe.end - s) + 1;
            char *buf = realloc(r->command_buf, cap);
            if (!buf) return fail(err, l.start, "out of memory");
            r->command_buf = buf;
            size_t k = 0;
            while (s < probe.end) {
                if (*s != '\\') {
                    buf[k++] = *s++;
                    continue;
                }
                if (s + 1 < probe.end && (s[1] == '\\' || s[1] == '0')) {
                    buf[k++] = s[1] == '0' ? '\0' : '\\';
                    s += 2;
                } else if (s + 3 < probe.end && s[1] == 'x' && parse_number((const char[]){'0', 'x', s[2], s[3]}, 4, &v)) {
                    buf[k++] = (char)v;
                    s += 4;
                } else {
                    return fail(err, l.start, "line %zu: bad escape in the command", number);
                }
            }
            r->header.command = buf;
            r->header.command_len = k;
        } else {
            r->pos = at; /* the first record: read again by next_text */
            number = at_number;
            break;
        }
    }
    r->line = number;
    return true;
}

static int next_text(wl_trace_reader *r, wl_trace_rec *rec, wl_trace_error *err) {
    if (r->ended) return 0;
    memset(rec, 0, sizeof *rec);
    line l;
    if (!next_line(r, &l, &r->line)) {
        r->ended = true; /* the end line is optional in the text form */
        return 0;
    }
    size_t number = r->line;
    rec->offset = l.start;
    const char *tok;
    size_t n;
    token(&l, &tok, &n);
    if (n >= 2 && tok[0] == 't' && tok[1] >= '0' && tok[1] <= '9') {
        uint64_t t;
        if (!parse_number(tok + 1, n - 1, &t) || t > UINT32_MAX)
            return fail(err, l.start, "line %zu: bad thread '%.*s'", number, (int)n, tok), -1;
        rec->thread = (uint32_t)t;
        if (!token(&l, &tok, &n)) return fail(err, l.start, "line %zu: a thread but no op", number), -1;
    }
    int op = 0;
    for (int i = 1; i < 16; i++)
        if (op_names[i] && token_is(tok, n, op_names[i])) op = i;
    if (op == 0) return fail(err, l.start, "line %zu: unknown op '%.*s'", number, (int)(n > 40 ? 40 : n), tok), -1;
    rec->op = (wl_trace_op)op;
    if (rec->op == WL_TRACE_END) {
        uint64_t count;
        if (!number_field(&l, &count) || l.p != l.end)
            return fail(err, l.start, "line %zu: want \"end COUNT\"", number), -1;
        if (count != r->coder.records)
            return fail(err, l.start, "line %zu: the end line counts %llu records, the trace has %llu", number,
                        (unsigned long long)count, (unsigned long long)r->coder.records), -1;
        if (next_line(r, &l, &r->line))
            return fail(err, l.start, "line %zu: records after the end line", r->line), -1;
        r->ended = true;
        return 0;
    }
    bool ok = true;
    for (const char *f = wl_trace_fields(rec->op); *f && ok; f++) ok = number_field(&l, field_of(rec, *f));
    if (!ok || l.p != l.end)
        return fail(err, l.start, "line %zu: bad fields for %s (see docs/trace-format.md)", number,
                    wl_trace_op_name(rec->op)), -1;
    r->coder.records++;
    return 1;
}

/* ---- writers -------------------------------------------------------------------------- */

void wl_trace_write_header(FILE *out, const wl_trace_header *h, bool text) {
    if (!text) {
        uint8_t fixed[32];
        wl_trace_encode_header(fixed, h->time_ns, h->pid, (uint32_t)h->command_len);
        fwrite(fixed, 1, 32, out);
        fwrite(h->command, 1, h->command_len, out);
        return;
    }
    fprintf(out, "mmtrace %u\ntime %llu\npid %u\ncommand ", WL_TRACE_VERSION, (unsigned long long)h->time_ns, h->pid);
    for (size_t i = 0; i < h->command_len; i++) {
        unsigned char ch = (unsigned char)h->command[i];
        if (ch == '\\') fputs("\\\\", out);
        else if (ch == 0) fputs("\\0", out);
        else if (ch < 0x20 || ch >= 0x7F) fprintf(out, "\\x%02x", ch);
        else fputc(ch, out);
    }
    fputc('\n', out);
}

void wl_trace_write_rec(FILE *out, wl_trace_coder *c, const wl_trace_rec *rec, bool text) {
    if (!text) {
        uint8_t buf[WL_TRACE_MAX_RECORD];
        size_t n = wl_trace_encode(buf, c, rec->op, rec->thread, rec->ptr, rec->align, rec->size, rec->result);
        fwrite(buf, 1, n, out);
        return;
    }
    if (rec->thread && rec->op != WL_TRACE_END) fprintf(out, "t%u ", rec->thread);
    fputs(wl_trace_op_name(rec->op), out);
    if (rec->op == WL_TRACE_END) {
        fprintf(out, " %llu\n", (unsigned long long)c->records);
        return;
    }
    wl_trace_rec copy = *rec;
    for (const char *f = wl_trace_fields(rec->op); *f; f++)
        fprintf(out, wl_trace_is_addr(*f) ? " 0x%llx" : " %llu", (unsigned long long)*field_of(&copy, *f));
    fputc('\n', out);
    c->records++;
}

/* ---- replay-program builder ----------------------------------------------------------- */

typedef struct slot {
    uint64_t addr; /* 0 = empty (no live block has address 0: NULL results are skipped) */
    uint32_t id;
} slot;

typedef struct builder {
    slot *table;
    size_t mask, used; /* capacity - 1; live entries */
    uint32_t *free_ids;
    size_t free_count, free_cap;
    uint64_t *sizes; /* requested size per id */
    size_t sizes_cap;
    wl_replay_prog *out;
    uint64_t live;
    bool curve;
} builder;

static inline size_t hash_addr(uint64_t a) { return (size_t)((a >> 4) * 0x9E3779B97F4A7C15ull >> 17); }

static bool table_grow(builder *b) {
    size_t old_cap = b->table ? b->mask + 1 : 0, cap = old_cap ? old_cap * 2 : 1024;
    slot *t = map_bytes(cap * sizeof *t);
    if (!t) return false;
    for (size_t i = 0; i < old_cap; i++) {
        if (!b->table[i].addr) continue;
        size_t j = hash_addr(b->table[i].addr) & (cap - 1);
        while (t[j].addr) j = (j + 1) & (cap - 1);
        t[j] = b->table[i];
    }
    if (b->table) munmap(b->table, old_cap * sizeof *t);
    b->table = t;
    b->mask = cap - 1;
    return true;
}

static slot *table_find(builder *b, uint64_t addr) {
    for (size_t i = hash_addr(addr) & b->mask;; i = (i + 1) & b->mask) {
        if (b->table[i].addr == addr) return &b->table[i];
        if (!b->table[i].addr) return NULL;
    }
}

/* Removes a found entry, shifting later members of its probe run back (no tombstones). */
static void table_remove(builder *b, slot *s) {
    size_t i = (size_t)(s - b->table);
    for (size_t j = (i + 1) & b->mask;; j = (j + 1) & b->mask) {
        if (!b->table[j].addr) break;
        size_t home = hash_addr(b->table[j].addr) & b->mask;
        /* can entry j move to the hole i? only if its home is not cyclically in (i, j] */
        if (((j - home) & b->mask) >= ((j - i) & b->mask)) {
            b->table[i] = b->table[j];
            i = j;
        }
    }
    b->table[i].addr = 0;
    b->used--;
}

static bool emit(builder *b, wl_replay_kind kind, uint32_t id, uint64_t size, unsigned align_log2) {
    wl_replay_prog *r = b->out;
    if (r->count == r->capacity) { /* the ops and the curve grow together: same capacity */
        size_t cap = r->capacity ? r->capacity * 2 : 4096;
        wl_replay_op *ops = remap_bytes(r->ops, r->capacity * sizeof *ops, cap * sizeof *ops);
        if (!ops) return false;
        r->ops = ops;
        if (b->curve) {
            uint64_t *c = remap_bytes(r->live_curve, r->capacity * sizeof *c, cap * sizeof *c);
            if (!c) return false;
            r->live_curve = c;
        }
        r->capacity = cap;
    }
    r->ops[r->count] = (wl_replay_op){.kind = (uint8_t)kind, .align_log2 = (uint8_t)align_log2, .id = id, .size = size};
    if (r->live_curve) r->live_curve[r->count] = b->live;
    r->count++;
    if (b->live > r->peak_live) r->peak_live = b->live;
    return true;
}

static bool new_block(builder *b, uint64_t addr, uint64_t size, uint32_t *id) {
    if ((b->used + 1) * 4 > (b->mask + 1) * 3 && !table_grow(b)) return false;
    if (b->free_count) {
        *id = b->free_ids[--b->free_count];
    } else {
        if (b->out->ids == UINT32_MAX) return false;
        *id = b->out->ids++;
        if (*id >= b->sizes_cap) {
            size_t cap = b->sizes_cap ? b->sizes_cap * 2 : 1024;
            uint64_t *s = remap_bytes(b->sizes, b->sizes_cap * sizeof *s, cap * sizeof *s);
            if (!s) return false;
            b->sizes = s;
            b->sizes_cap = cap;
        }
    }
    size_t i = hash_addr(addr) & b->mask;
    while (b->table[i].addr) i = (i + 1) & b->mask;
    b->table[i] = (slot){addr, *id};
    b->used++;
    b->sizes[*id] = size;
    b->live += size;
    return true;
}

static bool release_id(builder *b, uint32_t id) {
    if (b->free_count == b->free_cap) {
        size_t cap = b->free_cap ? b->free_cap * 2 : 1024;
        uint32_t *f = remap_bytes(b->free_ids, b->free_cap * sizeof *f, cap * sizeof *f);
        if (!f) return false;
        b->free_ids = f;
        b->free_cap = cap;
    }
    b->free_ids[b->free_count++] = id;
    b->live -= b->sizes[id];
    return true;
}

static unsigned log2_of(uint64_t align, wl_replay_prog *r) {
    if (align > 4096) {
        r->clamped_align++;
        align = 4096; /* MM_MAX_ALIGN: the most the allocator interface offers */
    }
    unsigned k = 0;
    while (k < 63 && ((uint64_t)1 << (k + 1)) <= align) k++;
    return k;
}

static bool build_from(wl_trace_reader *rd, builder *b, wl_trace_error *err) {
    wl_replay_prog *r = b->out;
    uint32_t max_thread = 0;
    bool any_thread = false;
    wl_trace_rec rec;
    int got;
    if (!table_grow(b)) return fail(err, 0, "out of memory");
    while ((got = wl_trace_next(rd, &rec, err)) == 1) {
        r->records++;
        if (!any_thread || rec.thread > max_thread) max_thread = rec.thread;
        any_thread = true;
        uint32_t id;
        slot *s;
        switch (rec.op) {
        case WL_TRACE_MALLOC:
        case WL_TRACE_CALLOC:
        case WL_TRACE_MEMALIGN:
        case WL_TRACE_POSIX_MEMALIGN:
        case WL_TRACE_ALIGNED_ALLOC: {
            if (rec.result == 0) { /* the call failed: nothing to replay */
                r->skipped++;
                break;
            }
            if (table_find(b, rec.result))
                return fail(err, rec.offset, "corrupt: %s returned 0x%llx, which is still live", wl_trace_op_name(rec.op),
                            (unsigned long long)rec.result);
            unsigned a = rec.op == WL_TRACE_MALLOC || rec.op == WL_TRACE_CALLOC ? 0 : log2_of(rec.align, r);
            if (!new_block(b, rec.result, rec.size, &id) ||
                !emit(b, rec.op == WL_TRACE_CALLOC ? WL_REPLAY_CALLOC : WL_REPLAY_ALLOC, id, rec.size, a))
                return fail(err, rec.offset, "out of memory building the replay");
            break;
        }
        case WL_TRACE_FREE:
            if (rec.ptr == 0) {
                r->skipped++;
                break;
            }
            if (!(s = table_find(b, rec.ptr)))
                return fail(err, rec.offset, "free of an unknown block 0x%llx", (unsigned long long)rec.ptr);
            id = s->id;
            table_remove(b, s);
            if (!release_id(b, id) || !emit(b, WL_REPLAY_FREE, id, 0, 0))
                return fail(err, rec.offset, "out of memory building the replay");
            break;
        case WL_TRACE_REALLOC:
            if (rec.ptr == 0) { /* realloc(NULL, n) is malloc(n) */
                if (rec.result == 0) {
                    r->skipped++;
                    break;
                }
                if (table_find(b, rec.result))
                    return fail(err, rec.offset, "corrupt: realloc returned 0x%llx, which is still live",
                                (unsigned long long)rec.result);
                if (!new_block(b, rec.result, rec.size, &id) || !emit(b, WL_REPLAY_ALLOC, id, rec.size, 0))
                    return fail(err, rec.offset, "out of memory building the replay");
                break;
            }
            if (!(s = table_find(b, rec.ptr)))
                return fail(err, rec.offset, "realloc of an unknown block 0x%llx", (unsigned long long)rec.ptr);
            id = s->id;
            if (rec.result == 0 && rec.size > 0) { /* failed: the old block stays */
                r->skipped++;
                break;
            }
            table_remove(b, s);
            if (rec.result == 0) { /* glibc's realloc(p, 0) frees p */
                if (!release_id(b, id) || !emit(b, WL_REPLAY_FREE, id, 0, 0))
                    return fail(err, rec.offset, "out of memory building the replay");
                break;
            }
            if (table_find(b, rec.result))
                return fail(err, rec.offset, "corrupt: realloc returned 0x%llx, which is still live",
                            (unsigned long long)rec.result);
            if ((b->used + 1) * 4 > (b->mask + 1) * 3 && !table_grow(b))
                return fail(err, rec.offset, "out of memory building the replay");
            {
                size_t i = hash_addr(rec.result) & b->mask;
                while (b->table[i].addr) i = (i + 1) & b->mask;
                b->table[i] = (slot){rec.result, id};
                b->used++;
            }
            b->live = b->live - b->sizes[id] + rec.size;
            b->sizes[id] = rec.size;
            if (!emit(b, WL_REPLAY_REALLOC, id, rec.size, 0)) return fail(err, rec.offset, "out of memory building the replay");
            break;
        case WL_TRACE_END:
            break;
        }
    }
    if (got < 0) return false;
    if (r->count == 0)
        return fail(err, rd->len, "empty trace: %llu records and no allocation to replay", (unsigned long long)r->records);
    r->leftover = b->used;
    r->threads = any_thread ? max_thread + 1 : 0;
    return true;
}

bool wl_replay_build(const uint8_t *data, size_t len, wl_replay_prog *out, bool curve, wl_trace_error *err) {
    memset(out, 0, sizeof *out);
    wl_trace_reader rd;
    if (!wl_trace_open(&rd, data, len, err)) {
        wl_trace_close(&rd);
        return false;
    }
    builder b = {.out = out, .curve = curve};
    bool ok = build_from(&rd, &b, err);
    wl_trace_close(&rd);
    if (b.table) munmap(b.table, (b.mask + 1) * sizeof *b.table);
    if (b.free_ids) munmap(b.free_ids, b.free_cap * sizeof *b.free_ids);
    if (b.sizes) munmap(b.sizes, b.sizes_cap * sizeof *b.sizes);
    if (!ok) wl_replay_free(out);
    return ok;
}

bool wl_replay_load(const char *path, wl_replay_prog *out, bool curve, wl_trace_error *err) {
    memset(out, 0, sizeof *out);
    wl_trace_file f;
    if (!wl_trace_file_map(path, &f, err)) return false;
    bool ok = wl_replay_build(f.data, f.len, out, curve, err);
    wl_trace_file_unmap(&f);
    return ok;
}

void wl_replay_free(wl_replay_prog *r) {
    if (r->ops) munmap(r->ops, r->capacity * sizeof *r->ops);
    if (r->live_curve) munmap(r->live_curve, r->capacity * sizeof *r->live_curve);
    memset(r, 0, sizeof *r);
}
