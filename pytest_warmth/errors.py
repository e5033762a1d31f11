"""Exceptions and warnings raised by pytest-warmth."""

from __future__ import annotations

import pytest


class WarmthError(Exception):
    """Base class of every error pytest-warmth raises on purpose."""


class WarmthUsageError(WarmthError, TypeError):
    """A public function was called with arguments it cannot accept."""


class ModelSpecError(WarmthError):
    """A model specification (path, adapter, GGUF file, hub id, alias) cannot be used."""


class ModelLoadError(WarmthError):
    """A model or tokenizer was found but could not be loaded."""


class MissingExtraError(WarmthError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ProbeSuiteError(WarmthError):
    """A probe file is invalid.

    Attributes:
        path: The file that holds the problem.
        line: 1-based line (YAML) or record number (JSONL), or None when unknown.
        field: The offending field, or None when the problem is not tied to one field.
    """

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = path if line is None else f"{path}:{line}"
        prefix = f"{where}: {field}: " if field else f"{where}: "
        super().__init__(prefix + message)


class WarmthWarning(pytest.PytestWarning):
    """Base class of the warnings pytest-warmth emits."""


class WarmthAssertionError(AssertionError):
    """A gate cell or an assertion helper found a significant regression."""
