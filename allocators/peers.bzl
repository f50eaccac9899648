"""The peers as their users run them, in tests: each with its library preloaded.

mm_test_with_peers(name, srcs, deps, ...) makes mm_test's `name` and `name_asan`, plus
`name_jemalloc`, `name_mimalloc` and `name_tcmalloc`: the optimised test with LD_PRELOAD
naming the peer's library (so the peer is the process's malloc, allocators/peers.c) and
MM_TEST_STRATEGIES naming the peer (conformance/select.h), so a suite covers that peer
alone. The peers have no sanitizer variant: AddressSanitizer replaces malloc itself, so no
peer can be the process's malloc under it; `name_asan` reports the peers as skipped with
that reason.
"""

load("//bazel:defs.bzl", "MM_COPTS", "mm_test")

# Each peer's library, by the name LD_PRELOAD looks up as the loader does. peers.c names
# the same files; peers_test_<peer> fails where the two disagree.
PEER_LIBRARIES = {
    "jemalloc": "libjemalloc.so.2",
    "mimalloc": "libmimalloc.so.2",
    "tcmalloc": "libtcmalloc_minimal.so.4",
}

def mm_test_with_peers(name, srcs, deps, **kwargs):
    """mm_test (kwargs go to it alone), and one preloaded optimised test per peer."""
    mm_test(name = name, srcs = srcs, deps = deps, **kwargs)
    for peer, library in PEER_LIBRARIES.items():
        native.cc_test(
            name = name + "_" + peer,
            srcs = srcs,
            deps = deps,
            copts = MM_COPTS,
            linkstatic = 1,
            env = {
                "LD_PRELOAD": library,
                "MM_TEST_STRATEGIES": peer,
            },
        )
