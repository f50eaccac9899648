/* wl.c — the workload registry, parameters, scratch memory, the meter, and the timed
 * passes' clocks and sampling (wl.h: wl_timer, wl_sample_passes). */
#include "workloads/wl.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* ./mmbench run --counts: the timer switches callgrind's collection on and off around the
 * timed loop (valgrind belongs to the build: harness/deps.py). */
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define WL_COLLECT_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#else
#define WL_COLLECT_TOGGLE() ((void)0)
#endif

#define WL_WORKLOAD(id) extern wl_workload wl_##id;
#include "workloads/workloads.def"
#undef WL_WORKLOAD

wl_workload *const wl_workloads[] = {
#define WL_WORKLOAD(id) &wl_##id,
#include "workloads/workloads.def"
#undef WL_WORKLOAD
};
const size_t wl_workload_count = sizeof wl_workloads / sizeof wl_workloads[0];

wl_workload *wl_workload_find(const char *name) {
    for (size_t i = 0; i < wl_workload_count; i++)
        if (strcmp(wl_workloads[i]->name, name) == 0) return wl_workloads[i];
    return NULL;
}

const char *wl_refusal(const wl_workload *w, const mm_strategy *s) {
    return w->refuses_no_free && !(s->caps & MM_CAP_FREE) ? w->refuses_no_free : NULL;
}

const char *wl_param_set(wl_workload *w, const char *name, const char *text, char *buf, size_t cap) {
    wl_param *p = NULL;
    for (size_t i = 0; i < w->param_count; i++)
        if (strcmp(w->params[i].name, name) == 0) p = &w->params[i];
    if (p == NULL) {
        size_t used = (size_t)snprintf(buf, cap, "workload %s has no parameter '%s' (valid:", w->name, name);
        for (size_t i = 0; i < w->param_count && used < cap; i++)
            used += (size_t)snprintf(buf + used, cap - used, " %s", w->params[i].name);
        if (used < cap) snprintf(buf + used, cap - used, ")");
        return buf;
    }
    if (p->text) {
        const char *old = p->text;
        p->text = text;
        if (p->choices && wl_param_choice(p) < 0) {
            p->text = old;
            snprintf(buf, cap, "%s.%s=%s is invalid: want one of %s (%s)", w->name, name, text, p->choices, p->help);
            return buf;
        }
        p->set = true;
        return NULL;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v < p->min || v > p->max ||
        (p->integer && v != floor(v))) {
        snprintf(buf, cap, "%s.%s=%s is invalid: want %s from %.15g to %.15g (%s)", w->name, name, text,
                 p->integer ? "a whole number" : "a number", p->min, p->max, p->help);
        return buf;
    }
    p->value = v;
    p->set = true;
    return NULL;
}

int wl_param_choice(const wl_param *p) {
    if (!p->text || !p->choices) return -1;
    size_t n = strlen(p->text);
    int index = 0;
    for (const char *c = p->choices;; index++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && strncmp(c, p->text, n) == 0) return index;
        if (!bar) return -1;
        c = bar + 1;
    }
}

static double seconds_of(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double wl_now(void) { return seconds_of(CLOCK_MONOTONIC); }

/* The clocks are read outside callgrind's collection, so the count is the loop's alone. */
void wl_timer_start(wl_timer *t) {
    t->running = true;
    t->cpu0 = seconds_of(CLOCK_PROCESS_CPUTIME_ID);
    t->wall0 = wl_now();
    if (t->collects) WL_COLLECT_TOGGLE();
}

void wl_timer_stop(wl_timer *t) {
    if (!t->running) return;
    if (t->collects) WL_COLLECT_TOGGLE();
    double wall = wl_now(), cpu = seconds_of(CLOCK_PROCESS_CPUTIME_ID);
    t->running = false;
    t->wall_ns = (wall - t->wall0) * 1e9;
    t->cpu_ns = (cpu - t->cpu0) * 1e9;
}

/* SCHED_FIFO at its lowest priority for the calling thread, and threads it starts later;
 * false where the system does not allow it. */
static bool realtime_on(void) {
    struct sched_param p = {.sched_priority = sched_get_priority_min(SCHED_FIFO)};
    return sched_setscheduler(0, SCHED_FIFO, &p) == 0;
}

static void realtime_off(void) {
    struct sched_param p = {.sched_priority = 0};
    sched_setscheduler(0, SCHED_OTHER, &p);
}

bool wl_realtime_suspend(void) {
    if (sched_getscheduler(0) != SCHED_FIFO) return false;
    realtime_off();
    return true;
}

void wl_realtime_resume(bool suspended) {
    if (suspended) realtime_on();
}

bool wl_sample_passes(wl_bench *b, const wl_sampling *how, wl_pass_fn pass, void *arg) {
    int64_t ops = 0;
    int taken = 0;
    double spent = 0;
    for (int w = 0; w < how->warmups; w++) {
        wl_timer timer = {0};
        const char *error = NULL;
        if (pass(arg, &timer, &error) < 0) {
            wl_bench_fail(b, error);
            return false;
        }
    }
    while (taken < how->samples && (taken == 0 || how->budget <= 0 || spent < how->budget)) {
        wl_timer timer = {.collects = true};
        const char *error = NULL;
        double started = wl_now();
        int64_t n = pass(arg, &timer, &error);
        spent += wl_now() - started;
        if (n < 0) {
            wl_bench_fail(b, error);
            return false;
        }
        if (n == 0) {
            wl_bench_fail(b, "the timed loop did no operations");
            return false;
        }
        taken++;
        ops += n;
        char name[48];
        snprintf(name, sizeof name, "wall_ns_per_op.%d", taken);
        wl_bench_counter(b, name, timer.wall_ns / (double)n);
        snprintf(name, sizeof name, "cpu_ns_per_op.%d", taken);
        wl_bench_counter(b, name, timer.cpu_ns / (double)n);
    }
    wl_bench_counter(b, "samples", taken);
    wl_bench_counter(b, "ops", (double)ops);
    return true;
}

void wl_run_benchmark(wl_bench *b, const wl_sampling *how, int threads, void (*run)(wl_bench *b, void *arg),
                      void *arg) {
    bool realtime = how->realtime && threads == 1 && realtime_on();
    run(b, arg);
    if (realtime) realtime_off();
    wl_bench_counter(b, "realtime", realtime);
}

void *wl_scratch_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void wl_scratch_free(void *p, size_t bytes) {
    if (p) munmap(p, bytes ? bytes : 1);
}

void wl_meter_sample(wl_ctx *c) {
    wl_meter *m = &c->meter;
    mm_stats st;
    mm_stats_get(c->heap, &st);
    if (st.footprint > m->peak_footprint) m->peak_footprint = st.footprint;
    if (st.peak_footprint > m->peak_footprint) m->peak_footprint = st.peak_footprint;
    if (m->live > m->peak_live) {
        m->peak_live = m->live;
        m->footprint_at_peak = st.footprint;
        m->usable_at_peak = m->live_usable;
    }
}
