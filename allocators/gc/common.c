/* common.c — what every collector shares: the registry (from collectors.def), the
 * collector × allocator matrix (and its default part), opening by name, the one way an
 * unsupported operation fails, the pause histogram and statistics.
 *
 * Vocabulary
 *   heap name   "COLLECTOR/STRATEGY" ("rc-gen/system"); a collector with its own
 *               allocator (GC_CAP_OWN_ALLOCATOR: boehm) is named alone ("boehm").
 *   bucket      the pause histogram is log-linear: values below 16 ns have a bucket each;
 *               above, each power of two is cut into 16 equal buckets. A percentile is
 *               reported as the upper edge of its bucket (at most 1/16 above the truth).
 */
#define _POSIX_C_SOURCE 200809L
#include "allocators/gc/gc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const gc_collector *const gc_collectors[] = {
#define GC_COLLECTOR(id) &gc_##id,
#include "allocators/gc/collectors.def"
#undef GC_COLLECTOR
};
const size_t gc_collector_count = sizeof gc_collectors / sizeof gc_collectors[0];

/* THE default matrix: every collector over each of these allocators in a default run:
 * glibc's malloc, and pool, the allocator CPython's objects really live in. */
const char *const gc_default_allocators[] = {"system", "pool", NULL};

static bool is_default_allocator(const mm_strategy *s) {
    for (size_t i = 0; gc_default_allocators[i]; i++)
        if (strcmp(gc_default_allocators[i], s->name) == 0) return true;
    return false;
}

size_t gc_matrix_list(gc_matrix which, gc_matrix_heap *out, size_t cap) {
    size_t n = 0;
    for (size_t c = 0; c < gc_collector_count; c++) {
        const gc_collector *col = gc_collectors[c];
        bool own = col->caps & GC_CAP_OWN_ALLOCATOR;
        for (size_t s = 0; s < (own ? 1 : mm_strategy_count); s++) {
            const mm_strategy *strategy = own ? NULL : mm_strategies[s];
            if (strategy && mm_strategy_unavailable(strategy)) continue;
            bool in_default = strategy == NULL || is_default_allocator(strategy);
            if (which == GC_MATRIX_DEFAULT && !in_default) continue;
            if (n < cap) {
                out[n] = (gc_matrix_heap){.collector = col, .strategy = strategy, .in_default = in_default};
                if (strategy) snprintf(out[n].name, sizeof out[n].name, "%s/%s", col->name, strategy->name);
                else snprintf(out[n].name, sizeof out[n].name, "%s", col->name);
            }
            n++;
        }
    }
    return n;
}

void gc_unsupported(const gc_heap *heap, const char *operation) {
    fprintf(stderr, "%s: %s is not supported by this collector (gc.h, \"Contract\")\n", heap->collector->name,
            operation);
    abort();
}

void gc_delete_unsupported(gc_heap *heap, gc_object *o) {
    (void)o;
    gc_unsupported(heap, "gc_delete (explicit delete, GC_CAP_DELETE)");
}

const gc_type gc_weakref_type = {.name = "weakref", .slots = 0};

const gc_collector *gc_collector_find(const char *name) {
    for (size_t i = 0; i < gc_collector_count; i++)
        if (strcmp(gc_collectors[i]->name, name) == 0) return gc_collectors[i];
    return NULL;
}

uint64_t gc_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t hist_index(uint64_t ns) {
    if (ns < GC_HIST_SUB) return (size_t)ns;
    unsigned top = 63u - (unsigned)__builtin_clzll(ns); /* >= 4 */
    uint64_t sub = (ns >> (top - 4)) & (GC_HIST_SUB - 1);
    size_t i = (size_t)(top - 3) * GC_HIST_SUB + (size_t)sub;
    return i < GC_HIST_BUCKETS ? i : GC_HIST_BUCKETS - 1;
}

static uint64_t hist_upper(size_t i) {
    if (i < GC_HIST_SUB) return i;
    unsigned top = (unsigned)(i / GC_HIST_SUB) + 3;
    uint64_t sub = i % GC_HIST_SUB;
    return ((GC_HIST_SUB + sub + 1) << (top - 4)) - 1;
}

void gc_hist_record(gc_hist *h, uint64_t ns) {
    h->count++;
    h->total_ns += ns;
    if (ns > h->max_ns) h->max_ns = ns;
    h->bucket[hist_index(ns)]++;
}

uint64_t gc_hist_percentile(const gc_hist *h, double fraction) {
    if (h->count == 0) return 0;
    uint64_t want = (uint64_t)(fraction * (double)h->count + 0.999999);
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < GC_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= want) {
            uint64_t up = hist_upper(i);
            return up < h->max_ns ? up : h->max_ns;
        }
    }
    return h->max_ns;
}

void gc_pause_record(gc_heap *h, uint64_t ns, bool collection) {
    gc_hist_record(&h->pauses, ns);
    h->stats.gc_ns += ns;
    if (!collection) return;
    gc_hist_record(&h->collection_pauses, ns);
    h->stats.collection_ns += ns;
}

bool gc_option_choice(const char *collector, const char *key, const char *value, const char *choices, int *index,
                      mm_error *err) {
    const size_t len = strlen(value);
    int i = 0;
    for (const char *c = choices;; i++) {
        const char *bar = strchr(c, '|');
        const size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (n == len && strncmp(c, value, n) == 0) {
            *index = i;
            return true;
        }
        if (!bar) break;
        c = bar + 1;
    }
    mm_error_set(err, "%s: option %s=%s is invalid (want one of %s)", collector, key, value, choices);
    return false;
}

void gc_heap_init(gc_heap *h, const gc_collector *c, mm_heap *alloc) {
    memset(h, 0, sizeof *h);
    h->collector = c;
    h->alloc = alloc;
    h->enabled = true;
}

void gc_count_nothing(gc_heap *heap, gc_object *o) {
    (void)heap;
    (void)o;
}

void gc_store_plain(gc_heap *heap, gc_object *holder, size_t slot, gc_object *value) {
    (void)heap;
    holder->slot[slot] = value;
}

void gc_root_nothing(gc_heap *heap, gc_object **where) {
    (void)heap;
    (void)where;
}

size_t gc_collect_nothing(gc_heap *heap, int generation) {
    (void)heap;
    (void)generation;
    return 0;
}

size_t gc_no_generations(gc_heap *heap, int generation) {
    (void)heap;
    (void)generation;
    return 0;
}

size_t gc_freeze_nothing(gc_heap *heap) {
    (void)heap;
    return 0;
}

gc_object *gc_weakref_target(gc_heap *heap, gc_object *weakref) {
    (void)heap;
    return gc_weak_of(weakref)->target;
}

void gc_stats_get(gc_heap *h, gc_stats *out) {
    *out = h->stats;
    out->objects_live = out->objects_allocated - out->objects_freed;
    out->pauses = h->pauses.count;
    out->pause_max_ns = h->pauses.max_ns;
    out->pause_p50_ns = gc_hist_percentile(&h->pauses, 0.50);
    out->pause_p99_ns = gc_hist_percentile(&h->pauses, 0.99);
    out->collection_pauses = h->collection_pauses.count;
    out->collection_pause_max_ns = h->collection_pauses.max_ns;
    out->collection_pause_p50_ns = gc_hist_percentile(&h->collection_pauses, 0.50);
    out->collection_pause_p99_ns = gc_hist_percentile(&h->collection_pauses, 0.99);
}

gc_heap *gc_open(const gc_collector *c, mm_heap *alloc, const gc_config *config, mm_error *err) {
    static const gc_config defaults = {0};
    if (!(c->caps & GC_CAP_OWN_ALLOCATOR) && alloc == NULL) {
        mm_error_set(err, "%s needs an allocator (name it as %s/STRATEGY)", c->name, c->name);
        return NULL;
    }
    gc_heap *h = c->open((c->caps & GC_CAP_OWN_ALLOCATOR) ? NULL : alloc, config ? config : &defaults, err);
    if (h) h->collector = c;
    return h;
}

void gc_close(gc_heap *h) {
    mm_heap *alloc = h->owns_alloc ? h->alloc : NULL;
    h->collector->close(h);
    if (alloc) mm_close(alloc);
}

static void list_names(char *buf, size_t cap) {
    size_t used = 0;
    for (size_t i = 0; i < gc_collector_count && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", gc_collectors[i]->name);
}

gc_heap *gc_open_named(const char *name, const gc_config *config, mm_error *err) {
    static const gc_config defaults = {0};
    if (config == NULL) config = &defaults;
    char collector[64];
    const char *slash = strchr(name, '/');
    size_t len = slash ? (size_t)(slash - name) : strlen(name);
    snprintf(collector, sizeof collector, "%.*s", (int)len, name);
    const gc_collector *c = gc_collector_find(collector);
    if (c == NULL) {
        char names[160];
        list_names(names, sizeof names);
        mm_error_set(err, "unknown collector '%s' (valid: %s)", collector, names);
        return NULL;
    }
    if (c->caps & GC_CAP_OWN_ALLOCATOR) {
        if (slash) {
            mm_error_set(err, "%s runs over its own allocator: name it '%s' alone", c->name, c->name);
            return NULL;
        }
        return gc_open(c, NULL, config, err);
    }
    if (!slash) {
        mm_error_set(err, "'%s' needs an allocator: name it %s/STRATEGY (e.g. %s/system)", name, c->name, c->name);
        return NULL;
    }
    const mm_strategy *s = mm_strategy_find(slash + 1);
    if (s == NULL) {
        mm_error_set(err, "unknown allocator '%s' in '%s' (see ./mmbench list)", slash + 1, name);
        return NULL;
    }
    mm_config mc = {.limit = config->limit, .options = config->alloc_options};
    mm_heap *alloc = mm_open(s, &mc, err);
    if (alloc == NULL) return NULL;
    gc_heap *h = gc_open(c, alloc, config, err);
    if (h == NULL) {
        mm_close(alloc);
        return NULL;
    }
    h->owns_alloc = true;
    return h;
}
