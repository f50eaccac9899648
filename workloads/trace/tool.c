/* tool.c — mmbench_trace: looks at and converts traces (the harness's ./mmbench trace
 * calls it; it is usable alone too).
 *
 *   mmbench_trace check FILE             exit 0 when FILE replays; else one line, exit 2
 *   mmbench_trace info FILE              JSON: header, counts, size histogram, peak live,
 *                                        lifetimes (in operations)
 *   mmbench_trace ideal FILE [POINTS]    JSON: the live-bytes curve alone (no allocator):
 *                                        POINTS samples (default 200), each the most bytes
 *                                        alive within its stretch of operations
 *   mmbench_trace convert IN OUT text|binary
 *                                        rewrites a trace in the other form; OUT appears
 *                                        whole (temporary file + rename) or not at all,
 *                                        and only for a trace that replays
 *
 * Bad input: "FILE: byte N: message" on stderr, exit 2. Internal failure: exit 1.
 */
#include "workloads/trace/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void json_string(const char *s, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch == 0) putchar(' '); /* argument separator */
        else if (ch < 0x20 || ch >= 0x7F) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static int bad_input(const char *path, const wl_trace_error *err) {
    fprintf(stderr, "%s: byte %llu: %s\n", path, (unsigned long long)err->offset, err->message);
    return 2;
}

static int usage(void) {
    fprintf(stderr, "usage: mmbench_trace check|info|ideal|convert FILE ... (see the comment at the top of tool.c)\n");
    return 2;
}

static int bucket_of(uint64_t v) { /* 0 for 0, k for (2^(k-1), 2^k] */
    int k = 0;
    while (k < 63 && ((uint64_t)1 << k) < v) k++;
    return v == 0 ? 0 : k + 1;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Lifetimes are counted in replay operations between a block's allocation and its free. */
static int cmd_info(const char *path) {
    wl_trace_file f;
    wl_trace_error err = {0};
    if (!wl_trace_file_map(path, &f, &err)) return bad_input(path, &err);
    wl_trace_reader rd;
    if (!wl_trace_open(&rd, f.data, f.len, &err)) return bad_input(path, &err);
    wl_trace_header h = rd.header;
    uint64_t by_op[16] = {0};
    wl_trace_rec rec;
    int got;
    while ((got = wl_trace_next(&rd, &rec, &err)) == 1) by_op[rec.op]++;
    if (got < 0) return bad_input(path, &err);
    wl_replay_prog p;
    if (!wl_replay_build(f.data, f.len, &p, false, &err)) return bad_input(path, &err);

    uint64_t sizes[66] = {0}, lifetimes[66] = {0}, bytes = 0, allocs = 0, frees = 0, reallocs = 0;
    uint64_t *born = calloc(p.ids ? p.ids : 1, sizeof *born);
    uint64_t *lives = malloc((p.count ? p.count : 1) * sizeof *lives); /* each freed block's lifetime */
    if (!born || !lives) return 1;
    for (size_t i = 0; i < p.count; i++) {
        const wl_replay_op *o = &p.ops[i];
        if (o->kind == WL_REPLAY_FREE) {
            lives[frees++] = i - born[o->id];
            lifetimes[bucket_of(i - born[o->id])]++;
            continue;
        }
        if (o->kind == WL_REPLAY_REALLOC) reallocs++;
        else {
            allocs++;
            born[o->id] = i;
        }
        sizes[bucket_of(o->size)]++;
        bytes += o->size;
    }
    free(born);
    qsort(lives, frees, sizeof *lives, compare_u64);
    uint64_t median = frees ? lives[frees / 2] : 0, p90 = frees ? lives[frees * 9 / 10] : 0,
             longest = frees ? lives[frees - 1] : 0;
    free(lives);
    printf("{\"file\": ");
    json_string(path, strlen(path));
    printf(", \"form\": \"%s\", \"version\": %u, \"time_ns\": %llu, \"pid\": %u, \"command\": ", h.text ? "text" : "binary",
           h.version, (unsigned long long)h.time_ns, h.pid);
    json_string(h.command ? h.command : "", h.command_len);
    printf(",\n \"records\": %llu, \"calls\": {", (unsigned long long)p.records);
    for (int op = 1, n = 0; op < 15; op++)
        if (by_op[op]) printf("%s\"%s\": %llu", n++ ? ", " : "", wl_trace_op_name((wl_trace_op)op), (unsigned long long)by_op[op]);
    printf("},\n \"replay_ops\": %zu, \"allocs\": %llu, \"reallocs\": %llu, \"frees\": %llu, \"skipped\": %llu, "
           "\"leftover\": %llu, \"threads\": %u, \"max_live_blocks\": %u, \"clamped_align\": %llu,\n",
           p.count, (unsigned long long)allocs, (unsigned long long)reallocs, (unsigned long long)frees,
           (unsigned long long)p.skipped, (unsigned long long)p.leftover, p.threads, p.ids,
           (unsigned long long)p.clamped_align);
    printf(" \"bytes_requested\": %llu, \"peak_live\": %llu,\n", (unsigned long long)bytes, (unsigned long long)p.peak_live);
    printf(" \"lifetime_ops\": {\"median\": %llu, \"p90\": %llu, \"max\": %llu},\n", (unsigned long long)median,
           (unsigned long long)p90, (unsigned long long)longest);
    const char *names[2] = {"size_histogram", "lifetime_histogram"};
    uint64_t *hists[2] = {sizes, lifetimes};
    for (int k = 0; k < 2; k++) {
        printf(" \"%s\": [", names[k]);
        for (int b = 0, n = 0; b < 66; b++) {
            if (!hists[k][b]) continue;
            uint64_t hi = b == 0 ? 0 : (uint64_t)1 << (b - 1);
            printf("%s{\"upto\": %llu, \"count\": %llu}", n++ ? ", " : "", (unsigned long long)hi, (unsigned long long)hists[k][b]);
        }
        printf("]%s\n", k ? "" : ",");
    }
    printf("}\n");
    wl_replay_free(&p);
    wl_trace_file_unmap(&f);
    return 0;
}

static int cmd_ideal(const char *path, size_t points) {
    wl_replay_prog p;
    wl_trace_error err = {0};
    if (!wl_replay_load(path, &p, true, &err)) return bad_input(path, &err);
    if (points > p.count) points = p.count;
    printf("{\"file\": ");
    json_string(path, strlen(path));
    printf(", \"ops\": %zu, \"peak_live\": %llu, \"leftover\": %llu, \"curve\": [", p.count, (unsigned long long)p.peak_live,
           (unsigned long long)p.leftover);
    for (size_t k = 0; k < points; k++) {
        size_t lo = p.count * k / points, hi = p.count * (k + 1) / points;
        uint64_t most = 0;
        for (size_t i = lo; i < hi; i++)
            if (p.live_curve[i] > most) most = p.live_curve[i];
        printf("%s[%zu, %llu]", k ? ", " : "", hi - 1, (unsigned long long)most);
    }
    printf("]}\n");
    wl_replay_free(&p);
    return 0;
}

static int cmd_convert(const char *in, const char *out, const char *form) {
    bool text;
    if (strcmp(form, "text") == 0) text = true;
    else if (strcmp(form, "binary") == 0) text = false;
    else return usage();
    wl_trace_file f;
    wl_trace_error err = {0};
    if (!wl_trace_file_map(in, &f, &err)) return bad_input(in, &err);
    wl_replay_prog p; /* a trace that cannot be replayed is not converted either */
    if (!wl_replay_build(f.data, f.len, &p, false, &err)) return bad_input(in, &err);
    wl_replay_free(&p);
    wl_trace_reader rd;
    if (!wl_trace_open(&rd, f.data, f.len, &err)) return bad_input(in, &err);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.partial-%d", out, (int)getpid());
    FILE *o = fopen(tmp, "wb");
    if (!o) {
        fprintf(stderr, "%s: cannot write\n", out);
        return 2;
    }
    wl_trace_write_header(o, &rd.header, text);
    wl_trace_coder coder = {0};
    wl_trace_rec rec;
    int got;
    while ((got = wl_trace_next(&rd, &rec, &err)) == 1) wl_trace_write_rec(o, &coder, &rec, text);
    if (got == 0) {
        rec = (wl_trace_rec){.op = WL_TRACE_END};
        wl_trace_write_rec(o, &coder, &rec, text);
    }
    bool written = fflush(o) == 0 && !ferror(o);
    fclose(o);
    wl_trace_close(&rd);
    wl_trace_file_unmap(&f);
    if (got < 0 || !written || rename(tmp, out) != 0) {
        unlink(tmp);
        if (got < 0) return bad_input(in, &err);
        fprintf(stderr, "%s: cannot write\n", out);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *cmd = argv[1], *path = argv[2];
    if (strcmp(cmd, "check") == 0 && argc == 3) {
        wl_replay_prog p;
        wl_trace_error err = {0};
        if (!wl_replay_load(path, &p, false, &err)) return bad_input(path, &err);
        wl_replay_free(&p);
        return 0;
    }
    if (strcmp(cmd, "info") == 0 && argc == 3) return cmd_info(path);
    if (strcmp(cmd, "ideal") == 0 && (argc == 3 || argc == 4)) {
        long points = argc == 4 ? strtol(argv[3], NULL, 10) : 200;
        if (points < 1 || points > 100000) return usage();
        return cmd_ideal(path, (size_t)points);
    }
    if (strcmp(cmd, "convert") == 0 && argc == 5) return cmd_convert(path, argv[3], argv[4]);
    return usage();
}
