"""The launcher's count of harness tests: a failing subtest must count as a failure.

unittest reports a failed subtest through addSubTest only (neither addFailure nor
addSuccess follows), so a result class that counts only those would pass a run whose
table-driven tests (test_bad_input.py) fail."""
import contextlib
import os
import unittest

from harness import tap, testing


class TallyTest(unittest.TestCase):
    def test_a_failing_subtest_is_a_failure(self):
        class Sample(unittest.TestCase):  # inside, so discovery does not run it on its own
            def test_rows(self):
                for i in range(3):
                    with self.subTest(row=i):
                        self.assertNotEqual(i, 1)

        tally = tap.Tally()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Sample)
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            unittest.TextTestRunner(stream=devnull,
                                    resultclass=lambda s, d, v: testing._Result(s, d, v, tally)).run(suite)
        self.assertEqual(tally.failed, 1)
        self.assertIn("row=1", tally.failures[0])


if __name__ == "__main__":
    unittest.main()
