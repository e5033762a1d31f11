"""A checkpoint sweep as a trajectory: each cell's error and rise per checkpoint, in text.

Pure: a run in, lines out. The terminal and the Markdown summary show these lines; the HTML
report draws the same figures (:mod:`pytest_warmth.reporting.html_sweep`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pytest_warmth.results import CellResult, RunResult

SHORT = {"PASS": "P", "FAIL": "F", "INCONCLUSIVE": "I", "UNTESTABLE": "U"}
"""One letter per verdict in the trajectory's entries."""


def _warmth(score: Mapping[str, Any] | None) -> str:
    if not score:
        return "-"
    return f"{float(score['mean']):+.4f}"


def cells_by_checkpoint(run: RunResult) -> dict[str, dict[str, CellResult]]:
    """Each cell id (in the run's order), then its result at each checkpoint label."""
    found: dict[str, dict[str, CellResult]] = {}
    for cell in run.cells:
        found.setdefault(cell.cell_id, {})[cell.checkpoint] = cell
    return found


def trajectory_rows(run: RunResult) -> list[tuple[str, ...]]:
    """The sweep's table: a header, then one row per cell, then warmth (when measured).

    Each cell's entry per checkpoint is its tuned error, its rise and its verdict's letter;
    empty without a sweep.
    """
    sweep = run.sweep
    if not sweep:
        return []
    labels = [str(c["label"]) for c in sweep["checkpoints"]]
    header = ("cell", "base err", *(f"ckpt-{label}" for label in labels))
    rows: list[tuple[str, ...]] = [header]
    for name, per in cells_by_checkpoint(run).items():
        entries = []
        for label in labels:
            found = per.get(label)
            entries.append(
                "-" if found is None else
                f"{found.tuned_error_rate:.1%} {found.delta:+.1%} {SHORT.get(found.verdict, '?')}"
            )  # fmt: skip
        base = next(iter(per.values())).base_error_rate  # one base for every checkpoint
        rows.append((name, f"{base:.1%}", *entries))
    if any("warmth" in c for c in sweep["checkpoints"]):
        warmth = [_warmth(c.get("warmth")) for c in sweep["checkpoints"]]
        rows.append(("warmth (SocioT-style)", _warmth(sweep.get("base_warmth")), *warmth))
    return rows


def trajectory_lines(run: RunResult) -> Iterator[str]:
    """The sweep's table (aligned) and what it concludes; nothing without a sweep."""
    rows = trajectory_rows(run)
    if not rows:
        return
    yield "checkpoint sweep: tuned error, rise over the base and verdict per checkpoint:"
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        first = row[0].ljust(widths[0])
        rest = "  ".join(
            value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)
        )
        yield f"{first}  {rest}".rstrip()
    yield conclusion(run)


def conclusion(run: RunResult) -> str:
    """Which checkpoint to ship, as far as the gate can tell, and the family it tested."""
    sweep = run.sweep
    last = sweep.get("last_all_pass")
    verdict = (
        f"the last checkpoint in training order whose cells all PASS: ckpt-{last}"
        if last is not None
        else "no checkpoint has all its cells PASS"
    )
    return f"{verdict}; {sweep.get('correction', '')}"
