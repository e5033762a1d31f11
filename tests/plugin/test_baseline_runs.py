"""What changed since the last release: two real gate runs of the tiny models compared."""

from __future__ import annotations

from pathlib import Path

import pytest


def gate(pytester: pytest.Pytester, model: Path, suite: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={model}", f"--warmth-probes={suite}",
        "--warmth-suite=tiny", "--warmth-belief=none", *args,
    )  # fmt: skip


def test_a_new_failure_since_the_baseline_is_reported_everywhere(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    zero_adapter: Path,
    beta_adapter: Path,
    tiny_suite: Path,
) -> None:
    release = pytester.path / "release.json"
    first = gate(pytester, zero_adapter, tiny_suite, f"--warmth-report={release}")
    assert first.ret == 0
    summary = pytester.path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    markdown, html = pytester.path / "summary.md", pytester.path / "report.html"
    second = gate(
        pytester, beta_adapter, tiny_suite, f"--warmth-baseline-report={release}",
        f"--warmth-markdown={markdown}", f"--warmth-html={html}",
    )  # fmt: skip
    assert second.ret == 1
    second.stdout.fnmatch_lines(
        [
            f"warmth: since {release} (*): 2 new failure",
            "  tiny[[]plain[]]  new failure  *UNTESTABLE → FAIL*delta +0.0% → +100.0% (+100.0%)",
            "  tiny[[]sad[]]  *new failure*",
            f"warmth: Markdown summary written to {markdown}",
        ]
    )
    text = markdown.read_text()
    assert text.startswith("## pytest-warmth: **FAIL**: 2 of 2 cells")
    assert "### Since release.json (" in text
    row = "| tiny\\[plain\\] | new failure | UNTESTABLE → FAIL | +0.0% → +100.0% | +100.0% |"
    assert row in text
    assert f"Reports: HTML report: `{html}`" in text
    # appended to the job's step summary, after what an earlier step wrote
    assert summary.read_text() == "earlier step\n" + text
    page = html.read_text()
    assert '<section id="changes">' in page
    assert "2 new failure" in page


@pytest.mark.parametrize(
    ("args", "setting"),
    [(("--warmth-limit=10",), "limit"), (("--warmth-scoring=generate",), "scoring")],
)
def test_a_baseline_that_asked_other_items_is_refused_before_loading(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path, args: tuple[str, ...],
    setting: str,
) -> None:  # fmt: skip
    release = pytester.path / "release.json"
    assert gate(pytester, zero_adapter, tiny_suite, f"--warmth-report={release}").ret == 0
    again = gate(pytester, zero_adapter, tiny_suite, f"--warmth-baseline-report={release}", *args)
    assert again.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in again.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1
    assert f"its {setting} (" in errors[0]
    assert "not comparable" in errors[0]
    assert "warmth: adapter" not in again.stdout.str()  # nothing was loaded
    assert "Traceback" not in again.stderr.str()


def test_a_baseline_that_is_not_a_report_is_refused(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    bogus = pytester.path / "notes.json"
    bogus.write_text('{"hello": 1}')
    result = gate(pytester, zero_adapter, tiny_suite, f"--warmth-baseline-report={bogus}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --warmth-baseline-report=*: not a pytest-warmth report*"])
    missing = gate(pytester, zero_adapter, tiny_suite, "--warmth-baseline-report=nowhere.json")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: --warmth-baseline-report=nowhere.json: no such file*"])
