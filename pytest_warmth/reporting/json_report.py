"""The JSON report, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pytest_warmth.results import RunResult


def write_json(run: RunResult, path: Path) -> None:
    """Write ``run`` to ``path`` through a temporary file and an atomic rename.

    Raises:
        OSError: The directory cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(run.to_dict(), stream, indent=2, sort_keys=False)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
