"""The Hugging Face hub: whether it may be reached, and whether a name means it."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

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


def unreachable(timeout: float = 3.0) -> str | None:
    """Why the hub cannot be reached now (one short phrase), or None when it answers.

    One connection attempt to the hub's host (``$HF_ENDPOINT``, else huggingface.co): without a
    network, a hub download would otherwise retry for a minute, printing a line per retry.
    """
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    parts = urlsplit(endpoint)
    host = parts.hostname or "huggingface.co"
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot reach {host}:{port} ({exc.strerror or exc})"
