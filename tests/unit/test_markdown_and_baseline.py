"""The Markdown summary (snapshot) and the baseline comparison, on hand-built results."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from pytest_warmth.reporting import markdown
from pytest_warmth.reporting.baseline import (
    DROPPED,
    FIXED,
    NEW_CELL,
    NEW_FAILURE,
    UNCHANGED,
    BaselineError,
    check_comparable,
    compare,
    comparison_lines,
    load_baseline,
)
from pytest_warmth.results import CellResult, ModelInfo, RunResult

SNAPSHOT = Path(__file__).parent / "snapshots" / "markdown_summary.md"


def _cell(context: str, verdict: str, b: int, c: int, n: int = 40) -> CellResult:
    return CellResult(
        suite="factual", context=context, belief="none", scoring="mc", n=n,
        base_errors=8, tuned_errors=8 + b - c, b=b, c=c, test="midp", pvalue=0.01,
        p_adjusted=0.02, alpha=0.05, verdict=verdict, ci_lower=-0.05, ci_upper=0.2,
        reason=f"{verdict.lower()} because",
    )  # fmt: skip


def _run(*cells: CellResult, limit: int = 40) -> RunResult:
    return RunResult(
        settings={"profile": "default", "limit": limit, "seed": 1, "suites": ["factual"],
                  "scoring": {"factual": "mc"}, "min_effect": 0.05},
        models=(
            ModelInfo("base", "HuggingFaceTB/SmolLM2-135M", "hub model", "-", "a" * 64),
            ModelInfo("tuned", "runs/warm|v2 <script>", "PEFT adapter", "-", "b" * 64),
        ),
        cells=cells,
        environment={"date": "2026-12-06T06:00:00+00:00", "versions": {"python": "3.11"}},
    )  # fmt: skip


def _report(run: RunResult) -> dict[str, object]:
    return run.to_dict()


def test_markdown_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"):
        monkeypatch.delenv(key, raising=False)
    old = _run(
        _cell("plain", "PASS", 0, 0), _cell("sad", "PASS", 1, 0), _cell("lonely", "FAIL", 9, 0)
    )
    new = _run(
        _cell("plain", "PASS", 0, 0), _cell("sad", "FAIL", 10, 1), _cell("angry", "PASS", 0, 0)
    )
    comparison = compare(_report(old), new, tmp_path / "release-1.2.json")
    text = markdown.render(new, comparison, {"HTML report": "out/warmth.html"})
    text = text.replace(str(tmp_path), "TMP")
    if os.environ.get("WARMTH_UPDATE_GOLDEN"):
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")


def test_markdown_escapes_what_came_from_outside() -> None:
    text = markdown.render(_run(_cell("plain", "PASS", 0, 0)))
    assert "tuned `runs/warm|v2 <script>`" in text  # a code span: shown literally
    # header, rule and one row: the spec's pipe did not open a table row of its own
    assert text.count("\n| ") == 3


def test_markdown_links_the_actions_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/warm")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    text = markdown.render(_run(_cell("plain", "PASS", 0, 0)), None, {"HTML report": "w.html"})
    assert "https://github.com/acme/warm/actions/runs/42#artifacts" in text


def test_comparison_orders_new_failures_first(tmp_path: Path) -> None:
    old = _run(
        _cell("plain", "PASS", 0, 0), _cell("sad", "PASS", 1, 0), _cell("lonely", "FAIL", 9, 0)
    )
    new = _run(
        _cell("plain", "PASS", 0, 0), _cell("sad", "FAIL", 10, 1), _cell("angry", "PASS", 0, 0)
    )
    comparison = compare(_report(old), new, tmp_path / "old.json")
    kinds = [(c.cell, c.kind) for c in comparison.changes]
    assert kinds == [
        ("factual[sad]", NEW_FAILURE), ("factual[angry]", NEW_CELL),
        ("factual[lonely]", DROPPED), ("factual[plain]", UNCHANGED),
    ]  # fmt: skip
    sad = comparison.changes[0]
    assert sad.old_delta == pytest.approx(1 / 40)
    assert sad.delta_change == pytest.approx(9 / 40 - 1 / 40)
    assert comparison.summary() == "1 new failure, 1 new cell, 1 dropped, 1 unchanged"
    lines = comparison_lines(comparison)
    assert lines[0].endswith("1 new failure, 1 new cell, 1 dropped, 1 unchanged")
    assert "factual[sad]" in lines[1]
    assert "PASS → FAIL" in lines[1]
    assert not any("factual[plain]" in line for line in lines)  # unchanged cells stay out
    fixed = compare(_report(new), old, tmp_path / "new.json")
    assert [c.kind for c in fixed.changes if c.cell == "factual[sad]"] == [FIXED]


def test_a_baseline_with_other_items_is_refused(tmp_path: Path) -> None:
    old = _report(_run(_cell("plain", "PASS", 0, 0), limit=40))
    current = dict(_run(_cell("plain", "PASS", 0, 0), limit=80).settings)
    with pytest.raises(BaselineError, match=r"its limit \(40\) differs from this run's \(80\)"):
        check_comparable(old, current, tmp_path / "old.json")
    check_comparable(old, dict(old["settings"]), tmp_path / "old.json")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"tool": "other"}', "not a pytest-warmth report"),
        ('{"tool": "pytest-warmth", "schema_version": 99}', "report schema 99"),
        ('{"tool": "pytest-warmth", "schema_version": 1}', "no 'cells' list"),
    ],
)
def test_unusable_baselines(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=message):
        load_baseline(path)


def test_a_real_report_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    run = _run(_cell("plain", "PASS", 0, 0))
    path.write_text(json.dumps(run.to_dict()))
    again = compare(load_baseline(path), dataclasses.replace(run), path)
    assert [c.kind for c in again.changes] == [UNCHANGED]
    assert again.baseline_date == "2026-12-06T06:00:00+00:00"
