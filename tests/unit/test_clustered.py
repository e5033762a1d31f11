"""Clustered McNemar tests against published values (statistics.md §3.6, §8.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats import ClusteredResult, cluster_counts, clustered_mcnemar, mcnemar_test

# Psychiatry (Donner & Petryshen 1989): 29 clusters, 135 pairs; b and c are the listed columns.
PSY_A = [1, 1, 3, 2, 2, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 1, 2, 1, 0, 2, 1, 0, 1, 0, 0, 0, 0, 1, 0]
PSY_B = [0, 1, 1, 1, 0, 3, 3, 3, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0]
PSY_C = [4, 2, 3, 2, 1, 3, 0, 2, 2, 4, 2, 4, 3, 2, 1, 3, 1, 2, 0, 0, 0, 2, 1, 2, 2, 0, 0, 1, 1]
PSY_D = [2, 2, 0, 1, 1, 0, 2, 3, 1, 3, 0, 0, 3, 2, 2, 0, 3, 2, 1, 0, 3, 0, 2, 0, 1, 2, 2, 1, 0]
PSY_N = [sum(cell) for cell in zip(PSY_A, PSY_B, PSY_C, PSY_D, strict=True)]

# Thyroids (Obuchowski 1998): per-patient (a, b, c, d), 21 patients.
THYROIDS = [
    (0, 0, 2, 1), (2, 0, 1, 0), (3, 0, 0, 0), (1, 0, 0, 0), (2, 0, 1, 0), (4, 0, 0, 0),
    (3, 0, 0, 0), (2, 0, 0, 0), (1, 1, 0, 0), (1, 0, 0, 0), (2, 0, 0, 1), (2, 0, 0, 0),
    (3, 0, 0, 0), (2, 0, 0, 0), (0, 0, 2, 0), (2, 0, 0, 1), (2, 0, 0, 1), (2, 0, 1, 0),
    (2, 0, 0, 0), (1, 0, 0, 0), (2, 0, 0, 0),
]  # fmt: skip
THY_B = [row[1] for row in THYROIDS]
THY_C = [row[2] for row in THYROIDS]
THY_N = [sum(row) for row in THYROIDS]


def test_psychiatry_data_shape() -> None:
    assert (len(PSY_N), sum(PSY_N), sum(PSY_B), sum(PSY_C)) == (29, 135, 21, 50)


@pytest.mark.parametrize(
    ("method", "expected", "tol"),
    [("obuchowski", 7.19, 5e-3), ("durkalski", 7.542, 5e-4), ("yang", 8.43, 5e-3)],
)
def test_psychiatry_reference_values(method: str, expected: float, tol: float) -> None:
    result = clustered_mcnemar(PSY_B, PSY_C, PSY_N, method=method)
    assert isinstance(result, ClusteredResult)
    assert result.statistic_chi2 == pytest.approx(expected, abs=tol)
    assert result.clusters == 29
    # c > b here: the tuned model (second rater) errs less, so z < 0 and p > 1/2.
    assert result.z == pytest.approx(-math.sqrt(result.statistic_chi2))
    assert result.pvalue_greater > 0.99


def test_psychiatry_unclustered_mcnemar() -> None:
    z = mcnemar_test(sum(PSY_B), sum(PSY_C), method="asymptotic").statistic
    assert z * z == pytest.approx(11.8451, abs=5e-5)


@pytest.mark.parametrize(
    ("method", "expected", "tol"),
    # Obuchowski: 2.86 in Durkalski's report (2.88 in Obuchowski's paper); 2.857 here.
    [("obuchowski", 2.86, 5e-3), ("durkalski", 2.32, 5e-3), ("yang", 3.13, 5e-3)],
)
def test_thyroid_reference_values(method: str, expected: float, tol: float) -> None:
    result = clustered_mcnemar(THY_B, THY_C, THY_N, method=method)
    assert result.statistic_chi2 == pytest.approx(expected, abs=tol)
    assert result.clusters == 21


def test_thyroid_unclustered_mcnemar() -> None:
    z = mcnemar_test(sum(THY_B), sum(THY_C), method="asymptotic").statistic
    assert z * z == pytest.approx(4.5)


def _expand(b: list[int], c: list[int], n: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-item d_i (+1 harm, -1 help, 0 concordant) and cluster labels."""
    d: list[int] = []
    labels: list[int] = []
    for k, (bk, ck, nk) in enumerate(zip(b, c, n, strict=True)):
        d += [1] * bk + [-1] * ck + [0] * (nk - bk - ck)
        labels += [k] * nk
    return np.asarray(d, dtype=float), np.asarray(labels)


def test_miller_matches_item_level_cluster_robust_z() -> None:
    d, labels = _expand(PSY_B, PSY_C, PSY_N)
    k, n = labels.max() + 1, d.size
    sums = np.bincount(labels, weights=d - d.mean())
    se = math.sqrt(k / (k - 1) * np.sum(sums**2)) / n
    result = clustered_mcnemar(PSY_B, PSY_C, PSY_N, method="miller")
    assert result.z == pytest.approx(d.mean() / se, rel=1e-12)
    assert result.statistic_chi2 == pytest.approx(result.z**2, rel=1e-12)


@st.composite
def clustered_tables(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    k = draw(st.integers(2, 15))
    sizes = draw(st.lists(st.integers(1, 8), min_size=k, max_size=k))
    bs: list[int] = []
    cs: list[int] = []
    for size in sizes:
        b = draw(st.integers(0, size))
        bs.append(b)
        cs.append(draw(st.integers(0, size - b)))
    return bs, cs, sizes


@given(clustered_tables(), st.sampled_from(["obuchowski", "durkalski", "yang", "miller"]))
def test_swapping_b_and_c_flips_the_sign(
    table: tuple[list[int], list[int], list[int]], method: str
) -> None:
    b, c, n = table
    forward = clustered_mcnemar(b, c, n, method=method)
    backward = clustered_mcnemar(c, b, n, method=method)
    assert backward.statistic_chi2 == pytest.approx(forward.statistic_chi2)
    assert backward.z == pytest.approx(-forward.z)
    assert 0.0 <= forward.pvalue_greater <= 1.0


@given(st.lists(st.sampled_from([-1, 0, 1]), min_size=2, max_size=60))
def test_singleton_clusters_reduce_to_paired_tests(d: list[int]) -> None:
    b = [int(x == 1) for x in d]
    c = [int(x == -1) for x in d]
    n = [1] * len(d)
    total_b, total_c, size = sum(b), sum(c), len(d)
    obu = clustered_mcnemar(b, c, n, method="obuchowski")
    if total_b + total_c:
        mcnemar_chi2 = (total_b - total_c) ** 2 / (total_b + total_c)
        assert obu.statistic_chi2 == pytest.approx((size - 1) / size * mcnemar_chi2)
    miller = clustered_mcnemar(b, c, n, method="miller")
    values = np.asarray(d, dtype=float)
    if values.std() > 0:
        paired_se = values.std(ddof=1) / math.sqrt(size)  # Miller Eq. 7
        assert miller.z == pytest.approx(values.mean() / paired_se)


def test_no_discordance_gives_p_one() -> None:
    for method in ("obuchowski", "durkalski", "yang", "miller"):
        result = clustered_mcnemar([1, 0, 2], [1, 0, 2], [3, 2, 4], method=method)
        assert (result.statistic_chi2, result.z, result.pvalue_greater) == (0.0, 0.0, 1.0)


def test_miller_zero_spread_with_a_harm_is_decisive() -> None:
    result = clustered_mcnemar([1, 2], [0, 0], [2, 4], method="miller")
    assert result.z == math.inf
    assert result.pvalue_greater == 0.0


def test_cluster_counts_from_items() -> None:
    base = [True, True, False, False, True, True, False]
    tuned = [False, True, True, False, False, True, True]
    clusters = ["t1", "t1", "t2", "t1", None, "t2", None]
    assert cluster_counts(base, tuned, clusters) == ([1, 0, 1, 0], [0, 1, 0, 1], [3, 2, 1, 1])


def test_cluster_counts_round_trip_on_psychiatry() -> None:
    base: list[bool] = []
    tuned: list[bool] = []
    ids: list[int] = []
    for k, cells in enumerate(zip(PSY_A, PSY_B, PSY_C, PSY_D, strict=True)):
        # a: both right, b: base right / tuned wrong, c: base wrong / tuned right, d: both wrong.
        for (base_ok, tuned_ok), count in zip(
            [(True, True), (True, False), (False, True), (False, False)], cells, strict=True
        ):
            base += [base_ok] * count
            tuned += [tuned_ok] * count
            ids += [k] * count
    b, c, n = cluster_counts(base, tuned, ids)
    assert (b, c, n) == (PSY_B, PSY_C, PSY_N)
    assert clustered_mcnemar(b, c, n).statistic_chi2 == pytest.approx(8.43, abs=5e-3)


@pytest.mark.parametrize(
    ("b", "c", "n", "method"),
    [
        ([1], [0], [2], "yang"),  # one cluster
        ([1, 0], [0], [2, 2], "yang"),  # ragged
        ([3, 0], [0, 0], [2, 2], "yang"),  # b + c > n
        ([0, 0], [0, 0], [0, 2], "yang"),  # empty cluster
        ([-1, 0], [0, 0], [2, 2], "yang"),
        ([1, 0], [0, 0], [2, 2], "eliasziw"),
    ],
)
def test_clustered_rejects_bad_arguments(
    b: list[int], c: list[int], n: list[int], method: str
) -> None:
    with pytest.raises(WarmthUsageError):
        clustered_mcnemar(b, c, n, method=method)


def test_cluster_counts_rejects_ragged_input() -> None:
    with pytest.raises(WarmthUsageError):
        cluster_counts([True], [True, False], [None, None])
