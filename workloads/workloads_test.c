/* workloads_test.c — determinism and health of every workload on every strategy.
 *
 * A workload's metered pass (the one the meter watches) is run directly, small. The
 * claims checked, per workload and preset:
 *   - the same seed gives the same operation stream: ops_checksum and peak_live are equal
 *     on every strategy and on a second run;
 *   - another seed gives another stream (a different checksum);
 *   - the heap is healthy afterwards (check() == 0) and nothing failed;
 * and the text-valued parameters refuse what is not one of their choices.
 */
#include "allocators/mm.h"
#include "conformance/tap.h"
#include "workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct outcome {
    uint64_t checksum;
    size_t peak_live;
    int64_t ops;
    const char *error;
    size_t check;
} outcome;

static outcome run_metered(wl_workload *w, const mm_strategy *s) {
    outcome o = {0};
    double param[32];
    for (size_t i = 0; i < w->param_count; i++) param[i] = w->params[i].value;
    mm_error err = {{0}};
    mm_config cfg = {0};
    wl_ctx c;
    memset(&c, 0, sizeof c);
    c.heap = mm_open(s, &cfg, &err);
    if (!EXPECT(c.heap != NULL, "%s opens: %s", s->name, err.message)) return o;
    c.param = param;
    c.iterations = w->iterations(param);
    w->run(&c);
    o.checksum = c.meter.checksum;
    o.peak_live = c.meter.peak_live;
    o.ops = c.ops;
    o.error = c.error;
    o.check = mm_check(c.heap);
    mm_close(c.heap);
    return o;
}

static void set(wl_workload *w, const char *key, const char *value) {
    char buf[300];
    const char *msg = wl_param_set(w, key, value, buf, sizeof buf);
    EXPECT(msg == NULL, "%s.%s=%s is accepted: %s", w->name, key, value, msg ? msg : "");
}

static void check_deterministic(wl_workload *w, const char *label) {
    tap_case("workloads.deterministic[%s]", label);
    outcome first = run_metered(w, mm_strategies[0]);
    EXPECT(first.error == NULL, "%s on %s: %s", label, mm_strategies[0]->name, first.error);
    EXPECT(first.ops > 0 && first.peak_live > 0, "%s does work (ops %lld, peak live %zu)", label, (long long)first.ops,
           first.peak_live);
    for (size_t i = 0; i < mm_strategy_count; i++) {
        if (mm_strategy_unavailable(mm_strategies[i])) continue; /* a peer not installed here */
        outcome o = run_metered(w, mm_strategies[i]);
        const char *name = mm_strategies[i]->name;
        EXPECT(o.error == NULL, "%s on %s: %s", label, name, o.error);
        EXPECT(o.checksum == first.checksum, "%s: %s's checksum %llx differs from %llx", label, name,
               (unsigned long long)o.checksum, (unsigned long long)first.checksum);
        EXPECT(o.peak_live == first.peak_live, "%s: %s's peak live %zu differs from %zu", label, name, o.peak_live,
               first.peak_live);
        EXPECT(o.ops == first.ops, "%s: %s did %lld operations, not %lld", label, name, (long long)o.ops,
               (long long)first.ops);
        EXPECT(o.check == 0, "%s: %s's heap has %zu broken invariants afterwards", label, name, o.check);
    }
    outcome again = run_metered(w, mm_strategies[0]);
    EXPECT(again.checksum == first.checksum, "%s: a second run gives the same checksum", label);

    tap_case("workloads.seed_matters[%s]", label);
    char buf[300], seed[32];
    wl_param *sp = NULL;
    for (size_t i = 0; i < w->param_count; i++)
        if (strcmp(w->params[i].name, "seed") == 0) sp = &w->params[i];
    if (!EXPECT(sp != NULL, "%s has a seed", w->name)) return;
    double old = sp->value;
    snprintf(seed, sizeof seed, "%.0f", old + 1);
    EXPECT(wl_param_set(w, "seed", seed, buf, sizeof buf) == NULL, "seed=%s", seed);
    outcome other = run_metered(w, mm_strategies[0]);
    EXPECT(other.checksum != first.checksum, "%s: seed %s gives the checksum of seed %.0f", label, seed, old);
    sp->value = old;
}

int main(void) {
    wl_workload *churn = wl_workload_find("churn"), *gen = wl_workload_find("gen"), *pymix = wl_workload_find("pymix");
    if (!EXPECT(churn && gen && pymix, "churn, gen and pymix are registered")) return tap_finish();
    set(churn, "live", "500");
    set(churn, "steps", "5000");
    check_deterministic(churn, "churn");

    set(gen, "ops", "20000");
    set(gen, "live", "800");
    static const char *const presets[] = {"steady", "stack", "queue", "server", "batch", "python"};
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++) {
        char label[64];
        snprintf(label, sizeof label, "gen.%s", presets[i]);
        set(gen, "preset", presets[i]);
        check_deterministic(gen, label);
    }

    /* sizes=trace: the empirical histogram of a (text) trace */
    const char *msg;
    char path[] = "/tmp/mmbench-hist-XXXXXX";
    int fd = mkstemp(path);
    if (EXPECT(fd >= 0, "a temporary file")) {
        const char text[] = "mmtrace 1\nmalloc 24 0x100\nmalloc 4000 0x200\nfree 0x100\nmalloc 100 0x300\n";
        EXPECT(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1), "written");
        close(fd);
        set(gen, "sizes", "trace");
        set(gen, "hist", path);
        double values[32];
        for (size_t i = 0; i < gen->param_count; i++) values[i] = gen->params[i].value;
        msg = gen->validate(values);
        EXPECT(msg == NULL, "a readable histogram trace validates: %s", msg ? msg : "");
        check_deterministic(gen, "gen.sizes=trace");
        unlink(path);
    }

    set(pymix, "steps", "20000");
    set(pymix, "objects", "3000");
    check_deterministic(pymix, "pymix");

    tap_case("workloads.text_params_refuse_unknown_choices");
    char buf[300];
    msg = wl_param_set(gen, "preset", "nonesuch", buf, sizeof buf);
    EXPECT(msg && strstr(msg, "gen.preset=nonesuch is invalid") && strstr(msg, "steady"), "message: %s", msg ? msg : "");
    msg = wl_param_set(gen, "lifetime", "forever", buf, sizeof buf);
    EXPECT(msg && strstr(msg, "lifo|fifo|random|mixed"), "message names the choices: %s", msg ? msg : "");
    EXPECT(strcmp(gen->params[1].text, "trace") == 0, "a refused value leaves the old one");
    return tap_finish();
}
