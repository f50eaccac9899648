/* fuzz_reader.c — libFuzzer target for the trace reader (build and run: fuzz.sh).
 *
 * Any bytes: the reader must refuse them with a message and an offset inside the input,
 * or accept them; never crash, hang or read outside the input (ASan watches). When it
 * accepts, the records must survive a round trip through the text form unchanged.
 */
#include "workloads/trace/trace.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_RECORDS = 4096 };
static wl_trace_rec first[MAX_RECORDS];

static size_t read_all(const uint8_t *data, size_t len, wl_trace_rec *out, bool *ok) {
    wl_trace_reader rd;
    wl_trace_error err = {0};
    size_t n = 0;
    *ok = wl_trace_open(&rd, data, len, &err);
    if (*ok) {
        wl_trace_rec rec;
        int got;
        while ((got = wl_trace_next(&rd, &rec, &err)) == 1)
            if (out && n < MAX_RECORDS) out[n++] = rec;
        *ok = got == 0;
    }
    if (!*ok && (err.offset > len || err.message[0] == '\0')) abort(); /* an error points into the input */
    wl_trace_close(&rd);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
    wl_replay_prog p;
    wl_trace_error err = {0};
    if (wl_replay_build(data, len, &p, true, &err)) wl_replay_free(&p);
    else if (err.offset > len) abort();

    bool ok;
    size_t n = read_all(data, len, first, &ok);
    if (!ok || n >= MAX_RECORDS) return 0;
    /* accepted: write it as text, read that back, compare the records */
    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    wl_trace_reader rd;
    wl_trace_open(&rd, data, len, &err);
    wl_trace_write_header(f, &rd.header, true);
    wl_trace_close(&rd);
    wl_trace_coder coder = {0};
    for (size_t i = 0; i < n; i++) wl_trace_write_rec(f, &coder, &first[i], true);
    wl_trace_rec end = {.op = WL_TRACE_END};
    wl_trace_write_rec(f, &coder, &end, true);
    fclose(f);
    static wl_trace_rec again[MAX_RECORDS];
    size_t m = read_all((const uint8_t *)text, text_len, again, &ok);
    if (!ok || m != n) abort();
    for (size_t i = 0; i < n; i++) {
        first[i].offset = again[i].offset = 0;
        if (memcmp(&first[i], &again[i], sizeof first[i]) != 0) abort();
    }
    free(text);
    return 0;
}
