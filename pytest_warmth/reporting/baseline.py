"""What changed since an earlier run (``--warmth-baseline-report=OLD.json``).

The earlier JSON report (the last release's) is read and checked before any model is loaded:
a comparison is only meaningful when both runs asked the same items and scored them the same
way, so a baseline that differs in one of :data:`MUST_MATCH` is refused with one line naming
the setting. After the run, :func:`compare` pairs the cells by id; every report renders the
resulting :class:`Comparison` its own way (terminal lines, an HTML section, Markdown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_warmth.errors import WarmthError
from pytest_warmth.results import FAIL, SCHEMA_VERSION, RunResult

MUST_MATCH = ("limit", "seed", "tags", "scoring", "max_new_tokens", "judge", "unclear", "suites",
              "suite_items")  # fmt: skip
"""Settings that decide which items are asked and how answers are scored (the suites' item
fingerprints last: they catch a suite whose items changed under the same settings)."""

NEW_FAILURE, FIXED, STILL_FAILING = "new failure", "fixed", "still failing"
VERDICT_CHANGED, UNCHANGED, NEW_CELL, DROPPED = (
    "verdict changed",
    "unchanged",
    "new cell",
    "dropped",
)
_ORDER = (NEW_FAILURE, STILL_FAILING, VERDICT_CHANGED, FIXED, NEW_CELL, DROPPED, UNCHANGED)


class BaselineError(WarmthError):
    """The baseline report cannot be read, or its run is not comparable with this one."""


def load_baseline(path: Path) -> dict[str, Any]:
    """The earlier report, checked to be a pytest-warmth JSON report this version reads.

    Raises:
        BaselineError: The file is unreadable, not JSON, or not a report of this schema.
    """
    flag = "--warmth-baseline-report"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{flag}={path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{flag}={path}: not JSON ({exc.msg}, line {exc.lineno}); pass a report written "
            "by --warmth-report"
        ) from None
    if not isinstance(data, dict) or data.get("tool") != "pytest-warmth":
        raise BaselineError(
            f"{flag}={path}: not a pytest-warmth report; pass a file written by --warmth-report"
        )
    if data.get("schema_version") != SCHEMA_VERSION:
        raise BaselineError(
            f"{flag}={path}: report schema {data.get('schema_version')!r}, this version reads "
            f"{SCHEMA_VERSION}; re-run the baseline with this version"
        )
    if not isinstance(data.get("cells"), list) or not isinstance(data.get("settings"), dict):
        raise BaselineError(f"{flag}={path}: the report has no 'cells' list or 'settings'")
    return data


def check_comparable(baseline: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """Refuse a baseline whose run asked other items or scored them another way.

    Args:
        baseline: The earlier report (from :func:`load_baseline`).
        current: This run's reported settings, with the plan's suites, scoring and items.
        path: The baseline's path, for the message.

    Raises:
        BaselineError: Names the first setting of :data:`MUST_MATCH` that differs, both values,
            and what to do.
    """
    old = baseline["settings"]
    for key in MUST_MATCH:
        if key not in old and key == "suite_items":
            continue  # a report older than item fingerprints: the other settings still decide
        if key == "suite_items" and old.get(key) != current.get(key):
            before, after = old[key], current.get(key) or {}
            suite, then, now = next(
                (name, before.get(name), after.get(name))
                for name in sorted({*before, *after})
                if before.get(name) != after.get(name)
            )
            raise BaselineError(
                f"--warmth-baseline-report={path}: suite {suite!r} asks other items than it did "
                f"then ({_items(then)} then, {_items(now)} now), so the cells are not "
                "comparable; compare with a report of the same suite version and items"
            )
        if old.get(key) != current.get(key):
            raise BaselineError(
                f"--warmth-baseline-report={path}: its {key} ({_short(old.get(key))}) differs "
                f"from this run's ({_short(current.get(key))}), so the cells are not "
                f"comparable; run both with the same {key}, or pick a baseline that has it"
            )


def _items(entry: Any) -> str:
    if not isinstance(entry, dict):
        return "none"
    return f"{entry.get('n')} items of version {entry.get('version')}"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class CellChange:
    """One cell in both runs (or in one of them)."""

    cell: str
    kind: str
    """:data:`NEW_FAILURE`, :data:`FIXED`, :data:`STILL_FAILING`, :data:`VERDICT_CHANGED`,
    :data:`UNCHANGED`, :data:`NEW_CELL` or :data:`DROPPED`."""
    old_verdict: str | None
    new_verdict: str | None
    old_delta: float | None
    new_delta: float | None

    @property
    def delta_change(self) -> float | None:
        """How much the rise in error rate moved since the baseline (None: one run lacks it)."""
        if self.old_delta is None or self.new_delta is None:
            return None
        return self.new_delta - self.old_delta


@dataclass(frozen=True)
class Comparison:
    """This run against the baseline, cell by cell, new failures first."""

    baseline: str
    """The baseline report's path."""
    baseline_date: str
    changes: tuple[CellChange, ...]

    def count(self, kind: str) -> int:
        """How many cells changed in this way."""
        return sum(1 for change in self.changes if change.kind == kind)

    def summary(self) -> str:
        """One line: e.g. ``1 new failure, 2 fixed, 17 unchanged``."""
        parts = [f"{self.count(kind)} {kind}" for kind in _ORDER if self.count(kind)]
        return ", ".join(parts) or "no cells"


def _kind(old: str | None, new: str | None) -> str:
    if old is None:
        return NEW_CELL
    if new is None:
        return DROPPED
    if new == FAIL:
        return STILL_FAILING if old == FAIL else NEW_FAILURE
    if old == FAIL:
        return FIXED
    return UNCHANGED if old == new else VERDICT_CHANGED


def compare(baseline: dict[str, Any], run: RunResult, path: Path) -> Comparison:
    """Pair this run's cells with the baseline's by id and order them by what matters."""
    old = {str(c.get("id", c.get("cell"))): c for c in baseline["cells"] if isinstance(c, dict)}
    changes = []
    for cell in run.cells:
        before = old.pop(cell.report_id, None)
        old_verdict = None if before is None else str(before.get("verdict"))
        old_delta = None if before is None else _float(before.get("delta"))
        changes.append(
            CellChange(
                cell.report_id, _kind(old_verdict, cell.verdict), old_verdict, cell.verdict,
                old_delta, cell.delta,
            )
        )  # fmt: skip
    for name, before in old.items():
        changes.append(
            CellChange(name, DROPPED, str(before.get("verdict")), None,
                       _float(before.get("delta")), None)
        )  # fmt: skip
    changes.sort(key=lambda c: (_ORDER.index(c.kind), -abs(c.delta_change or 0.0)))
    date = str(baseline.get("environment", {}).get("date", "")) or "date not recorded"
    return Comparison(str(path), date, tuple(changes))


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def change_rows(comparison: Comparison) -> list[tuple[str, str, str, str, str]]:
    """Plain-text rows (cell, what changed, verdict before → now, delta before → now, moved)."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:+.1%}"

    return [
        (
            c.cell, c.kind, f"{c.old_verdict or '-'} → {c.new_verdict or '-'}",
            f"{pct(c.old_delta)} → {pct(c.new_delta)}", pct(c.delta_change),
        )
        for c in comparison.changes
    ]  # fmt: skip


def comparison_lines(comparison: Comparison) -> list[str]:
    """The comparison for the terminal: a summary line, then one line per changed cell."""
    lines = [
        f"warmth: since {comparison.baseline} ({comparison.baseline_date}): {comparison.summary()}"
    ]
    rows = [row for row in change_rows(comparison) if row[1] != UNCHANGED]
    width = max((len(row[0]) for row in rows), default=0)
    lines += [
        f"  {cell:<{width}}  {kind:<15}  {verdicts:<24}  delta {deltas} ({moved})"
        for cell, kind, verdicts, deltas, moved in rows
    ]
    return lines
