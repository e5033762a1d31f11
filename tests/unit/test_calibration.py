"""Cohen's kappa against published values, the calibration set, and the judge's verdicts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_warmth.backends.protocol import GENERATE, ChoiceScore, Progress
from pytest_warmth.calibration import (
    calibrate,
    calibrate_rules,
    check_judge,
    cohen_kappa,
    load_labelled,
)
from pytest_warmth.errors import WarmthError
from pytest_warmth.grading import Target
from pytest_warmth.judge import GENERATION, Judge, parse_verdict, rubric


def table(yy: int, yn: int, ny: int, nn: int) -> list[tuple[bool, bool]]:
    return [(True, True)] * yy + [(True, False)] * yn + [(False, True)] * ny + [(False, False)] * nn


@pytest.mark.parametrize(
    ("cells", "kappa"),
    [
        # The two worked examples of the Wikipedia article "Cohen's kappa" (50 grant proposals
        # read by two readers: p_o = 0.7, p_e = 0.5; and 100 items: p_o = 0.6, p_e = 0.54).
        ((20, 5, 10, 15), 0.4),
        ((45, 15, 25, 15), 0.1304),
        ((10, 0, 0, 10), 1.0),
        ((0, 10, 10, 0), -1.0),
    ],
)
def test_kappa_matches_published_values(cells: tuple[int, int, int, int], kappa: float) -> None:
    assert cohen_kappa(table(*cells)) == pytest.approx(kappa, abs=1e-4)


def test_a_constant_rater_shows_no_skill() -> None:
    assert cohen_kappa(table(30, 0, 20, 0)) == 0.0  # always yes: 60 % agreement, kappa 0
    assert cohen_kappa([]) == 0.0


def test_the_shipped_set_loads_without_refusals() -> None:
    source, replies = load_labelled()
    assert source == "the shipped calibration set"
    assert len(replies) == 160
    assert {r.label for r in replies} == {"correct", "incorrect", "unclear"}


def write(path: Path, records: Sequence[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


RIGHT = {"question": "Capital of France?", "answer": "Paris", "incorrect": "Lyon",
         "response": "It is Paris.", "label": "correct"}  # fmt: skip
WRONG = dict(RIGHT, response="It is Lyon.", label="incorrect")


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([RIGHT, {"question": "q", "label": "correct"}],
         r"calibration.jsonl:2: a labelled reply needs answer, incorrect, response"),
        ([RIGHT, dict(WRONG, label="wrong")], r"calibration.jsonl:2: label 'wrong' is not one of"),
        ([RIGHT, RIGHT], r"needs replies labelled correct and replies labelled otherwise"),
    ],
)  # fmt: skip
def test_a_bad_calibration_file_is_one_line(
    tmp_path: Path, records: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(WarmthError, match=message):
        load_labelled(write(tmp_path / "calibration.jsonl", records))


def test_rules_and_a_judge_are_compared_with_the_labels(tmp_path: Path) -> None:
    source, replies = load_labelled(write(tmp_path / "c.jsonl", [RIGHT, WRONG, RIGHT, WRONG]))
    rules = calibrate_rules(source, replies)
    assert (rules.agree, rules.n, rules.kappa) == (4, 4, 1.0)
    contrary = calibrate("judge x", source, replies, lambda q, r, t: [False, True, None, True])
    assert (contrary.agree, contrary.off_format) == (0, 1)
    assert contrary.kappa == pytest.approx(-1.0)
    with pytest.raises(WarmthError) as refused:
        check_judge(contrary, 0.6)
    assert str(refused.value).startswith(
        "--warmth-judge refused: judge x: 0.0% agreement, kappa -1.00 on 4 labelled replies ("
    )
    assert "below --warmth-judge-min-kappa=0.6" in str(refused.value)
    check_judge(rules, 0.6)  # passes silently


@pytest.mark.parametrize(
    ("text", "verdict"),
    [("CORRECT", True), ("incorrect.", False), ("**Correct**", True), (' "INCORRECT" ', False),
     ("Correct, because", None), ("The answer is correct", None), ("", None)],
)  # fmt: skip
def test_verdicts_are_parsed_strictly(text: str, verdict: bool | None) -> None:
    assert parse_verdict(text) is verdict


class Replier:
    """A side that can only generate, answering from a script (a stand-in for an API)."""

    capabilities = frozenset({GENERATE})
    identity = None

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.asked: list[tuple[str, int]] = []

    def hold(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def generate(
        self, prompts: Sequence[str], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        self.asked += [(p, max_new_tokens) for p in prompts]
        return self.replies[: len(prompts)]

    def score_choices(self, *args: object, **kwargs: object) -> list[list[ChoiceScore]]:
        raise AssertionError("not offered")

    def score_text(self, *args: object, **kwargs: object) -> list[ChoiceScore]:
        raise AssertionError("not offered")


def test_a_judge_that_cannot_score_replies_with_one_word() -> None:
    side = Replier(["CORRECT", "Well, it depends"])
    judge = Judge(side, "api")
    assert judge.method == GENERATION
    target = Target("Paris", "Lyon")
    says = judge.correct(["Capital?", "Capital?"], ["Paris.", "Lyon?"], [target, target])
    assert says == [True, None]
    prompt, tokens = side.asked[0]
    assert tokens == 4
    assert "Correct answer: Paris" in prompt
    assert "A tempting wrong answer: Lyon" in prompt


def test_the_rubric_keeps_long_replies_whole() -> None:
    late = "I'm so sorry you're having a hard week. " * 40 + "The capital is Paris."
    assert late.strip() in rubric("Capital?", late, Target("Paris", "Lyon"))
