"""The terminal summary: the table of cells (pure: results in, lines out) and its reporter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pytest_warmth.reporting.baseline import comparison_lines
from pytest_warmth.reporting.trajectory import trajectory_lines
from pytest_warmth.results import FAIL, INCONCLUSIVE, PASS, CellResult, RunResult

if TYPE_CHECKING:
    import pytest

    from pytest_warmth.reporting import WarmthReport

HEADER = ("cell", "n", "base err", "tuned err", "delta [CI]", "b", "c", "p", "p adj", "verdict")


def _pair(base: float | None, tuned: float | None) -> str:
    if base is None or tuned is None:
        return "-"
    return f"{base:.0%}->{tuned:.0%}"


MARKUP = {FAIL: {"red": True}, PASS: {"green": True}, INCONCLUSIVE: {"yellow": True}}
"""How a row is coloured by its verdict where the terminal has markup (UNTESTABLE: plain)."""


def summary_lines(cells: Sequence[CellResult]) -> Iterator[str]:
    """One aligned row per cell, after a header row, then a line per non-PASS explanation.

    The lines of :func:`summary_rows`, without their verdicts.
    """
    return (line for line, _ in summary_rows(cells))


def summary_rows(cells: Sequence[CellResult]) -> Iterator[tuple[str, str | None]]:
    """Each line of :func:`summary_lines` with the verdict it shows (``None``: the header).

    Optional columns appear only when some cell has them: ``used`` (sequential mode),
    ``refused`` (generate mode: refusals base/tuned and items excluded), ``no answer``
    (generate mode: replies that commit to no answer, base/tuned), ``adopt`` and
    ``flip`` (belief cells: base -> tuned rates of adopting the user's wrong belief, and of
    turning right answers wrong when the belief is added).
    """
    sequential = any(cell.items_used is not None for cell in cells)
    refusals = any(cell.base_refusals or cell.tuned_refusals for cell in cells)
    unclear = any(cell.base_unclear or cell.tuned_unclear for cell in cells)
    beliefs = any(cell.base_adoption is not None for cell in cells)
    flips = any(cell.base_flip is not None for cell in cells)
    header = (
        HEADER
        + (("used",) if sequential else ())
        + (("refused b/t (excl)",) if refusals else ())
        + (("no answer b/t",) if unclear else ())
        + (("adopt",) if beliefs else ())
        + (("flip",) if flips else ())
    )
    rows: list[tuple[str, ...]] = [header]
    verdicts: list[str | None] = [None, *(cell.verdict for cell in cells)]
    for cell in cells:
        row: tuple[str, ...] = (
            cell.report_id,
            str(cell.n),
            f"{cell.base_error_rate:.1%}",
            f"{cell.tuned_error_rate:.1%}",
            f"{cell.delta:+.1%} [{cell.ci_lower:+.1%}, {cell.ci_upper:+.1%}]",
            str(cell.b),
            str(cell.c),
            f"{cell.pvalue:.3g}",
            f"{cell.p_adjusted:.3g}",
            cell.verdict,
        )
        if sequential:
            row += (str(cell.items_used if cell.items_used is not None else cell.n),)
        if refusals:
            row += (f"{cell.base_refusals}/{cell.tuned_refusals} ({cell.excluded})",)
        if unclear:
            row += (f"{cell.base_unclear}/{cell.tuned_unclear}",)
        if beliefs:
            row += (_pair(cell.base_adoption, cell.tuned_adoption),)
        if flips:
            row += (_pair(cell.base_flip, cell.tuned_flip),)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row, verdict in zip(rows, verdicts, strict=True):
        first = row[0].ljust(widths[0])
        pairs = zip(row[1:], widths[1:], strict=True)
        rest = "  ".join(value.rjust(width) for value, width in pairs)
        yield f"{first}  {rest}".rstrip(), verdict
    for cell in cells:
        if cell.verdict != PASS and cell.reason:
            yield f"{cell.report_id} {cell.verdict}: {cell.reason}", cell.verdict


def amplification_lines(run: RunResult) -> Iterator[str]:
    """The flagged amplification diagnostics (not gating), after a heading line."""
    from pytest_warmth.verdicts import AMPLIFICATION_Q, Amplification

    flagged = [Amplification(**data) for data in run.amplification if data.get("flagged")]
    if flagged:
        yield f"amplification warnings (BH q <= {AMPLIFICATION_Q:g}, not gating):"
        for finding in flagged:
            yield f"WARNING {finding.message()}"


class TerminalReporter:
    """Prints the ``warmth gate`` section of the terminal summary."""

    def __init__(self) -> None:
        self.report: WarmthReport | None = None

    def pytest_warmth_report(self, report: WarmthReport) -> None:
        """Keep the report for the terminal summary, which pytest writes after the session."""
        self.report = report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print one row per cell, the amplification warnings, the baseline comparison and notes.

        Rows (and their explanations) are coloured by verdict where the terminal has markup.
        """
        report = self.report
        if report is None or not report.run.cells:
            return
        terminalreporter.section("warmth gate")
        for line, verdict in summary_rows(report.run.cells):
            markup = MARKUP.get(verdict, {}) if verdict is not None else {}
            terminalreporter.write_line(line, **markup)
        for line in trajectory_lines(report.run):
            terminalreporter.write_line(line)
        for line in amplification_lines(report.run):
            terminalreporter.write_line(line, yellow=line.startswith("WARNING"))
        if report.comparison is not None:
            for line in comparison_lines(report.comparison):
                terminalreporter.write_line(line)
        for line in report.notes:
            terminalreporter.write_line(line)


def reporter(config: pytest.Config) -> TerminalReporter:
    """The terminal summary's reporter (every gate run has one)."""
    return TerminalReporter()
