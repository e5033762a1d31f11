"""The JSON report (``--warmth-report=PATH``), written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_warmth import atomic
from pytest_warmth.results import RunResult

if TYPE_CHECKING:
    import pytest

    from pytest_warmth.reporting import WarmthReport


def write_json(run: RunResult, path: Path) -> None:
    """Write ``run`` to ``path`` through a temporary file and an atomic rename.

    Raises:
        OSError: The directory cannot be created or written.
    """
    atomic.write_text(path, json.dumps(run.to_dict(), indent=2, sort_keys=False) + "\n")


class JsonReporter:
    """Writes the JSON report where ``--warmth-report`` says."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def pytest_warmth_report(self, report: WarmthReport) -> None:
        """Write the file (see :func:`pytest_warmth.hookspecs.pytest_warmth_report`)."""
        try:
            write_json(report.run, self.path)
        except OSError as exc:
            report.notes.append(f"warmth: cannot write the report to {self.path}: {exc}")
            return
        report.notes.append(f"warmth: JSON report written to {self.path}")


def reporter(config: pytest.Config) -> JsonReporter | None:
    """The reporter for this run, when ``--warmth-report`` is given."""
    from pytest_warmth.settings import SETTINGS_KEY

    path = config.stash[SETTINGS_KEY].report
    return JsonReporter(path) if path is not None else None
