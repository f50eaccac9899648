"""Results folders: created whole or not at all, and read back with clear errors.

A run writes into DIR.partial-<pid> and renames it to DIR when everything is written, so
an interrupted run never leaves a half-written folder under the name the user asked for,
and an existing DIR is never touched. Single files are written atomically too (temporary
file in the same folder, then rename).

results.json (schema "mmbench.results/1"):
  schema, created, command, environment{...}, config{repetitions, params, limit},
  strategies[{name, summary, caps}], workloads[{name, summary, params{...}}],
  benchmarks[{name, workload, strategy, error, samples{metric: [per repetition]},
              metrics{metric: {median, min, max, spread, n}}, raw[files]}]
Readers ignore fields they do not know.
"""
import json
import os
import shutil
import tempfile

from harness.errors import UserError

SCHEMA = "mmbench.results/1"


def write_atomic(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Staging:
    """A results folder being written: `with Staging(out) as dir: ...` publishes on success."""

    def __init__(self, out):
        self.out = os.path.abspath(out)
        if os.path.exists(self.out):
            raise UserError(f"--out {out} already exists; results are never overwritten, choose another folder")
        parent = os.path.dirname(self.out)
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise UserError(f"--out {out}: cannot create {parent}: {e.strerror}") from None
        self.dir = f"{self.out}.partial-{os.getpid()}"
        try:
            os.mkdir(self.dir)
        except OSError as e:
            raise UserError(f"--out {out}: cannot write in {parent}: {e.strerror}") from None

    def __enter__(self):
        return self.dir

    def __exit__(self, kind, value, tb):
        if kind is None:
            os.rename(self.dir, self.out)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


def load(path):
    """Reads a results.json (or a folder holding one); UserError if it is not one."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UserError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read: {e}") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}") from None
    except (ValueError, RecursionError) as e:  # a number past Python's digit limit; nesting too deep
        raise UserError(f"{path}: not valid JSON: {str(e)[:100]}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise UserError(f"{path}: not an mmbench results file (schema {repr(found)[:60]}, want {SCHEMA!r})")
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list) or not all(isinstance(b, dict) and isinstance(b.get("name"), str)
                                                   for b in benchmarks):
        raise UserError(f"{path}: 'benchmarks' must be a list of objects with a name")
    return data
