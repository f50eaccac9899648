"""No silent skips: a peer or tool is skipped only where it is not installed; one that is
installed and does not load fails the test run, with its reason (testing.optional)."""
import os
import unittest
from unittest import mock

from harness import deps, testing
from harness.registry import Registry

PRESENT, ABSENT = (lambda: True), (lambda: False)


def optional(strategies, peers=(), programs=(), starts=None, switched_off=""):
    with mock.patch.dict(os.environ, {"MMBENCH_UNAVAILABLE": switched_off}):
        return testing.optional(strategies, peers=peers, programs=programs, starts=starts or {})


class InstalledMustLoadTest(unittest.TestCase):
    def test_this_machine_has_nothing_installed_that_does_not_load(self):
        found = testing.optional(Registry.load().strategies)
        self.assertEqual([f"{what}: {why}" for outcome, what, why in found if outcome == "not ok"], [])
        self.assertEqual(len(found), len(deps.PEERS) + len(deps.PROGRAMS))

    def test_an_installed_peer_that_does_not_load_fails_with_its_reason(self):
        why = "libjemalloc.so.2: cannot open shared object file: wrong ELF class"
        found = optional([{"name": "jemalloc", "available": False, "unavailable": why}],
                         peers=[("jemalloc", PRESENT, "libjemalloc-dev")])
        self.assertEqual(found, [("not ok", "jemalloc", "installed (Debian package libjemalloc-dev) but it does not "
                                                        f"load: {why}")])

    def test_a_peer_that_is_not_installed_is_skipped_saying_so(self):
        found = optional([{"name": "mimalloc", "available": False, "unavailable": "not found"}],
                         peers=[("mimalloc", ABSENT, "libmimalloc-dev")])
        self.assertEqual(found, [("skip", "mimalloc", "not installed here (Debian package libmimalloc-dev)")])

    def test_an_installed_peer_that_loads_passes_and_one_switched_off_is_skipped(self):
        peers = [("tcmalloc", PRESENT, "libgoogle-perftools-dev")]
        self.assertEqual(optional([{"name": "tcmalloc", "available": True}], peers=peers)[0][0], "ok")
        off = optional([{"name": "tcmalloc", "available": False, "unavailable": "off"}], peers=peers,
                       switched_off="jemalloc,tcmalloc")
        self.assertEqual(off, [("skip", "tcmalloc", "switched off by MMBENCH_UNAVAILABLE")])
        missing = optional([], peers=peers)  # installed, and the binary does not even list it
        self.assertEqual(missing[0][0], "not ok")

    def test_an_installed_tool_must_start(self):
        found = optional([], programs=[("sqlite3", PRESENT, "sqlite3"), ("hyperfine", PRESENT, "hyperfine"),
                                       ("gone", ABSENT, "gone")],
                         starts={"sqlite3": ["true"], "hyperfine": ["false"]})
        self.assertEqual([outcome for outcome, _, _ in found], ["ok", "not ok", "skip"])
        self.assertEqual(found[1][2], "installed but it does not start: 'false' exits 1: ")

    def test_every_optional_tool_has_a_way_to_start_it(self):
        self.assertEqual(sorted(testing.STARTS), sorted(what for what, _, _ in deps.PROGRAMS))


if __name__ == "__main__":
    unittest.main()
