"""The terminal summary table (pure: results in, lines out)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pytest_warmth.results import CellResult

HEADER = ("cell", "n", "base err", "tuned err", "delta", "b", "c", "p", "p adj", "verdict")


def summary_lines(cells: Sequence[CellResult]) -> Iterator[str]:
    """One aligned row per cell, after a header row."""
    rows = [HEADER] + [
        (
            cell.cell_id,
            str(cell.n),
            f"{cell.base_error_rate:.1%}",
            f"{cell.tuned_error_rate:.1%}",
            f"{cell.delta:+.1%}",
            str(cell.b),
            str(cell.c),
            f"{cell.pvalue:.3g}",
            f"{cell.p_adjusted:.3g}",
            cell.verdict,
        )
        for cell in cells
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        first = row[0].ljust(widths[0])
        pairs = zip(row[1:], widths[1:], strict=True)
        rest = "  ".join(value.rjust(width) for value, width in pairs)
        yield f"{first}  {rest}".rstrip()
