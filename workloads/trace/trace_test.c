/* trace_test.c — the trace format: round trips (text -> binary -> text, binary -> text ->
 * binary), replay through every strategy, every kind of bad input (with its byte offset),
 * and the fuzz corpus (workloads/trace/corpus/) read without a crash.
 */
#include "allocators/mm.h"
#include "conformance/tap.h"
#include "workloads/trace/trace.h"
#include "workloads/wl.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every op, two threads, comments, a realloc that moves, one that frees, a failed malloc,
 * a free(NULL), an alignment above the interface's limit, and three blocks never freed. */
static const char SAMPLE[] =
    "mmtrace 1\n"
    "time 1700000000000000000\n"
    "pid 4242\n"
    "command prog\\0--flag\\0a\\\\b\\x01\n"
    "# a comment, and a blank line\n"
    "\n"
    "malloc 24 0x1000\n"
    "calloc 100 0x1040\n"
    "t1 malloc 300 0x2000\n"
    "realloc 0x1000 48 0x3000\n"
    "posix_memalign 64 128 0x4000\n"
    "t1 free 0x2000\n"
    "aligned_alloc 8192 16384 0x10000\n"
    "memalign 32 10 0x5000\n"
    "malloc 99999999999 0x0\n"
    "free 0x0\n"
    "realloc 0x5000 0 0x0\n"
    "free 0x4000\n"
    "realloc 0x0 7 0x6000\n"
    "free 0x10000\n"
    "end 14\n";

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

/* Reads `in` and writes it back in `text` or binary form. false (with err) on bad input. */
static bool rewrite(const void *in, size_t len, bool text, buffer *out, wl_trace_error *err) {
    FILE *f = open_memstream(&out->data, &out->len);
    wl_trace_reader rd;
    bool ok = wl_trace_open(&rd, in, len, err);
    if (ok) {
        wl_trace_write_header(f, &rd.header, text);
        wl_trace_coder coder = {0};
        wl_trace_rec rec;
        int got;
        while ((got = wl_trace_next(&rd, &rec, err)) == 1) wl_trace_write_rec(f, &coder, &rec, text);
        rec = (wl_trace_rec){.op = WL_TRACE_END};
        wl_trace_write_rec(f, &coder, &rec, text);
        ok = got == 0;
    }
    wl_trace_close(&rd);
    fclose(f);
    return ok;
}

static void check_round_trips(void) {
    tap_case("trace.round_trip.text_binary_text");
    wl_trace_error err = {0};
    buffer bin = {0}, text = {0}, bin2 = {0}, text2 = {0};
    EXPECT(rewrite(SAMPLE, strlen(SAMPLE), false, &bin, &err), "text -> binary: byte %llu: %s", (unsigned long long)err.offset, err.message);
    EXPECT(rewrite(bin.data, bin.len, true, &text, &err), "binary -> text: %s", err.message);
    EXPECT(rewrite(text.data, text.len, false, &bin2, &err), "text -> binary again: %s", err.message);
    EXPECT(rewrite(bin2.data, bin2.len, true, &text2, &err), "binary -> text again: %s", err.message);
    EXPECT(bin.len == bin2.len && memcmp(bin.data, bin2.data, bin.len) == 0, "binary -> text -> binary is byte-identical");
    EXPECT(text.len == text2.len && memcmp(text.data, text2.data, text.len) == 0, "text -> binary -> text is stable");
    EXPECT(bin.len < strlen(SAMPLE) / 2, "the binary form is compact (%zu bytes for %zu of text)", bin.len, strlen(SAMPLE));

    tap_case("trace.round_trip.header_survives");
    wl_trace_reader rd;
    if (EXPECT(wl_trace_open(&rd, (const uint8_t *)bin.data, bin.len, &err), "%s", err.message)) {
        EXPECT(rd.header.pid == 4242 && rd.header.time_ns == 1700000000000000000ull, "pid and time");
        EXPECT(rd.header.command_len == 16 && memcmp(rd.header.command, "prog\0--flag\0a\\b\x01", 16) == 0,
               "the command line, NULs, backslash and control byte included");
    }

    tap_case("trace.round_trip.replay_is_the_same");
    wl_replay_prog a, b;
    bool ok_a = wl_replay_build((const uint8_t *)SAMPLE, strlen(SAMPLE), &a, true, &err);
    EXPECT(ok_a, "text replays: %s", err.message);
    bool ok_b = wl_replay_build((const uint8_t *)bin.data, bin.len, &b, false, &err);
    EXPECT(ok_b, "binary replays: %s", err.message);
    if (ok_a && ok_b) {
        EXPECT(a.count == b.count && memcmp(a.ops, b.ops, a.count * sizeof *a.ops) == 0, "the same replay ops");
        EXPECT(a.records == 14, "14 records, got %llu", (unsigned long long)a.records);
        EXPECT(a.count == 12, "12 replay ops (failed malloc and free(NULL) skipped), got %zu", a.count);
        EXPECT(a.skipped == 2, "2 skipped, got %llu", (unsigned long long)a.skipped);
        EXPECT(a.leftover == 3, "the calloc'd, the moved and the realloc'd-from-NULL blocks are never freed: %llu",
               (unsigned long long)a.leftover);
        EXPECT(a.threads == 2, "two threads, got %u", a.threads);
        EXPECT(a.clamped_align == 1, "8192 alignment clamped to the interface's 4096");
        EXPECT(a.peak_live == 24 + 100 + 300 + 128 + 16384 + 10 - 24 + 48 - 300,
               "peak live (reached at the memalign): %llu", (unsigned long long)a.peak_live);
        uint64_t most = 0;
        for (size_t i = 0; i < a.count; i++) most = a.live_curve[i] > most ? a.live_curve[i] : most;
        EXPECT(most == a.peak_live, "the live curve peaks at peak_live");
        EXPECT(a.live_curve[a.count - 1] == 100 + 48 + 7, "live bytes at the end: the leftovers'");
        wl_replay_free(&a);
        wl_replay_free(&b);
    }
    free(bin.data), free(text.data), free(bin2.data), free(text2.data);
}

typedef struct bad_case {
    const char *name;
    const char *data;
    size_t len; /* 0: strlen */
    const char *message;
    uint64_t offset;
} bad_case;

static void expect_bad(const char *name, const void *data, size_t len, const char *message, uint64_t offset) {
    tap_case("trace.bad_input.%s", name);
    wl_replay_prog p;
    wl_trace_error err = {0};
    bool ok = wl_replay_build(data, len, &p, false, &err);
    EXPECT(!ok, "refused");
    if (ok) wl_replay_free(&p);
    EXPECT(strstr(err.message, message) != NULL, "message '%s' says '%s'", err.message, message);
    EXPECT(err.offset == offset, "offset %llu, want %llu", (unsigned long long)err.offset, (unsigned long long)offset);
    EXPECT(strchr(err.message, '\n') == NULL, "one line");
}

static void check_bad_inputs(void) {
    wl_trace_error err = {0};
    buffer bin = {0};
    if (!EXPECT(rewrite(SAMPLE, strlen(SAMPLE), false, &bin, &err), "%s", err.message)) return;
    const char *text_head = "mmtrace 1\nmalloc 8 0x10\n";
    size_t head = strlen(text_head);
    char buf[256];

    expect_bad("empty_file", "", 0, "empty file", 0);
    expect_bad("wrong_magic", "MMTRACF\0\1\0\0\0\20\0\0\0", 16, "wrong magic", 0);
    expect_bad("wrong_text_magic", "mmtrac 1\n", 9, "wrong magic", 0);
    memcpy(buf, bin.data, 32);
    buf[8] = 2;
    expect_bad("wrong_version", buf, bin.len > 64 ? 64 : bin.len, "unsupported trace version 2", 8);
    expect_bad("wrong_text_version", "mmtrace 7\nmalloc 8 0x10\n", 0 + 24, "unsupported trace version 7", 0);
    expect_bad("truncated_header", bin.data, 20, "truncated header", 20);
    expect_bad("truncated_no_end", bin.data, bin.len - 2, "truncated", 0 + bin.len - 2);
    expect_bad("empty_trace", "mmtrace 1\n", 10, "empty trace", 10);
    expect_bad("only_free_null", "mmtrace 1\nfree 0\n", 17, "empty trace", 17);
    /* text traces: a good first record, then the bad line (offset: where it starts) */
    static const struct {
        const char *name, *tail, *message;
        size_t offset_in_tail;
    } text_cases[] = {
        {"free_of_unknown_block", "free 0x20\n", "free of an unknown block 0x20", 0},
        {"realloc_of_unknown_block", "realloc 0x30 9 0x40\n", "realloc of an unknown block 0x30", 0},
        {"address_returned_twice", "malloc 9 0x10\n", "still live", 0},
        {"unknown_text_op", "frob 1 2\n", "unknown op 'frob'", 0},
        {"missing_field", "malloc 8\n", "bad fields for malloc", 0},
        {"wrong_end_count", "end 5\n", "counts 5 records", 0},
        {"records_after_end", "end 1\nmalloc 8 0x20\n", "after the end", 6},
    };
    for (size_t i = 0; i < sizeof text_cases / sizeof *text_cases; i++) {
        snprintf(buf, sizeof buf, "%s%s", text_head, text_cases[i].tail);
        expect_bad(text_cases[i].name, buf, strlen(buf), text_cases[i].message, head + text_cases[i].offset_in_tail);
    }

    /* binary: a corrupt op byte at the first record, and bytes after the end record */
    memcpy(buf, bin.data, bin.len < sizeof buf ? bin.len : sizeof buf);
    size_t first = 32 + 16; /* header + the sample's command */
    buf[first] = 0x39;
    expect_bad("corrupt_op_byte", buf, bin.len, "unknown op byte 0x39", first);
    memcpy(buf, bin.data, bin.len);
    buf[bin.len] = 1;
    expect_bad("bytes_after_end", buf, bin.len + 1, "after the end record", bin.len);

    tap_case("trace.bad_input.every_truncation_is_refused");
    size_t accepted = 0, wrong_offset = 0;
    for (size_t n = 0; n < bin.len; n++) {
        wl_replay_prog p;
        if (wl_replay_build((const uint8_t *)bin.data, n, &p, false, &err)) {
            accepted++;
            wl_replay_free(&p);
        } else if (err.offset > n) {
            wrong_offset++;
        }
    }
    EXPECT(accepted == 0, "%zu of %zu prefixes were accepted", accepted, bin.len);
    EXPECT(wrong_offset == 0, "%zu errors pointed past the end of the data", wrong_offset);
    free(bin.data);
}

static void check_replay_through_strategies(void) {
    char path[] = "/tmp/mmbench-trace-XXXXXX";
    int fd = mkstemp(path);
    if (!EXPECT(fd >= 0, "a temporary file")) return;
    EXPECT(write(fd, SAMPLE, strlen(SAMPLE)) == (ssize_t)strlen(SAMPLE), "written");
    close(fd);
    wl_workload *w = wl_workload_find("replay");
    char buf[300];
    wl_replay_prog prog;
    wl_trace_error err = {0};
    EXPECT(wl_replay_load(path, &prog, false, &err), "%s", err.message);
    if (!EXPECT(w && wl_param_set(w, "trace", path, buf, sizeof buf) == NULL, "replay.trace=%s", path)) return;
    double param[32];
    for (size_t i = 0; i < w->param_count; i++) param[i] = w->params[i].value;
    EXPECT(w->validate(param) == NULL, "validates");
    uint64_t checksum = 0;
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        tap_case("trace.replay[%s]", s->name);
        if (mm_strategy_unavailable(s)) { /* a peer not the process's malloc here */
            tap_skip("%s", mm_strategy_unavailable(s));
            continue;
        }
        mm_error merr = {{0}};
        mm_config cfg = {0};
        wl_ctx c;
        memset(&c, 0, sizeof c);
        if (!EXPECT((c.heap = mm_open(s, &cfg, &merr)) != NULL, "%s", merr.message)) continue;
        c.param = param;
        c.iterations = 3;
        w->run(&c);
        EXPECT(c.error == NULL, "%s", c.error);
        EXPECT(c.ops == 3 * (int64_t)(prog.count + prog.leftover), "every op and every leftover free, each round: %lld",
               (long long)c.ops);
        EXPECT(c.meter.peak_live == prog.peak_live, "peak live %zu is the trace's %llu", c.meter.peak_live,
               (unsigned long long)prog.peak_live);
        EXPECT(c.meter.live == 0, "nothing alive after the rounds");
        if (i == 0) checksum = c.meter.checksum;
        EXPECT(c.meter.checksum == checksum, "the same operations as %s", mm_strategies[0]->name);
        EXPECT(mm_check(c.heap) == 0, "healthy afterwards");
        mm_close(c.heap);
    }
    wl_replay_free(&prog);

    tap_case("trace.replay.bad_trace_is_refused_by_validate");
    const char junk[] = "mmtrace 1\nfree 0x99\n";
    fd = open(path, O_WRONLY | O_TRUNC);
    EXPECT(fd >= 0 && write(fd, junk, strlen(junk)) == (ssize_t)strlen(junk), "rewritten");
    close(fd);
    EXPECT(wl_param_set(w, "trace", "/tmp/../tmp/x-not-cached", buf, sizeof buf) == NULL, "another path");
    const char *msg = w->validate(param);
    EXPECT(msg && strstr(msg, "x-not-cached: byte 0: cannot open"), "a missing file: %s", msg ? msg : "(accepted)");
    wl_param_set(w, "trace", path, buf, sizeof buf);
    msg = w->validate(param);
    EXPECT(msg && strstr(msg, path) && strstr(msg, "byte 10: free of an unknown block"), "names file and offset: %s",
           msg ? msg : "(accepted)");
    unlink(path);
}

static void check_corpus(void) {
    tap_case("trace.fuzz_corpus_reads_without_a_crash");
    DIR *d = opendir("workloads/trace/corpus");
    if (!EXPECT(d != NULL, "the corpus folder is in the runfiles")) return;
    size_t files = 0, good = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, "workloads/trace/corpus/%s", e->d_name);
        wl_replay_prog p;
        wl_trace_error err = {0};
        files++;
        if (wl_replay_load(path, &p, true, &err)) {
            good++;
            wl_replay_free(&p);
        } else {
            EXPECT(err.message[0] != '\0', "%s: a refusal says why", e->d_name);
        }
    }
    closedir(d);
    EXPECT(files >= 10, "the corpus has files (%zu)", files);
    printf("# corpus: %zu files, %zu replayable\n", files, good);
}

int main(void) {
    check_round_trips();
    check_bad_inputs();
    check_replay_through_strategies();
    check_corpus();
    return tap_finish();
}
