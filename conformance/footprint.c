/* footprint.c — every strategy's footprint is true on every workload: it covers what is
 * live, and it is memory the process really holds (committed and touched, not reserved).
 *
 * Each allocation workload (gen once per preset; replay on a trace written here) runs its
 * metered pass on each selected strategy the way mmbench_bench runs it (default
 * parameters, the meter reading stats() after every operation), cut after DEADLINE
 * seconds like --budget, in a child process of its own: a fresh process heap, and the
 * resident set before the heap opens as the baseline. Case footprint[W/S]:
 *   - peak_footprint >= peak_live wherever peak_live >= 1 MiB (below that a heap's fixed
 *     cost dominates and the sampled peers' first reading may lag);
 *   - peak_footprint <= RSS growth + SLACK, where RSS growth is the child's peak resident
 *     set (getrusage) minus the baseline. SLACK = 4 MiB + 1/8 of the footprint: what a
 *     strategy may hold without having touched it — a huge-page arena or chunk not yet
 *     filled (2 MiB), glibc's top pad and the free memory it held at open, the untouched
 *     middle pages of blocks larger than a page (a workload writes a block's first and
 *     last bytes only), and the sampled peers' readings between samples.
 * Under AddressSanitizer the sanitizer's shadow memory and quarantine inflate the resident
 * set, so only the first bound means much there, and system (whose malloc is then the
 * sanitizer's, with no statistics) is skipped.
 */
#define _GNU_SOURCE
#include "allocators/mm.h"
#include "conformance/select.h"
#include "conformance/tap.h"
#include "workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEADLINE 0.25
#define LIVE_FLOOR ((size_t)1 << 20)
#define SLACK(footprint) (((size_t)4 << 20) + (footprint) / 8)

typedef struct outcome {
    size_t peak_live, peak_footprint, rss_growth;
    char error[sizeof(mm_error) + 16];
} outcome;

static size_t rss_now(void) {
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* In the child: the metered pass, as bench_main.c runs it. */
static outcome metered_pass(wl_workload *w, const mm_strategy *s) {
    outcome o = {0};
    double param[32];
    for (size_t i = 0; i < w->param_count; i++) param[i] = w->params[i].value;
    size_t rss0 = rss_now();
    mm_error err = {{0}};
    wl_ctx c;
    memset(&c, 0, sizeof c);
    c.heap = mm_open(s, NULL, &err);
    if (c.heap == NULL) {
        snprintf(o.error, sizeof o.error, "open: %s", err.message);
        return o;
    }
    c.param = param;
    c.iterations = w->iterations(param);
    c.deadline = wl_now() + DEADLINE;
    w->run(&c);
    if (c.error) snprintf(o.error, sizeof o.error, "%s", c.error);
    mm_close(c.heap);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t peak = (size_t)ru.ru_maxrss * 1024;
    o.peak_live = c.meter.peak_live;
    o.peak_footprint = c.meter.peak_footprint;
    o.rss_growth = peak > rss0 ? peak - rss0 : 0;
    return o;
}

static bool in_child(wl_workload *w, const mm_strategy *s, outcome *o) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        outcome mine = metered_pass(w, s);
        ssize_t wrote = write(fds[1], &mine, sizeof mine);
        _exit(wrote == (ssize_t)sizeof mine ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = pid > 0 ? read(fds[0], o, sizeof *o) : -1;
    close(fds[0]);
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    return got == (ssize_t)sizeof *o && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* `setup` is NULL, or why the workload could not be set up (a failure of every case). */
static void check(wl_workload *w, const char *label, const char *setup, const mm_strategy *s) {
    tap_case("footprint[%s/%s]", label, s->name);
    if (!EXPECT(setup == NULL, "%s: %s", label, setup)) return;
#if defined(__SANITIZE_ADDRESS__)
    if (strcmp(s->name, "system") == 0) {
        tap_skip("under AddressSanitizer %s's malloc is the sanitizer's, with no statistics to read", s->name);
        return;
    }
#endif
    if (mm_strategy_unavailable(s)) {
        tap_skip("%s", mm_strategy_unavailable(s));
        return;
    }
    if (wl_refusal(w, s)) {
        tap_skip("%s refuses %s, which %s", label, s->name, wl_refusal(w, s));
        return;
    }
    outcome o;
    if (!EXPECT(in_child(w, s, &o), "the metered pass of %s on %s ran to the end (a crash?)", label, s->name)) return;
    if (!EXPECT(o.error[0] == '\0', "%s on %s: %s", label, s->name, o.error)) return;
    printf("# %s/%s: peak live %zu, peak footprint %zu, RSS growth %zu\n", label, s->name, o.peak_live,
           o.peak_footprint, o.rss_growth);
    if (o.peak_live >= LIVE_FLOOR)
        EXPECT(o.peak_footprint >= o.peak_live, "peak footprint %zu below peak live %zu", o.peak_footprint,
               o.peak_live);
    EXPECT(o.peak_footprint <= o.rss_growth + SLACK(o.peak_footprint),
           "peak footprint %zu past RSS growth %zu + slack %zu: memory counted that the process does not hold",
           o.peak_footprint, o.rss_growth, SLACK(o.peak_footprint));
}

static void check_every_strategy(wl_workload *w, const char *label, const char *setup, size_t *item) {
    for (size_t i = 0; i < mm_strategy_count; i++)
        if (mm_test_selected(mm_strategies[i]) && tap_shard_owns((*item)++)) check(w, label, setup, mm_strategies[i]);
}

/* A trace for replay: 60000 calls of 16..2048 bytes, about 4 MiB live at its peak. */
static bool write_trace(const char *path) {
    FILE *f = fopen(path, "w");
    if (f == NULL) return false;
    fprintf(f, "mmtrace 1\n");
    wl_rng r;
    wl_rng_seed(&r, 11);
    enum { LIVE = 4000 };
    static bool live[LIVE];
    for (int call = 0; call < 60000; call++) {
        size_t slot = (size_t)wl_rng_below(&r, LIVE);
        unsigned long address = 0x10000ul + slot * 0x1000ul;
        if (live[slot]) fprintf(f, "free 0x%lx\n", address);
        else fprintf(f, "malloc %llu 0x%lx\n", (unsigned long long)wl_rng_range(&r, 16, 2048), address);
        live[slot] = !live[slot];
    }
    return fclose(f) == 0;
}

int main(void) {
    size_t item = 0;
    char buf[300], trace[] = "/tmp/mmbench-footprint-XXXXXX";
    int fd = mkstemp(trace);
    bool traced = fd >= 0 && close(fd) == 0 && write_trace(trace);
    for (size_t k = 0; k < wl_workload_count; k++) {
        wl_workload *w = wl_workloads[k];
        if (w->collected) continue; /* objects on a collector: conformance/gc_contract.c */
        if (strcmp(w->name, "gen") == 0) {
            static const char *const presets[] = {"server", "steady", "stack", "queue", "batch", "python"};
            for (size_t p = 0; p < sizeof presets / sizeof *presets; p++) {
                char label[64];
                snprintf(label, sizeof label, "gen.%s", presets[p]);
                check_every_strategy(w, label, wl_param_set(w, "preset", presets[p], buf, sizeof buf), &item);
            }
        } else if (strcmp(w->name, "replay") == 0) {
            const char *setup = traced ? wl_param_set(w, "trace", trace, buf, sizeof buf) : "no trace could be written";
            check_every_strategy(w, w->name, setup, &item);
        } else {
            check_every_strategy(w, w->name, NULL, &item);
        }
    }
    if (traced) unlink(trace);
    return tap_finish();
}
