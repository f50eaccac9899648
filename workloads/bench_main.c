/* bench_main.c — mmbench_bench: every workload × every strategy as a Google Benchmark.
 *
 *   mmbench_bench --list-json                 the registries, for the harness
 *   mmbench_bench [--param NAME.KEY=VALUE]... [--limit BYTES] [--budget SECONDS] [--validate]
 *                 [--samples N] [--warmups N] [--realtime]
 *                 [Google Benchmark flags, e.g. --benchmark_filter=^churn/pool$]
 *
 * --param sets a workload parameter (churn.live=1000), a strategy option (bump.chunk=4M)
 * or a collector option (rc-gen.threshold0=700), parsed here once for all of them.
 * --budget caps the metered pass in seconds; the timed passes then run the same (possibly
 * fewer) iterations and the `completed` counter says what fraction (wl.h, wl_next); it
 * caps the recorded samples' time too (wl.h, wl_sampling). --samples (default 1) and
 * --warmups (default 0) say how many timed passes are recorded and run first unrecorded;
 * --realtime runs a single-threaded benchmark at real-time priority where the system
 * allows it (wl.h, wl_sampling).
 * --validate checks names and values and exits. A user's mistake gets one line on stderr
 * and exit status 2.
 *
 * Each benchmark "W/S" runs workload W on strategy S in passes on fresh heaps (wl.h): once
 * metered (the first time in a process, cached after, so the peaks come from a clean
 * process heap), then timed: the warm-ups and the samples (wl_sample_passes). Counters
 * (docs/metrics.md): peak_live, peak_footprint, footprint_at_peak, frag, frag_at_peak,
 * internal_frag, rss_peak, check_failures (over every pass), completed, ops_checksum, from
 * the metered pass; samples, wall_ns_per_op.K, cpu_ns_per_op.K and ops from the samples;
 * realtime (wl_run_benchmark).
 * With the defaults (one sample, no warm-up) a process runs exactly its untimed first pass
 * (metered, or a GC workload's counted pass: gc_bench.c) and one timed pass, the one
 * `--counts` counts.
 */
#include "allocators/gc/gc.h"
#include "allocators/mm.h"
#include "allocators/peers.h"
#include "workloads/shim/bench.h"
#include "workloads/gc_bench.h"
#include "workloads/wl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct bench_case {
    wl_workload *workload;
    const mm_strategy *strategy;
    const char *options;
    size_t limit;
    double budget;      /* seconds the metered pass may take; 0 = no limit (wl.h, wl_next) */
    int64_t iterations; /* timed-loop iterations every pass runs: all, or what the budget allowed */
    double completed;   /* iterations / the workload's planned iterations */
    double param[32]; /* the workload's parameter values, read at registration */
    bool measured;
    unsigned char sink; /* the timed passes' read-backs */
    wl_meter meter;
    size_t check_failures;
    char error[sizeof(mm_error)]; /* why a timed pass could not open its heap */
} bench_case;

static wl_sampling sampling = {.warmups = 0, .samples = 1}; /* --warmups, --samples, --budget, --realtime */

static void usage_error(const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "mmbench_bench: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    exit(2);
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

static void list_json(void) {
    static const struct { unsigned bit; const char *name; } caps[] = {
        {MM_CAP_FREE, "free"}, {MM_CAP_CHECK, "check"}, {MM_CAP_LIMIT, "limit"},
        {MM_CAP_EXACT_FOOTPRINT, "exact_footprint"}, {MM_CAP_THREADS, "threads"},
    };
    printf("{\"strategies\": [");
    for (size_t i = 0; i < mm_strategy_count; i++) {
        const mm_strategy *s = mm_strategies[i];
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_string(s->name);
        printf(", \"summary\": ");
        json_string(s->summary);
        printf(", \"caps\": [");
        for (size_t k = 0, n = 0; k < sizeof caps / sizeof *caps; k++)
            if (s->caps & caps[k].bit) printf("%s\"%s\"", n++ ? ", " : "", caps[k].name);
        const char *why = mm_strategy_unavailable(s), *library = mm_peer_library(s);
        printf("], \"available\": %s", why ? "false" : "true");
        if (why) printf(", \"unavailable\": "), json_string(why);
        if (library) printf(", \"library\": "), json_string(library);
        printf("}");
    }
    printf("],\n\"workloads\": [");
    for (size_t i = 0; i < wl_workload_count; i++) {
        const wl_workload *w = wl_workloads[i];
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_string(w->name);
        printf(", \"summary\": ");
        json_string(w->summary);
        printf(", \"origin\": ");
        json_string(w->origin);
        printf(", \"kind\": \"%s\"", w->collected ? "gc" : "alloc");
        printf(", \"threads\": %d, \"refuses_no_free\": ", w->threads);
        if (w->refuses_no_free) json_string(w->refuses_no_free);
        else printf("null");
        printf(", \"full_suite_only\": ");
        if (w->full_suite_only) json_string(w->full_suite_only);
        else printf("null");
        printf(", \"params\": [");
        for (size_t k = 0; k < w->param_count; k++) {
            const wl_param *p = &w->params[k];
            printf("%s{\"name\": ", k ? ", " : "");
            json_string(p->name);
            if (p->text) {
                printf(", \"default\": ");
                json_string(p->text);
                printf(", \"choices\": ");
                if (p->choices) json_string(p->choices);
                else printf("null");
                printf(", \"help\": ");
            } else {
                printf(", \"default\": %.17g, \"min\": %.17g, \"max\": %.17g, \"integer\": %s, \"help\": ", p->value,
                       p->min, p->max, p->integer ? "true" : "false");
            }
            json_string(p->help);
            printf("}");
        }
        printf("]}");
    }
    printf("]");
    gc_bench_list_json(json_string);
    printf("}\n");
}

static double ratio_minus_one(size_t num, size_t den) { return den ? (double)num / (double)den - 1.0 : 0.0; }

static mm_config case_config(const bench_case *k) {
    return (mm_config){.limit = k->limit, .options = k->options[0] ? k->options : NULL};
}

static mm_heap *open_case(const bench_case *k, mm_error *err) {
    mm_config cfg = case_config(k);
    return mm_open(k->strategy, &cfg, err);
}

/* A fresh heap and context for one pass of `k`; NULL (and `err` says why) if the heap
 * cannot be opened. */
static mm_heap *open_pass(bench_case *k, wl_ctx *c, mm_error *err) {
    memset(c, 0, sizeof *c);
    c->config = case_config(k);
    c->heap = open_case(k, err);
    c->param = k->param;
    c->iterations = k->measured ? k->iterations : k->workload->iterations(k->param);
    return c->heap;
}

/* The metered pass: the meter's peaks, and the iterations the budget let it run, which
 * every timed pass then runs too. */
static bool metered_pass(bench_case *k, wl_bench *b) {
    wl_ctx c;
    mm_error err = {{0}};
    if (!open_pass(k, &c, &err)) {
        wl_bench_fail(b, err.message);
        return false;
    }
    int64_t planned = c.iterations;
    if (k->budget > 0) c.deadline = wl_now() + k->budget;
    k->workload->run(&c);
    k->iterations = c.cut ? c.done : planned;
    k->completed = planned ? (double)k->iterations / (double)planned : 1.0;
    k->meter = c.meter;
    k->check_failures = mm_check(c.heap);
    mm_close(c.heap);
    if (c.error) {
        wl_bench_fail(b, c.error);
        return false;
    }
    k->measured = true;
    return true;
}

/* One timed pass (wl_pass_fn): the same operations, no metering, the loop under `timer`. */
static int64_t timed_pass(void *arg, wl_timer *timer, const char **error) {
    bench_case *k = arg;
    wl_ctx c;
    mm_error err = {{0}};
    if (!open_pass(k, &c, &err)) {
        snprintf(k->error, sizeof k->error, "%s", err.message);
        *error = k->error;
        return -1;
    }
    c.timer = timer;
    k->workload->run(&c);
    wl_timer_stop(timer); /* a loop left early (an error) */
    k->check_failures += mm_check(c.heap);
    mm_close(c.heap);
    k->sink ^= c.sink;
    *error = c.error;
    return c.error ? -1 : c.ops;
}

static void run_passes(wl_bench *b, void *arg) {
    bench_case *k = arg;
    if (!k->measured && !metered_pass(k, b)) return;
    if (!wl_sample_passes(b, &sampling, timed_pass, k)) return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const wl_meter *m = &k->meter;
    wl_bench_counter(b, "peak_live", (double)m->peak_live);
    wl_bench_counter(b, "peak_footprint", (double)m->peak_footprint);
    wl_bench_counter(b, "footprint_at_peak", (double)m->footprint_at_peak);
    wl_bench_counter(b, "frag", ratio_minus_one(m->peak_footprint, m->peak_live));
    wl_bench_counter(b, "frag_at_peak", ratio_minus_one(m->footprint_at_peak, m->peak_live));
    wl_bench_counter(b, "internal_frag", ratio_minus_one(m->usable_at_peak, m->peak_live));
    wl_bench_counter(b, "rss_peak", (double)ru.ru_maxrss * 1024.0);
    wl_bench_counter(b, "check_failures", (double)k->check_failures);
    wl_bench_counter(b, "completed", k->completed);
    wl_bench_counter(b, "ops_checksum", (double)(m->checksum >> 12)); /* exact in a double */
    wl_bench_counter(b, "sink", (double)(k->sink & 1)); /* keeps the read-backs alive */
}

static void run_case(wl_bench *b, void *arg) {
    bench_case *k = arg;
    wl_run_benchmark(b, &sampling, k->workload->threads, run_passes, k);
}

/* Appends KEY=VALUE to one strategy's or collector's options. */
static void add_option(bench_options options, const char *name, const char *key_value) {
    size_t used = strlen(options);
    int n = snprintf(options + used, BENCH_OPTIONS_MAX - used, "%s%s", used ? "," : "", key_value);
    if (n < 0 || (size_t)n >= BENCH_OPTIONS_MAX - used) usage_error("too many options for %s%s", name, "");
}

/* Applies one --param NAME.KEY=VALUE to a workload parameter, a strategy option or a
 * collector option (the options are checked when the heaps are first opened). */
static void apply_param(const char *arg, bench_options *strategy_options, bench_options *collector_options) {
    const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
    if (!dot || !eq || dot > eq) usage_error("--param '%s' needs the form NAME.KEY=VALUE%s", arg, "");
    char name[128], key[128];
    snprintf(name, sizeof name, "%.*s", (int)(dot - arg), arg);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    wl_workload *w = wl_workload_find(name);
    if (w) {
        char buf[300];
        const char *msg = wl_param_set(w, key, eq + 1, buf, sizeof buf);
        if (msg) usage_error("%s%s", msg, "");
        return;
    }
    for (size_t i = 0; i < mm_strategy_count; i++)
        if (strcmp(mm_strategies[i]->name, name) == 0) {
            add_option(strategy_options[i], name, dot + 1);
            return;
        }
    for (size_t i = 0; i < gc_collector_count; i++)
        if (strcmp(gc_collectors[i]->name, name) == 0) {
            add_option(collector_options[i], name, dot + 1);
            return;
        }
    usage_error("--param '%s': '%s' is neither a workload nor a strategy nor a collector (see ./mmbench list)", arg, name);
}

static double parse_seconds(const char *text) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= 0 && v <= 86400))
        usage_error("--budget '%s' is not a number of seconds (0 to 86400)%s", text, "");
    return v;
}

static size_t parse_bytes(const char *text) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') usage_error("--limit '%s' is not a byte count%s", text, "");
    return (size_t)v;
}

static int parse_count(const char *flag, const char *text, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        usage_error("%s '%s' is out of range (--samples: 1 to 1000, --warmups: 0 to 1000)", flag, text);
    return (int)v;
}

/* The value of argv[*i] when it is `flag` (as "--flag=VALUE" or "--flag VALUE", moving *i
 * past the value), else NULL. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag) {
    size_t n = strlen(flag);
    const char *a = argv[*i];
    if (strncmp(a, flag, n) != 0 || (a[n] != '=' && a[n] != '\0')) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (*i + 1 >= argc) usage_error("%s needs a value%s", flag, "");
    return argv[++*i];
}

int main(int argc, char **argv) {
    static bench_options options[64], collector_options[16];
    if (mm_strategy_count > 64 || gc_collector_count > 16) usage_error("too many strategies or collectors%s%s", "", "");
    bool validate = false;
    size_t limit = 0;
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        const char *value;
        if (strcmp(argv[i], "--list-json") == 0) {
            list_json();
            return 0;
        } else if (strcmp(argv[i], "--validate") == 0) {
            validate = true;
        } else if (strcmp(argv[i], "--realtime") == 0) {
            sampling.realtime = true;
        } else if ((value = flag_value(argc, argv, &i, "--param"))) {
            apply_param(value, options, collector_options);
        } else if ((value = flag_value(argc, argv, &i, "--limit"))) {
            limit = parse_bytes(value);
        } else if ((value = flag_value(argc, argv, &i, "--budget"))) {
            sampling.budget = parse_seconds(value);
        } else if ((value = flag_value(argc, argv, &i, "--samples"))) {
            sampling.samples = parse_count("--samples", value, 1, 1000);
        } else if ((value = flag_value(argc, argv, &i, "--warmups"))) {
            sampling.warmups = parse_count("--warmups", value, 0, 1000);
        } else {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;

    for (size_t i = 0; i < wl_workload_count; i++) {
        double values[32];
        const wl_workload *w = wl_workloads[i];
        if (w->param_count > 32) usage_error("workload %s has more than 32 parameters%s", w->name, "");
        for (size_t k = 0; k < w->param_count; k++) values[k] = w->params[k].value;
        const char *msg = w->validate ? w->validate(values) : NULL;
        if (msg) usage_error("%s%s", msg, "");
    }
    static bench_case cases[64 * 64];
    size_t n = 0;
    for (size_t s = 0; s < mm_strategy_count; s++) {
        mm_error err = {{0}};
        if (mm_strategy_unavailable(mm_strategies[s])) continue; /* not registered below either */
        bench_case probe = {.strategy = mm_strategies[s], .options = options[s], .limit = limit};
        mm_heap *h = open_case(&probe, &err);
        if (h == NULL) usage_error("%s%s", err.message, "");
        mm_close(h);
    }
    gc_bench_check_options(collector_options);
    if (validate) return 0;
    for (size_t w = 0; w < wl_workload_count; w++) {
        if (wl_workloads[w]->collected) continue; /* GC workloads: gc_bench_register below */
        for (size_t s = 0; s < mm_strategy_count && n < sizeof cases / sizeof *cases; s++) {
            if (mm_strategy_unavailable(mm_strategies[s])) continue;
            if (wl_refusal(wl_workloads[w], mm_strategies[s])) continue; /* never a benchmark (--list-json says why) */
            bench_case *k = &cases[n++];
            *k = (bench_case){.workload = wl_workloads[w], .strategy = mm_strategies[s], .options = options[s],
                              .limit = limit, .budget = sampling.budget};
            for (size_t p = 0; p < k->workload->param_count; p++) k->param[p] = k->workload->params[p].value;
            char name[160];
            snprintf(name, sizeof name, "%s/%s", k->workload->name, k->strategy->name);
            wl_bench_register(name, run_case, k);
        }
    }
    gc_bench_register(options, collector_options, limit, &sampling);
    return wl_bench_main(argc, argv);
}
