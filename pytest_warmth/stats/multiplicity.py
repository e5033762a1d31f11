"""Multiple-testing adjustments of p-values (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pytest_warmth.errors import WarmthUsageError

CORRECTIONS = ("holm", "bonferroni", "bh", "none")


def adjust_pvalues(pvalues: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values, in the input order.

    Args:
        pvalues: Raw p-values.
        method: ``holm`` (family-wise, valid under any dependence), ``bonferroni``, ``bh``
            (Benjamini-Hochberg false discovery rate) or ``none``.

    Raises:
        WarmthUsageError: An unknown method or a p-value outside [0, 1].

    Examples:
        >>> [round(p, 6) for p in adjust_pvalues([0.01, 0.04, 0.03], "holm")]
        [0.03, 0.06, 0.06]
    """
    if method not in CORRECTIONS:
        raise WarmthUsageError(f"unknown correction {method!r}; use one of {CORRECTIONS}")
    p = np.asarray(pvalues, dtype=float)
    if p.size == 0:
        return []
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise WarmthUsageError(f"p-values must lie in [0, 1], got {list(pvalues)}")
    m = p.size
    if method == "none":
        adjusted = p
    elif method == "bonferroni":
        adjusted = np.minimum(1.0, p * m)
    elif method == "holm":
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(1.0, stepped)
    else:
        order = np.argsort(p, kind="stable")[::-1]
        ranks = np.arange(m, 0, -1)
        stepped = np.minimum.accumulate(p[order] * m / ranks)
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(1.0, stepped)
    return [float(x) for x in adjusted]
