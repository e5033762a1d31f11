"""Tests whether a prompt context amplifies the tuned model's regression (per-item DiD).

Per item ``i``, ``d_i = tuned_wrong_i - base_wrong_i`` in {-1, 0, 1} is the item's contribution
to the rise in the tuned model's error rate. Measured once with the context (e.g. a sad user, an
incorrect user belief) and once with the plain prompt, the per-item difference-in-differences is
``D_i = d_context_i - d_plain_i`` in {-2, ..., 2}. Its mean estimates

    DiD = (P_tuned,context - P_base,context) - (P_tuned,plain - P_base,plain),

and the one-sided z-test of H0: DiD <= 0 uses ``SE = sd(D) / sqrt(N)`` (ddof = 1), or with
template/passage clusters ``SE^2 = G/(G-1) * sum_g (sum_{i in g} (D_i - Dbar))^2 / N^2``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from pytest_warmth.errors import WarmthUsageError


@dataclass(frozen=True)
class AmplificationResult:
    """Outcome of :func:`amplification_test`."""

    estimate: float
    """Mean per-item difference-in-differences; positive when the context widens the gap."""
    se: float
    """Its standard error (item-level, or cluster-robust when clusters were given)."""
    z: float
    """``estimate / se`` (see :func:`amplification_test` for a zero SE)."""
    pvalue: float
    """One-sided p-value for H1: the context amplifies the tuned model's regression."""
    n: int
    """Number of items."""
    clusters: int
    """Number of clusters (equal to ``n`` without cluster ids)."""


def amplification_test(
    d_context: Sequence[float],
    d_plain: Sequence[float],
    *,
    clusters: Sequence[Hashable | None] | None = None,
) -> AmplificationResult:
    """One-sided test that a context amplifies the tuned-minus-base error difference.

    Zero standard error rule (the z-test is undefined there; the rule never rejects unless the
    data leave no doubt): if every ``D_i`` equals the same positive value, the estimate is
    positive without any spread, so ``z = inf`` and p = 0. If every ``D_i`` equals the same value
    <= 0, ``z`` is ``-inf`` (or 0 for a zero estimate) and p = 1. If the items vary but the
    clustered SE is still 0 (every cluster has exactly the overall mean), the test cannot judge
    the spread: ``z`` is NaN and p = 1.

    Args:
        d_context: Per item, ``tuned_wrong - base_wrong`` under the context (values in [-1, 1];
            {-1, 0, 1} for single answers, proportions' differences for repeated samples).
        d_plain: The same for the plain prompt, items in the same order.
        clusters: Optional per-item cluster ids (template, passage); None entries are clusters of
            their own. Without it every item is its own cluster and the plain SE is used.

    Returns:
        The estimate, SE, z, one-sided p-value, and the numbers of items and clusters.

    Raises:
        WarmthUsageError: Sequences of different lengths, values outside [-1, 1] or not finite,
            fewer than 2 items, or fewer than 2 clusters.

    Examples:
        >>> r = amplification_test([1, 1, 0, 1, 0, 1], [0, 1, 0, 0, 0, 0])
        >>> round(r.estimate, 4), round(r.pvalue, 4)
        (0.5, 0.0127)
    """
    context = np.asarray(d_context, dtype=np.float64)
    plain = np.asarray(d_plain, dtype=np.float64)
    if context.ndim != 1 or context.shape != plain.shape:
        raise WarmthUsageError(
            f"d_context and d_plain must be flat and of equal length, got {len(d_context)} "
            f"and {len(d_plain)}"
        )
    for name, values in (("d_context", context), ("d_plain", plain)):
        if not np.all(np.isfinite(values)) or np.any(np.abs(values) > 1.0):
            raise WarmthUsageError(f"{name} values must lie in [-1, 1]")
    n = context.size
    if n < 2:
        raise WarmthUsageError(f"an amplification test needs at least 2 items, got {n}")
    diffs = context - plain
    estimate = float(diffs.mean())
    if clusters is None:
        groups = n
        se = float(diffs.std(ddof=1)) / math.sqrt(n)
    else:
        if len(clusters) != n:
            raise WarmthUsageError(
                f"clusters must have one id per item: got {len(clusters)} ids for {n} items"
            )
        labels = _cluster_labels(clusters)
        groups = int(labels.max()) + 1
        if groups < 2:
            raise WarmthUsageError("a clustered amplification test needs at least 2 clusters")
        sums = np.bincount(labels, weights=diffs - estimate, minlength=groups)
        se = math.sqrt(groups / (groups - 1) * float(np.sum(sums * sums))) / n
    if se > 0.0:
        z = estimate / se
        return AmplificationResult(estimate, se, z, float(stats.norm.sf(z)), n, groups)
    if np.all(diffs == diffs[0]):
        if estimate > 0.0:
            z, p = math.inf, 0.0
        else:
            z, p = (-math.inf if estimate < 0.0 else 0.0), 1.0
    else:
        z, p = math.nan, 1.0
    return AmplificationResult(estimate, 0.0, z, p, n, groups)


def _cluster_labels(clusters: Sequence[Hashable | None]) -> NDArray[np.intp]:
    """Integer labels 0..G-1 in order of first appearance; None ids become singletons."""
    index: dict[Hashable, int] = {}
    labels = np.empty(len(clusters), dtype=np.intp)
    next_label = 0
    for i, cluster in enumerate(clusters):
        if cluster is None:
            labels[i] = next_label
            next_label += 1
            continue
        found = index.get(cluster)
        if found is None:
            index[cluster] = found = next_label
            next_label += 1
        labels[i] = found
    return labels
