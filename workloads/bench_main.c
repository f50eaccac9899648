/* bench_main.c — mmbench_bench: every workload × every strategy as a Google Benchmark.
 *
 *   mmbench_bench --list-json                 the registries, for the harness
 *   mmbench_bench [--param NAME.KEY=VALUE]... [--limit BYTES] [--budget SECONDS] [--validate]
 *                 [Google Benchmark flags, e.g. --benchmark_filter=^churn/pool$]
 *
 * --param sets a workload parameter (churn.live=1000), a strategy option (bump.chunk=4M)
 * or a collector option (rc-gen.threshold0=700), parsed here once for all of them. --budget caps the metered pass in seconds; the timed pass then runs
 * the same (possibly fewer) iterations and the `completed` counter says what fraction
 * (wl.h, wl_next). --validate checks names and values and exits. A user's mistake gets
 * one line on stderr and exit status 2.
 *
 * Each benchmark "W/S" runs workload W on strategy S: once metered (the first time in a
 * process, cached after, so the peaks come from a clean process heap) and then timed.
 * Counters (docs/metrics.md): peak_live, peak_footprint, footprint_at_peak, frag,
 * frag_at_peak, internal_frag, rss_peak, check_failures, completed, ops_checksum; Google Benchmark's
 * items_per_second counts allocator operations.
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
    int64_t iterations; /* timed-loop iterations both passes run: all, or what the budget allowed */
    double completed;   /* iterations / the workload's planned iterations */
    double param[32]; /* the workload's parameter values, read at registration */
    bool measured;
    wl_meter meter;
    size_t check_failures;
} bench_case;

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
        printf(", \"threads\": %d, \"params\": [", w->threads);
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

static bool run_pass(bench_case *k, wl_bench *b, wl_ctx *c) {
    mm_error err = {{0}};
    memset(c, 0, sizeof *c);
    c->config = case_config(k);
    c->heap = open_case(k, &err);
    if (c->heap == NULL) {
        wl_bench_fail(b, err.message);
        return false;
    }
    c->param = k->param;
    c->iterations = k->measured ? k->iterations : k->workload->iterations(k->param);
    return true;
}

static void run_case(wl_bench *b, void *arg) {
    bench_case *k = arg;
    wl_ctx c;
    if (!k->measured) {
        if (!run_pass(k, b, &c)) return;
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
            return;
        }
        k->measured = true;
    }
    if (!run_pass(k, b, &c)) return;
    c.bench = b;
    k->workload->run(&c);
    k->check_failures += mm_check(c.heap);
    mm_close(c.heap);
    if (c.error) {
        wl_bench_fail(b, c.error);
        return;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const wl_meter *m = &k->meter;
    wl_bench_set_items(b, c.ops);
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
    wl_bench_counter(b, "sink", (double)(c.sink & 1)); /* keeps the read-backs alive */
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

int main(int argc, char **argv) {
    static bench_options options[64], collector_options[16];
    if (mm_strategy_count > 64 || gc_collector_count > 16) usage_error("too many strategies or collectors%s%s", "", "");
    bool validate = false;
    size_t limit = 0;
    double budget = 0;
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        if (strcmp(a, "--list-json") == 0) {
            list_json();
            return 0;
        } else if (strcmp(a, "--validate") == 0) {
            validate = true;
        } else if (strcmp(a, "--param") == 0 || strcmp(a, "--limit") == 0 || strcmp(a, "--budget") == 0) {
            if (i + 1 >= argc) usage_error("%s needs a value%s", a, "");
            value = argv[++i];
        } else if (strncmp(a, "--param=", 8) == 0 || strncmp(a, "--limit=", 8) == 0) {
            value = a + 8;
        } else if (strncmp(a, "--budget=", 9) == 0) {
            value = a + 9;
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        if (value && strncmp(a, "--param", 7) == 0) apply_param(value, options, collector_options);
        else if (value && strncmp(a, "--budget", 8) == 0) budget = parse_seconds(value);
        else if (value) limit = parse_bytes(value);
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
            bench_case *k = &cases[n++];
            *k = (bench_case){.workload = wl_workloads[w], .strategy = mm_strategies[s], .options = options[s],
                              .limit = limit, .budget = budget};
            for (size_t p = 0; p < k->workload->param_count; p++) k->param[p] = k->workload->params[p].value;
            char name[160];
            snprintf(name, sizeof name, "%s/%s", k->workload->name, k->strategy->name);
            wl_bench_register(name, run_case, k, k->workload->iterations(k->param));
        }
    }
    gc_bench_register(options, collector_options, limit);
    return wl_bench_main(argc, argv);
}
