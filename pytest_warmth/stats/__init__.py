"""Statistics for paired base-versus-tuned comparisons (pure numpy/scipy, no pytest)."""

from __future__ import annotations

from pytest_warmth.stats.mcnemar import McNemarResult, mcnemar_test
from pytest_warmth.stats.multiplicity import adjust_pvalues

__all__ = ["McNemarResult", "adjust_pvalues", "mcnemar_test"]
