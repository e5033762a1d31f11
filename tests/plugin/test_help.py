"""A golden test pins the ``--help`` text of the warmth option group."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("help_golden.txt")


def warmth_help(pytester: pytest.Pytester) -> str:
    result = pytester.runpytest("--help")
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("pytest-warmth:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())
    return "\n".join(lines[start:end]) + "\n"


def test_help_matches_golden(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    text = warmth_help(pytester)
    if os.environ.get("WARMTH_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "run with WARMTH_UPDATE_GOLDEN=1 to accept a change"
