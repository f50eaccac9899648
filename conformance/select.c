/* select.c — see select.h. The list is read and checked once, on the first call. */
#include "conformance/select.h"

#include "allocators/perthread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool named_in(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0) return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static void refuse_unknown(const char *list) {
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        bool known = len == 0;
        for (size_t i = 0; i < mm_strategy_count && !known; i++)
            known = strlen(mm_strategies[i]->name) == len && strncmp(p, mm_strategies[i]->name, len) == 0;
        if (!known) {
            fprintf(stderr, "MM_TEST_STRATEGIES: unknown strategy '%.*s' (valid:", (int)len, p);
            for (size_t i = 0; i < mm_strategy_count; i++)
                fprintf(stderr, "%s %s", i ? "," : "", mm_strategies[i]->name);
            fprintf(stderr, ")\n");
            exit(2);
        }
        p += len + (p[len] == ',');
    }
}

bool mm_test_per_thread(void) {
    const char *layer = getenv("MM_TEST_LAYER");
    if (layer == NULL || *layer == '\0') return false;
    if (strcmp(layer, "per-thread") == 0) return true;
    fprintf(stderr, "MM_TEST_LAYER: unknown layer '%s' (valid: per-thread)\n", layer);
    exit(2);
}

mm_heap *mm_test_open(const mm_strategy *s, const mm_config *config, mm_error *err) {
    return mm_test_per_thread() ? mm_perthread_open(s, config, err) : mm_open(s, config, err);
}

bool mm_test_selected(const mm_strategy *s) {
    static bool checked;
    const char *list = getenv("MM_TEST_STRATEGIES");
    if (mm_test_per_thread() && ((s->caps & MM_CAP_THREADS) || !(s->caps & MM_CAP_LIMIT))) return false;
    if (list == NULL || *list == '\0') return true;
    if (!checked) refuse_unknown(list), checked = true;
    return named_in(list, s->name);
}
