"""Paired-difference intervals and the Tango score test (statistics.md §3.2, §3.3, §8.1, §8.7)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats import (
    Interval,
    mcnemar_test,
    paired_difference_ci,
    tango_statistic,
    tango_test,
)

# Cavo et al. 2012 (contingencytables test-ch8.R): rbind(c(59, 6), c(16, 80)),
# so n11 = 59, b = n12 = 6, c = n21 = 16, n22 = 80, N = 161.
CAVO_N11, CAVO_B, CAVO_C, CAVO_N = 59, 6, 16, 161


@st.composite
def tables(draw: st.DrawFn, max_n: int = 300) -> tuple[int, int, int, int]:
    """(n11, b, c, n) with every cell non-negative and n >= 1."""
    n = draw(st.integers(1, max_n))
    b = draw(st.integers(0, n))
    c = draw(st.integers(0, n - b))
    n11 = draw(st.integers(0, n - b - c))
    return n11, b, c, n


def test_cavo_tango_interval() -> None:
    ci = paired_difference_ci(CAVO_B, CAVO_C, CAVO_N)
    assert isinstance(ci, Interval)
    assert ci.estimate == pytest.approx(-0.0621, abs=5e-5)
    assert ci.lower == pytest.approx(-0.1240, abs=5e-5)
    assert ci.upper == pytest.approx(-0.0054, abs=5e-5)
    assert (ci.method, ci.confidence, ci.sided) == ("tango", 0.95, "two-sided")


def test_cavo_newcombe_interval() -> None:
    ci = paired_difference_ci(CAVO_B, CAVO_C, CAVO_N, both_wrong=CAVO_N11, method="newcombe")
    assert ci.estimate == pytest.approx(-0.0621, abs=5e-5)
    assert ci.lower == pytest.approx(-0.1186, abs=5e-5)
    assert ci.upper == pytest.approx(-0.0046, abs=5e-5)


def test_tango_edge_case_all_harm() -> None:
    # R: matrix(c(0, 0, 3, 0), 2) is n12 = 3, n21 = 0, N = 3.
    ci = paired_difference_ci(3, 0, 3)
    assert ci.estimate == 1.0
    assert ci.lower == pytest.approx(-0.1230, abs=5e-5)
    assert ci.upper == 1.0


def test_tango_edge_case_all_help() -> None:
    ci = paired_difference_ci(0, 3, 3)
    assert ci.estimate == -1.0
    assert ci.lower == -1.0
    assert ci.upper == pytest.approx(0.1230, abs=5e-5)


def test_newcombe_edge_case_no_discordant_pairs() -> None:
    ci = paired_difference_ci(0, 0, 2, both_wrong=1, method="newcombe")
    assert ci.estimate == 0.0
    assert ci.lower == pytest.approx(-0.5734, abs=5e-5)
    assert ci.upper == pytest.approx(0.5734, abs=5e-5)


def test_tango_without_discordant_pairs_is_symmetric_around_zero() -> None:
    ci = paired_difference_ci(0, 0, 50)
    assert ci.lower == pytest.approx(-ci.upper)
    assert ci.lower < 0.0 < ci.upper
    # Closed form when b = c = 0: T(d) = sqrt(N d / (1 - d)) = z gives d = z^2 / (N + z^2).
    z = 1.959963984540054
    assert ci.upper == pytest.approx(z * z / (50 + z * z), rel=1e-9)


def test_tango_test_at_zero_is_mcnemar_asymptotic() -> None:
    assert tango_test(CAVO_B, CAVO_C, CAVO_N, alternative="two-sided") == pytest.approx(
        0.033006, abs=5e-7
    )
    assert tango_statistic(CAVO_B, CAVO_C, CAVO_N, 0.0) == pytest.approx(-2.132, abs=5e-4)


def test_one_sided_bound_equals_two_sided_limit_at_double_tail() -> None:
    two = paired_difference_ci(CAVO_B, CAVO_C, CAVO_N, confidence=0.90)
    low = paired_difference_ci(CAVO_B, CAVO_C, CAVO_N, confidence=0.95, sided="lower")
    up = paired_difference_ci(CAVO_B, CAVO_C, CAVO_N, confidence=0.95, sided="upper")
    assert low.lower == pytest.approx(two.lower, abs=1e-10)
    assert low.upper == 1.0
    assert up.upper == pytest.approx(two.upper, abs=1e-10)
    assert up.lower == -1.0
    nc_two = paired_difference_ci(
        CAVO_B, CAVO_C, CAVO_N, both_wrong=CAVO_N11, method="newcombe", confidence=0.90
    )
    nc_low = paired_difference_ci(
        CAVO_B, CAVO_C, CAVO_N, both_wrong=CAVO_N11, method="newcombe", sided="lower"
    )
    assert nc_low.lower == pytest.approx(nc_two.lower, abs=1e-12)
    assert nc_low.upper == 1.0


def test_tango_margin_tests_match_the_interval() -> None:
    # Harm beyond a tolerance of 1 point, and non-inferiority at a margin of 2 points.
    low = paired_difference_ci(40, 10, 400, sided="lower")
    assert (tango_test(40, 10, 400, delta0=0.01) < 0.05) == (low.lower > 0.01)
    up = paired_difference_ci(5, 9, 400, sided="upper")
    assert (tango_test(5, 9, 400, delta0=0.02, alternative="less") < 0.05) == (up.upper < 0.02)


@pytest.mark.parametrize("delta0", [-5e-230, 5e-230, -1e-300, 1e-12])
def test_tango_without_discordant_pairs_near_zero_margin(delta0: float) -> None:
    # Regression: B^2 underflowed for tiny margins, which made T(delta0) infinite.
    assert tango_statistic(0, 0, 1, delta0) == pytest.approx(0.0, abs=1e-5)
    assert tango_test(0, 0, 1, delta0=delta0) == pytest.approx(0.5, abs=1e-5)


def test_one_sided_bound_at_half_confidence_is_the_estimate() -> None:
    # z = 0: the bound is the estimate itself (regression: rounding at the estimate broke brentq).
    for sided in ("lower", "upper"):
        ci = paired_difference_ci(283387, 118517, 594642, confidence=0.5, sided=sided)
        bound = ci.lower if sided == "lower" else ci.upper
        assert bound == pytest.approx(ci.estimate, abs=1e-9)


def test_newcombe_needs_both_wrong() -> None:
    with pytest.raises(WarmthUsageError, match="both_wrong"):
        paired_difference_ci(6, 16, 161, method="newcombe")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"b": -1, "c": 0, "n": 5},
        {"b": 1, "c": -2, "n": 5},
        {"b": 0, "c": 0, "n": 0},
        {"b": 4, "c": 3, "n": 6},
        {"b": 1.5, "c": 0, "n": 5},
        {"b": 1, "c": 1, "n": 5, "method": "wald"},
        {"b": 1, "c": 1, "n": 5, "sided": "both"},
        {"b": 1, "c": 1, "n": 5, "confidence": 1.0},
        {"b": 1, "c": 1, "n": 5, "confidence": 0.0},
        {"b": 1, "c": 1, "n": 5, "both_wrong": 4, "method": "newcombe"},
        {"b": 1, "c": 1, "n": 5, "both_wrong": -1, "method": "newcombe"},
    ],
)
def test_interval_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(WarmthUsageError):
        paired_difference_ci(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("delta0", [-1.0, 1.0, 1.5, math.nan])
def test_tango_test_rejects_bad_margins(delta0: float) -> None:
    with pytest.raises(WarmthUsageError):
        tango_test(3, 1, 10, delta0=delta0)


def test_tango_test_rejects_unknown_alternative() -> None:
    with pytest.raises(WarmthUsageError):
        tango_test(3, 1, 10, alternative="bigger")


def test_tango_statistic_rejects_bad_counts() -> None:
    with pytest.raises(WarmthUsageError):
        tango_statistic(3, 1, 0, 0.0)
    with pytest.raises(WarmthUsageError):
        tango_statistic(3, 1, 10, 2.0)


@given(tables())
def test_tango_statistic_at_zero_is_mcnemar_z(table: tuple[int, int, int, int]) -> None:
    _, b, c, n = table
    assume(b + c > 0)
    t0 = tango_statistic(b, c, n, 0.0)
    assert t0 == pytest.approx((b - c) / math.sqrt(b + c), rel=1e-12, abs=1e-12)
    assert t0 == pytest.approx(
        mcnemar_test(b, c, method="asymptotic").statistic, rel=1e-12, abs=1e-12
    )


@settings(deadline=None)
@given(tables(), st.sampled_from(["tango", "newcombe"]), st.sampled_from([0.8, 0.95, 0.99]))
def test_swapping_b_and_c_mirrors_the_interval(
    table: tuple[int, int, int, int], method: str, confidence: float
) -> None:
    n11, b, c, n = table
    ci = paired_difference_ci(b, c, n, both_wrong=n11, method=method, confidence=confidence)
    swapped = paired_difference_ci(c, b, n, both_wrong=n11, method=method, confidence=confidence)
    assert swapped.lower == pytest.approx(-ci.upper, abs=1e-9)
    assert swapped.upper == pytest.approx(-ci.lower, abs=1e-9)
    low = paired_difference_ci(b, c, n, both_wrong=n11, method=method, sided="lower")
    up = paired_difference_ci(c, b, n, both_wrong=n11, method=method, sided="upper")
    assert up.upper == pytest.approx(-low.lower, abs=1e-9)
    assert up.lower == -low.upper == -1.0


@settings(deadline=None)
@given(
    tables(),
    st.sampled_from(["tango", "newcombe"]),
    st.sampled_from(["two-sided", "lower", "upper"]),
)
def test_interval_contains_the_estimate(
    table: tuple[int, int, int, int], method: str, sided: str
) -> None:
    n11, b, c, n = table
    ci = paired_difference_ci(b, c, n, both_wrong=n11, method=method, sided=sided)
    assert ci.estimate == (b - c) / n
    assert -1.0 <= ci.lower <= ci.estimate <= ci.upper <= 1.0


@settings(deadline=None)
@given(tables(), st.sampled_from([0.01, 0.05, 0.1]), st.floats(-0.95, 0.95))
def test_tango_test_is_dual_to_the_one_sided_bounds(
    table: tuple[int, int, int, int], alpha: float, delta0: float
) -> None:
    _, b, c, n = table
    low = paired_difference_ci(b, c, n, confidence=1 - alpha, sided="lower").lower
    up = paired_difference_ci(b, c, n, confidence=1 - alpha, sided="upper").upper
    # Skip draws that sit on a limit to solver precision.
    assume(abs(low - delta0) > 1e-7 and abs(up - delta0) > 1e-7)
    assert (tango_test(b, c, n, delta0=delta0) < alpha) == (low > delta0)
    assert (tango_test(b, c, n, delta0=delta0, alternative="less") < alpha) == (up < delta0)


@settings(deadline=None)
@given(tables())
def test_wider_confidence_gives_wider_interval(table: tuple[int, int, int, int]) -> None:
    _, b, c, n = table
    narrow = paired_difference_ci(b, c, n, confidence=0.8)
    wide = paired_difference_ci(b, c, n, confidence=0.99)
    assert wide.lower <= narrow.lower + 1e-12
    assert wide.upper >= narrow.upper - 1e-12
