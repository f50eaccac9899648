/* wl.c — the workload registry, parameters, scratch memory and the meter. */
#include "workloads/wl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

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

double wl_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
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
