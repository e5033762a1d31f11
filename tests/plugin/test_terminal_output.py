"""The terminal through real runs: table rows coloured by verdict only where there is markup,
progress lines quiet under -q and rewritten in place on a TTY."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
RED, GREEN, RESET = "\x1b[31m", "\x1b[32m", "\x1b[0m"
PROGRESS = re.compile(r"^warmth: .+: \d+/\d+ items")
"""A progress line: ``warmth: LABEL: done/total items``, then maybe rate and time left."""


def gate(pytester: pytest.Pytester, adapter: Path, suite: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={adapter}", f"--warmth-probes={suite}",
        "--warmth-suite=tiny", *args,
    )  # fmt: skip


def table_row(result: pytest.RunResult, cell: str) -> str:
    """The raw table row of ``cell`` (escape codes kept)."""
    rows = [
        line
        for line in result.outlines
        if ESCAPE.sub("", line).startswith(f"{cell} ") and "%" in line and ":" not in line
    ]
    assert len(rows) == 1, result.stdout.str()
    return rows[0]


def test_colour_marks_a_failing_row_red(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    result = gate(pytester, beta_adapter, tiny_suite, "--color=yes")
    result.assert_outcomes(failed=4)
    row = table_row(result, "tiny[plain]")
    assert row.startswith(RED), repr(row)
    assert row.endswith(RESET), repr(row)
    assert " FAIL " in row
    header = next(line for line in result.outlines if line.startswith("cell "))
    assert ESCAPE.search(header) is None  # the header carries no verdict, no colour
    explanation = next(line for line in result.outlines if "tiny[sad] FAIL: the tuned" in line)
    assert explanation.startswith(RED), repr(explanation)


@pytest.mark.parametrize(
    ("args", "verdict", "colour"),
    [
        # with a 30-point margin 20 items can show there is no such rise: PASS, green
        (("--warmth-min-effect=0.3",), "PASS", GREEN),
        # at the default 5 points 20 items cannot: UNTESTABLE, left plain
        ((), "UNTESTABLE", ""),
    ],
)
def test_colour_of_a_row_without_regression(
    pytester: pytest.Pytester,
    zero_adapter: Path,
    tiny_suite: Path,
    args: tuple[str, ...],
    verdict: str,
    colour: str,
) -> None:
    result = gate(pytester, zero_adapter, tiny_suite, "--color=yes", *args)
    result.assert_outcomes(passed=4)
    row = table_row(result, "tiny[sad]")
    assert f" {verdict} " in ESCAPE.sub("", row), repr(row)
    if colour:
        assert row.startswith(colour), repr(row)
    else:
        assert ESCAPE.search(row) is None, repr(row)


def test_no_colour_means_plain_text_with_progress_lines(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    result = gate(pytester, beta_adapter, tiny_suite, "--color=no")
    result.assert_outcomes(failed=4)
    assert "\x1b[" not in result.stdout.str()
    assert "FAIL" in table_row(result, "tiny[plain]")
    # not a TTY: whole lines, the last one of each side at 80/80
    result.stdout.fnmatch_lines(
        ["warmth: all cells, base: 80/80 items*", "warmth: all cells, tuned: 80/80 items*"]
    )
    # whole lines, not rewritten in place (a line rewritten in place is padded to erase)
    assert all(line == line.rstrip() for line in result.outlines if PROGRESS.search(line))
    assert len([line for line in result.outlines if PROGRESS.search(line)]) >= 2


def test_quiet_shows_no_progress_lines(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    result = gate(pytester, beta_adapter, tiny_suite, "--color=no", "-q")
    result.assert_outcomes(failed=4)
    assert "FAIL" in table_row(result, "tiny[plain]")  # the run and its table did happen
    assert [line for line in result.outlines if PROGRESS.search(line)] == []


def test_on_a_tty_the_progress_line_is_rewritten_in_place_and_finished(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    # The terminal reporter is told it writes to a TTY; the run is a subprocess so that the
    # carriage returns reach the test (pytester's own results are split into lines).
    pytester.makeconftest(
        """
        import pytest

        @pytest.hookimpl(trylast=True)
        def pytest_configure(config):
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            reporter.isatty = type(reporter.isatty)(True)  # a CallableBool on pytest 8+
        """
    )
    args = [f"--warmth-model={beta_adapter}", f"--warmth-probes={tiny_suite}"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
         "--color=no", "--warmth-suite=tiny", *args],
        cwd=pytester.path, capture_output=True, check=False, timeout=300,
    )  # fmt: skip
    out = done.stdout.decode()
    assert done.returncode == 1, out
    for side in ("base", "tuned"):
        # rewound to the line's start, padded to erase what was there, then finished
        assert re.search(rf"\n\rwarmth: all cells, {side}: 80/80 items +\n", out), out
    # a line said between two progress lines starts on a line of its own
    assert re.search(r"tuned: 20/20 items +\nwarmth: tiny\[plain\] done: 20 items, b=20", out), out
