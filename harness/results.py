"""Results folders: created whole or not at all, and read back with clear errors.

A run writes into DIR.partial and renames it to DIR when it is done (or interrupted with
something measured: see runner.py), so a half-taken run never sits under the name the
user asked for, and an existing DIR is never touched. DIR.partial is where
`--resume DIR` finds a run whose harness died. Single files are written atomically too (temporary
file in the same folder, then rename).

results.json (schema "mmbench.results/1"):
  schema, created, command, environment{...}, complete, missing, warnings[...],
  elapsed_seconds (the command's time from its start, build check and replay trace
  included, to its charts drawn: all but writing the files),
  config{repetitions, warmup, params, limit, hyperfine_runs, counts, sweep[...]},
  strategies[{name, summary, caps}], workloads[{name, summary, params{...}}],
  benchmarks[{name, workload, strategy, params, error, status,
              samples{metric: [values]}, rounds[the repetition of each ns_per_op sample],
              metrics{metric: {median, mean, stddev, min, max, spread, n, unstable}},
              raw[files]}],
  sweep[same as benchmarks, plus sweep{param, value}]
status is ok, failed (error says why: a crash names its signal), interrupted or
incomplete. Readers ignore fields they do not know.
"""
import json
import os
import shutil
import tempfile

from harness.errors import UserError

SCHEMA = "mmbench.results/1"


def file_mode():
    """The mode open() gives a new file under the process's umask (0644 under the usual
    022): mkstemp's temporary files are 0600, and a results file must be as readable as
    any other the user writes."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        os.fchmod(fd, file_mode())
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
        self.dir = f"{self.out}.partial"
        if os.path.exists(self.dir):
            raise UserError(f"--out {out}: an unfinished run is in {self.dir}; finish it with "
                            f"./mmbench run --resume {out}, or delete it")
        try:
            os.mkdir(self.dir)
        except OSError as e:
            raise UserError(f"--out {out}: cannot write in {parent}: {e.strerror}") from None

    def __enter__(self):
        return self.dir

    def publish(self):
        os.rename(self.dir, self.out)

    def discard(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.publish()
        else:
            self.discard()
        return False


def read_json(path, what="results file"):
    """The JSON in `path`, or a one-line UserError saying what is wrong with it."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise UserError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read: {e}") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}") from None
    except (ValueError, RecursionError) as e:  # a number past Python's digit limit; nesting too deep
        raise UserError(f"{path}: not valid JSON: {str(e)[:100]}") from None


def load(path):
    """Reads a results.json (or a folder holding one); UserError if it is not one."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    data = read_json(path)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise UserError(f"{path}: not an mmbench results file (schema {repr(found)[:60]}, want {SCHEMA!r})")
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list) or not all(isinstance(b, dict) and isinstance(b.get("name"), str)
                                                   for b in benchmarks):
        raise UserError(f"{path}: 'benchmarks' must be a list of objects with a name")
    return data


def by_round(entry, key):
    """{round: sample} of one benchmark's metric `key` (one the benchmark process reports
    every repetition: not hyperfine's or callgrind's), from `rounds`, the repetition each
    sample came from; {} for results written before rounds were recorded."""
    values, rounds = (entry.get("samples") or {}).get(key, []), entry.get("rounds", [])
    return dict(zip(rounds, values)) if len(rounds) == len(values) else {}
