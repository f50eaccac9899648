/* options_test.c — strategy options: sizes with suffixes, ranges, names, clear errors. */
#include "allocators/mm.h"
#include "conformance/tap.h"

#include <string.h>

int main(void) {
    size_t arena = 1, pool = 2;
    char fallback[MM_OPTION_NAME_MAX] = "system";
    const mm_option opts[] = {
        {"arena", MM_OPTION_SIZE, "arena bytes", 4096, (size_t)1 << 30, true, &arena},
        {"pool", MM_OPTION_SIZE, "pool bytes", 1, 100, false, &pool},
        {"fallback", MM_OPTION_NAME, "a strategy name", 0, 0, false, fallback},
    };
    mm_error err = {{0}};

    tap_case("options.parse");
    EXPECT(mm_options_parse("t", NULL, opts, 3, &err), "NULL means defaults");
    EXPECT(mm_options_parse("t", "arena=2M,pool=99,fallback=bump", opts, 3, &err), "valid: %s", err.message);
    EXPECT(arena == (2u << 20) && pool == 99 && strcmp(fallback, "bump") == 0, "values stored");
    EXPECT(mm_options_parse("t", "arena=64k,", opts, 3, &err) && arena == 65536, "k suffix, trailing comma");

    tap_case("options.errors");
    static const char *const bad[] = {"arena", "arena=3M", "arena=1G1", "pool=101", "pool=-1", "pool=", "colour=red",
                                      "arena=99999999999999999999G", "fallback="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.message[0] = '\0';
        EXPECT(!mm_options_parse("t", bad[i], opts, 3, &err), "'%s' must be refused", bad[i]);
        EXPECT(strncmp(err.message, "t: ", 3) == 0 && strchr(err.message, '\n') == NULL,
               "'%s': one line naming the strategy, got '%s'", bad[i], err.message);
    }
    mm_options_parse("t", "colour=red", opts, 3, &err);
    EXPECT(strstr(err.message, "arena, pool, fallback") != NULL, "unknown key lists the valid ones: %s", err.message);
    return tap_finish();
}
