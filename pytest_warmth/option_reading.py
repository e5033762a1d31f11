"""Reading one option's raw value (flag or ini) and checking paths and values before work.

Everything here raises :class:`pytest.UsageError` with one line naming the flag (or the ini
key and file) and what to do, so a bad value never reaches the run.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth import options as opt


def check_writable(path: Path, flag: str, why: str) -> None:
    """Fail early (before any model is loaded) when the directory ``path`` cannot be written."""
    if path.exists() and not path.is_dir():
        raise pytest.UsageError(f"{flag}={path} is a file; pass a directory ({why})")
    _check_nearest_directory(flag, path, [path, *path.parents], "a directory")


def output_file(option: opt.Option, path: Path) -> Path:
    """``path``, once it is clear a file can be written there (checked before any work).

    Raises:
        pytest.UsageError: ``path`` is a directory, or its nearest existing parent is not a
            writable directory.
    """
    if path.is_dir():
        raise pytest.UsageError(
            f"{option.flag}={path} is a directory; pass a file path, e.g. {path / 'warmth.out'}"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise pytest.UsageError(f"{option.flag}={path}: the file is not writable; choose another")
    _check_nearest_directory(option.flag, path, list(path.parents), "a path")
    return path


def _check_nearest_directory(flag: str, path: Path, candidates: list[Path], what: str) -> None:
    """Refuse ``path`` when the first existing one of ``candidates`` is not a writable folder."""
    existing = next((p for p in candidates if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(
            f"{flag}={path}: cannot write there ({existing} is not a writable directory); "
            f"choose {what} you can write to"
        )


def existing_file(option: opt.Option, raw: str, path: Path, what: str) -> Path:
    """``path``, once it is clear it is a file to read.

    Raises:
        pytest.UsageError: Nothing is there, or a directory is; the line says what to pass.
    """
    if not path.is_file():
        found = "a directory" if path.is_dir() else "no such file"
        raise pytest.UsageError(f"{option.flag}={raw}: {found} ({path}); pass {what}")
    return path


def check_not_empty(option: opt.Option, value: Any) -> None:
    """Refuse an option given an empty value (``--warmth-model=$MODEL`` with ``$MODEL`` unset).

    Raises:
        pytest.UsageError: Names the option and what to do.
    """
    empty = value == "" or (isinstance(value, tuple) and any(str(v).strip() == "" for v in value))
    if option.kind != "flag" and (empty or (isinstance(value, str) and not value.strip())):
        raise pytest.UsageError(
            f"{option.flag} was given an empty value (an unset environment variable?); "
            f"give it a value, or leave the option out"
        )


def lookup(config: pytest.Config, option: opt.Option) -> tuple[Any, bool]:
    """Return ``(value, came_from_command_line)`` for one option."""
    cli = config.getoption(option.dest)
    if option.kind == "flag":
        if cli:
            return True, True
        try:
            return bool(config.getini(option.dest)), False
        except (ValueError, pytest.UsageError) as exc:  # pytest 9 raises UsageError
            where = f" in {config.inipath}" if config.inipath else ""
            raise pytest.UsageError(
                f"ini option {option.dest}{where}: {exc}; write true or false "
                f"(or pass {option.flag} on the command line)"
            ) from None
    if option.kind == "list":
        if cli:
            return tuple(_parse_flag(option, item) for item in cli), True
        raw_list = config.getini(option.dest) or []
        return tuple(_parse_ini(option, item) for item in raw_list), False
    if cli is not None:
        return _parse_flag(option, cli), True
    raw = config.getini(option.dest)
    if raw in ("", None):
        return option.default, False
    return _parse_ini(option, str(raw)), False


def _parse_flag(option: opt.Option, raw: str) -> Any:
    if raw.strip() == "":
        return raw  # refused with its own line (an empty value)
    try:
        return option.parse(raw)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(f"{option.flag}={raw}: {exc}") from None


def _parse_ini(option: opt.Option, raw: str) -> Any:
    try:
        return option.parse(raw)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(
            f"ini option {option.dest} = {raw!r}: {exc} (or override it with {option.flag}=...)"
        ) from None
