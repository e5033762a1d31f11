"""Checks on weight files that need no framework: is a safetensors file whole, a GGUF a GGUF?

A safetensors file is an 8-byte little-endian header length, a JSON header giving each
tensor's byte range, then the data. A file cut short (an interrupted download or copy) is
told apart from a model that does not fit its base by comparing its size with what its
header promises, before anything is loaded.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from pytest_warmth.errors import ModelSpecError

_MAX_HEADER = 100 * 1024 * 1024
"""A header longer than this is not a safetensors header (the format caps it at 100 MB)."""


def expected_size(path: Path) -> int | None:
    """The byte size ``path``'s safetensors header promises, or None when it has no header."""
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            return None
        (length,) = struct.unpack("<Q", prefix)
        if length > _MAX_HEADER:
            return None
        raw = handle.read(length)
    if len(raw) < length:
        return None
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(header, dict):
        return None
    try:
        ends = [
            int(entry["data_offsets"][1])
            for key, entry in header.items()
            if key != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry
        ]
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return int(8 + length + max(ends, default=0))


def check_safetensors(path: Path, *, flag: str, raw: str) -> None:
    """Refuse a safetensors file that is cut short or has no readable header.

    Raises:
        ModelSpecError: Names the file, its size and the size its header promises.
    """
    try:
        size = path.stat().st_size
        promised = expected_size(path)
    except OSError as exc:
        raise ModelSpecError(f"{flag}={raw}: cannot read {path.name} ({exc})") from None
    if promised is None:
        raise ModelSpecError(
            f"{flag}={raw}: {path.name} is not a readable safetensors file (no valid header); "
            "save or download the weights again"
        )
    if size < promised:
        raise ModelSpecError(
            f"{flag}={raw}: {path.name} is cut short ({size} bytes, its header promises "
            f"{promised}): an interrupted save or download; save or download it again"
        )


GGUF_MAGIC = b"GGUF"
"""The first four bytes of every GGUF file."""


def check_gguf(path: Path, *, flag: str, raw: str) -> None:
    """Refuse a ``.gguf`` file that does not start with the GGUF magic.

    A renamed file, or an HTML error page saved by a failed download, is told apart here.

    Raises:
        ModelSpecError: Names the file and what it starts with.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise ModelSpecError(f"{flag}={raw}: cannot read {path.name} ({exc})") from None
    if head != GGUF_MAGIC:
        raise ModelSpecError(
            f"{flag}={raw}: {path.name} is not a GGUF file (it starts with {head!r}, not "
            f"{GGUF_MAGIC!r}); download the model again or pass the right file"
        )
