/* registry.c — the strategy registry, expanded from strategies.def, and mm_open. */
#include "mm.h"

#include <string.h>

#define MM_STRATEGY(id) extern const mm_strategy mm_##id;
#include "strategies.def"
#undef MM_STRATEGY

const mm_strategy *const mm_strategies[] = {
#define MM_STRATEGY(id) &mm_##id,
#include "strategies.def"
#undef MM_STRATEGY
};
const size_t mm_strategy_count = sizeof mm_strategies / sizeof mm_strategies[0];

const mm_strategy *mm_strategy_find(const char *name) {
    for (size_t i = 0; i < mm_strategy_count; i++)
        if (strcmp(mm_strategies[i]->name, name) == 0) return mm_strategies[i];
    return NULL;
}

const char *mm_strategy_unavailable(const mm_strategy *s) { return s->unavailable ? s->unavailable() : NULL; }

mm_heap *mm_open(const mm_strategy *s, const mm_config *config, mm_error *err) {
    static const mm_config defaults = {0, NULL};
    mm_heap *h = s->open(config ? config : &defaults, err);
    if (h != NULL) h->strategy = s;
    return h;
}
