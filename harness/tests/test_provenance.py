"""Where a run's binaries came from: the source tree (commit, dirty flag, a hash of the
uncommitted changes) recorded in results.json, and --resume refusing to finish a run
from another tree."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import env, journal
from harness.tests.support import error_line, mmbench


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                            GIT_COMMITTER_EMAIL="t@t"))


def write(root, name, text):
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class SourceTreeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        git(self.root, "init", "-q")
        write(self.root, ".gitignore", "/results/runs/\n")
        write(self.root, "a.c", "int a;\n")
        git(self.root, "add", ".")
        git(self.root, "commit", "-q", "-m", "one")

    def test_a_clean_tree_is_its_commit(self):
        tree = env.source_tree(self.root)
        self.assertRegex(tree["git_revision"], "^[0-9a-f]{40}$")
        self.assertEqual((tree["git_dirty"], "git_diff_sha256" in tree), (False, False))

    def test_changes_make_it_dirty_and_their_hash_tells_them_apart(self):
        write(self.root, "a.c", "int a = 1;\n")
        first = env.source_tree(self.root)
        self.assertTrue(first["git_dirty"])
        self.assertEqual(env.source_tree(self.root), first)  # the same changes, the same hash
        write(self.root, "a.c", "int a = 2;\n")
        second = env.source_tree(self.root)
        self.assertNotEqual(second["git_diff_sha256"], first["git_diff_sha256"])
        self.assertIn("uncommitted changes", env.same_tree(first, second))
        self.assertIsNone(env.same_tree(second, second))

    def test_an_untracked_source_counts_and_results_do_not(self):
        write(self.root, "results/reference/results.json", "{}\n")  # results/ is not source
        write(self.root, "results/runs/x/plan.json", "{}\n")        # nor is an ignored file
        self.assertFalse(env.source_tree(self.root)["git_dirty"])
        write(self.root, "b.c", "int b;\n")
        tree = env.source_tree(self.root)
        self.assertTrue(tree["git_dirty"])
        write(self.root, "b.c", "int b = 1;\n")  # its content, not only its name
        self.assertNotEqual(env.source_tree(self.root)["git_diff_sha256"], tree["git_diff_sha256"])

    def test_outside_a_checkout_there_is_no_revision(self):
        with tempfile.TemporaryDirectory() as bare:
            self.assertEqual(env.source_tree(bare), {"git_revision": None, "git_dirty": None})

    def test_a_file_parameter_is_recorded_by_content(self):
        write(self.root, "t.mmtrace", "calls")
        digests = env.input_digests({"replay.trace": os.path.join(self.root, "t.mmtrace"), "churn.live": "5"})
        self.assertEqual(list(digests), ["replay.trace"])
        self.assertRegex(digests["replay.trace"], "^[0-9a-f]{64}$")


class ResumeTest(unittest.TestCase):
    def test_resume_refuses_a_run_of_another_tree(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "run.partial")
            os.mkdir(folder)
            recorded = dict(env.source_tree(), git_revision="0" * 40)
            plan = {"schema": journal.PLAN_SCHEMA, "jobs": [], "environment": recorded,
                    "config": {"repetitions": 1}}
            with open(os.path.join(folder, "plan.json"), "w") as f:
                json.dump(plan, f)
            done = mmbench("run", "--resume", os.path.join(tmp, "run"))
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn("the run was started from 000000000000", error_line(done))
            self.assertIn("check that tree out again", error_line(done))
            self.assertEqual(sorted(os.listdir(folder)), ["plan.json"])  # nothing touched


if __name__ == "__main__":
    unittest.main()
