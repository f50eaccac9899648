#!/bin/sh
# asserts_nm_test.sh OPTIMISED SANITIZED — the benchmark binary (OPTIMISED) calls no
# assert at all, and a test binary of the ASan+UBSan variant (SANITIZED) does: NDEBUG is
# defined in the one and undone in the other (bazel/defs.bzl). Prints TAP.
set -u
fails=0
echo "1..2"
if nm "$1" | grep -q '__assert_fail'; then
    echo "not ok 1 - asserts.none-in-benchmark-binary"
    echo "# $1 calls __assert_fail: the optimised build kept asserts"
    fails=$((fails + 1))
else
    echo "ok 1 - asserts.none-in-benchmark-binary"
fi
if nm "$2" | grep -q ' U __assert_fail'; then
    echo "ok 2 - asserts.kept-in-asan-build"
else
    echo "not ok 2 - asserts.kept-in-asan-build"
    echo "# $2 never calls __assert_fail: the ASan build lost its asserts"
    fails=$((fails + 1))
fi
echo "# $((2 - fails)) passed, $fails failed, 0 skipped"
[ "$fails" -eq 0 ]
