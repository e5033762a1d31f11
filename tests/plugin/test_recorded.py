"""Replies produced elsewhere: export the plan's prompts, record replies, gate the recordings."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

RIGHT = "The answer is alpha."
AGREES = "You're right, it is beta!"


@pytest.fixture
def suite(pytester: pytest.Pytester, make_suite: Any) -> Path:
    path: Path = make_suite(pytester.path / "tiny.yaml", 12)
    path.write_text(path.read_text().replace("scoring: mc", "scoring: generate"))
    return path


def plan_args(suite: Path) -> list[str]:
    return [
        f"--warmth-probes={suite}", "--warmth-suite=tiny", "--warmth-context=plain",
        "--warmth-context=emotion:sad", "--warmth-belief=none", "--warmth-belief=wrong",
    ]  # fmt: skip


def export(pytester: pytest.Pytester, suite: Path) -> list[dict[str, Any]]:
    target = pytester.path / "prompts.jsonl"
    result = pytester.runpytest_subprocess(f"--warmth-export-prompts={target}", *plan_args(suite))
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # no model: the gate stays off
    result.stdout.fnmatch_lines([f"warmth: 48 prompts written to {target}"])
    return [json.loads(line) for line in target.read_text().splitlines()]


def test_export_record_and_gate(pytester: pytest.Pytester, suite: Path) -> None:
    prompts = export(pytester, suite)
    assert {p["cell"] for p in prompts} == {
        "tiny[plain]", "tiny[sad]", "tiny[plain+wrong]", "tiny[sad+wrong]"
    }  # fmt: skip
    assert prompts[0]["messages"] == [{"role": "user", "content": prompts[0]["prompt"]}]
    # "elsewhere": the base always answers right; the warm model agrees with a stated belief
    base = pytester.path / "base.jsonl"
    base.write_text("".join(json.dumps({**p, "reply": RIGHT}) + "\n" for p in prompts))
    warm = pytester.mkdir("warm")  # a folder of recordings, here one CSV
    with (warm / "replies.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["item", "prompt", "output"])
        writer.writeheader()
        for p in prompts:
            reply = AGREES if p["belief"] == "wrong" else RIGHT
            writer.writerow({"item": p["item"], "prompt": p["prompt"], "output": reply})
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        f"--warmth-model={warm}", f"--warmth-base={base}", "--warmth-scoring=generate",
        f"--warmth-report={report}", "--warmth-no-cache", *plan_args(suite),
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["warmth: recorded * vs recorded *base.jsonl*"])
    cells = {c["cell"]: c for c in json.loads(report.read_text())["cells"]}
    assert cells["tiny[sad+wrong]"]["verdict"] == "FAIL"
    assert (cells["tiny[sad+wrong]"]["b"], cells["tiny[sad+wrong]"]["c"]) == (12, 0)
    assert cells["tiny[plain]"]["b"] == 0


def test_a_prompt_without_a_reply_is_named(pytester: pytest.Pytester, suite: Path) -> None:
    prompts = export(pytester, suite)
    partial = pytester.path / "partial.jsonl"
    partial.write_text("".join(json.dumps({**p, "reply": RIGHT}) + "\n" for p in prompts[:-3]))
    result = pytester.runpytest_subprocess(
        f"--warmth-model={partial}", f"--warmth-base={partial}", "--warmth-scoring=generate",
        "--warmth-no-cache", *plan_args(suite),
    )  # fmt: skip
    # known before any work: one usage error, no gate items run
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: *3 of 48 prompts of this run have no recorded reply*--warmth-export-prompts=FILE*"]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"prompt": "q", "reply": "a"}\nnot json\n', "*bad.jsonl:2: invalid JSON: *"),
        ('{"question": "q", "reply": "a"}\n', "*bad.jsonl:1: a recorded reply needs the prompt*"),
        (
            '{"prompt": "q", "reply": "a"}\n{"prompt": "q", "reply": "b"}\n',
            "*bad.jsonl:2: the same prompt was recorded with another reply at *bad.jsonl:1*",
        ),
    ],
)
def test_bad_recordings_are_one_line(
    pytester: pytest.Pytester, suite: Path, content: str, message: str
) -> None:
    bad = pytester.path / "bad.jsonl"
    bad.write_text(content)
    result = pytester.runpytest_subprocess(
        f"--warmth-model={bad}", f"--warmth-base={bad}", "--warmth-scoring=generate",
        *plan_args(suite),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_recordings_need_a_base_and_cannot_score_choices(
    pytester: pytest.Pytester, suite: Path
) -> None:
    rec = pytester.path / "warm.jsonl"
    rec.write_text('{"prompt": "q", "reply": "a"}\n')
    alone = pytester.runpytest_subprocess(f"--warmth-model={rec}", *plan_args(suite))
    alone.stderr.fnmatch_lines(["ERROR: *is a recording*pass --warmth-base=FILE-or-DIR*"])
    mc = pytester.runpytest_subprocess(
        f"--warmth-model={rec}", f"--warmth-base={rec}", "--warmth-scoring=mc", *plan_args(suite)
    )
    mc.stderr.fnmatch_lines(
        ["ERROR: *scored by 'mc'*'recorded' backend*--warmth-scoring=generate*"]
    )


def test_recordings_cannot_measure_warmth(pytester: pytest.Pytester, suite: Path) -> None:
    rec = pytester.path / "warm.jsonl"
    rec.write_text('{"prompt": "q", "reply": "a"}\n')
    result = pytester.runpytest_subprocess(
        f"--warmth-model={rec}", f"--warmth-base={rec}", "--warmth-measure-warmth",
        *plan_args(suite),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --warmth-measure-warmth generates replies and scores them as plain text under "
         "the base, which the 'recorded' backend cannot do (it offers: generate); leave it out"]
    )  # fmt: skip
