"""The JSON report (``--warmth-report=PATH``), written atomically."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pytest_warmth.reporting.files import FileReporter

if TYPE_CHECKING:
    import pytest

    from pytest_warmth.reporting import WarmthReport


class JsonReporter(FileReporter):
    """Writes the JSON report where ``--warmth-report`` says."""

    what = "JSON report"

    def render(self, report: WarmthReport) -> str:
        """The run as versioned JSON."""
        return json.dumps(report.run.to_dict(), indent=2, sort_keys=False) + "\n"


def reporter(config: pytest.Config) -> JsonReporter | None:
    """The reporter for this run, when ``--warmth-report`` is given."""
    from pytest_warmth.settings import SETTINGS_KEY

    path = config.stash[SETTINGS_KEY].report
    return JsonReporter(path) if path is not None else None
