"""Fuzzing the results.json reader (harness/results.py load): libFuzzer cannot drive Python,
so this is a small seeded mutation fuzzer of its own, structure-aware and byte-level.

The reader's contract under any bytes: it returns a document whose schema is right and
whose benchmarks are objects with a string name, or it raises UserError with one line.
Anything else (a traceback) is a bug. Found this way: nesting deeper than Python's
recursion limit and integers past its 4300-digit limit escaped as RecursionError and
ValueError. Same seed, same mutations: a failure names its case number to replay.
"""
import copy
import json
import os
import random
import tempfile
import unittest

from harness import results
from harness.errors import UserError

CASES = 600
SEED = 20261121

# Values and raw texts that have broken JSON readers before.
ODD_VALUES = [None, True, 0, -1, 2 ** 70, 1e308, float("nan"), "", "x" * 10000, "\u2028", [], {}, [[]], {"name": 5}]
ODD_TEXTS = ["[" * 50000, "9" * 5000, "NaN", "-Infinity", '"\\ud800"', '"\\u0000"', "1e999", "{}" * 3, "\x00",
             '{"schema": "mmbench.results/1"', "\ufeff"]


def valid_document():
    return {
        "schema": results.SCHEMA, "created": "2026-11-21T19:00:00+00:00", "command": ["./mmbench", "run"],
        "environment": {"cpu": "test", "cores": 2}, "config": {"repetitions": 2, "params": {}, "limit": None},
        "strategies": [{"name": "bump", "summary": "s", "caps": ["check"]}],
        "workloads": [{"name": "churn", "summary": "s", "params": {"live": 500}}],
        "benchmarks": [{"name": "churn/bump", "workload": "churn", "strategy": "bump", "error": None,
                        "samples": {"ns_per_op": [1.0, 2.0]},
                        "metrics": {"ns_per_op": {"median": 1.5, "min": 1.0, "max": 2.0, "spread": 0.1, "n": 2}},
                        "raw": ["raw/churn.bump.rep1.json"]}],
    }


def containers(node, out):
    """Every dict and list inside `node` (node included)."""
    if isinstance(node, (dict, list)):
        out.append(node)
        for child in (node.values() if isinstance(node, dict) else node):
            containers(child, out)
    return out


def mutate_structure(rng, doc):
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(containers(doc, []))
        if isinstance(target, dict) and target:
            key = rng.choice(list(target))
            if rng.random() < 0.3:
                del target[key]
            else:
                target[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif isinstance(target, list) and target:
            i = rng.randrange(len(target))
            target[i] = copy.deepcopy(rng.choice(ODD_VALUES))
    return json.dumps(doc).encode()


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(4)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[at:at + rng.randint(1, 40)]
        elif kind == 2:
            data[at:at] = rng.choice(ODD_TEXTS).encode("utf-8", "surrogatepass")
        else:
            data = data[:at]
    return bytes(data)


class ResultsReaderFuzzTest(unittest.TestCase):
    def test_any_bytes_give_a_document_or_one_line(self):
        rng = random.Random(SEED)
        base = json.dumps(valid_document()).encode()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "results.json")
            for case in range(CASES):
                data = mutate_bytes(rng, base) if case % 2 else mutate_structure(rng, valid_document())
                with open(path, "wb") as f:
                    f.write(data)
                try:
                    doc = results.load(path)
                except UserError as e:
                    self.assertNotIn("\n", str(e), f"case {case}")
                    continue
                except Exception as e:  # the bug this test exists for
                    self.fail(f"case {case} (seed {SEED}): {type(e).__name__}: {str(e)[:200]}")
                self.assertEqual(doc["schema"], results.SCHEMA, f"case {case}")
                self.assertTrue(all(isinstance(b["name"], str) for b in doc["benchmarks"]), f"case {case}")


if __name__ == "__main__":
    unittest.main()
