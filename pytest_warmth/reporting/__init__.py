"""Reports: each one module with one ``pytest_warmth_report`` implementation (data in, output out).

The session calls :func:`pytest_warmth.hookspecs.pytest_warmth_report` once, at the end of the
run, with a :class:`WarmthReport`. The built-in reporters (:data:`BUILTIN`) are registered
when the gate is active; another package's reporter registers like any pytest plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from pytest_warmth.reporting.baseline import Comparison
    from pytest_warmth.results import RunResult
    from pytest_warmth.settings import WarmthSettings

BUILTIN = (
    "pytest_warmth.reporting.terminal",
    "pytest_warmth.reporting.json_report",
    "pytest_warmth.reporting.html_report",
    "pytest_warmth.reporting.markdown",
    "pytest_warmth.reporting.xdist_table",
)
"""Modules whose ``reporter(config)`` returns the plugin object to register (or ``None``)."""


@dataclass
class WarmthReport:
    """What a reporter gets: the finished run, and where to leave lines for the terminal.

    Attributes:
        run: Every evaluated cell with the settings and model identities.
        settings: The run's validated settings (report paths among them).
        config: The pytest configuration (for reporters that need pytest's own channels).
        notes: Lines for the terminal summary, after the table (e.g. a file written).
        comparison: This run against the baseline report, when one was given.
        failures: Reports that could not be written, one line each; the session prints them
            and makes the exit code non-zero.
    """

    run: RunResult
    settings: WarmthSettings
    config: pytest.Config
    notes: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    failures: list[str] = field(default_factory=list)
