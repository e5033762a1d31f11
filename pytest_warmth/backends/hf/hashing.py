"""Content hashes of model files, so results are tied to weights and never to a name alone."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, MutableMapping
from pathlib import Path

_CHUNK = 1 << 20


def model_files(path: Path) -> list[Path]:
    """The files that make up a model: the file itself, or every visible file under a directory."""
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def file_digest(path: Path, memo: MutableMapping[str, str] | None = None) -> str:
    """SHA-256 of one file, memoised by (path, size, mtime) when ``memo`` is given."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    if memo is not None and key in memo:
        return memo[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    value = digest.hexdigest()
    if memo is not None:
        memo[key] = value
    return value


def content_hash(paths: Iterable[Path], memo: MutableMapping[str, str] | None = None) -> str:
    """One SHA-256 over the names and contents of every model file under ``paths``.

    Args:
        paths: Model files or directories.
        memo: Optional mapping used to skip re-reading unchanged files.

    Returns:
        The hex digest; equal digests mean byte-identical files under the same names.
    """
    digest = hashlib.sha256()
    for root in paths:
        for file in model_files(root):
            name = file.name if root.is_file() else file.relative_to(root).as_posix()
            digest.update(name.encode("utf-8") + b"\0")
            digest.update(file_digest(file, memo).encode("ascii") + b"\0")
    return digest.hexdigest()
