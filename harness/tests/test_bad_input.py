"""Every row of docs/bad-input.md that names a command, run as a user would run it.

The table is the test's data, so the page and the behaviour cannot drift apart: a row
added to the page is tested from then on, and a message changed in the code fails here
until the page says the same.
"""
import os
import re
import shlex
import subprocess
import tempfile
import unittest

from harness import paths
from harness.tests.support import MMBENCH

PAGE = os.path.join(paths.ROOT, "docs", "bad-input.md")
ROW = re.compile(r"^\|(?P<input>[^|]*)\|\s*`(?P<cmd>[^`]+)`\s*\|\s*(?P<exit>\d+)\s*\|\s*`(?P<message>[^`]+)`\s*\|\s*$")
ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def rows(text):
    """[(input, command, exit status, message)] for every table row with a command to try."""
    found = []
    for line in text.splitlines():
        m = ROW.match(line.strip())
        if m:
            found.append((m["input"].strip(), m["cmd"], int(m["exit"]), m["message"]))
    return found


def snapshot(folder):
    state = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(base, name)
            state[os.path.relpath(path, folder)] = os.path.getsize(path) if os.path.isfile(path) else None
    return state


def run_row(command, scratch):
    """Runs one row's command with {file}/{existing}/{newline} filled in; returns the CompletedProcess."""
    words = [w.format(file=os.path.join(scratch, "a-file"), existing=os.path.join(scratch, "existing"), newline="\n")
             for w in shlex.split(command)]
    env = dict(os.environ)
    while words and ENV.match(words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    program = MMBENCH if words[0] == "./mmbench" else os.path.join(paths.ROOT, words[0])
    return subprocess.run([program, *words[1:]], capture_output=True, text=True, env=env, timeout=300,
                          cwd=paths.ROOT, stdin=subprocess.DEVNULL)


class BadInputTableTest(unittest.TestCase):
    def test_the_table_is_read(self):
        with open(PAGE) as f:
            found = rows(f.read())
        self.assertGreaterEqual(len(found), 30, "docs/bad-input.md lost its rows, or this parser broke")
        self.assertTrue(all(status == 2 for _, _, status, _ in found), "every tried row is a user's mistake")

    def test_every_row(self):
        with open(PAGE) as f:
            found = rows(f.read())
        for what, command, status, message in found:
            with self.subTest(input=what, command=command), tempfile.TemporaryDirectory() as scratch:
                with open(os.path.join(scratch, "a-file"), "w") as f:
                    f.write("precious")
                os.mkdir(os.path.join(scratch, "existing"))
                before = snapshot(scratch)
                done = run_row(command, scratch)
                lines = [l for l in done.stderr.splitlines() if l.strip() and not l.startswith("mmbench: building ")]
                self.assertEqual(done.returncode, status, done.stderr)
                self.assertNotIn("Traceback", done.stderr)
                self.assertEqual(len(lines), 1, f"want one line on stderr, got: {lines}")
                self.assertIn(message, lines[0])
                self.assertEqual(snapshot(scratch), before, "a bad input wrote something")


if __name__ == "__main__":
    unittest.main()
