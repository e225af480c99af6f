"""A/B tests, pure: which variant (or the hold-out) a lead gets, and what the results say.

- `assign(experiment_id, lead_id, split, holdout_pct)`: deterministic; the same lead in the same experiment always
  lands in the same group (a hash of both ids against the split), whichever worker asks and however often.
- proportions (opens, clicks, SQLs): the two-proportion z-test, Wilson and normal (Wald) confidence intervals, lift;
- amounts per lead (won revenue, spend): Welch's t-test with the Welch-Satterthwaite degrees of freedom and the
  Student-t tail computed here (the regularised incomplete beta function), which is the normal tail for large samples;
- `judge(...)`: the winner on the chosen metric and its confidence in words a marketer reads:
  "B beats A on clicks with 97.3 % confidence", "no winner yet: 81.0 % confidence, below 95 %".
- `analyse_rows(...)`: the same over the rows of a results file (one row per recipient: a group column and 0/1 or
  amount columns), as `leadflow email ab-test --csv` reads it (the Hillstrom experiment is the example).

Pure: standard library only; never touches the database, the web or the clock.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

HOLDOUT = "hold-out"
METRICS = ("open", "click", "sql", "revenue")
METRIC_WORDS = {"open": "opens", "click": "clicks", "sql": "SQLs", "revenue": "won revenue per lead"}
DEFAULT_LEVEL = 0.95
_BUCKETS = 10_000
_NORMAL = NormalDist()


# --- assignment -------------------------------------------------------------------------------------------------

def bucket(experiment_id: int, lead_id: int) -> int:
    """A number in [0, 10000) from the experiment and the lead: stable across processes and Python versions."""
    digest = hashlib.sha256(f"leadflow-experiment:{experiment_id}:{lead_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def validate_split(split: Mapping[str, float | int], holdout_pct: float | int) -> dict[str, str]:
    """The reasons a split cannot be used, by field (empty when it can)."""
    errors: dict[str, str] = {}
    if not split:
        errors["split"] = "give at least one variant a share"
    elif any(not isinstance(v, int | float) or v < 0 for v in split.values()):
        errors["split"] = "every share is a percentage of zero or more"
    elif abs(sum(split.values()) - 100) > 1e-9:
        errors["split"] = f"the shares add up to {sum(split.values()):g} %, not 100 %"
    if not isinstance(holdout_pct, int | float) or not 0 <= holdout_pct < 100:
        errors["holdout_pct"] = "the hold-out is a percentage from 0 up to (not including) 100"
    return errors


def assign(experiment_id: int, lead_id: int, split: Mapping[str, float | int], holdout_pct: float | int = 0) -> str:
    """The variant key the lead gets, or HOLDOUT. The hold-out takes the first `holdout_pct` % of the buckets; the
    rest is shared among the variants in the order given, by their percentages (which add up to 100)."""
    b = bucket(experiment_id, lead_id)
    holdout_edge = round(holdout_pct * _BUCKETS / 100)
    if b < holdout_edge:
        return HOLDOUT
    position = (b - holdout_edge) / (_BUCKETS - holdout_edge) * 100  # [0, 100)
    edge = 0.0
    keys = list(split)
    for key in keys:
        edge += split[key]
        if position < edge:
            return key
    return keys[-1]


# --- the arithmetic ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Test:
    """A comparison of B against A: the difference (B - A), the statistic, the two-sided p-value and the confidence
    (1 - p) that the two differ. Not `informative` when the two sides give it nothing to go on (no lead on either
    side did it, or every lead did): its confidence of 0 says nothing, and is shown as "not enough data"."""

    difference: float
    statistic: float
    p_value: float
    df: float | None = None  # degrees of freedom for a t-test, None for the z-test
    informative: bool = True

    @property
    def confidence(self) -> float:
        return 1.0 - self.p_value


def rate(successes: int, trials: int) -> float | None:
    return None if trials <= 0 else successes / trials


def lift(control: float | None, treatment: float | None) -> float | None:
    """The relative change from control to treatment (0.5 = 50 % more); None when the control is zero or unknown."""
    if control is None or treatment is None or control == 0:
        return None
    return treatment / control - 1.0


def _z(level: float) -> float:
    return _NORMAL.inv_cdf(0.5 + level / 2)


def wilson_interval(successes: int, trials: int, level: float = DEFAULT_LEVEL) -> Interval | None:
    if trials <= 0:
        return None
    z = _z(level)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def normal_interval(successes: int, trials: int, level: float = DEFAULT_LEVEL) -> Interval | None:
    if trials <= 0:
        return None
    p = successes / trials
    half = _z(level) * math.sqrt(p * (1 - p) / trials)
    return Interval(p - half, p + half)


def two_proportion_z_test(a_successes: int, a_trials: int, b_successes: int, b_trials: int) -> Test | None:
    """The pooled two-proportion z-test of B against A (two-sided). None when either group is empty."""
    if a_trials <= 0 or b_trials <= 0:
        return None
    pa, pb = a_successes / a_trials, b_successes / b_trials
    pooled = (a_successes + b_successes) / (a_trials + b_trials)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a_trials + 1 / b_trials))
    if se == 0:
        return Test(pb - pa, 0.0, 1.0, informative=False)
    z = (pb - pa) / se
    return Test(pb - pa, z, 2 * (1 - _NORMAL.cdf(abs(z))))


def difference_interval(a_successes: int, a_trials: int, b_successes: int, b_trials: int,
                        level: float = DEFAULT_LEVEL) -> Interval | None:
    """The (unpooled) normal interval of the difference of the rates, B - A."""
    if a_trials <= 0 or b_trials <= 0:
        return None
    pa, pb = a_successes / a_trials, b_successes / b_trials
    se = math.sqrt(pa * (1 - pa) / a_trials + pb * (1 - pb) / b_trials)
    half = _z(level) * se
    return Interval(pb - pa - half, pb - pa + half)


@dataclass(frozen=True)
class Summary:
    """An amount per lead over a group: how many, the mean and the sample variance."""

    n: int
    mean: float
    variance: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        return Accumulator().add_all(values).summary()

    @classmethod
    def from_sums(cls, n: int, total: float, total_of_squares: float) -> Summary:
        """From a count, a sum and a sum of squares (most leads' amount is zero: only the others need adding)."""
        if n <= 0:
            return cls(0, 0.0, 0.0)
        mean = total / n
        variance = max(0.0, (total_of_squares - n * mean * mean) / (n - 1)) if n > 1 else 0.0
        return cls(n, mean, variance)


class Accumulator:
    """Welford's running mean and variance (one pass, numerically stable)."""

    def __init__(self) -> None:
        self.n, self._mean, self._m2 = 0, 0.0, 0.0

    def add(self, value: float) -> None:
        self.n += 1
        delta = value - self._mean
        self._mean += delta / self.n
        self._m2 += delta * (value - self._mean)

    def add_all(self, values: Iterable[float]) -> Accumulator:
        for value in values:
            self.add(float(value))
        return self

    def summary(self) -> Summary:
        return Summary(self.n, self._mean if self.n else 0.0, self._m2 / (self.n - 1) if self.n > 1 else 0.0)


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def student_t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with df degrees of freedom (the normal tail once df is past a million)."""
    if df > 1_000_000:
        return 2 * (1 - _NORMAL.cdf(abs(t)))
    return incomplete_beta(df / 2, 0.5, df / (df + t * t))


def welch_t_test(a: Summary, b: Summary) -> Test | None:
    """Welch's t-test of B's mean against A's (two-sided, unequal variances). None without two values on each side."""
    if a.n < 2 or b.n < 2:
        return None
    va, vb = a.variance / a.n, b.variance / b.n
    if va + vb == 0:
        return Test(b.mean - a.mean, 0.0, 1.0 if a.mean == b.mean else 0.0, informative=a.mean != b.mean)
    t = (b.mean - a.mean) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / ((va * va / (a.n - 1) if va else 0) + (vb * vb / (b.n - 1) if vb else 0))
    return Test(b.mean - a.mean, t, student_t_two_sided(t, df), df)


def mean_interval(s: Summary, level: float = DEFAULT_LEVEL) -> Interval | None:
    if s.n < 2:
        return None
    half = _z(level) * math.sqrt(s.variance / s.n)
    return Interval(s.mean - half, s.mean + half)


# --- the verdict ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """One variant's (or the hold-out's) figures on a metric: for a proportion `successes` of `n`; for an amount
    the summary of the amount per lead."""

    key: str
    n: int
    successes: int = 0
    amount: Summary | None = None

    @property
    def value(self) -> float | None:
        if self.amount is not None:
            return self.amount.mean if self.amount.n else None
        return rate(self.successes, self.n)


@dataclass(frozen=True)
class Verdict:
    metric: str
    winner: str | None  # None: no winner yet
    leader: str | None  # the best so far, decided or not
    runner_up: str | None
    confidence: float | None  # that the leader beats the runner-up
    level: float
    lift: float | None
    words: str

    @property
    def decided(self) -> bool:
        return self.winner is not None


def compare(metric: str, a: Group, b: Group) -> Test | None:
    """B against A on the metric: the t-test for amounts, the z-test for proportions."""
    if a.amount is not None and b.amount is not None:
        return welch_t_test(a.amount, b.amount)
    return two_proportion_z_test(a.successes, a.n, b.successes, b.n)


def percent(value: float, places: int = 1) -> str:
    return f"{value * 100:.{places}f} %"


def confidence_words(value: float) -> str:
    """A confidence as shown: one decimal, and never "100.0 %" (nothing is certain): "more than 99.9 %"."""
    return "more than 99.9 %" if value > 0.999 else percent(min(value, 0.999))


NOT_ENOUGH = "not enough data"


def comparison_words(test: Test | None, *, sent: int | None = None) -> str:
    """A comparison's confidence as shown ("97.3 % confidence"), or "not enough data": no comparison, one with
    nothing to go on, or a variant nothing was sent to yet (`sent` 0), never a "0.0 % confidence"."""
    if test is None or not test.informative or sent == 0:
        return NOT_ENOUGH
    return f"{confidence_words(test.confidence)} confidence"


def judge(metric: str, groups: Sequence[Group], level: float = DEFAULT_LEVEL) -> Verdict:
    """The winner among the variants (the hold-out is not a candidate: pass only the variants): the best by the
    metric wins when it beats every other variant with at least `level` confidence; the confidence shown is the
    weakest of those comparisons (the one against the runner-up)."""
    words_metric = METRIC_WORDS.get(metric, metric)
    floor = f"{level * 100:g} %"
    ranked = sorted((g for g in groups if g.value is not None), key=lambda g: g.value, reverse=True)
    if len(ranked) < 2:
        return Verdict(metric, None, ranked[0].key if ranked else None, None, None, level, None,
                       "no winner yet: not enough results to compare")
    leader, weakest, weakest_test = ranked[0], None, None
    for other in ranked[1:]:
        test = compare(metric, other, leader)
        if test is None:
            return Verdict(metric, None, leader.key, other.key, None, level, None,
                           "no winner yet: not enough results to compare")
        if weakest_test is None or test.confidence < weakest_test.confidence:
            weakest, weakest_test = other, test
    assert weakest is not None and weakest_test is not None
    up = lift(weakest.value, leader.value)
    confidence = weakest_test.confidence
    if not weakest_test.informative:  # nobody on either side did it (yet): a confidence of 0 would say nothing
        return Verdict(metric, None, None, None, None, level, None,
                       "no winner yet: not enough results to compare")
    if leader.value == weakest.value:
        return Verdict(metric, None, None, None, confidence, level, up,
                       f"no winner yet: the variants are level on {words_metric}")
    if confidence >= level:
        losers = " and ".join(g.key for g in ranked[1:])
        return Verdict(metric, leader.key, leader.key, weakest.key, confidence, level, up,
                       f"{leader.key} beats {losers} on {words_metric} with {confidence_words(confidence)} confidence")
    return Verdict(metric, None, leader.key, weakest.key, confidence, level, up,
                   f"no winner yet: {confidence_words(confidence)} confidence, below {floor}")


# --- a results file ---------------------------------------------------------------------------------------------

def _number(text: object) -> float:
    value = str(text).strip().replace(",", ".") if text is not None else ""
    return float(value) if value else 0.0


@dataclass(frozen=True)
class Analysis:
    """A results file's groups (in the order first seen) and, per metric column, each group and the verdicts."""

    groups: list[str]
    proportions: dict[str, dict[str, Group]]  # column -> group -> Group (successes of n)
    amounts: dict[str, dict[str, Group]]  # column -> group -> Group (amount per row)
    control: str | None

    def tests(self, column: str) -> dict[str, Test | None]:
        """Each group against the control on a column."""
        table = self.proportions.get(column) or self.amounts[column]
        if self.control is None:
            return {}
        base = table[self.control]
        return {key: compare(column, base, g) for key, g in table.items() if key != self.control}


def analyse_rows(rows: Iterable[Mapping[str, object]], *, group: str, proportions: Sequence[str] = (),
                 amounts: Sequence[str] = (), control: str | None = None) -> Analysis:
    """Sum a results file: `group` names each row's variant; `proportions` are 0/1 columns (visited, converted),
    `amounts` are numbers per row (spend). One pass, constant memory per group."""
    counts: dict[str, int] = {}
    hits: dict[str, dict[str, int]] = {c: {} for c in proportions}
    sums: dict[str, dict[str, Accumulator]] = {c: {} for c in amounts}
    for row in rows:
        key = str(row[group]).strip()
        counts[key] = counts.get(key, 0) + 1
        for column in proportions:
            hits[column][key] = hits[column].get(key, 0) + (1 if _number(row[column]) > 0 else 0)
        for column in amounts:
            sums[column].setdefault(key, Accumulator()).add(_number(row[column]))
    names = list(counts)
    if control is not None and control not in counts:
        raise KeyError(control)
    return Analysis(
        groups=names,
        proportions={c: {k: Group(k, counts[k], successes=hits[c].get(k, 0)) for k in names} for c in proportions},
        amounts={c: {k: Group(k, counts[k], amount=sums[c].get(k, Accumulator()).summary()) for k in names}
                 for c in amounts},
        control=control,
    )
