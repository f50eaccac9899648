"""The command line's vocabulary: argument types, and the run options, declared once.

Argument types turn text into a value or raise argparse.ArgumentTypeError, which the
parser reports as one line (cli.Parser). RUN_OPTIONS are the options of a measured run,
shared by `run` and `trace replay` with one set of defaults: an option a suite sets is
None when left out and takes its suite's value (plan.SUITES, resolved once by
plan.RunConfig.of). `trace replay` measures one workload, its trace, so the options that
choose workloads, collectors, a sweep or real programs, or a run to resume, are `run`'s
alone. Each option's dest is the RunConfig field it fills; run_config() builds the
frozen RunConfig the engine takes from the parsed options.
"""
import argparse
import dataclasses

from harness import metrics, plan
from harness.errors import UserError


def whole_number(lo, hi):
    """An argparse type: a whole number in [lo, hi]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is out of range ({lo} to {hi})")
        return value
    return parse


positive_int = whole_number(1, 1000)
runs = whole_number(0, 100)


def byte_count(text):
    """512, 64K, 512M, 2G: bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    scale = units.get(text[-1:].upper(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a byte count (e.g. 512M)")
    if int(digits) * scale >= 1 << 64:
        raise argparse.ArgumentTypeError(f"'{text}' is too large")
    return int(digits) * scale


def fraction(text):
    """0.03 or 3%."""
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (e.g. 0.03 or 3%)") from None
    if not 0 <= value < 10:
        raise argparse.ArgumentTypeError(f"{text} is out of range")
    return value


def probability(text):
    """A fraction strictly between 0 and 1."""
    value = fraction(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} must lie between 0 and 1")
    return value


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text} is out of range (0 to 86400 seconds)")
    return value


def command_words(words):
    """A program's argv from the words after `-- ` (argparse.REMAINDER keeps the --)."""
    return list(words[1:] if words[:1] == ["--"] else words)


def suite_default(key):
    """'4; full 5, quick 3': an option's value in each suite, for --help (plan.SUITES)."""
    def shown(value):
        return value if isinstance(value, str) else f"{value:g}"
    own = plan.SUITES[plan.DEFAULT_SUITE][key]
    others = [f"{name} {shown(values[key])}" for name, values in sorted(plan.SUITES.items()) if values[key] != own]
    return shown(own) + ("; " + ", ".join(others) if others else "")


def _option(*flags, replay=True, **kwargs):
    """One run option: its flags, whether `trace replay` has it, and argparse's keywords."""
    return flags, replay, kwargs


# In the order `run --help` lists them.
RUN_OPTIONS = [
    _option("--allocators", metavar="A,B", help="strategies to measure (default: all)"),
    _option("--workloads", replay=False, metavar="W,X", help="workloads to run (default: all)"),
    _option("--collectors", replay=False, metavar="C,D",
            help="collectors for GC workloads (default: all, over --allocators or the default allocators)"),
    _option("--repetitions", type=positive_int, metavar="N",
            help=f"processes measuring each benchmark, in interleaved rounds (default: {suite_default('repetitions')})"),
    _option("--max-repetitions", type=positive_int, metavar="N",
            help="more rounds, up to N, for the benchmarks whose ns/op, or ratio to the reference, is not yet "
                 "within --precision (its 95%% interval) "
                 f"(default: {suite_default('max_repetitions')})"),
    _option("--max-time", type=seconds, metavar="SECONDS",
            help="start no more of those rounds once the run has measured for this long "
                 f"(default: {suite_default('max_time')}; 0: no limit)"),
    _option("--precision", type=probability, metavar="P",
            help="the half-width (over the median, 95%% interval) at which those rounds stop, e.g. 3%% to take "
                 "more processes than the table's ±5%% needs (default: 5%%; the `!` mark stays at ±5%%)"),
    _option("--samples", type=positive_int, metavar="N",
            help="timed passes recorded in each process, fewer when they pass the budget "
                 f"(default: {suite_default('samples')})"),
    _option("--clock", choices=metrics.CLOCKS, metavar="cpu|wall",
            help="the clock of ns/op: the process's CPU time or wall time; both are always recorded "
                 "(default: cpu for single-threaded workloads, wall for multi-threaded ones)"),
    _option("--no-realtime", dest="realtime", action="store_false",
            help="time single-threaded benchmarks at normal priority (default: at real-time priority, SCHED_FIFO 1, "
                 "where the system allows it, so other jobs do not preempt them)"),
    _option("--reference", metavar="STRATEGY",
            help=f"the strategy every other's time is divided by, round by round (default: {plan.REFERENCE})"),
    _option("--param", dest="params", action="append", metavar="NAME.KEY=VALUE",
            help="a workload parameter (churn.live=1000) or strategy option (bump.chunk=8M); repeatable"),
    _option("--limit", type=byte_count, metavar="BYTES", help="page-layer memory limit for every heap"),
    _option("--out", metavar="DIR", help="results folder to create (default: results/runs/<time>)"),
    _option("--suite", choices=sorted(plan.SUITES), metavar="NAME",
            help="how many times and how long to measure: quick (a smoke run, about 90 s on 2 cores), "
                 "default (about 10 minutes), full (every option at its most thorough); "
                 "an option given here overrides its suite (docs/harness.md)"),
    _option("--warmup", type=runs, metavar="N",
            help=("unrecorded timed passes in each process after its metered or counted pass, "
                  f"before its samples (default: {suite_default('warmup')})")),
    _option("--hyperfine-runs", type=runs, metavar="N",
            help=f"whole-process runs of each benchmark under hyperfine (default: {suite_default('hyperfine_runs')}; "
                 "0: none)"),
    _option("--budget", type=seconds, metavar="SECONDS",
            help="time each benchmark's metered pass may take; a slower strategy is measured over the steps done "
                 f"by then, and the table says what fraction (default: {suite_default('budget')}; 0: no limit)"),
    _option("--timeout", type=seconds, metavar="SECONDS",
            help="kill a measurement process still running after this long and report it as that benchmark's "
                 "failure (default: 30 + 10 x budget; 0: none)"),
    _option("--counts", action="store_true", help="also count instructions per operation under callgrind (exact; slow)"),
    _option("--sweep", replay=False, metavar="SPEC",
            help=f"live-set sweep: auto (churn's live at 1k, 10k, 100k), thorough (and 1M), none, or "
                 f"WORKLOAD.KEY=V1,V2,... (several joined by ;) "
                 f"(default: {suite_default('sweep')})"),
    _option("--no-charts", dest="charts", action="store_false", help="skip the charts (tables and report only)"),
    _option("--wide", action="store_true",
            help="print the tables whole on the terminal, however wide (default: split to its width)"),
    _option("--resume", replay=False, metavar="DIR", help="finish an interrupted run in DIR (its own options are used)"),
    _option("--programs", replay=False, metavar="P,Q",
            help="real programs to time on each strategy: all, none, or names (cpython-tests, sqlite, gcc) "
                 f"(default: {suite_default('programs')})"),
]


def add_run_options(parser, replay=False):
    """Adds the run options to `run`'s parser, or (replay) those `trace replay` has."""
    for flags, in_replay, kwargs in RUN_OPTIONS:
        if in_replay or not replay:
            parser.add_argument(*flags, **kwargs)


def parse_params(items):
    """--param NAME.KEY=VALUE, repeatable -> {NAME.KEY: VALUE} (values checked by the binary)."""
    params = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or "." not in key or not value:
            raise UserError(f"--param '{item}' needs the form NAME.KEY=VALUE (e.g. churn.live=1000)")
        params[key] = value
    return params


RUN_CONFIG_FIELDS = {f.name for f in dataclasses.fields(plan.RunConfig)} - {"suite"}


def run_config(args, **fixed):
    """The RunConfig of the parsed run options in `args`; `fixed` gives fields the
    command sets itself (trace replay: its workload, its trace)."""
    given = {name: value for name, value in vars(args).items() if name in RUN_CONFIG_FIELDS}
    given["params"] = parse_params(given.get("params"))
    return plan.RunConfig.of(args.suite, **dict(given, **fixed))
