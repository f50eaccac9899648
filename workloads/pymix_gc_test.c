/* pymix_gc_test.c — the Python-like object mix driven through the collector interface
 * (workload pymix-gc, pymix.c), on every collector over every allocator strategy (boehm
 * over its own allocator). Each pass is run directly, metered and small.
 *
 * Vocabulary
 *   heap      "COLLECTOR/STRATEGY" (or "boehm"), opened with gc_open_named.
 *   outcome   what one pass left: the op-stream checksum, objects created, the collector's
 *             statistics taken after the run (objects_live = what is still alive: leaked)
 *             and its check().
 * Claims, each a TAP case that can fail:
 *   - pymix_gc.same_stream[heap]: the same seed gives the op stream of pymix on the
 *     allocator interface (the same checksum) and the same number of objects on every
 *     heap; nothing failed; check() == 0 afterwards.
 *   - pymix_gc.seed_matters: another seed gives another checksum.
 *   - pymix_gc.cycles[heap]: what each collector does with the cycles the model drops:
 *     rc-gen collects them (collected > 0, nothing uncollectable, nothing alive at the
 *     end); rc leaks them and counts them (alive at the end > 0, and at least every
 *     object rc-gen had to collect, since both free the rest by counting); manual
 *     deletes everything; boehm ran at least its exit collection.
 */
#include "allocators/gc/gc.h"
#include "conformance/tap.h"
#include "workloads/gc_leaks.h"
#include "workloads/wl.h"

#include <stdio.h>
#include <string.h>


typedef struct outcome {
    bool ran;
    uint64_t checksum;
    int64_t ops;
    const char *error;
    size_t check;
    gc_stats stats;
} outcome;

static double *values(wl_workload *w, double *param) {
    for (size_t i = 0; i < w->param_count; i++) param[i] = w->params[i].value;
    return param;
}

/* Under LeakSanitizer, the run of a collector that leaks cycles by design (rc) is exempt:
 * the memory of what it leaked is unreachable for good, and that is what the test asserts. */
static outcome run_gc(wl_workload *w, const char *heap, bool leaks_by_design) {
    outcome o = {0};
    double param[32];
    mm_error err = {{0}};
    gc_config cfg = {0};
    gc_heap *h = gc_open_named(heap, &cfg, &err);
    if (!EXPECT(h != NULL, "%s opens: %s", heap, err.message)) return o;
    wl_ctx c;
    memset(&c, 0, sizeof c);
    c.gc = h;
    c.heap = h->alloc;
    c.param = values(w, param);
    c.iterations = w->iterations(param);
    GC_LEAKS_EXPECTED_BEGIN(leaks_by_design);
    w->run(&c);
    GC_LEAKS_EXPECTED_END(leaks_by_design);
    o.ran = true;
    o.checksum = c.meter.checksum;
    o.ops = c.ops;
    o.error = c.error;
    gc_stats_get(h, &o.stats);
    o.check = gc_check(h);
    gc_close(h);
    return o;
}

static uint64_t allocator_checksum(wl_workload *pymix) {
    double param[32];
    mm_error err = {{0}};
    mm_config cfg = {0};
    wl_ctx c;
    memset(&c, 0, sizeof c);
    c.heap = mm_open(mm_strategies[0], &cfg, &err);
    if (!EXPECT(c.heap != NULL, "%s opens: %s", mm_strategies[0]->name, err.message)) return 0;
    c.param = values(pymix, param);
    c.iterations = pymix->iterations(param);
    pymix->run(&c);
    EXPECT(c.error == NULL, "pymix on %s: %s", mm_strategies[0]->name, c.error);
    mm_close(c.heap);
    return c.meter.checksum;
}

static void set(wl_workload *w, const char *key, const char *value) {
    char buf[300];
    const char *msg = wl_param_set(w, key, value, buf, sizeof buf);
    EXPECT(msg == NULL, "%s.%s=%s is accepted: %s", w->name, key, value, msg ? msg : "");
}

static uint64_t sum3(const uint64_t *v) { return v[0] + v[1] + v[2]; }

int main(void) {
    wl_workload *pymix = wl_workload_find("pymix"), *gc = wl_workload_find("pymix-gc");
    if (!EXPECT(pymix && gc && gc->collected && !pymix->collected, "pymix and pymix-gc are registered, as kinds"))
        return tap_finish();
    for (int i = 0; i < 2; i++) {
        wl_workload *w = i ? gc : pymix;
        set(w, "steps", "20000");
        set(w, "objects", "3000");
    }

    gc_matrix_heap heaps[256];
    size_t n = gc_matrix_list(GC_MATRIX_ALL, heaps, 256);
    if (!EXPECT(n <= 256, "the matrix has %zu heaps, this test room for 256", n)) return tap_finish();

    uint64_t expected = allocator_checksum(pymix);
    outcome first = {0}, rc = {0}, rc_gen = {0};
    for (size_t i = 0; i < n; i++) {
        tap_case("pymix_gc.same_stream[%s]", heaps[i].name);
        const unsigned caps = heaps[i].collector->caps;
        outcome o = run_gc(gc, heaps[i].name, GC_LEAKS_CYCLES(caps));
        if (!o.ran) continue;
        if (!first.ran) first = o;
        EXPECT(o.error == NULL, "%s: %s", heaps[i].name, o.error);
        EXPECT(o.checksum == expected, "%s: checksum %llx, pymix's is %llx", heaps[i].name, (unsigned long long)o.checksum,
               (unsigned long long)expected);
        EXPECT(o.ops == first.ops && o.ops > 0, "%s created %lld objects, %s %lld", heaps[i].name, (long long)o.ops,
               heaps[0].name, (long long)first.ops);
        EXPECT(o.check == 0, "%s: %zu broken invariants afterwards", heaps[i].name, o.check);

        tap_case("pymix_gc.cycles[%s]", heaps[i].name);
        const gc_stats *s = &o.stats;
        if (caps & GC_CAP_DELETE) {
            EXPECT(s->objects_live == 0, "manual deleted everything (%llu alive)", (unsigned long long)s->objects_live);
        } else if ((caps & GC_CAP_COUNTS) && (caps & GC_CAP_CYCLES)) {
            EXPECT(sum3(s->collected) > 0, "rc-gen collected the dropped cycles");
            EXPECT(sum3(s->uncollectable) == 0, "no finalizers: nothing uncollectable");
            EXPECT(s->objects_live == 0, "nothing alive at exit (%llu)", (unsigned long long)s->objects_live);
            if (!rc_gen.ran) rc_gen = o;
        } else if (caps & GC_CAP_COUNTS) {
            EXPECT(s->objects_live > 0, "rc leaks the dropped cycles");
            EXPECT(sum3(s->collections) == 0 && sum3(s->collected) == 0, "rc never collects");
            if (!rc.ran) rc = o;
        } else {
            EXPECT(s->collections[GC_GENERATIONS - 1] >= 1, "boehm ran its exit collection");
        }
    }

    tap_case("pymix_gc.rc_leaks_what_rc_gen_collects");
    if (EXPECT(rc.ran && rc_gen.ran, "rc and rc-gen ran")) {
        /* Both free by counting alike; rc-gen's collections count the tracked objects of
         * the dropped cycles (slotless blocks go with them by count), rc leaks them all. */
        EXPECT(rc.stats.objects_live >= sum3(rc_gen.stats.collected) && sum3(rc_gen.stats.collected) > 0,
               "rc leaked %llu, rc-gen collected %llu", (unsigned long long)rc.stats.objects_live,
               (unsigned long long)sum3(rc_gen.stats.collected));
        EXPECT(rc.stats.objects_allocated == rc_gen.stats.objects_allocated, "the same objects: %llu and %llu",
               (unsigned long long)rc.stats.objects_allocated, (unsigned long long)rc_gen.stats.objects_allocated);
    }

    tap_case("pymix_gc.seed_matters");
    set(gc, "seed", "43");
    outcome other = run_gc(gc, heaps[0].name, false);
    EXPECT(other.ran && other.error == NULL && other.checksum != first.checksum, "seed 43 gives seed 42's checksum");
    return tap_finish();
}
