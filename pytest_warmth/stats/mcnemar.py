"""McNemar's test for paired binary outcomes (pure scipy).

Orientation: ``b`` counts items the base model got right and the tuned model got wrong (harm),
``c`` the reverse (help). Under H0 the discordant pairs split evenly: b | b+c ~ Bin(b+c, 1/2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy import stats

from pytest_warmth.errors import WarmthUsageError

ALTERNATIVES = ("greater", "less", "two-sided")
METHODS = ("exact", "midp", "asymptotic", "asymptotic_cc")


@dataclass(frozen=True)
class McNemarResult:
    """Outcome of :func:`mcnemar_test`."""

    b: int
    """Discordant pairs against the tuned model (base right, tuned wrong)."""
    c: int
    """Discordant pairs for the tuned model (base wrong, tuned right)."""
    statistic: float
    """``b`` for the exact and mid-p tests, the z statistic for the asymptotic ones."""
    pvalue: float
    """The p-value under the chosen alternative."""
    alternative: str
    """``greater`` (tuned errs more), ``less`` or ``two-sided``."""
    method: str
    """``exact``, ``midp``, ``asymptotic`` or ``asymptotic_cc``."""


def mcnemar_test(
    b: int, c: int, *, alternative: str = "greater", method: str = "exact"
) -> McNemarResult:
    """McNemar's test on the discordant counts of a paired 2x2 table.

    Args:
        b: Items right under the base model and wrong under the tuned model.
        c: Items wrong under the base model and right under the tuned model.
        alternative: ``greater`` tests whether the tuned model errs more often.
        method: ``exact`` (conditional binomial), ``midp`` (mid-p), ``asymptotic`` (z) or
            ``asymptotic_cc`` (z with continuity correction).

    Returns:
        The test result; with no discordant pairs the p-value is 1.

    Raises:
        WarmthUsageError: Negative counts or an unknown alternative or method.

    Examples:
        >>> round(mcnemar_test(6, 16, alternative="two-sided", method="midp").pvalue, 6)
        0.03469
    """
    if b < 0 or c < 0 or int(b) != b or int(c) != c:
        raise WarmthUsageError(f"b and c must be non-negative integers, got b={b}, c={c}")
    if alternative not in ALTERNATIVES:
        raise WarmthUsageError(f"unknown alternative {alternative!r}; use one of {ALTERNATIVES}")
    if method not in METHODS:
        raise WarmthUsageError(f"unknown method {method!r}; use one of {METHODS}")
    b, c = int(b), int(c)
    n = b + c
    if n == 0:
        return McNemarResult(b, c, 0.0, 1.0, alternative, method)
    if method in ("exact", "midp"):
        mid = method == "midp"
        upper = _upper_tail(b, n, mid)  # P(X >= b), or the mid-p version
        lower = _upper_tail(c, n, mid)  # P(X <= b) by symmetry
        if alternative == "greater":
            p = upper
        elif alternative == "less":
            p = lower
        else:
            p = min(1.0, 2.0 * min(upper, lower))
        return McNemarResult(b, c, float(b), float(p), alternative, method)
    if method == "asymptotic":
        z = (b - c) / math.sqrt(n)
    else:
        z = math.copysign(max(abs(b - c) - 1, 0), b - c) / math.sqrt(n)
    if alternative == "greater":
        p = stats.norm.sf(z)
    elif alternative == "less":
        p = stats.norm.cdf(z)
    else:
        p = 2.0 * stats.norm.sf(abs(z))
    return McNemarResult(b, c, float(z), float(min(1.0, p)), alternative, method)


def _upper_tail(k: int, n: int, mid: bool) -> float:
    """P(X >= k) for X ~ Bin(n, 1/2); with ``mid``, P(X > k) + P(X = k) / 2."""
    return float(binomial_upper_tail(k, n, mid=mid))


def binomial_upper_tail(k: Any, n: Any, *, mid: bool) -> Any:
    """:func:`_upper_tail` elementwise over arrays of ``k`` and ``n`` (e.g. for simulations)."""
    if mid:
        return stats.binom.sf(k, n, 0.5) + 0.5 * stats.binom.pmf(k, n, 0.5)
    return stats.binom.sf(k - 1, n, 0.5)
