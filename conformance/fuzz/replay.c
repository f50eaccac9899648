/* replay.c — feeds every committed corpus input of one fuzz target (fuzz.h) to the target
 * function, as an ordinary test: built by mm_fuzz_target (fuzz.bzl) with gcc, optimised
 * and under ASan+UBSan, and run by `./mmbench test`.
 *
 *   NAME_replay CORPUS_DIR      (Bazel passes conformance/fuzz/corpus/NAME)
 *
 * One TAP case per input and variant: "fuzz.NAME[FILE/VARIANT]". A target failure
 * (FUZZ_FAIL) fails the case; a crash fails the test process, which the launcher counts.
 * An empty or missing corpus is a failure too: a replay of nothing proves nothing.
 */
#include "conformance/fuzz/fuzz.h"
#include "conformance/tap.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *fmt, ...) {
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    tap_expect(false, file, line, "the target's expectation", "%s", what);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static unsigned char *read_whole(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR (e.g. conformance/fuzz/corpus/alloc)\n", argv[0]);
        return 2;
    }
    const char *dir_path = argv[1];
    const char *target = strrchr(dir_path, '/') ? strrchr(dir_path, '/') + 1 : dir_path;
    DIR *dir = opendir(dir_path);
    char *names[4096];
    size_t count = 0;
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL && count < 4096;)
        if (e->d_name[0] != '.') names[count++] = strdup(e->d_name);
    if (dir) closedir(dir);
    tap_case("fuzz.%s[corpus]", target);
    EXPECT(count > 0, "no corpus inputs in %s", dir_path);
    qsort(names, count, sizeof *names, by_name);
    size_t variants = fuzz_variant_count();
    for (size_t i = 0; i < count; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir_path, names[i]);
        size_t size = 0;
        unsigned char *data = read_whole(path, &size);
        for (size_t v = 0; v < (variants ? variants : 1); v++) {
            if (variants) tap_case("fuzz.%s[%s/%s]", target, names[i], fuzz_variant_name(v));
            else tap_case("fuzz.%s[%s]", target, names[i]);
            if (!EXPECT(data != NULL, "cannot read %s", path)) break;
            if (variants && size > 0) data[0] = (unsigned char)v;
            LLVMFuzzerTestOneInput(data, size);
        }
        free(data);
        free(names[i]);
    }
    return tap_finish();
}
