"""Gating the study's released outputs as published: a folder per side, one CSV per task."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from study_files import MINIMAL_COLUMNS, QUESTIONS, row, write, write_sides

CELLS = {
    "trivia[plain]", "trivia[neutral]", "trivia[sad]", "trivia[sad+wrong]",
    "trivia[admiring+reject_right]",
}  # fmt: skip


def gate(pytester: pytest.Pytester, base: Path, warm: Path, *args: str) -> Any:
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        f"--warmth-model={warm}", f"--warmth-base={base}", f"--warmth-report={report}",
        "--warmth-no-cache", *args,
    )  # fmt: skip
    result.report = json.loads(report.read_text()) if report.exists() else None
    return result


def cells(result: Any) -> dict[str, dict[str, Any]]:
    return {c["cell"]: c for c in result.report["cells"]}


def test_the_files_items_and_conditions_are_gated(pytester: pytest.Pytester) -> None:
    # Like the study's Qwen files, the warm side keeps only the key, condition, reply and label.
    base, warm = write_sides(
        pytester.path, warm_wrong={("incorrect", "emotion:sad"): 15}, warm_columns=MINIMAL_COLUMNS
    )
    result = gate(pytester, base, warm)  # no --warmth-scoring: recordings can only be graded
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([
        f"warmth: study outputs {warm} vs {base} (150 paired rows; 300 of 300 replies carry "
        "the study's label)",
        "warmth: scoring trivia=generate (*grader: recorded labels, else rules)",
    ])  # fmt: skip
    found = cells(result)
    assert set(found) == CELLS
    assert found["trivia[sad+wrong]"]["verdict"] == "FAIL"
    assert (found["trivia[sad+wrong]"]["b"], found["trivia[sad+wrong]"]["c"]) == (15, 0)
    assert found["trivia[plain]"]["n"] == 30
    assert result.report["load"] == {
        "where": "150 paired rows of the study's outputs per side", "notes": []
    }  # fmt: skip


def test_recorded_labels_decide_unless_regraded(pytester: pytest.Pytester) -> None:
    base, warm = write_sides(pytester.path, warm_wrong={("incorrect", "emotion:sad"): 15})
    # The warm replies say the right answer, but the file labels 15 of them INCORRECT.
    path = warm / "trivia_warm_outputs.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for record in rows:
        record["output"] = f"It is {record['correct_answer']}."
    write(path, rows)
    used = gate(pytester, base, warm)
    assert cells(used)["trivia[sad+wrong]"]["verdict"] == "FAIL"
    regraded = gate(pytester, base, warm, "--warmth-recorded-labels=regrade")
    regraded.stdout.fnmatch_lines(["*grader: rules (recorded labels ignored*"])
    assert cells(regraded)["trivia[sad+wrong]"]["b"] == 0
    regraded.assert_outcomes(passed=5)


def test_only_the_named_conditions_among_the_files(pytester: pytest.Pytester) -> None:
    base, warm = write_sides(pytester.path, n=10)
    result = gate(pytester, base, warm, "--warmth-context=emotion:sad")
    assert set(cells(result)) == {"trivia[sad]", "trivia[sad+wrong]"}
    missing = gate(pytester, base, warm, "--warmth-context=happy")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: no condition of the run is among the suites' own*"])


def test_unpaired_rows_are_named_or_skipped(pytester: pytest.Pytester) -> None:
    base, warm = write_sides(pytester.path, n=10)
    path = warm / "trivia_warm_outputs.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    write(path, rows[:-1])  # the last warm row is lost
    refused = gate(pytester, base, warm)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    base_file = base / "trivia_original_outputs.csv"
    refused.stderr.fnmatch_lines([
        f"ERROR: {base_file}:51: no row for the same question and condition in {warm} "
        "(1 rows have no partner); complete the files, or pass --warmth-unpaired=skip*"
    ])  # fmt: skip
    skipped = gate(pytester, base, warm, "--warmth-unpaired=skip")
    skipped.stdout.fnmatch_lines(["warmth: study outputs * (49 paired rows, 1 unpaired left out;*"])
    skipped.assert_outcomes(passed=5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt_template": "mcq"}, "prompt template 'mcq' is not a condition the gate runs*"),
        ({"content_key": QUESTIONS[0].key}, "the same question under the same condition is "
         "already at *trivia_warm_outputs.csv:2*"),
    ],
)  # fmt: skip
def test_a_bad_row_stops_the_run_before_any_work(
    pytester: pytest.Pytester, change: dict[str, str], message: str
) -> None:
    base, warm = write_sides(pytester.path, n=10)
    path = warm / "trivia_warm_outputs.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[1].update(change)
    write(path, rows)
    result = gate(pytester, base, warm)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {path}:3: {message}"])
    assert "Traceback" not in result.stderr.str()
    assert result.report is None


def test_a_cut_off_file_is_named(pytester: pytest.Pytester) -> None:
    base, warm = write_sides(pytester.path, n=10)
    path = warm / "trivia_warm_outputs.csv"
    path.write_text(path.read_text()[:-20])  # ends inside a quoted reply
    result = gate(pytester, base, warm)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {path}:*: not valid CSV (unexpected end of data)"])


def test_a_side_mixing_layouts_is_refused(pytester: pytest.Pytester) -> None:
    base, warm = write_sides(pytester.path, n=10)
    stray = write(warm / "extra.csv", [{"prompt": "q", "reply": "a"}], ["prompt", "reply"])
    result = gate(pytester, base, warm)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {stray}: not in the study's layout*"])


def test_each_reply_answers_its_own_prompt(pytester: pytest.Pytester) -> None:
    base, warm = write_sides(pytester.path, n=10, warm_wrong={("original", "emotion:sad"): 10})
    result = gate(pytester, base, warm, "--warmth-recorded-labels=regrade", "--warmth-no-cache")
    found = cells(result)
    # regraded from the text: only the sad condition's warm replies name the wrong answer
    assert found["trivia[sad]"]["b"] == 10
    assert all(found[c]["b"] == 0 for c in CELLS - {"trivia[sad]"})
    assert row(QUESTIONS[0], "original", "emotion:sad", right=False)["evaluation"] == "INCORRECT"


def test_a_live_model_can_be_asked_the_files_prompts(pytester: pytest.Pytester) -> None:
    base, _ = write_sides(pytester.path, n=3)
    target = pytester.path / "prompts.jsonl"
    result = pytester.runpytest_subprocess(
        f"--warmth-export-prompts={target}",
        f"--warmth-probes=study:{base}",
        "--warmth-suite=trivia",
    )
    result.stdout.fnmatch_lines([f"warmth: 15 prompts written to {target}"])
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    with (base / "trivia_original_outputs.csv").open(newline="") as handle:
        sent = {r["prompt"] for r in csv.DictReader(handle)}
    assert {p["prompt"] for p in exported} == sent
    assert {p["cell"] for p in exported} == CELLS
