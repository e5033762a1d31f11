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

__all__ = [
    "CellResult",
    "ModelLoadError",
    "ModelSpecError",
    "ProbeSuiteError",
    "RunResult",
    "WarmthAssertionError",
    "WarmthError",
    "WarmthSettings",
    "WarmthUsageError",
    "__version__",
]
