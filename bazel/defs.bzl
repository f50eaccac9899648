"""Macros every BUILD file uses: one place for warnings, and the sanitizer variants.

mm_library and mm_test expand each target into two: the optimised one (`name`, asserts
compiled out) and one built with AddressSanitizer + UBSan, asserts on, debug fills and
validators (`name_asan`), whose deps are the
`_asan` variants of the same libraries. So `bazel test //...` runs every test both ways in
one invocation, with no --config switching and no rebuilds between them.
"""

MM_COPTS = [
    "-std=c11",
    "-D_DEFAULT_SOURCE",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wstrict-prototypes",
    "-Wno-missing-field-initializers",
]

SANITIZE = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]

# The sanitizer variant keeps every assert: --compilation_mode=opt (.bazelrc) puts -DNDEBUG
# on every command line before the target's copts, and -UNDEBUG after it takes it off
# again. MM_DEBUG adds the debug fills and the debug-only validators (pool.c, fit.c,
# allocators/gc/rc_gen.c). The optimised variant, which the benchmarks link, has neither.
# conformance/asserts_test.c and asserts_nm_test.sh hold both builds to this.
VARIANTS = [
    ("", [], []),
    ("_asan", SANITIZE + ["-UNDEBUG", "-DMM_DEBUG", "-O1", "-g"], SANITIZE),
]

# ThreadSanitizer cannot share a build with ASan: a third variant (`name_tsan`, asserts
# on), made only for the targets that ask for it with `tsan = True` (and their deps).
TSAN_VARIANT = ("_tsan", ["-fsanitize=thread", "-UNDEBUG", "-DMM_DEBUG", "-O1", "-g"], ["-fsanitize=thread"])

def _variants(tsan):
    return VARIANTS + ([TSAN_VARIANT] if tsan else [])

def _variant_label(label, suffix):
    """`//a/b` and `//a/b:c` and `:c` -> the same label with `suffix` on the target name."""
    if not suffix:
        return label
    if ":" in label:
        return label + suffix
    return label + ":" + label.split("/")[-1] + suffix

def mm_library(name, deps = [], copts = [], linkopts = [], tsan = False, **kwargs):
    """A C library in its optimised and sanitizer variants (and `name_tsan` with `tsan`)."""
    for suffix, extra_copts, extra_linkopts in _variants(tsan):
        native.cc_library(
            name = name + suffix,
            deps = [_variant_label(d, suffix) for d in deps],
            copts = MM_COPTS + copts + extra_copts,
            linkopts = linkopts + extra_linkopts,
            **kwargs
        )

def mm_test(name, deps = [], copts = [], linkopts = [], tsan = False, **kwargs):
    """A C test in its optimised and sanitizer variants (`name`, `name_asan`; `name_tsan`
    with `tsan`, whose deps must have it too)."""
    for suffix, extra_copts, extra_linkopts in _variants(tsan):
        native.cc_test(
            name = name + suffix,
            linkstatic = 1,
            deps = [_variant_label(d, suffix) for d in deps],
            copts = MM_COPTS + copts + extra_copts,
            linkopts = linkopts + extra_linkopts,
            **kwargs
        )

def mm_binary(name, copts = [], **kwargs):
    """An optimised C binary (benchmarks, tools)."""
    native.cc_binary(name = name, copts = MM_COPTS + copts, **kwargs)
