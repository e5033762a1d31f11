"""The embedded SmolLM2 GGUF for the real-model tests, or the module skipped with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest


def embedded_or_skip() -> Path:
    """The embedded model's file; skips the calling test module when it is not installed."""
    from pytest_warmth.backends.hf.spec import embedded_model_path
    from pytest_warmth.errors import ModelSpecError

    try:
        return embedded_model_path()
    except ModelSpecError as exc:  # pragma: no cover - CI installs it
        pytest.skip(str(exc), allow_module_level=True)
