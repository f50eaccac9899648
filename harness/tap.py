"""Counting test cases: a tally of passed, failed and skipped, and TAP lines read into it.

Every C test speaks TAP (conformance/tap.h): "ok N - name", "not ok N - name", and
"ok N - name # SKIP why". ./mmbench test (testing.py) and its --full checks (full.py)
count into one Tally, so the last line adds up everything that ran.
"""
import re

TAP_LINE = re.compile(r"^(not ok|ok) \d+ - (.*?)(?: # SKIP (.*))?$")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def add(self, outcome, name):
        """outcome: "ok", "skip" or anything else (a failure, listed by name at the end)."""
        if outcome == "ok":
            self.passed += 1
        elif outcome == "skip":
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(name)


def count_tap(text, label, tally):
    """Counts the TAP lines of one test log; returns how many failures it held."""
    failed = 0
    for line in text.splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        outcome = "not ok" if m.group(1) == "not ok" else ("skip" if m.group(3) else "ok")
        failed += outcome == "not ok"
        tally.add(outcome, f"{label}: {m.group(2)}")
    return failed
