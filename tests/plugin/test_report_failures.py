"""A report that cannot be written at the end fails the run; the other reports are written."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_a_report_write_failure_makes_the_exit_code_non_zero(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    report, html = pytester.path / "out" / "report.json", pytester.path / "out" / "report.html"
    # Between the up-front check and the end of the run, the report's path becomes a directory
    # (a disk that fills up, a cleanup job): writing it then fails.
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_warmth_report(report):
            __import__("pathlib").Path({str(report)!r}).mkdir(parents=True)
        """
    )
    result = pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={zero_adapter}", f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny", "--warmth-context=plain", "--warmth-belief=none",
        f"--warmth-report={report}", f"--warmth-html={html}",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        [
            f"warmth: HTML report written to {html}",
            f"warmth: cannot write the JSON report to {report}: *",
        ]
    )
    assert html.is_file()
    assert "Traceback" not in result.stdout.str()
    assert not [p for p in report.parent.iterdir() if p.name.startswith(".report.json.")]
