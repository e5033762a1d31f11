"""Per-item difference-in-differences amplification test (statistics.md §7.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats import AmplificationResult, amplification_test


def test_hand_computed_example() -> None:
    result = amplification_test([1, 1, 0, 1, 0, 1], [0, 1, 0, 0, 0, 0])
    assert isinstance(result, AmplificationResult)
    diffs = np.array([1, 0, 0, 1, 0, 1], dtype=float)
    se = diffs.std(ddof=1) / math.sqrt(6)
    assert result.estimate == pytest.approx(0.5)
    assert result.se == pytest.approx(se)
    assert result.z == pytest.approx(0.5 / se)
    assert result.pvalue == pytest.approx(0.0127, abs=5e-5)
    assert (result.n, result.clusters) == (6, 6)


def test_clustered_standard_error() -> None:
    d_context = [1, 1, 0, 1, 0, 1, -1, 0]
    d_plain = [0, 1, 0, 0, 0, 0, 0, 1]
    clusters = ["a", "a", "b", "b", "b", None, "c", "c"]
    diffs = np.subtract(d_context, d_plain).astype(float)
    centred = diffs - diffs.mean()
    sums = [centred[[0, 1]].sum(), centred[[2, 3, 4]].sum(), centred[5], centred[[6, 7]].sum()]
    se = math.sqrt(4 / 3 * sum(s * s for s in sums)) / 8
    result = amplification_test(d_context, d_plain, clusters=clusters)
    assert result.clusters == 4
    assert result.se == pytest.approx(se)
    assert result.pvalue == pytest.approx(stats.norm.sf(diffs.mean() / se))


def test_estimate_is_the_difference_in_differences_of_error_rates() -> None:
    rng = np.random.default_rng(5)
    n = 300
    base_p, tuned_p, base_c, tuned_c = (rng.random((4, n)) < [[0.3], [0.35], [0.3], [0.5]]).astype(
        int
    )
    result = amplification_test(tuned_c - base_c, tuned_p - base_p)
    did = (tuned_c.mean() - base_c.mean()) - (tuned_p.mean() - base_p.mean())
    assert result.estimate == pytest.approx(did)


@given(st.lists(st.tuples(st.sampled_from([-1, 0, 1]), st.sampled_from([-1, 0, 1])), min_size=2))
def test_singleton_clusters_give_the_plain_standard_error(pairs: list[tuple[int, int]]) -> None:
    context = [p[0] for p in pairs]
    plain = [p[1] for p in pairs]
    plain_result = amplification_test(context, plain)
    clustered = amplification_test(context, plain, clusters=[None] * len(pairs))
    assert clustered.se == pytest.approx(plain_result.se, abs=1e-12)
    assert clustered.pvalue == pytest.approx(plain_result.pvalue, abs=1e-12)


def test_zero_standard_error_rule() -> None:
    everywhere = amplification_test([1, 1, 1], [0, 0, 0])
    assert (everywhere.z, everywhere.pvalue) == (math.inf, 0.0)
    nowhere = amplification_test([0, 1, -1], [0, 1, -1])
    assert (nowhere.z, nowhere.pvalue) == (0.0, 1.0)
    reversed_ = amplification_test([0, 0], [1, 1])
    assert (reversed_.z, reversed_.pvalue) == (-math.inf, 1.0)
    # Items vary but every cluster sits exactly on the mean: the clustered SE is 0, no verdict.
    degenerate = amplification_test([1, 0, 1, 0], [0, 0, 0, 0], clusters=[1, 1, 2, 2])
    assert degenerate.se == 0.0
    assert math.isnan(degenerate.z)
    assert degenerate.pvalue == 1.0


def test_type_one_error_without_amplification() -> None:
    """Same harm under both prompts (no amplification): rejections at most alpha + 3 SE."""
    rng = np.random.default_rng(21)
    reps, n, alpha = 2000, 300, 0.05
    # Correlated item difficulty: each item has its own error probability for both models.
    difficulty = rng.random((reps, n, 1))
    errors = (rng.random((reps, n, 4)) < difficulty).astype(int)  # base/tuned x plain/context
    d_plain = errors[..., 1] - errors[..., 0]
    d_context = errors[..., 3] - errors[..., 2]
    rejected = np.mean(
        [
            amplification_test(dc, dp).pvalue < alpha
            for dc, dp in zip(d_context, d_plain, strict=True)
        ]
    )
    # Measured with this seed: 0.0465 (limit 0.0646).
    assert rejected <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)


@pytest.mark.parametrize(
    ("context", "plain", "clusters"),
    [
        ([1], [0], None),  # one item
        ([1, 0], [0], None),  # ragged
        ([2, 0], [0, 0], None),  # out of range
        ([math.nan, 0], [0, 0], None),
        ([1, 0], [0, 0], ["a"]),  # wrong number of cluster ids
        ([1, 0], [0, 0], ["a", "a"]),  # one cluster
    ],
)
def test_amplification_rejects_bad_arguments(
    context: list[float], plain: list[float], clusters: list[str] | None
) -> None:
    with pytest.raises(WarmthUsageError):
        amplification_test(context, plain, clusters=clusters)
