/* replay.c — the `replay` workload: a recorded trace (workloads/trace/) replayed through a
 * strategy, call for call, in the recorded order.
 *
 * Vocabulary
 *   program   the trace turned into replay ops with dense block ids (trace.h); loaded once
 *             per process (cached), outside every timed region.
 *   round     one replay of the whole program followed by freeing the blocks the program
 *             left alive; one timed iteration is one round. Every op of a round (the
 *             leftover frees included) is an operation in ns_per_op.
 *
 * Invariants
 *   ptr[id] is the live block of id, or NULL; size[id] its requested size;
 *   after a round every ptr[id] is NULL again (so each round starts from the same state).
 * A calloc is replayed as alloc + zero fill (the interface has no calloc; the fill is the
 * work a strategy without pre-zeroed memory pays). Threads are replayed in their recorded
 * interleaving on one heap (heaps are single-threaded).
 */
#include "workloads/trace/trace.h"
#include "workloads/wl.h"

#include <stdio.h>
#include <string.h>

enum { P_TRACE, P_MIN_OPS };

static wl_param replay_params[] = {
    [P_TRACE] = {"trace", "trace file to replay (binary or text; ./mmbench trace record makes one)", .text = ""},
    [P_MIN_OPS] = {"min_ops", "timed operations at least: whole rounds are repeated until reached", 1000000, 1, 1e10,
                   true},
};

static struct {
    char path[4096];
    bool tried, ok;
    wl_replay_prog program;
    char error[4400];
} cache;

/* Loads (once) the trace named by replay.trace; NULL when ready, else a one-line error. */
static const char *replay_program(const wl_replay_prog **out) {
    const char *path = replay_params[P_TRACE].text;
    if (!path[0]) return "replay.trace is not set: record a trace with ./mmbench trace record, then --param replay.trace=FILE";
    if (!cache.tried || strcmp(cache.path, path) != 0) {
        if (cache.ok) wl_replay_free(&cache.program);
        snprintf(cache.path, sizeof cache.path, "%s", path);
        wl_trace_error err = {0};
        cache.tried = true;
        cache.ok = wl_replay_load(path, &cache.program, false, &err);
        if (!cache.ok)
            snprintf(cache.error, sizeof cache.error, "%s: byte %llu: %s", path, (unsigned long long)err.offset,
                     err.message);
    }
    *out = &cache.program;
    return cache.ok ? NULL : cache.error;
}

static int64_t round_ops(const wl_replay_prog *p) { return (int64_t)(p->count + p->leftover); }

static int64_t replay_iterations(const double *param) {
    const wl_replay_prog *p;
    if (replay_program(&p)) return 1;
    int64_t per = round_ops(p), want = (int64_t)param[P_MIN_OPS];
    return (want + per - 1) / per;
}

/* An unset trace is fine until the workload is run; a bad one is refused at once. */
static const char *replay_validate(const double *param) {
    (void)param;
    const wl_replay_prog *p;
    return replay_params[P_TRACE].text[0] ? replay_program(&p) : NULL;
}

static inline __attribute__((always_inline)) void replay_body(wl_ctx *c, const bool metered) {
    const wl_replay_prog *p;
    if ((c->error = replay_program(&p)) != NULL) return;
    const size_t ids = p->ids;
    void **ptr = wl_scratch_alloc(ids * sizeof *ptr);
    uint64_t *size = wl_scratch_alloc(ids * sizeof *size);
    if (!ptr || !size) {
        c->error = "no memory for the block table";
        goto out;
    }
    const wl_replay_op *op = p->ops, *end = p->ops + p->count;
    int64_t left = c->iterations;
    while (wl_next(c, &left)) {
        for (const wl_replay_op *o = op; o < end; o++) {
            const uint32_t id = o->id;
            switch (o->kind) {
            case WL_REPLAY_ALLOC:
                ptr[id] = wl_alloc_aligned(c, o->size, o->align_log2 ? (size_t)1 << o->align_log2 : 0, metered);
                if (!ptr[id]) goto out;
                size[id] = o->size;
                break;
            case WL_REPLAY_CALLOC:
                if (!(ptr[id] = wl_alloc(c, o->size, metered))) goto out;
                memset(ptr[id], 0, o->size);
                size[id] = o->size;
                break;
            case WL_REPLAY_REALLOC: {
                void *q = wl_realloc(c, ptr[id], size[id], o->size, metered);
                if (!q) goto out;
                ptr[id] = q;
                size[id] = o->size;
                break;
            }
            default:
                wl_free(c, ptr[id], size[id], metered);
                ptr[id] = NULL;
            }
        }
        for (size_t id = 0; id < ids; id++)
            if (ptr[id]) {
                wl_free(c, ptr[id], size[id], metered);
                ptr[id] = NULL;
            }
    }
    c->ops = c->iterations * round_ops(p);
out:
    if (ptr && size)
        for (size_t id = 0; id < ids; id++)
            if (ptr[id]) wl_free(c, ptr[id], size[id], metered);
    wl_scratch_free(ptr, ids * sizeof *ptr);
    wl_scratch_free(size, ids * sizeof *size);
}

WL_PASSES(replay_run, replay_body)

wl_workload wl_replay = {
    .name = "replay",
    .summary = "a recorded program's allocation calls, replayed call for call (replay.trace=FILE)",
    .origin = "a real trace recorded by ./mmbench trace record (LD_PRELOAD recorder); threads interleaved as recorded",
    .threads = 1,
    .params = replay_params,
    .param_count = sizeof replay_params / sizeof replay_params[0],
    .iterations = replay_iterations,
    .validate = replay_validate,
    .run = replay_run,
};
