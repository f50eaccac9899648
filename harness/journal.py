"""A run in progress: its plan and every finished measurement, each in its own file.

A run is a list of measurements decided up front (the plan). Each one, as it finishes, is
written to `measured/<benchmark>.<kind>.<n>.json` atomically, so whatever stops the run
(Ctrl-C, a crash of the harness, a power cut) the measurements already taken are whole
on disk, and `./mmbench run --resume DIR` takes only the ones that are missing.

  plan.json                 schema mmbench.plan/1: config, jobs, environment, strategies,
                            workloads (everything results.json needs besides measurements)
  measured/*.json           {job, kind, n, seconds, sample | error}; kind is gbench,
                            hyperfine or counts; seconds is how long it took
  raw/                      the tools' own output for each measurement, untouched

A job is one benchmark configuration: {name, bench, workload, strategy, params, sweep,
clock}. `name` is the key everywhere (results.json, compare, export): "W/S" for the main
benchmarks, "W/S/KEY=VALUE" for the points of a sweep. `bench` is Google Benchmark's
name ("W/S"); `params` is every --param the process gets; `clock` is ns_per_op's.

The plan's steps are the rounds of --repetitions; the runner may add rounds past them for
benchmarks not yet resolved (--max-repetitions), which are measurements like the others
(gbench, n > repetitions) and are found on disk the same way.
"""
import json
import os

from harness import metrics, results, summary
from harness.errors import UserError

PLAN_SCHEMA = "mmbench.plan/1"
INTERRUPTED = "interrupted (Ctrl-C)"


def file_key(name):
    return name.replace("/", ".")


class Journal:
    def __init__(self, folder, plan):
        self.folder = folder
        self.plan = plan

    @classmethod
    def create(cls, folder, plan):
        plan = dict(plan, schema=PLAN_SCHEMA)
        for sub in ("measured", "raw"):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        results.write_atomic(os.path.join(folder, "plan.json"), json.dumps(plan, indent=1) + "\n")
        return cls(folder, plan)

    @classmethod
    def open(cls, folder, shown):
        try:
            plan = results.read_json(os.path.join(folder, "plan.json"), "plan")
        except UserError as e:
            raise UserError(f"{shown}: plan.json is unreadable: {e}") from None
        if not isinstance(plan, dict) or plan.get("schema") != PLAN_SCHEMA or not isinstance(plan.get("jobs"), list):
            raise UserError(f"{shown}: plan.json is not an mmbench plan (schema {PLAN_SCHEMA})")
        return cls(folder, plan)

    def raw_path(self, job, kind, n, suffix="json"):
        return os.path.join(self.folder, "raw", f"{file_key(job['name'])}.{kind}.{n}.{suffix}")

    def _record_path(self, name, kind, n):
        return os.path.join(self.folder, "measured", f"{file_key(name)}.{kind}.{n}.json")

    def record(self, job, kind, n, sample=None, error=None, raw=None, seconds=None):
        entry = {"job": job["name"], "kind": kind, "n": n}
        if seconds is not None:
            entry["seconds"] = round(seconds, 3)
        if error is not None:
            entry["error"] = error
        else:
            entry["sample"] = sample
        if raw:
            entry["raw"] = os.path.relpath(raw, self.folder)
        results.write_atomic(self._record_path(job["name"], kind, n), json.dumps(entry) + "\n")

    def records(self):
        """{(job, kind, n): record} of every measurement on disk; unreadable records are ignored
        (they are only ever written whole, so such a file is not ours)."""
        found = {}
        folder = os.path.join(self.folder, "measured")
        for fname in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if fname.startswith(".") or not fname.endswith(".json"):
                continue
            try:
                with open(os.path.join(folder, fname)) as f:
                    r = json.load(f)
                found[(r["job"], r["kind"], int(r["n"]))] = r
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

    def steps(self):
        """Every measurement of the plan, in order: interleaved gbench repetitions, then one
        hyperfine series per main benchmark, then callgrind counts of every job (sweep points
        too: instructions are the exact way to see a cost grow)."""
        cfg = self.plan["config"]
        out = [(job, "gbench", rep) for rep in range(1, cfg["repetitions"] + 1) for job in self.plan["jobs"]]
        mains = [job for job in self.plan["jobs"] if not job.get("sweep")]
        if cfg.get("hyperfine_runs"):
            out += [(job, "hyperfine", 1) for job in mains]
        if cfg.get("counts"):
            out += [(job, "counts", 1) for job in self.plan["jobs"]]
        return out

    def missing(self):
        """The steps still to take: not on disk, or lost to an interruption (an extra
        round's too); a benchmark that failed for real is not run again."""
        have = self.records()
        failed = {k[0] for k, r in have.items() if r.get("error") and r["error"] != INTERRUPTED}
        jobs = {job["name"]: job for job in self.plan["jobs"]}
        steps = self.steps()
        planned = {(job["name"], kind, n) for job, kind, n in steps}
        steps += [(jobs[k[0]], k[1], k[2]) for k, r in sorted(have.items())
                  if k not in planned and k[0] in jobs and r.get("error") == INTERRUPTED]
        todo = []
        for job, kind, n in steps:
            r = have.get((job["name"], kind, n))
            if job["name"] in failed:
                continue
            if r is None or r.get("error") == INTERRUPTED:
                todo.append((job, kind, n))
        return todo

    def assemble(self, load_average_end=None):
        """results.json's content from the plan and the measurements on disk; the machine's
        load average as the measuring ended, when given, joins the plan's environment."""
        have = self.records()
        missing = self.missing()
        plan = self.plan
        entries = {"benchmarks": [], "sweep": []}
        for job in plan["jobs"]:
            mine = sorted((r for k, r in have.items() if k[0] == job["name"]), key=lambda r: (r["kind"], r["n"]))
            errors = [r["error"] for r in mine if r.get("error")]
            real = [e for e in errors if e != INTERRUPTED]
            runs = [r for r in mine if r["kind"] == "gbench" and "sample" in r]
            samples, within = {}, {}
            for r in runs:
                for k, v in r["sample"].items():
                    if k == metrics.WITHIN:
                        for key, values in v.items():
                            within.setdefault(key, []).append(values)
                    else:
                        samples.setdefault(k, []).append(v)
            for r in mine:
                if r["kind"] != "gbench" and "sample" in r:
                    for k, v in r["sample"].items():
                        samples.setdefault(k, []).extend(v if isinstance(v, list) else [v])
            lacking = sum(1 for j, _, _ in missing if j["name"] == job["name"])
            error = real[0] if real else (INTERRUPTED if errors else None)
            entry = {
                "name": job["name"], "workload": job["workload"], "strategy": job["strategy"],
                "kind": job.get("kind", "alloc"), "params": job.get("params", {}), "error": error,
                "status": "failed" if real else ("interrupted" if errors else ("incomplete" if lacking else "ok")),
                "clock": job.get("clock"),
                "samples": samples,
                "rounds": [r["n"] for r in runs],  # the repetition each benchmark sample came from
                "within": within,  # {metric: [each process's in-process samples]}, in the order of samples
                "metrics": {k: metrics.summarise(v, k, within.get(k)) for k, v in sorted(samples.items())},
                "raw": sorted(r["raw"] for r in mine if r.get("raw")),
            }
            if job.get("sweep"):
                entry["sweep"] = job["sweep"]
            entries["sweep" if job.get("sweep") else "benchmarks"].append(entry)
        data = {key: plan[key] for key in ("created", "command", "environment", "config", "strategies", "collectors", "workloads",
                                          "skipped")
                if key in plan}
        data.update(schema=results.SCHEMA, complete=not missing, missing=len(missing), **entries)
        if load_average_end is not None:
            data["environment"] = dict(data.get("environment") or {}, load_average_end=load_average_end)
        advice = summary.stability(data)
        if advice:
            data["warnings"] = [advice]
        return data
