"""A report written to one file: rendered, written atomically, and its outcome told.

A report that cannot be written is a failure of the run, not a footnote: its line goes to
:attr:`~pytest_warmth.reporting.WarmthReport.failures`, which the session prints and turns into
a non-zero exit code, while the other reports are still written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytest_warmth import atomic

if TYPE_CHECKING:
    from pytest_warmth.reporting import WarmthReport


class FileReporter:
    """Writes :meth:`render`'s text to ``path``; subclasses name the report and render it."""

    what = "report"
    """How the terminal names the file ("JSON report", "HTML report", ...)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def render(self, report: WarmthReport) -> str:
        """The file's text."""
        raise NotImplementedError

    def pytest_warmth_report(self, report: WarmthReport) -> None:
        """Write the file (see :func:`pytest_warmth.hookspecs.pytest_warmth_report`)."""
        self.write(report, self.render(report))

    def write(self, report: WarmthReport, text: str) -> None:
        """Write ``text`` to the file; say so in the notes, or add the failure."""
        try:
            atomic.write_text(self.path, text)
        except OSError as exc:
            report.failures.append(f"warmth: cannot write the {self.what} to {self.path}: {exc}")
            return
        report.notes.append(f"warmth: {self.what} written to {self.path}")
