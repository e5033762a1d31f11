"""The Hugging Face hub: whether it may be reached, and whether a name means it."""

from __future__ import annotations

import os
from pathlib import Path

FILE_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".txt", ".tsv", ".gz", ".zip", ".xlsx",
                 ".arrow", ".yaml", ".yml")  # fmt: skip
"""Suffixes that make a name a local file: a hub id (``org/name``) does not end in one."""


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set to a true value."""
    return any(
        os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def looks_like_file(name: str) -> bool:
    """Whether ``name`` means a local file rather than a hub id, even where none exists.

    It does with a file suffix (:data:`FILE_SUFFIXES`), a leading ``/``, ``.`` or ``~``, a
    backslash, or more than one ``/``: a missing file is then reported as missing instead of
    being looked up on the hub.
    """
    return (
        Path(name).suffix.lower() in FILE_SUFFIXES
        or name.startswith(("/", ".", "~"))
        or "\\" in name
        or name.count("/") > 1
    )
