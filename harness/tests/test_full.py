"""The pieces of `./mmbench test --full` (harness/full.py), cheaply: the fuzz targets are
found through Bazel, the real allocator target builds with clang and runs, and a planted
failure is reported with its saved input. The long runs themselves are --full's job."""
import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import deps, full, tap

HAVE_FUZZER = not deps.missing(deps.FULL)


class FuzzTargetsTest(unittest.TestCase):
    def test_targets_and_their_sources_come_from_bazel(self):
        targets = dict(full.fuzz_targets())
        self.assertEqual(targets.get("alloc"), "//conformance/fuzz:alloc_fuzz")
        sources = full.fuzz_sources(targets["alloc"])
        self.assertIn("conformance/fuzz/alloc_fuzz.c", sources)
        self.assertIn("allocators/registry.c", sources)  # the registry: every strategy comes along
        self.assertFalse([s for s in sources if not s.endswith(".c")])

    def test_every_target_has_a_corpus(self):
        for name, _ in full.fuzz_targets():
            corpus = os.path.join(full.paths.ROOT, "conformance", "fuzz", "corpus", name)
            self.assertTrue(os.path.isdir(corpus) and os.listdir(corpus), f"corpus/{name} is missing or empty")

    def test_in_house_is_every_strategy_but_system_and_the_peers(self):
        class Fake:
            strategies = [{"name": "system", "caps": ["free"]},
                          {"name": "bump", "caps": ["check", "limit", "exact_footprint"]},
                          {"name": "pool", "caps": ["free", "check", "limit"]},
                          {"name": "jemalloc", "caps": ["free"], "library": "/lib/libjemalloc.so.2"},
                          {"name": "gone", "caps": ["free"], "available": False, "unavailable": "missing"}]
        self.assertEqual(full.in_house(Fake), ["bump", "pool"])
        env = full.memcheck_env(Fake, {"MMBENCH_UNAVAILABLE": "x"})
        self.assertEqual(env["MM_TEST_STRATEGIES"], "bump,pool")
        self.assertEqual(env["MMBENCH_UNAVAILABLE"], "x,jemalloc,gone", "peers are not even loaded")


@unittest.skipUnless(HAVE_FUZZER, "clang or libFuzzer is not installed (./mmbench test --full installs them)")
class FuzzRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mmbench-fuzz-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_the_allocator_target_builds_and_fuzzes(self):
        binary = os.path.join(self.tmp, "alloc_fuzzer")
        self.assertIsNone(full.build_fuzzer(full.fuzz_sources("//conformance/fuzz:alloc_fuzz"), binary))
        corpus = os.path.join(full.paths.ROOT, "conformance", "fuzz", "corpus", "alloc")
        before = sorted(os.listdir(corpus))
        ok, detail = full.run_fuzzer(binary, corpus, 2, self.tmp)
        self.assertTrue(ok, detail)
        self.assertRegex(detail, r"^\d+ inputs in 2 s$")
        self.assertEqual(sorted(os.listdir(corpus)), before, "the committed corpus is never written")

    def test_a_planted_failure_is_reported_with_its_input(self):
        target = os.path.join(self.tmp, "planted.c")
        with open(target, "w") as f:
            f.write('#include "conformance/fuzz/fuzz.h"\n'
                    "size_t fuzz_variant_count(void) { return 0; }\n"
                    'const char *fuzz_variant_name(size_t v) { (void)v; return ""; }\n'
                    "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {\n"
                    "    if (size >= 2 && data[0] == '!' && data[1] == '?') FUZZ_FAIL(\"planted: %zu bytes\", size);\n"
                    "    return 0;\n}\n")
        binary = os.path.join(self.tmp, "planted_fuzzer")
        self.assertIsNone(full.build_fuzzer([target], binary))
        corpus = os.path.join(self.tmp, "seeds")
        os.mkdir(corpus)
        with open(os.path.join(corpus, "seed"), "wb") as f:
            f.write(b"!?x")
        ok, detail = full.run_fuzzer(binary, corpus, 5, os.path.join(self.tmp, "scratch"))
        self.assertFalse(ok)
        self.assertIn("planted: 3 bytes", detail)
        self.assertIn("input saved as", detail)


@unittest.skipUnless(shutil.which("valgrind") and shutil.which("gcc"), "valgrind is not installed")
class MemcheckTest(unittest.TestCase):
    def test_a_planted_memory_error_fails_even_when_every_case_passes(self):
        with tempfile.TemporaryDirectory() as tmp:
            source, binary = os.path.join(tmp, "planted.c"), os.path.join(tmp, "planted")
            with open(source, "w") as f:
                f.write("#include <stdio.h>\n#include <stdlib.h>\n"
                        "int main(void) { int *p = malloc(4 * sizeof *p); free(p);\n"
                        "  printf(\"ok 1 - planted%s\\n1..1\\n\", p[1] == 7 ? \"\" : \" \"); return 0; }\n")
            subprocess.run(["gcc", "-g", "-O0", "-o", binary, source], check=True)
            tally = tap.Tally()
            with contextlib.redirect_stdout(io.StringIO()):
                status = full.memcheck(binary, "planted", tally)
        self.assertEqual(status, 99)
        self.assertEqual((tally.passed, tally.failed), (1, 1))
        self.assertIn("Invalid read", tally.failures[0])


if __name__ == "__main__":
    unittest.main()
