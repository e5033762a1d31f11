"""Writing a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it and an atomic rename.

    The file gets the permissions a plain ``open(path, "w")`` would give it (0o666 less the
    umask), not a temporary file's private 0o600: reports are meant to be read by others.

    Raises:
        OSError: The directory cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
