/* gc_workloads_test.c — every GC workload of workloads.def (`collected`) on every heap of
 * the collector x allocator matrix (gc_matrix_list), run directly and small.
 *
 * Claims, each a TAP case "gc_workloads.<workload>[<heap>]" that can fail:
 *   - the run finishes without an error (a workload checks its own work as it goes:
 *     weakcache, that every lookup finds its entry alive and, where a dropped value dies at
 *     once, that its weakref's callback ran exactly once), does the same number of
 *     operations on every heap, and leaves the collector's invariants whole (check() == 0);
 *   - weakcache: 2 objects per entry filled and per step (a value and its weakref), and,
 *     where the collector frees by itself (manual, rc, rc-gen: the cache holds no cycle),
 *     nothing alive once the run has dropped its cache;
 *   - service and prefork: 2 objects per record built and per request (service: and per
 *     record replaced, so more), and where the collector finds cycles exactly (rc-gen,
 *     rc-inc) or the program frees them (manual), nothing alive after the run's final
 *     collection; prefork's state was frozen and unfrozen on the way.
 */
#include "allocators/gc/gc.h"
#include "conformance/tap.h"
#include "workloads/gc_leaks.h"
#include "workloads/wl.h"

#include <stdio.h>
#include <string.h>

/* Small values for whichever of these parameters a workload has. */
static const struct {
    const char *key, *value;
} SMALL[] = {
    {"depth", "6"}, {"runs", "2"},     {"rings", "20"}, {"objects", "2000"},
    {"steps", "3000"}, {"live", "300"}, {"passes", "1"}, {"records", "300"}, {"requests", "3000"},
};

static const wl_param *param_named(const wl_workload *w, const char *key) {
    for (size_t i = 0; i < w->param_count; i++)
        if (strcmp(w->params[i].name, key) == 0) return &w->params[i];
    return NULL;
}

static double param_of(const wl_workload *w, const char *key) { return param_named(w, key)->value; }

int main(void) {
    gc_matrix_heap heaps[256];
    size_t n = gc_matrix_list(GC_MATRIX_ALL, heaps, 256);
    if (!EXPECT(n <= 256, "the matrix has %zu heaps, this test room for 256", n)) return tap_finish();
    for (size_t k = 0; k < wl_workload_count; k++) {
        wl_workload *w = wl_workloads[k];
        if (!w->collected) continue;
        for (size_t i = 0; i < sizeof SMALL / sizeof *SMALL; i++) {
            char buf[300];
            const char *value = strcmp(w->name, "pymix-gc") == 0 && strcmp(SMALL[i].key, "steps") == 0
                                    ? "2000" /* pymix's steps come in thousands */
                                    : SMALL[i].value;
            if (param_named(w, SMALL[i].key))
                EXPECT(wl_param_set(w, SMALL[i].key, value, buf, sizeof buf) == NULL, "%s.%s=%s: %s", w->name,
                       SMALL[i].key, value, buf);
        }
        double param[32];
        for (size_t p = 0; p < w->param_count; p++) param[p] = w->params[p].value;
        int64_t first_ops = -1;
        for (size_t i = 0; i < n; i++) {
            tap_case("gc_workloads.%s[%s]", w->name, heaps[i].name);
            mm_error err = {{0}};
            gc_heap *h = gc_open_named(heaps[i].name, NULL, &err);
            if (!EXPECT(h != NULL, "%s opens: %s", heaps[i].name, err.message)) continue;
            wl_ctx c;
            memset(&c, 0, sizeof c);
            c.gc = h;
            c.heap = h->alloc;
            c.param = param;
            c.iterations = w->iterations(param);
            GC_LEAKS_EXPECTED_BEGIN(GC_LEAKS_CYCLES(h->collector->caps)); /* rings, pymix-gc: rc's leaks */
            w->run(&c);
            GC_LEAKS_EXPECTED_END(GC_LEAKS_CYCLES(h->collector->caps));
            EXPECT(c.error == NULL, "%s on %s: %s", w->name, heaps[i].name, c.error);
            if (first_ops < 0) first_ops = c.ops;
            EXPECT(c.ops > 0 && c.ops == first_ops, "%lld operations (the first heap did %lld)", (long long)c.ops,
                   (long long)first_ops);
            EXPECT(gc_check(h) == 0, "check() found %zu broken invariants", gc_check(h));
            if (strcmp(w->name, "weakcache") == 0) {
                int64_t want = 2 * (int64_t)(param_of(w, "live") + param_of(w, "steps")) * (int64_t)param_of(w, "runs");
                EXPECT(c.ops == want, "a value and a weakref per entry filled and per step: %lld, want %lld",
                       (long long)c.ops, (long long)want);
                gc_stats s;
                gc_stats_get(h, &s);
                if (h->collector->caps & (GC_CAP_COUNTS | GC_CAP_DELETE))
                    EXPECT(s.objects_live == 0, "the cache dropped, nothing is alive (%llu)",
                           (unsigned long long)s.objects_live);
            }
            if (strcmp(w->name, "service") == 0 || strcmp(w->name, "prefork") == 0) {
                int64_t base = 2 * (int64_t)(param_of(w, "records") + param_of(w, "requests")) *
                               (int64_t)param_of(w, "runs");
                bool service = strcmp(w->name, "service") == 0;
                EXPECT(service ? c.ops > base : c.ops == base, "2 objects per record and request%s: %lld, base %lld",
                       service ? ", plus the replacements" : "", (long long)c.ops, (long long)base);
                gc_stats s;
                gc_stats_get(h, &s);
                if (h->collector->caps & (GC_CAP_EXACT | GC_CAP_DELETE))
                    EXPECT(s.objects_live == 0, "the state dropped and collected, nothing is alive (%llu)",
                           (unsigned long long)s.objects_live);
                EXPECT(gc_live_in_generation(h, GC_LIST_PERMANENT) == 0, "nothing is left frozen");
            }
            gc_close(h);
        }
    }
    return tap_finish();
}
