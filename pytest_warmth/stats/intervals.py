"""Confidence intervals and score tests for the paired difference delta (pure scipy).

Orientation (Fagerland, Lydersen & Laake 2013): ``b`` counts pairs with the base model right
and the tuned model wrong (harm, ``n12``), ``c`` pairs with the base model wrong and the tuned
model right (help, ``n21``), ``n`` all pairs. The estimand is ``delta = (b - c) / n``, the
rise in the tuned model's error rate.

Two intervals are offered:

* ``tango``: the Tango (1998) asymptotic score interval, the inversion of the score test
  :func:`tango_test`; ``T(0)`` is McNemar's asymptotic z, so the interval agrees with that test.
* ``newcombe``: Newcombe's (1998) square-and-add interval (his method 10) built from Wilson
  intervals for the two marginal error rates; it needs the count of pairs both models got wrong.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from scipy import optimize, stats

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats._checks import check_choice, check_count, check_probability, check_table

INTERVAL_METHODS = ("tango", "newcombe")
SIDES = ("two-sided", "lower", "upper")
TANGO_ALTERNATIVES = ("greater", "less", "two-sided")

# Brackets stop this far inside (-1, 1): the score variance vanishes at the end points.
_EDGE = 1e-10


@dataclass(frozen=True)
class Interval:
    """A confidence interval (or one-sided bound) for the paired difference delta."""

    lower: float
    """Lower limit; -1 for an upper one-sided bound."""
    upper: float
    """Upper limit; 1 for a lower one-sided bound."""
    estimate: float
    """The point estimate ``(b - c) / n``."""
    method: str
    """``tango`` or ``newcombe``."""
    confidence: float
    """The confidence level, e.g. 0.95."""
    sided: str
    """``two-sided``, ``lower`` (one-sided lower bound) or ``upper`` (one-sided upper bound)."""


def tango_statistic(b: int, c: int, n: int, delta0: float) -> float:
    """Tango's score statistic for H0: delta = ``delta0``.

    ``T = (b - c - n*delta0) / sqrt(n * (2*p21 + delta0*(1 - delta0)))``, where ``p21`` is the
    maximum-likelihood estimate of P(base wrong, tuned right) restricted to delta = ``delta0``
    (the positive root of ``2n p^2 + B p + C = 0`` with ``B = -b - c + (2n - b + c) delta0`` and
    ``C = -c delta0 (1 - delta0)``). ``T(0) = (b - c) / sqrt(b + c)``, McNemar's z.

    When the restricted variance vanishes (no discordant pairs at ``delta0 = 0``, or ``delta0`` at
    an end of [-1, 1]) the statistic is its limit: 0 when the numerator is 0 as well, otherwise
    plus or minus infinity.

    Args:
        b: Pairs with the base model right and the tuned model wrong.
        c: Pairs with the base model wrong and the tuned model right.
        n: All pairs.
        delta0: The hypothesised difference, in [-1, 1].

    Returns:
        The score statistic; large positive values speak for delta > ``delta0``.

    Raises:
        WarmthUsageError: Invalid counts or ``delta0`` outside [-1, 1].

    Examples:
        >>> round(tango_statistic(6, 16, 161, 0.0), 4)
        -2.132
    """
    b, c, n = check_table(b, c, n)
    d0 = _check_delta0(delta0, closed=True)
    return _tango(b, c, n, d0)


def tango_test(
    b: int, c: int, n: int, *, delta0: float = 0.0, alternative: str = "greater"
) -> float:
    """P-value of Tango's score test of H0: delta = ``delta0``.

    ``greater`` tests H1: delta > ``delta0`` (the tuned model errs more than the tolerance
    allows), p = 1 - Phi(T); ``less`` tests H1: delta < ``delta0`` (non-inferiority), p = Phi(T);
    ``two-sided`` gives 2 * (1 - Phi(|T|)). With ``delta0 = 0`` this is McNemar's asymptotic test;
    with no discordant pairs and ``delta0 = 0`` the statistic is taken as 0 (p = 0.5 one-sided).

    Args:
        b: Pairs with the base model right and the tuned model wrong.
        c: Pairs with the base model wrong and the tuned model right.
        n: All pairs.
        delta0: The tolerance (or non-inferiority margin), in (-1, 1).
        alternative: ``greater``, ``less`` or ``two-sided``.

    Returns:
        The p-value.

    Raises:
        WarmthUsageError: Invalid counts, ``delta0`` outside (-1, 1) or an unknown alternative.

    Examples:
        >>> round(tango_test(6, 16, 161, alternative="two-sided"), 6)
        0.033006
    """
    b, c, n = check_table(b, c, n)
    d0 = _check_delta0(delta0, closed=False)
    check_choice(alternative, "alternative", TANGO_ALTERNATIVES)
    t = _tango(b, c, n, d0)
    if alternative == "greater":
        p = stats.norm.sf(t)
    elif alternative == "less":
        p = stats.norm.cdf(t)
    else:
        p = 2.0 * stats.norm.sf(abs(t))
    return float(min(1.0, p))


def paired_difference_ci(
    b: int,
    c: int,
    n: int,
    *,
    both_wrong: int | None = None,
    method: str = "tango",
    confidence: float = 0.95,
    sided: str = "two-sided",
) -> Interval:
    """Confidence interval for delta = P(tuned wrong) - P(base wrong) from paired outcomes.

    ``two-sided`` splits ``1 - confidence`` between the two tails; ``lower`` gives a one-sided
    lower bound at ``confidence`` (upper limit 1), ``upper`` a one-sided upper bound (lower
    limit -1). A one-sided ``lower`` bound above ``delta0`` is equivalent to
    ``tango_test(..., delta0=delta0) < 1 - confidence`` for the ``tango`` method.

    Args:
        b: Pairs with the base model right and the tuned model wrong.
        c: Pairs with the base model wrong and the tuned model right.
        n: All pairs.
        both_wrong: Pairs that both models got wrong (``n11``); required by ``newcombe``,
            ignored (but checked) by ``tango``.
        method: ``tango`` (asymptotic score, the default) or ``newcombe`` (square-and-add).
        confidence: Confidence level in (0, 1).
        sided: ``two-sided``, ``lower`` or ``upper``.

    Returns:
        The interval with the point estimate ``(b - c) / n``.

    Raises:
        WarmthUsageError: Invalid counts, an unknown method or side, a confidence outside (0, 1),
            ``b + c + both_wrong > n``, or ``newcombe`` without ``both_wrong``.

    Examples:
        >>> ci = paired_difference_ci(6, 16, 161)
        >>> round(ci.lower, 4), round(ci.upper, 4)
        (-0.124, -0.0054)
    """
    b, c, n = check_table(b, c, n)
    check_choice(method, "interval method", INTERVAL_METHODS)
    check_choice(sided, "sided", SIDES)
    conf = check_probability(confidence, "confidence")
    n11: int | None = None
    if both_wrong is not None:
        n11 = check_count(both_wrong, "both_wrong")
        if n11 + b + c > n:
            raise WarmthUsageError(
                f"both_wrong + b + c = {n11 + b + c} exceeds the number of pairs n = {n}"
            )
    tail = 1.0 - conf
    z = float(stats.norm.isf(tail / 2.0 if sided == "two-sided" else tail))
    estimate = (b - c) / n
    if method == "tango":
        lower = _tango_lower(b, c, n, z) if sided != "upper" else -1.0
        upper = _tango_upper(b, c, n, z) if sided != "lower" else 1.0
    else:
        if n11 is None:
            raise WarmthUsageError(
                "the newcombe interval needs both_wrong (pairs both models got wrong, n11)"
            )
        lower, upper = _newcombe(n11, b, c, n, z)
        if sided == "lower":
            upper = 1.0
        elif sided == "upper":
            lower = -1.0
    # Guard against rounding pushing a limit past the estimate or outside [-1, 1].
    lower = max(-1.0, min(lower, estimate))
    upper = min(1.0, max(upper, estimate))
    return Interval(lower, upper, estimate, method, conf, sided)


def _check_delta0(delta0: object, *, closed: bool) -> float:
    """Validate a hypothesised difference (closed or open interval around 0)."""
    if isinstance(delta0, bool) or not isinstance(delta0, numbers.Real):
        raise WarmthUsageError(f"delta0 must be a number, got {delta0!r}")
    d0 = float(delta0)
    inside = -1.0 <= d0 <= 1.0 if closed else -1.0 < d0 < 1.0
    if not inside:
        where = "[-1, 1]" if closed else "(-1, 1)"
        raise WarmthUsageError(f"delta0 must lie in {where}, got {delta0!r}")
    return d0


def _tango(b: int, c: int, n: int, delta0: float) -> float:
    """Tango's statistic without argument checks (see :func:`tango_statistic`)."""
    qa = 2.0 * n
    qb = -b - c + (2.0 * n - b + c) * delta0
    qc = -c * delta0 * (1.0 - delta0)
    four_ac = 4.0 * qa * qc
    # With C = 0 the root is exact; squaring a tiny B would underflow to 0.
    disc = abs(qb) if four_ac == 0.0 else math.sqrt(max(qb * qb - four_ac, 0.0))
    # The larger root, in a cancellation-free form. B > 0 only for delta0 > 0, where C <= 0,
    # so both forms give p21 >= 0.
    p21 = (disc - qb) / (2.0 * qa) if qb <= 0.0 else -2.0 * qc / (qb + disc)
    variance = n * (2.0 * p21 + delta0 * (1.0 - delta0))
    numerator = b - c - n * delta0
    if variance <= 0.0:
        if numerator == 0.0:
            return 0.0
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(variance)


def _tango_lower(b: int, c: int, n: int, z: float) -> float:
    """Lower limit: the delta0 below the estimate where T(delta0) = z."""
    estimate = (b - c) / n
    if c == n:  # estimate -1: the lower limit is -1
        return -1.0
    if _tango(b, c, n, estimate) - z >= 0.0:  # z ~ 0 and rounding at the estimate
        return estimate
    lo = -1.0 + _EDGE
    if _tango(b, c, n, lo) - z <= 0.0:
        return -1.0
    return float(optimize.brentq(lambda d: _tango(b, c, n, d) - z, lo, estimate, xtol=1e-12))


def _tango_upper(b: int, c: int, n: int, z: float) -> float:
    """Upper limit: the delta0 above the estimate where T(delta0) = -z."""
    estimate = (b - c) / n
    if b == n:  # estimate +1: the upper limit is +1
        return 1.0
    if _tango(b, c, n, estimate) + z <= 0.0:  # z ~ 0 and rounding at the estimate
        return estimate
    hi = 1.0 - _EDGE
    if _tango(b, c, n, hi) + z >= 0.0:
        return 1.0
    return float(optimize.brentq(lambda d: _tango(b, c, n, d) + z, estimate, hi, xtol=1e-12))


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for the proportion x / n."""
    denominator = n + z * z
    centre = (x + z * z / 2.0) / denominator
    half = z * math.sqrt(x * (n - x) / n + z * z / 4.0) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe(n11: int, b: int, c: int, n: int, z: float) -> tuple[float, float]:
    """Newcombe's square-and-add limits (method 10) at critical value ``z``."""
    n22 = n - n11 - b - c
    p1 = (n11 + b) / n  # tuned model's error rate
    p2 = (n11 + c) / n  # base model's error rate
    l1, u1 = _wilson(n11 + b, n, z)
    l2, u2 = _wilson(n11 + c, n, z)
    a = n11 * n22 - b * c
    margins = (n11 + b) * (c + n22) * (n11 + c) * (b + n22)
    if margins == 0:
        phi = 0.0
    elif a > n / 2.0:
        phi = (a - n / 2.0) / math.sqrt(margins)
    elif a >= 0:
        phi = 0.0
    else:
        phi = a / math.sqrt(margins)
    estimate = p1 - p2
    dl1, du2 = p1 - l1, u2 - p2
    dl2, du1 = p2 - l2, u1 - p1
    lower = estimate - math.sqrt(max(dl1 * dl1 + du2 * du2 - 2.0 * phi * dl1 * du2, 0.0))
    upper = estimate + math.sqrt(max(dl2 * dl2 + du1 * du1 - 2.0 * phi * dl2 * du1, 0.0))
    return lower, upper
