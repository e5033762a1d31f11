"""Assertion helpers for users' own tests; failures explain themselves."""

from __future__ import annotations

from pytest_warmth.errors import WarmthAssertionError, WarmthUsageError
from pytest_warmth.option_values import TESTS
from pytest_warmth.results import FAIL, INCONCLUSIVE, UNTESTABLE, CellResult
from pytest_warmth.verdicts import PairedCell, Policy, decide, explain


class WarmthRegressionError(WarmthAssertionError):
    """Raised by :func:`assert_no_regression`; ``result`` holds the full comparison."""

    def __init__(self, message: str, result: CellResult) -> None:
        super().__init__(message)
        self.result = result


def assert_no_regression(
    comparison: PairedCell,
    *,
    alpha: float = 0.05,
    margin: float = 0.0,
    min_effect: float = 0.05,
    test: str = "midp",
    strict: bool = False,
) -> CellResult:
    """Fail when the tuned model errs significantly more often than the base.

    Args:
        comparison: Paired outcomes, e.g. from the ``warmth_compare`` fixture.
        alpha: One-sided significance level.
        margin: Tolerated rise in error rate (fail only when significantly above it).
        min_effect: Smallest rise worth catching, for the INCONCLUSIVE verdict.
        test: ``midp``, ``exact`` or ``asymptotic`` (clustered items use a cluster-robust test).
        strict: Also fail on INCONCLUSIVE and UNTESTABLE.

    Returns:
        The verdict with n, both error rates, the interval, p-values and power figures.

    Raises:
        WarmthRegressionError: The verdict is FAIL (or underpowered, with ``strict``).
        WarmthUsageError: An empty comparison or an invalid setting (alpha, margin, test).

    Examples:
        >>> def test_sad_users(warmth_compare):  # doctest: +SKIP
        ...     assert_no_regression(warmth_compare("factual", context="sad"), margin=0.02)
    """
    __tracebackhide__ = True
    if not comparison.items:
        raise WarmthUsageError("the comparison has no items; check the suite, tags and limit")
    if not 0.0 < alpha < 1.0:
        raise WarmthUsageError(f"alpha must be in (0, 1), got {alpha}")
    if not 0.0 <= margin < 1.0:
        raise WarmthUsageError(f"margin must be in [0, 1), got {margin}")
    if test not in TESTS:
        raise WarmthUsageError(f"unknown test {test!r}; choose one of: {', '.join(TESTS)}")
    policy = Policy(alpha=alpha, margin=margin, min_effect=min_effect, test=test)
    (result,) = decide([comparison], policy)
    if result.verdict == FAIL or (strict and result.verdict in (INCONCLUSIVE, UNTESTABLE)):
        raise WarmthRegressionError(explain(result, strict=strict), result)
    return result
