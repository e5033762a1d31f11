"""pytest-warmth: a pytest release gate for warmth-tuned language models.

Importing the package is cheap: nothing here imports torch, transformers, peft, datasets or
hypothesis.
"""

from __future__ import annotations

from pytest_warmth.errors import (
    ModelLoadError,
    ModelSpecError,
    ProbeSuiteError,
    WarmthAssertionError,
    WarmthError,
    WarmthUsageError,
)
from pytest_warmth.results import CellResult, RunResult
from pytest_warmth.settings import WarmthSettings

__version__ = "0.1.0"

# Heavier names (scipy-backed) load on first use, so importing the plugin stays cheap.
_LAZY = {
    "assert_no_regression": "pytest_warmth.assertions",
    "WarmthRegressionError": "pytest_warmth.assertions",
    "mcnemar_test": "pytest_warmth.stats",
    "paired_difference_ci": "pytest_warmth.stats",
    "adjust_pvalues": "pytest_warmth.stats",
    "minimum_detectable_effect": "pytest_warmth.stats",
    "required_sample_size": "pytest_warmth.stats",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pytest_warmth' has no attribute {name!r}")


__all__ = [
    "CellResult",
    "ModelLoadError",
    "ModelSpecError",
    "ProbeSuiteError",
    "RunResult",
    "WarmthAssertionError",
    "WarmthError",
    "WarmthRegressionError",
    "WarmthSettings",
    "WarmthUsageError",
    "__version__",
    "adjust_pvalues",
    "assert_no_regression",
    "mcnemar_test",
    "minimum_detectable_effect",
    "paired_difference_ci",
    "required_sample_size",
]
