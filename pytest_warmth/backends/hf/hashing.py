"""Content hashes of model files, so results are tied to weights and never to a name alone."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, MutableMapping
from pathlib import Path

_CHUNK = 1 << 20


NOT_MODEL_FILES = re.compile(
    r"^(optimizer|scheduler|scaler)\.pt$|^rng_state.*\.pth$|^trainer_state\.json$"
    r"|^training_args\.bin$|^training\.json$|\.(md|log|txt\.lock)$"
)
"""Files in a model folder that do not change its answers: a trainer's resume state (the
optimizer alone is twice an adapter's size, or a full model's), training records and notes."""


def model_files(path: Path) -> list[Path]:
    """The files that make up a model: the file itself, or a directory's own visible files.

    Only the directory's top level counts (where ``transformers`` and PEFT load from), less
    :data:`NOT_MODEL_FILES`: a training run's ``checkpoint-N/`` folders, logs and optimizer
    state are no part of the model, and hashing them would cost time and change its identity
    whenever training wrote a log line.
    """
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".") and not NOT_MODEL_FILES.search(p.name)
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
