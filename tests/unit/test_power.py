"""Connor sample size and power, MDE and the discreteness floor (statistics.md §3.7, §3.8, §8.6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats import (
    connor_power,
    mcnemar_test,
    minimum_detectable_effect,
    required_sample_size,
    untestable,
)


@pytest.mark.parametrize("alternative", ["two-sided"])
@pytest.mark.parametrize("delta", [0.40, -0.40])
def test_connor_reference_two_sided(delta: float, alternative: str) -> None:
    # p01 = 0.45, p10 = 0.05, alpha 0.05 two-sided, power 0.80 -> n = 23.
    assert required_sample_size(delta, 0.50, alpha=0.05, power=0.80, alternative=alternative) == 23


def test_connor_reference_one_sided() -> None:
    # The same proportions, one-sided alpha 0.05, power 0.90 -> n = 23 (either direction).
    assert required_sample_size(0.40, 0.50, alpha=0.05, power=0.90, alternative="greater") == 23
    assert required_sample_size(-0.40, 0.50, alpha=0.05, power=0.90, alternative="less") == 23


def test_clinicaltrials_tools_reference() -> None:
    # Discordance 0.45 with p10 = 0.30, p01 = 0.15, two-sided alpha 0.05, 80% -> 155 pairs, 80.1%.
    n = required_sample_size(0.15, 0.45, alpha=0.05, power=0.80, alternative="two-sided")
    assert n == 155
    assert connor_power(0.15, 0.45, n, alternative="two-sided") == pytest.approx(0.801, abs=5e-4)


@given(
    st.floats(0.02, 1.0),
    st.floats(0.05, 1.0),
    st.sampled_from([0.01, 0.05, 0.1]),
    st.sampled_from([0.5, 0.8, 0.9]),
    st.sampled_from(["greater", "two-sided"]),
)
def test_sample_size_is_the_smallest_reaching_power(
    psi: float, share: float, alpha: float, power: float, alternative: str
) -> None:
    delta = psi * share
    n = required_sample_size(delta, psi, alpha=alpha, power=power, alternative=alternative)
    assert connor_power(delta, psi, n, alpha=alpha, alternative=alternative) >= power - 1e-9
    if n > 1 and alternative == "greater":
        assert connor_power(delta, psi, n - 1, alpha=alpha) < power + 1e-9


def test_power_under_the_null_is_alpha() -> None:
    assert connor_power(0.0, 0.3, 100, alpha=0.05) == pytest.approx(0.05)
    assert connor_power(0.0, 0.3, 100, alpha=0.05, alternative="two-sided") == pytest.approx(0.05)


def test_power_with_one_directional_discordance_is_a_step() -> None:
    # psi - delta^2 = 0 only when every pair is discordant in the same direction.
    assert connor_power(1.0, 1.0, 3) == 1.0
    assert connor_power(1.0, 1.0, 1, alpha=0.001) == 0.0


def test_mde_solves_the_connor_equation() -> None:
    mde = minimum_detectable_effect(400, 0.25, alpha=0.01, power=0.8)
    assert 0.0 < mde < 0.25
    assert connor_power(mde, 0.25, 400, alpha=0.01) == pytest.approx(0.8, abs=1e-6)


def test_mde_is_infinite_when_nothing_is_detectable() -> None:
    # 10 pairs at 10% discordance: even delta = psi (every discordant pair a harm) is not enough.
    assert minimum_detectable_effect(10, 0.1) == math.inf
    # No discordant pairs: psi is taken as 1/n, which is never enough at usual levels.
    assert minimum_detectable_effect(1000, 0.0) == math.inf


@settings(deadline=None)
@given(
    st.integers(1, 5000),
    st.integers(1, 5000),
    st.floats(0.0, 1.0),
    st.sampled_from([0.001, 0.05]),
)
def test_mde_decreases_with_n(n1: int, n2: int, psi: float, alpha: float) -> None:
    small, large = sorted((n1, n2))
    assert minimum_detectable_effect(large, psi, alpha=alpha) <= minimum_detectable_effect(
        small, psi, alpha=alpha
    )


@pytest.mark.parametrize(
    ("b", "c", "alpha", "method", "expected"),
    [
        (4, 0, 0.05, "exact", True),  # 0.5**4 = 0.0625
        (3, 2, 0.05, "exact", False),  # 0.5**5 = 0.03125
        (3, 0, 0.05, "midp", True),  # 0.5**4
        (2, 2, 0.05, "midp", False),  # 0.5**5
        (5, 5, 0.05 / 100, "midp", False),  # 0.5**11 = 0.000488 < 0.0005
        (5, 4, 0.05 / 100, "midp", True),
    ],
)
def test_untestable(b: int, c: int, alpha: float, method: str, expected: bool) -> None:
    assert untestable(b, c, alpha, method) is expected


@given(st.integers(0, 40), st.sampled_from([0.05, 0.01, 0.001]), st.sampled_from(["exact", "midp"]))
def test_untestable_matches_the_smallest_attainable_pvalue(
    discordant: int, alpha: float, method: str
) -> None:
    smallest = mcnemar_test(discordant, 0, method=method).pvalue if discordant else 1.0
    assert untestable(discordant, 0, alpha, method) == (smallest > alpha)


@pytest.mark.parametrize(
    ("func", "kwargs"),
    [
        (required_sample_size, {"delta": 0.0, "discordance": 0.3}),
        (required_sample_size, {"delta": -0.1, "discordance": 0.3}),
        (required_sample_size, {"delta": 0.1, "discordance": 0.3, "alternative": "less"}),
        (required_sample_size, {"delta": 0.4, "discordance": 0.3}),
        (required_sample_size, {"delta": 0.1, "discordance": 0.0}),
        (required_sample_size, {"delta": 0.1, "discordance": 0.3, "alpha": 1.5}),
        (required_sample_size, {"delta": 0.1, "discordance": 0.3, "power": 0.0}),
        (required_sample_size, {"delta": 0.1, "discordance": 0.3, "alternative": "up"}),
        (connor_power, {"delta": 0.1, "discordance": 0.3, "n": 0}),
        (connor_power, {"delta": 0.1, "discordance": 0.3, "n": -3}),
        (minimum_detectable_effect, {"n": 0, "discordance": 0.3}),
        (minimum_detectable_effect, {"n": 10, "discordance": 1.2}),
        (minimum_detectable_effect, {"n": 10, "discordance": 0.3, "alpha": 0.0}),
        (untestable, {"b": -1, "c": 0, "alpha_adj": 0.05}),
        (untestable, {"b": 1, "c": 0, "alpha_adj": 0.05, "method": "asymptotic"}),
        (untestable, {"b": 1, "c": 0, "alpha_adj": 1.0}),
    ],
)
def test_power_functions_reject_bad_arguments(func: object, kwargs: dict[str, object]) -> None:
    assert callable(func)
    with pytest.raises(WarmthUsageError):
        func(**kwargs)


def test_midp_power_at_the_connor_sample_size() -> None:
    """Simulated power of the one-sided mid-p test at Connor's n (delta 0.1, psi 0.3)."""
    alpha, power, delta, psi = 0.05, 0.80, 0.10, 0.30
    n = required_sample_size(delta, psi, alpha=alpha, power=power)
    assert n == 184
    reps = 2000
    rng = np.random.default_rng(20240601)
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    counts = rng.multinomial(n, [p10, p01, 1 - psi], size=reps)
    rejected = np.array(
        [mcnemar_test(int(b), int(c), method="midp").pvalue < alpha for b, c, _ in counts]
    )
    se = math.sqrt(power * (1 - power) / reps)
    # Measured: 0.800 with this seed (Connor's approximate power at n = 184: 0.801).
    assert rejected.mean() >= power - 3 * se
