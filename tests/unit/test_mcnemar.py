"""McNemar family and multiplicity against published reference values (statistics.md §8)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats import adjust_pvalues, mcnemar_test

# Cavo et al. 2012 (contingencytables test-ch8.R): n12 = 6, n21 = 16.
CAVO = (6, 16)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("asymptotic", 0.033006),
        ("asymptotic_cc", 0.055009),
        ("exact", 0.052479),
        ("midp", 0.034690),
    ],
)
def test_cavo_two_sided_reference_values(method: str, expected: float) -> None:
    result = mcnemar_test(*CAVO, alternative="two-sided", method=method)
    assert result.pvalue == pytest.approx(expected, abs=5e-7)


def test_cavo_z_statistics() -> None:
    assert mcnemar_test(*CAVO, method="asymptotic").statistic == pytest.approx(-2.132, abs=5e-4)
    assert abs(mcnemar_test(*CAVO, method="asymptotic_cc").statistic) == pytest.approx(
        1.919, abs=5e-4
    )


def test_agresti_presidential_approval_chi_square() -> None:
    # R mcnemar.test(matrix(c(794, 86, 150, 570), 2), correct=FALSE): chi2 17.3559, p 3.099e-05
    result = mcnemar_test(150, 86, alternative="two-sided", method="asymptotic")
    assert result.statistic**2 == pytest.approx(17.3559, abs=5e-5)
    assert result.pvalue == pytest.approx(3.099e-05, rel=1e-3)


def test_one_sided_exact_is_the_binomial_upper_tail() -> None:
    result = mcnemar_test(12, 3, alternative="greater", method="exact")
    assert result.pvalue == pytest.approx(stats.binomtest(12, 15, 0.5, "greater").pvalue)
    assert mcnemar_test(3, 12, alternative="greater").pvalue > 0.99


def test_no_discordant_pairs_gives_p_one() -> None:
    for method in ("exact", "midp", "asymptotic", "asymptotic_cc"):
        assert mcnemar_test(0, 0, method=method).pvalue == 1.0


@given(st.integers(0, 60), st.integers(0, 60))
def test_two_sided_exact_matches_scipy_binomtest(b: int, c: int) -> None:
    if b + c == 0:
        return
    expected = stats.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_test(b, c, alternative="two-sided").pvalue == pytest.approx(expected, rel=1e-9)


@given(st.integers(0, 60), st.integers(0, 60))
def test_midp_never_exceeds_exact(b: int, c: int) -> None:
    exact = mcnemar_test(b, c, method="exact").pvalue
    assert mcnemar_test(b, c, method="midp").pvalue <= exact + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"b": -1, "c": 2}, "non-negative"),
        ({"b": 1, "c": 2, "method": "fisher"}, "unknown method"),
        ({"b": 1, "c": 2, "alternative": "up"}, "unknown alternative"),
    ],
)
def test_bad_arguments_raise_usage_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(WarmthUsageError, match=message):
        mcnemar_test(**kwargs)  # type: ignore[arg-type]


PVAL0 = [
    0.838541367553, 0.642193923795, 0.680845947633, 0.967833824309, 0.71626938238,
    0.177096952723, 5.23656777208e-05, 0.0202732688798, 0.00028140506198, 0.0149877310796,
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("bonferroni", [5.2366e-04, 2.8141e-03, 0.149877, 0.202733]),
        ("holm", [5.2366e-04, 2.53265e-03, 0.1199018, 0.1419129]),
        ("bh", [5.2366e-04, 1.40703e-03, 0.0499591, 0.0506832]),
    ],
)
def test_multiplicity_reference_values(method: str, expected: list[float]) -> None:
    adjusted = adjust_pvalues(PVAL0, method)
    smallest = [adjusted[i] for i in (6, 8, 9, 7)]
    assert smallest == pytest.approx(expected, rel=2e-4)


def test_bh_matches_scipy_docs_example() -> None:
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.000]  # fmt: skip
    adjusted = adjust_pvalues(p, "bh")
    assert adjusted == pytest.approx(list(stats.false_discovery_control(p)))
    assert sum(a <= 0.05 for a in adjusted) == 4
    assert sum(a <= 0.05 for a in adjust_pvalues(p, "bonferroni")) == 3


@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_holm_is_monotone_and_bounded(p: list[float]) -> None:
    adjusted = adjust_pvalues(p, "holm")
    assert all(raw <= adj <= 1.0 for raw, adj in zip(p, adjusted, strict=True))
    order = sorted(range(len(p)), key=lambda i: p[i])
    assert all(adjusted[a] <= adjusted[b] for a, b in itertools.pairwise(order))


def test_unknown_correction() -> None:
    with pytest.raises(WarmthUsageError, match="unknown correction"):
        adjust_pvalues([0.1], "sidak")
