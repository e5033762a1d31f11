"""The hooks pytest-warmth adds to pytest (registered through ``pytest_addhooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_warmth.reporting import WarmthReport


@pytest.hookspec
def pytest_warmth_report(report: WarmthReport) -> None:
    """Write a report of the finished gate run (called once, after every cell's verdict).

    Args:
        report: The run's results and settings; append to ``report.notes`` to tell the user
            something in the terminal summary.

    Examples:
        A ``conftest.py`` (or a plugin) that writes one line per failed cell::

            def pytest_warmth_report(report):
                failed = [c.cell_id for c in report.run.cells if c.verdict == "FAIL"]
                Path("failed-cells.txt").write_text(" ".join(failed))
                report.notes.append("warmth: failed cells written to failed-cells.txt")
    """
