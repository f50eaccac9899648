"""Statistics for a noisy machine, with the standard library only.

summary()        median, mean, stddev, min, max, spread (= stddev / mean) and n of one
                 metric's samples, and `unstable` when the spread exceeds UNSTABLE_SPREAD
mann_whitney()   two-sided Mann-Whitney U test on two independent samples: exact
                 (enumerating the U distribution) when there are no ties and the samples
                 are small, otherwise the normal approximation with tie correction and
                 continuity correction
geomean()        geometric mean of positive ratios
per_round()      two benchmarks measured in the same rounds, compared pair by pair: the
                 median ratio and how many rounds the first was the lower in

Medians, not means, are what the tables show: one preempted repetition moves a mean a
long way and a median not at all. The spread is reported beside it so a reader can tell
a steady number from a lucky one.
"""
import functools
import math
import statistics

UNSTABLE_SPREAD = 0.10  # stddev over 10% of the mean: the number is not to be trusted alone


def summary(values):
    """{median, mean, stddev, min, max, spread, n, unstable} of the non-None values; None if empty."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    mean = statistics.fmean(values)
    stddev = statistics.stdev(values) if len(values) > 1 else 0.0
    spread = stddev / abs(mean) if mean else 0.0
    return {"median": statistics.median(values), "mean": mean, "stddev": stddev,
            "min": min(values), "max": max(values), "spread": spread, "n": len(values),
            "unstable": len(values) > 1 and spread > UNSTABLE_SPREAD}


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


def per_round(mine, theirs):
    """Two benchmarks compared round by round. mine and theirs are {round: value}; a round
    is one pass of the interleaved repetitions, so the two values of a pair were taken
    seconds apart and their ratio cancels the machine's swings. Returns (median of
    mine / theirs over the rounds both have, rounds in which mine was the lower, rounds
    compared), or None when no round has both."""
    ratios = [mine[r] / theirs[r] for r in mine if theirs.get(r)]
    if not ratios:
        return None
    return statistics.median(ratios), sum(x < 1 for x in ratios), len(ratios)
