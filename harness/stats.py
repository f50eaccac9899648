"""Statistics for a noisy machine, with the standard library only.

summary()          median, mean, stddev, min, max, spread (= stddev / mean) and n of one
                   metric's samples; for a timed metric also ci95, its half_width and
                   `unstable` (the interval reaches further than HALF_WIDTH of the median
                   either side), and the spread of the samples inside each process
median_interval()  the 95% interval of a median: a percentile bootstrap over processes,
                   computed exactly
per_round()        two benchmarks measured in the same rounds, compared pair by pair: the
                   median ratio, its 95% interval (the same bootstrap, over rounds), how
                   many rounds the first was the lower in
mann_whitney()     two-sided Mann-Whitney U test on two independent samples: exact
                   (enumerating the U distribution) when there are no ties and the samples
                   are small, otherwise the normal approximation with tie correction and
                   continuity correction
geomean()          geometric mean of positive ratios

Vocabulary. A *process* is one measurement: a run of the benchmark binary, whose value is
the median of its *samples* (the timed passes inside it, wl.h). Processes are the
repetitions, taken in interleaved *rounds*. Variance lives at both levels (a process's
heap layout, its neighbours on the machine at the time; a sample's interruptions), and
the interval is taken at the outer one, over processes (Kalibera & Jones, "Rigorous
benchmarking in reasonable time", ISMM 2013): a percentile bootstrap of the median, the
process values resampled with replacement, whose 2.5th and 97.5th percentiles are the
interval. The bootstrap distribution of a median is computed exactly (_bootstrap_medians:
every resample counted, as if infinitely many were drawn), so there is no random
generator and no seed: the same values give the same interval every time, on every
machine. A run with one process has only its samples to resample, an interval blind to
process-to-process variation. With few processes the interval is as wide as the spread
of the middle ones: with 3, their range (all that the bootstrap of so few values can
say), so a tight interval needs processes whose values agree, or more of them.

Medians, not means, are what the tables show: one preempted repetition moves a mean a
long way and a median not at all.
"""
import functools
import math
import statistics
from typing import NamedTuple

HALF_WIDTH = 0.05  # a timed median is resolved when its 95% interval stays within ±5% of it
NEGLIGIBLE = 1e-12  # probabilities below this are left out of the median's distribution


def _binomial_at_least(n, p, k):
    """P(Binomial(n, p) >= k), summing the probabilities that matter (in log space, so a
    thousand draws neither overflow nor take long)."""
    if k <= 0 or p >= 1:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    log_p, log_q, log_n = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    total = 0.0
    for i in range(k, n + 1):
        term = math.exp(log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        total += term
        if term < NEGLIGIBLE * 1e-3 and i > n * p:
            break
    return min(total, 1.0)


def _bootstrap_medians(values):
    """The exact distribution of the median of n draws, with replacement, from `values`:
    [(median, probability)], every resample counted (what a bootstrap with infinitely
    many resamples would find, without its noise). x(1) <= ... <= x(n) are the values
    sorted and a draw is x(j) with probability 1/n. n odd: the median is the draws'
    (n+1)/2-th smallest, at most x(j) when at least (n+1)/2 draws are, a binomial tail.
    n = 2m: the median is the mean of the m-th and (m+1)-th smallest draws; they are
    x(a) < x(b) exactly when m draws are at most x(a) with one at least equal to it and
    the other n - m are at least x(b) with one equal to it; equal (a = b) otherwise.
    Only the middle of the sorted values can be a median with any chance (n/2 ± 4 sqrt(n)
    holds all but about 1e-15 of it): the rest is left out."""
    x = sorted(values)
    n = len(x)
    first = max(1, math.floor(n / 2 - 4 * math.sqrt(n)))
    last = min(n, math.ceil(n / 2 + 4 * math.sqrt(n)) + 1)
    band = range(first, last + 1)
    if n % 2:
        k = (n + 1) // 2
        tail = {j: _binomial_at_least(n, j / n, k) for j in [first - 1, *band]}
        return [(x[j - 1], tail[j] - tail[j - 1]) for j in band]
    m = n // 2
    ways = math.comb(n, m)
    low = {a: ways * ((a / n) ** m - ((a - 1) / n) ** m) for a in band}        # C(n, m) A(a)
    high = {b: ((n - b + 1) / n) ** (n - m) - ((n - b) / n) ** (n - m) for b in band}  # B(b)
    at_most = {a: _binomial_at_least(n, a / n, m) for a in [first - 1, *band]}
    out = []
    for a in band:
        apart = 0.0
        for b in range(a + 1, last + 1):
            p = low[a] * high[b]
            if p >= NEGLIGIBLE:
                out.append(((x[a - 1] + x[b - 1]) / 2, p))
                apart += p
        out.append((x[a - 1], at_most[a] - at_most[a - 1] - apart))  # P(m-th smallest is x(a)) - the pairs
    return sorted(out)


def _percentiles(distribution, *levels):
    """The smallest values at which the distribution's cumulative probability reaches each level."""
    found, total, i = [], 0.0, 0
    for value, p in distribution:
        total += p
        while i < len(levels) and total >= levels[i] - 1e-12:
            found.append(value)
            i += 1
    return found + [distribution[-1][0]] * (len(levels) - len(found))


def _interval(values):
    """(low, high): the 2.5th and 97.5th percentiles of the bootstrap distribution of the median."""
    low, high = _percentiles(_bootstrap_medians(values), 0.025, 0.975)
    return low, high


def median_interval(values, within=None):
    """(low, high): the 95% interval of the median of `values` (one per process), by the
    bootstrap over processes; with one process, over its samples `within[0]`; None when
    there is nothing to resample."""
    values = [v for v in values if v is not None]
    if len(values) == 1 and within and len(within[0]) > 1:
        values = list(within[0])
    if len(values) < 2:
        return None
    return _interval(values)


def _within_spread(within):
    """The samples' spread inside a process, pooled over processes: the root mean square
    of each process's sample stddev, over the mean of every sample."""
    groups = [g for g in within or [] if len(g) > 1]
    if not groups:
        return None
    mean = statistics.fmean(v for g in groups for v in g)
    pooled = math.sqrt(statistics.fmean(statistics.variance(g) for g in groups))
    return pooled / abs(mean) if mean else 0.0


def summary(values, within=None, interval=False):
    """{median, mean, stddev, min, max, spread, n} of the non-None values; None if empty.
    With `interval` (a timed metric): also ci95 [low, high], half_width (half its width,
    over the median) and unstable (half_width over HALF_WIDTH); `within` (each process's
    samples, in the order of `values`) adds
    sample_spread (the samples' spread inside a process) and samples (how many in all)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    mean = statistics.fmean(values)
    stddev = statistics.stdev(values) if len(values) > 1 else 0.0
    median = statistics.median(values)
    out = {"median": median, "mean": mean, "stddev": stddev, "min": min(values), "max": max(values),
           "spread": stddev / abs(mean) if mean else 0.0, "n": len(values)}
    if within:
        out["samples"] = sum(len(g) for g in within)
        spread = _within_spread(within)
        if spread is not None:
            out["sample_spread"] = spread
    if interval:
        ci = median_interval(values, within)
        if ci:
            half = (ci[1] - ci[0]) / 2 / abs(median) if median else 0.0
            out.update(ci95=[ci[0], ci[1]], half_width=half, unstable=half > HALF_WIDTH)
    return out


def whisker(m):
    """(low, high, how) of one metric's summary in results.json: the 95% interval of its
    median when recorded (how "ci"), else min..max of the repetitions ("range");
    (None, None, None) for a single sample. Charts draw it, exports give it."""
    ci = m.get("ci95")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(v, (int, float)) for v in ci):
        return ci[0], ci[1], "ci"
    if m.get("n", 1) > 1 and "min" in m and "max" in m:
        return m["min"], m["max"], "range"
    return None, None, None


def _ranks(values):
    """Average ranks (1-based) of `values`, ties sharing the mean of their ranks; and the tie groups' sizes."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


@functools.lru_cache(maxsize=None)
def _u_counts(n1, n2):
    """How many of the C(n1+n2, n1) arrangements give each U (U = 0 .. n1*n2), no ties."""
    # f(i, j)[u]: arrangements of i x's and j y's with u (x > y) pairs; built row by row.
    prev = [[1] for _ in range(n2 + 1)]  # i = 0: U is 0 whatever j
    for i in range(1, n1 + 1):
        cur = [[1]]  # j = 0: U is 0
        for j in range(1, n2 + 1):
            # the largest element is an x (it beats all j y's) or a y (it adds nothing)
            a, b = prev[j], cur[j - 1]
            size = i * j + 1
            row = [0] * size
            for u, c in enumerate(a):
                row[u + j] += c
            for u, c in enumerate(b):
                row[u] += c
            cur.append(row)
        prev = cur
    return tuple(prev[n2])


EXACT_LIMIT = 30  # n1 + n2 up to this, with no ties: exact distribution


def mann_whitney(x, y):
    """Two-sided Mann-Whitney U test. Returns (u, p): u counts pairs with x > y (ties count
    half); p is the probability of a U at least this far from n1*n2/2 if x and y come from
    one distribution. p is 1.0 when either sample is empty or everything is tied."""
    x, y = list(x), list(y)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    ranks, ties = _ranks(x + y)
    u = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    if not ties and n1 + n2 <= EXACT_LIMIT:
        counts = _u_counts(n1, n2)
        total = sum(counts)
        dist = abs(u - mean)
        extreme = sum(c for k, c in enumerate(counts) if abs(k - mean) >= dist - 1e-9)
        return u, min(1.0, extreme / total)
    n = n1 + n2
    tie_term = sum(t ** 3 - t for t in ties) / (n * (n - 1))
    var = n1 * n2 / 12 * ((n + 1) - tie_term)
    if var <= 0:
        return u, 1.0
    z = (abs(u - mean) - 0.5) / math.sqrt(var)
    return u, min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def geomean(ratios):
    """Geometric mean of positive ratios (None when there are none)."""
    ratios = [r for r in ratios if r is not None and r > 0]
    if not ratios:
        return None
    return math.exp(statistics.fmean(math.log(r) for r in ratios))


class RoundRatio(NamedTuple):
    """One benchmark's time over another's, round by round (per_round)."""
    median: float   # the median of the rounds' ratios
    low: float      # its 95% interval (the exact bootstrap over rounds; = median with one round)
    high: float
    faster: int     # rounds in which the first was the lower
    rounds: int     # rounds compared


def ratio_half_width(ratio):
    """A RoundRatio's interval as ns/op's half_width: half of it over its median; 1.0 (not
    resolved) when there is none or a single round gave it."""
    if ratio is None or ratio.rounds < 2 or not ratio.median:
        return 1.0
    return (ratio.high - ratio.low) / 2 / abs(ratio.median)


def per_round(mine, theirs):
    """Two benchmarks compared round by round. mine and theirs are {round: value}; a round
    is one pass of the interleaved repetitions, so the two values of a pair were taken
    seconds apart and their ratio cancels the machine's swings. Returns a RoundRatio over
    the rounds both have, or None when no round has both."""
    ratios = [mine[r] / theirs[r] for r in sorted(mine) if theirs.get(r)]
    if not ratios:
        return None
    median = statistics.median(ratios)
    low, high = _interval(ratios) if len(ratios) > 1 else (median, median)
    return RoundRatio(median, low, high, sum(x < 1 for x in ratios), len(ratios))
