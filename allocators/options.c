/* options.c — "key=value,key=value" strategy options, checked against a table. */
#include "mm.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mm_error_set(mm_error *err, const char *fmt, ...) {
    if (err == NULL) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* one line, whatever the user typed: control characters (a newline in an option
     * value, say) show as '?' */
    for (char *c = err->message; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
}

/* Parses a size with an optional K/M/G suffix (powers of 1024). */
static bool parse_size(const char *s, size_t len, size_t *out) {
    char buf[32];
    if (len == 0 || len >= sizeof buf || !isdigit((unsigned char)s[0])) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno != 0) return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10, end++;
    else if (*end == 'M' || *end == 'm') shift = 20, end++;
    else if (*end == 'G' || *end == 'g') shift = 30, end++;
    if (*end != '\0' || v > (SIZE_MAX >> shift)) return false;
    *out = (size_t)(v << shift);
    return true;
}

static void list_keys(char *buf, size_t cap, const mm_option *options, size_t count) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", options[i].key);
    if (count == 0) snprintf(buf, cap, "(none)");
}

bool mm_options_parse(const char *strategy, const char *text, const mm_option *options, size_t count,
                      mm_error *err) {
    if (text == NULL) return true;
    const char *p = text;
    while (*p) {
        const char *item_end = strchr(p, ',');
        if (item_end == NULL) item_end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(item_end - p));
        if (item_end == p) { p = *item_end ? item_end + 1 : item_end; continue; }
        if (eq == NULL) {
            mm_error_set(err, "%s: option '%.*s' needs the form key=value", strategy, (int)(item_end - p), p);
            return false;
        }
        const mm_option *opt = NULL;
        for (size_t i = 0; i < count; i++)
            if (strlen(options[i].key) == (size_t)(eq - p) && strncmp(options[i].key, p, (size_t)(eq - p)) == 0)
                opt = &options[i];
        if (opt == NULL) {
            char keys[120];
            list_keys(keys, sizeof keys, options, count);
            mm_error_set(err, "%s: unknown option '%.*s' (valid: %s)", strategy, (int)(eq - p), p, keys);
            return false;
        }
        const char *val = eq + 1;
        size_t len = (size_t)(item_end - val);
        if (opt->kind == MM_OPTION_SIZE) {
            size_t v;
            if (!parse_size(val, len, &v) || v < opt->min || v > opt->max ||
                (opt->power_of_two && !mm_is_power_of_two(v))) {
                mm_error_set(err, "%s: option %s=%.*s is invalid (want %s%zu..%zu, %s)", strategy, opt->key,
                             (int)len, val, opt->power_of_two ? "a power of two in " : "", opt->min, opt->max,
                             opt->help);
                return false;
            }
            *(size_t *)opt->value = v;
        } else {
            if (len == 0 || len >= MM_OPTION_NAME_MAX) {
                mm_error_set(err, "%s: option %s needs a name (%s)", strategy, opt->key, opt->help);
                return false;
            }
            memcpy(opt->value, val, len);
            ((char *)opt->value)[len] = '\0';
        }
        p = *item_end ? item_end + 1 : item_end;
    }
    return true;
}
