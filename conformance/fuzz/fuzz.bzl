"""mm_fuzz_target: one fuzz target, its corpus replay test, and the tag the harness finds.

    mm_fuzz_target(name = "alloc", srcs = ["alloc_fuzz.c"], deps = ["//allocators"])

makes `alloc_fuzz` (an mm_library holding the target, tagged `mm_fuzz_target`) and
`alloc_replay` (an mm_test, optimised and `_asan`, that feeds it corpus/alloc/*). Bazel's
C toolchain here is gcc, which has no libFuzzer, so the fuzzing binary itself is built by
`./mmbench test --full` (harness/full.py): it asks Bazel for the tagged libraries and the
C sources they depend on and compiles those with clang -fsanitize=fuzzer,address,undefined.
"""

load("//bazel:defs.bzl", "mm_library", "mm_test")

def mm_fuzz_target(name, srcs, deps = []):
    mm_library(
        name = name + "_fuzz",
        srcs = srcs,
        deps = deps + [":fuzz_h"],
        tags = ["mm_fuzz_target"],
    )
    mm_test(
        name = name + "_replay",
        srcs = ["replay.c"],
        deps = [":" + name + "_fuzz", "//conformance:tap"],
        data = native.glob(["corpus/" + name + "/*"]),
        args = ["conformance/fuzz/corpus/" + name],
    )
