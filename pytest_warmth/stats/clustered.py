"""McNemar-type tests for clustered paired binary outcomes (pure numpy/scipy).

Items that share a template, passage or source are not independent, and plain McNemar
understates the variance for them (Obuchowski 1998; Yang, Sun & Hardin 2010). The tests here
take per-cluster counts:
``b_k`` pairs with the base model right and the tuned model wrong (harm), ``c_k`` the reverse
(help), ``n_k`` all pairs of cluster ``k``; with ``K`` clusters and ``N = sum(n_k)``:

* ``obuchowski`` (Obuchowski 1998, in Yang et al.'s notation):
  ``chi2 = (K-1)/K * (sum(b_k - c_k))^2 / sum((b_k - c_k)^2)`` (null-restricted variance);
* ``durkalski`` (Durkalski et al. 2003):
  ``chi2 = (sum((b_k - c_k)/n_k))^2 / sum(((b_k - c_k)/n_k)^2)``;
* ``yang`` (Yang, Sun & Hardin 2010): the Obuchowski numerator over the average of the centred
  and the uncentred variance, ``1/2 sum(((b_k - c_k) - n_k (p1 - p2))^2 + (b_k - c_k)^2)`` with
  ``p1 = sum(b)/N`` and ``p2 = sum(c)/N``;
* ``miller`` (Miller 2024, Eq. 8; cluster-robust z on the per-item differences ``d_i``, which are
  +1 for ``b_k`` items, -1 for ``c_k`` items and 0 otherwise):
  ``z = dbar / SE``, ``SE^2 = K/(K-1) * sum_k (sum_{i in k} (d_i - dbar))^2 / N^2``.

The one-sided statistic is ``z = sign(sum(b - c)) * sqrt(chi2)`` for the chi-square tests, and
the p-value is ``1 - Phi(z)`` for H1: the tuned model errs more.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats._checks import check_choice, check_count

CLUSTERED_METHODS = ("obuchowski", "durkalski", "yang", "miller")


@dataclass(frozen=True)
class ClusteredResult:
    """Outcome of :func:`clustered_mcnemar`."""

    statistic_chi2: float
    """The chi-square statistic (1 df); for ``miller`` the square of ``z``."""
    z: float
    """Signed z statistic; positive when the tuned model errs more."""
    pvalue_greater: float
    """One-sided p-value for H1: the tuned model's error rate is higher."""
    method: str
    """``obuchowski``, ``durkalski``, ``yang`` or ``miller``."""
    clusters: int
    """Number of clusters ``K``."""


def clustered_mcnemar(
    b: Sequence[int],
    c: Sequence[int],
    n_per_cluster: Sequence[int],
    *,
    method: str = "yang",
) -> ClusteredResult:
    """Clustered McNemar test of H0: equal error rates against H1: the tuned model errs more.

    When there is no discordance at all (every ``b_k == c_k``, so the statistic is 0/0) the
    result is ``chi2 = z = 0`` and p = 1, as for :func:`mcnemar_test` without discordant pairs.
    For ``miller`` a zero cluster-robust SE with a non-zero mean difference (every cluster shows
    exactly the overall mean difference) gives ``z = +-inf`` and p = 0 or 1.

    Args:
        b: Per-cluster counts of pairs with the base model right and the tuned model wrong.
        c: Per-cluster counts of pairs with the base model wrong and the tuned model right.
        n_per_cluster: Per-cluster numbers of pairs (each at least 1 and at least ``b_k + c_k``).
        method: ``obuchowski``, ``durkalski``, ``yang`` (the default) or ``miller``.

    Returns:
        The chi-square and signed z statistics, the one-sided p-value, the method and ``K``.

    Raises:
        WarmthUsageError: Sequences of different lengths, fewer than 2 clusters, negative or
            non-integer counts, an empty cluster, ``b_k + c_k > n_k`` or an unknown method.

    Examples:
        >>> r = clustered_mcnemar([2, 0, 1], [0, 1, 0], [3, 2, 2], method="obuchowski")
        >>> round(r.statistic_chi2, 4)
        0.4444
    """
    check_choice(method, "clustered method", CLUSTERED_METHODS)
    bk, ck, nk = _check_clusters(b, c, n_per_cluster)
    k = bk.size
    diff = bk - ck
    total = float(diff.sum())
    if not np.any(diff):
        return ClusteredResult(0.0, 0.0, 1.0, method, k)
    n_total = float(nk.sum())
    if method == "miller":
        dbar = total / n_total
        spread = diff - nk * dbar
        se = math.sqrt(k / (k - 1) * float(np.sum(spread * spread))) / n_total
        z = math.copysign(math.inf, dbar) if se == 0.0 else dbar / se
        chi2 = z * z
    else:
        if method == "obuchowski":
            chi2 = (k - 1) / k * total * total / float(np.sum(diff * diff))
        elif method == "durkalski":
            ratio = diff / nk
            chi2 = float(ratio.sum()) ** 2 / float(np.sum(ratio * ratio))
        else:
            shift = (float(bk.sum()) - float(ck.sum())) / n_total
            centred = diff - nk * shift
            variance = 0.5 * float(np.sum(centred * centred + diff * diff))
            chi2 = (k - 1) / k * total * total / variance
        z = math.copysign(math.sqrt(chi2), total) if total != 0.0 else 0.0
    return ClusteredResult(float(chi2), float(z), float(stats.norm.sf(z)), method, k)


def cluster_counts(
    base_correct: Sequence[bool],
    tuned_correct: Sequence[bool],
    clusters: Sequence[Hashable | None],
) -> tuple[list[int], list[int], list[int]]:
    """Per-cluster ``(b_k, c_k, n_k)`` from per-item outcomes and cluster ids.

    Clusters are listed in order of first appearance. An item whose cluster id is None forms a
    cluster of its own.

    Args:
        base_correct: Per item, whether the base model answered correctly.
        tuned_correct: Per item, whether the tuned model answered correctly.
        clusters: Per item, the cluster id (template, passage, source) or None.

    Returns:
        Three lists of equal length: harms ``b_k`` (base right, tuned wrong), helps ``c_k`` (base
        wrong, tuned right) and cluster sizes ``n_k``.

    Raises:
        WarmthUsageError: The three sequences differ in length.

    Examples:
        >>> cluster_counts([True, True, False], [False, True, True], ["t1", "t1", None])
        ([1, 0], [0, 1], [2, 1])
    """
    if not len(base_correct) == len(tuned_correct) == len(clusters):
        raise WarmthUsageError(
            "base_correct, tuned_correct and clusters must have the same length, got "
            f"{len(base_correct)}, {len(tuned_correct)} and {len(clusters)}"
        )
    index: dict[Hashable, int] = {}
    harms: list[int] = []
    helps: list[int] = []
    sizes: list[int] = []
    for base_ok, tuned_ok, cluster in zip(base_correct, tuned_correct, clusters, strict=True):
        if cluster is None:
            slot = len(sizes)
        else:
            found = index.get(cluster)
            if found is None:
                slot = len(sizes)
                index[cluster] = slot
            else:
                slot = found
        if slot == len(sizes):
            harms.append(0)
            helps.append(0)
            sizes.append(0)
        sizes[slot] += 1
        if bool(base_ok) and not bool(tuned_ok):
            harms[slot] += 1
        elif not bool(base_ok) and bool(tuned_ok):
            helps[slot] += 1
    return harms, helps, sizes


def _check_clusters(
    b: Sequence[int], c: Sequence[int], n: Sequence[int]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate per-cluster counts and return them as float arrays."""
    if not len(b) == len(c) == len(n):
        raise WarmthUsageError(
            f"b, c and n_per_cluster must have the same length, got {len(b)}, {len(c)}, {len(n)}"
        )
    if len(n) < 2:
        raise WarmthUsageError(f"a clustered test needs at least 2 clusters, got {len(n)}")
    rows = []
    for i, (bi, ci, ni) in enumerate(zip(b, c, n, strict=True)):
        bv, cv, nv = (
            check_count(bi, f"b[{i}]"),
            check_count(ci, f"c[{i}]"),
            check_count(ni, f"n_per_cluster[{i}]"),
        )
        if nv == 0:
            raise WarmthUsageError(f"cluster {i} is empty (n_per_cluster[{i}] = 0)")
        if bv + cv > nv:
            raise WarmthUsageError(f"cluster {i}: b + c = {bv + cv} exceeds n = {nv}")
        rows.append((bv, cv, nv))
    table = np.asarray(rows, dtype=np.float64)
    return table[:, 0], table[:, 1], table[:, 2]
