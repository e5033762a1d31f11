"""Anytime-valid one-sided McNemar e-process (statistics.md §6.5) and seeded simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.evaluation import SEQUENTIAL_LOOK
from pytest_warmth.stats import (
    DesignSimulation,
    SequentialMcNemar,
    items_to_decision,
    log_evalue,
    log_evalue_grid,
    mcnemar_test,
    required_sample_size,
    simulate_design,
)
from pytest_warmth.verdicts import SEQUENTIAL_ALPHA_SHARE

ALPHA = 0.05
REPS = 2000
MC_SE = math.sqrt(ALPHA * (1 - ALPHA) / REPS)


def _quad_evalue(n: int, k: int, a: float, b: float) -> float:
    """The e-value by numerical integration of the truncated Beta mixture."""
    density = stats.beta(a, b)
    mass = density.sf(0.5)
    value, _ = integrate.quad(
        lambda q: (2 * q) ** k * (2 * (1 - q)) ** (n - k) * density.pdf(q) / mass, 0.5, 1.0
    )
    return float(value)


@pytest.mark.parametrize(
    ("n", "k", "a", "b"),
    [(1, 1, 1, 1), (1, 0, 1, 1), (10, 7, 1, 1), (25, 10, 1, 1), (30, 22, 7, 3), (12, 12, 0.5, 0.5)],
)
def test_log_evalue_matches_numerical_integration(n: int, k: int, a: float, b: float) -> None:
    assert log_evalue(n, k, a=a, b=b) == pytest.approx(math.log(_quad_evalue(n, k, a, b)), 1e-8)


def test_log_evalue_closed_forms() -> None:
    assert log_evalue(0, 0) == 0.0
    assert log_evalue(1, 1) == pytest.approx(math.log(1.5))
    assert log_evalue(1, 0) == pytest.approx(math.log(0.5))
    for n in range(1, 30):  # all harms, flat prior: E = 2^(n+1) (1 - 2^-(n+1)) / (n + 1)
        expected = math.log(2 ** (n + 1) - 1) - math.log(n + 1)
        assert log_evalue(n, n) == pytest.approx(expected, rel=1e-10)


@given(st.integers(1, 400), st.data())
def test_log_evalue_grows_with_harms(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n - 1))
    assert log_evalue(n, k + 1) > log_evalue(n, k)


def test_grid_matches_log_evalue() -> None:
    grid = log_evalue_grid(40, a=2.0, b=1.5)
    assert grid.shape == (41, 41)
    for n, k in [(0, 0), (5, 3), (40, 40), (40, 0), (17, 11)]:
        assert grid[n, k] == pytest.approx(log_evalue(n, k, a=2.0, b=1.5), rel=1e-12)
    assert np.isnan(grid[3, 4])


def test_streaming_decides_on_the_seventh_straight_harm() -> None:
    test = SequentialMcNemar.from_alpha(ALPHA)
    assert test.threshold == pytest.approx(20.0)
    decisions = [test.update(True, False) for _ in range(7)]
    assert decisions == [False] * 6 + [True]
    assert (test.items, test.discordant, test.harms, test.decided_at) == (7, 7, 7, 7)
    assert test.log_e == pytest.approx(log_evalue(7, 7))
    # The decision is final even if helps follow.
    for _ in range(20):
        assert test.update(False, True)
    assert test.decided
    assert test.log_e < math.log(20.0)


def test_concordant_items_carry_no_evidence() -> None:
    test = SequentialMcNemar()
    test.update(True, False)
    before = test.log_e
    for base_ok in (True, False, True):
        assert not test.update(base_ok, base_ok)
    assert (test.items, test.discordant, test.log_e) == (4, 1, before)
    assert test.e_value == pytest.approx(1.5)


def test_e_bonferroni_threshold() -> None:
    assert SequentialMcNemar.from_alpha(0.05, tests=12).threshold == pytest.approx(240.0)


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=80))
def test_items_to_decision_agrees_with_streaming(pairs: list[tuple[bool, bool]]) -> None:
    base = [p[0] for p in pairs]
    tuned = [p[1] for p in pairs]
    test = SequentialMcNemar(threshold=8.0)
    for base_ok, tuned_ok in pairs:
        test.update(base_ok, tuned_ok)
    assert items_to_decision(base, tuned, threshold=8.0) == test.decided_at


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 1.0}, {"threshold": -5.0}, {"prior_a": 0.0}, {"prior_b": -1.0}],
)
def test_sequential_rejects_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(WarmthUsageError):
        SequentialMcNemar(**kwargs)


def test_log_evalue_rejects_bad_counts() -> None:
    with pytest.raises(WarmthUsageError):
        log_evalue(3, 4)
    with pytest.raises(WarmthUsageError):
        log_evalue(-1, 0)
    with pytest.raises(WarmthUsageError):
        SequentialMcNemar.from_alpha(1.2)
    with pytest.raises(WarmthUsageError):
        items_to_decision([True], [])


# --- seeded simulations (vectorised) -------------------------------------------------------


def _simulate(
    rng: np.random.Generator, reps: int, items: int, discordance: float, delta: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per replication and item: harm (base right, tuned wrong) and help indicators."""
    p10 = (discordance + delta) / 2
    p01 = (discordance - delta) / 2
    u = rng.random((reps, items))
    return u < p10, (u >= p10) & (u < p10 + p01)


def _eprocess_stopping(
    harm: np.ndarray, help_: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each stream decided, and the item at which it did (the horizon if never)."""
    n = np.cumsum(harm | help_, axis=1)
    k = np.cumsum(harm, axis=1)
    grid = log_evalue_grid(int(n.max()))
    crossed = grid[n, k] >= math.log(threshold)
    decided = crossed.any(axis=1)
    first = np.where(decided, crossed.argmax(axis=1) + 1, harm.shape[1])
    return decided, first


def test_type_one_error_under_no_change() -> None:
    """Delta = 0, discordance 0.2, 200 items: mid-p and the e-process hold alpha."""
    rng = np.random.default_rng(11)
    harm, help_ = _simulate(rng, REPS, 200, 0.2, 0.0)
    b, c = harm.sum(axis=1), help_.sum(axis=1)
    midp = np.mean(
        [
            mcnemar_test(int(x), int(y), method="midp").pvalue < ALPHA
            for x, y in zip(b, c, strict=True)
        ]
    )
    decided, _ = _eprocess_stopping(harm, help_, 1 / ALPHA)  # checked after every item
    # Measured with this seed: mid-p 0.0435 (exact 0.0295), e-process 0.017; limit 0.0646.
    assert midp <= ALPHA + 3 * MC_SE
    assert decided.mean() <= ALPHA + 3 * MC_SE


def test_eprocess_type_one_error_over_a_long_stream() -> None:
    """As in statistics.md §6.5 item 6: 2,000 items, checked after each one (there: 3.4%)."""
    rng = np.random.default_rng(12)
    harm, help_ = _simulate(rng, REPS, 2000, 0.2, 0.0)
    decided, _ = _eprocess_stopping(harm, help_, 1 / ALPHA)
    # Measured with this seed: 0.0275.
    assert decided.mean() <= ALPHA + 3 * MC_SE


def _regression_runs() -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A 10-point regression (discordance 0.3, q = 2/3) over 8 fixed-test budgets."""
    budget = required_sample_size(0.10, 0.30, alpha=ALPHA, power=0.80)  # 184
    rng = np.random.default_rng(13)
    harm, help_ = _simulate(rng, REPS, 8 * budget, 0.30, 0.10)
    decided, first = _eprocess_stopping(harm, help_, 1 / ALPHA)
    used = np.minimum(first, budget)  # capped: runs not decided by the budget use all of it
    return budget, decided, first, used


def test_eprocess_detects_a_ten_point_regression() -> None:
    """The e-process finds the regression in every run, given enough items.

    Measured with this seed (budget = 184 items, the fixed mid-p test's 80% sample size):
    decided within the budget in 49.4% of runs (the fixed mid-p test on the same first 184
    items: 79.8%); mean items used, capped at the budget, 0.745 of it (0.485 among the runs that
    decided within it); without a cap the mean stopping time is 1.23 budgets (median 1.02) and
    every run decides within 8 budgets.
    """
    budget, decided, first, used = _regression_runs()
    assert decided.mean() >= 0.99
    within = first <= budget
    assert 0.40 <= within.mean() <= 0.60
    assert 0.65 <= used.mean() / budget <= 0.85


def test_simulated_midp_matches_the_mcnemar_test() -> None:
    from pytest_warmth.stats.sequential import _midp_rejects

    n = np.repeat(np.arange(0, 41), 41)
    b = np.tile(np.arange(0, 41), 41)
    ok = b <= n
    n, b = n[ok], b[ok]
    for level in (0.05, 0.01):
        expected = [
            m > 0 and mcnemar_test(int(x), int(m - x), method="midp").pvalue <= level
            for x, m in zip(b, n, strict=True)
        ]
        assert _midp_rejects(b, n, level).tolist() == expected


def _gate_design(delta: float, discordance: float, budget: int) -> DesignSimulation:
    return simulate_design(
        delta, discordance, budget, share=SEQUENTIAL_ALPHA_SHARE, look=SEQUENTIAL_LOOK,
        reps=REPS, seed=14,
    )  # fmt: skip


def test_gate_design_holds_alpha_and_tracks_the_fixed_test_at_the_full_profile_budget() -> None:
    """The design --warmth-sequential runs, at the full profile's 204 items per cell.

    Measured with this seed, 10-point rise, 15 % discordance: it fails 95.0 % of runs (the
    fixed test 99.0 %), same verdict 95.9 %, 53.4 % of the items; the e-process alone, looked
    at after every item, agrees in 92.8 % (48.1 % of the items). No change: 2.3 % false alarms.
    """
    null = _gate_design(0.0, 0.15, 204)
    assert null.fails <= ALPHA + 3 * MC_SE
    rise = _gate_design(0.10, 0.15, 204)
    alone = simulate_design(0.10, 0.15, 204, reps=REPS, seed=14)
    assert alone.fails == alone.decided_early  # no final test without a share for it
    assert rise.same_verdict >= 0.95 > alone.same_verdict
    assert rise.items_used <= 0.56


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "target from the brief not met: <= 50 % of the items on a 10-point rise with the "
        "same verdicts. At the fixed test's 80%-power budget (184 items, 30 % discordance) "
        "the gate's design uses 0.80 of it and agrees with the fixed test in 79 % of runs; the "
        "flat-prior e-process alone, looked at after every item, 0.745 (priors concentrated at "
        "the alternative, up to Beta(100, 50): 0.73). Even Wald's SPRT of q = 1/2 against "
        "q = 2/3, the optimum for this alternative, needs about 0.61 of the budget on average "
        "(1.907 nats / 0.0566 nats per discordant pair / 0.3 discordance = 112 of 184 items). "
        "At the full profile's 204 items and 15 % discordance: 0.53, same verdict 96 %"
    ),
)
def test_sequential_uses_at_most_half_the_items_with_the_same_verdicts() -> None:
    budget = required_sample_size(0.10, 0.30, alpha=ALPHA, power=0.80)
    design = _gate_design(0.10, 0.30, budget)
    assert design.items_used <= 0.50
    assert design.same_verdict >= 0.99
