"""The Markdown summary: ``--warmth-markdown=PATH`` and GitHub's ``$GITHUB_STEP_SUMMARY``.

A compact page for a pull-request comment or a CI job's summary: the verdict line, the table of
cells (failing first), what changed since the baseline, and where the other reports went.
Every string that came from outside the code is escaped, since GitHub and GitLab render inline
HTML inside Markdown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_warmth.reporting.baseline import UNCHANGED, Comparison, change_rows
from pytest_warmth.reporting.files import FileReporter
from pytest_warmth.reporting.trajectory import conclusion, trajectory_rows
from pytest_warmth.results import FAIL, SEVERITY, VERDICTS, RunResult

if TYPE_CHECKING:
    import pytest

    from pytest_warmth.reporting import WarmthReport
    from pytest_warmth.settings import WarmthSettings

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
_SPECIAL = re.compile(r"([\\`*_\[\]|<>#!])")


def escape(text: str) -> str:
    """``text`` with Markdown and HTML specials backslash-escaped, on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def code(text: str) -> str:
    """``text`` as an inline code span on one line (shown literally, HTML included)."""
    return "`" + " ".join(text.replace("`", "'").split()) + "`"


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    return [_row(head), _row(tuple("---" for _ in head)), *(_row(r) for r in rows)]


def verdict_line(run: RunResult) -> str:
    """``FAIL: 2 of 20 cells`` or ``no cell failed`` with the verdict counts."""
    counts = {v: sum(1 for c in run.cells if c.verdict == v) for v in VERDICTS}
    tally = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    if counts[FAIL]:
        return f"**FAIL**: {counts[FAIL]} of {len(run.cells)} cells ({tally})"
    return f"**no cell failed** ({tally or 'no cells'})"


def render(
    run: RunResult, comparison: Comparison | None = None, artifacts: dict[str, str] | None = None
) -> str:
    """The summary as Markdown text (ends with a newline)."""
    lines = [f"## pytest-warmth: {verdict_line(run)}", ""]
    models = ", ".join(f"{escape(m.role)} {code(m.spec)} ({m.sha256[:12]})" for m in run.models)
    settings = run.settings
    facts = [models, f"profile {escape(str(settings.get('profile', '')))}"]
    facts += [f"{escape(str(run.environment['date']))}"] if run.environment.get("date") else []
    lines += [" · ".join(facts), ""]
    if trajectory := trajectory_rows(run):
        lines += ["### Checkpoint sweep", "", escape(conclusion(run)), ""]
        lines += [*_table(tuple(map(escape, trajectory[0])), [
            tuple(map(escape, row)) for row in trajectory[1:]]), ""]  # fmt: skip
    order = sorted(run.cells, key=lambda c: SEVERITY.index(c.verdict))
    rows = [
        (
            escape(c.report_id), str(c.n), f"{c.base_error_rate:.1%}", f"{c.tuned_error_rate:.1%}",
            f"{c.delta:+.1%} [{c.ci_lower:+.1%}, {c.ci_upper:+.1%}]", f"{c.p_adjusted:.3g}",
            f"**{c.verdict}**" if c.verdict == FAIL else c.verdict,
        )
        for c in order
    ]  # fmt: skip
    head = ("cell", "n", "base err", "tuned err", "δ [CI]", "p adj", "verdict")
    lines += _table(head, rows)
    if comparison is not None:
        since = f"{escape(Path(comparison.baseline).name)} ({escape(comparison.baseline_date)})"
        lines += ["", f"### Since {since}: {comparison.summary()}", ""]
        changed = [r for r in change_rows(comparison) if r[1] != UNCHANGED]
        if changed:
            moved = [(escape(r[0]), *r[1:]) for r in changed]
            lines += _table(("cell", "change", "verdict", "δ", "δ moved"), moved)
        else:
            lines.append("Every cell has the verdict it had.")
    if artifacts:
        named = ", ".join(f"{escape(name)}: {code(where)}" for name, where in artifacts.items())
        lines += ["", f"Reports: {named}"]
        link = _run_link()
        if link:
            lines.append(f"(download them from the run's artifacts: {link})")
    return "\n".join(lines) + "\n"


def _run_link() -> str | None:
    """The GitHub Actions run page (its artifacts are listed there), when running on Actions."""
    server, repo, run_id = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if not (server and repo and run_id):
        return None
    return f"{server}/{repo}/actions/runs/{run_id}#artifacts"


def artifacts(settings: WarmthSettings) -> dict[str, str]:
    """The other reports this run writes, by name."""
    named = {"HTML report": settings.html, "JSON report": settings.report}
    return {name: str(path) for name, path in named.items() if path is not None}


class MarkdownFile(FileReporter):
    """The summary as a file (``--warmth-markdown``)."""

    what = "Markdown summary"

    def render(self, report: WarmthReport) -> str:
        """The summary."""
        return render(report.run, report.comparison, artifacts(report.settings))


class MarkdownReporter:
    """Writes the summary to ``--warmth-markdown`` and appends it to the step summary."""

    def __init__(self, path: Path | None, step_summary: Path | None) -> None:
        self.file = MarkdownFile(path) if path is not None else None
        self.step_summary = step_summary

    def pytest_warmth_report(self, report: WarmthReport) -> None:
        """Write the summary (see :func:`pytest_warmth.hookspecs.pytest_warmth_report`)."""
        text = render(report.run, report.comparison, artifacts(report.settings))
        if self.file is not None:
            self.file.write(report, text)
        if self.step_summary is None:
            return
        try:
            with self.step_summary.open("a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            report.failures.append(
                f"warmth: cannot append to ${STEP_SUMMARY} ({self.step_summary}): {exc}"
            )


def reporter(config: pytest.Config) -> MarkdownReporter | None:
    """The reporter for this run, when ``--warmth-markdown`` or ``$GITHUB_STEP_SUMMARY`` is set."""
    from pytest_warmth.settings import SETTINGS_KEY

    path = config.stash[SETTINGS_KEY].markdown
    summary = os.environ.get(STEP_SUMMARY)
    step = Path(summary) if summary else None
    return MarkdownReporter(path, step) if path is not None or step is not None else None
