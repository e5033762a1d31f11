"""Atomic writes leave a complete file with ordinary permissions, and nothing else."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_warmth import atomic


def test_a_written_file_is_readable_by_others_per_the_umask(tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    old = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "report.html", "<p>hi</p>")
    finally:
        os.umask(old)
    path = tmp_path / "report.html"
    assert path.read_text() == "<p>hi</p>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(tmp_path / "r.txt", "\ud800")  # a lone surrogate cannot be encoded
    assert list(tmp_path.iterdir()) == []  # the directory was made, the temporary removed
