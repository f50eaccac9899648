/* select.c — see select.h. The list is read and checked once, on the first call. */
#include "conformance/select.h"

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

bool mm_test_selected(const mm_strategy *s) {
    static bool checked;
    const char *list = getenv("MM_TEST_STRATEGIES");
    if (list == NULL || *list == '\0') return true;
    if (!checked) refuse_unknown(list), checked = true;
    return named_in(list, s->name);
}
