"""The study's released layout: conditions, labels, pairing, items, and one line per bad row."""

from __future__ import annotations

from pathlib import Path

import pytest
from study_files import FULL_COLUMNS, MINIMAL_COLUMNS, QUESTIONS, prompt, row, write

from pytest_warmth.backends.recorded.study import (
    StudyRow,
    is_study_file,
    pair_rows,
    read_side,
    study_suites,
)
from pytest_warmth.errors import ModelLoadError
from pytest_warmth.grading import CORRECT, INCORRECT, REFUSAL, UNCLEAR, Target, grade

Q1, Q2 = QUESTIONS[0], QUESTIONS[1]


def trivia(tmp_path: Path, rows: list[dict[str, str]], side: str = "original") -> Path:
    columns = list(rows[0]) if rows else FULL_COLUMNS
    return write(tmp_path / side / f"trivia_{side}_outputs.csv", rows, columns)


@pytest.mark.parametrize(
    ("template", "amendment", "condition"),
    [
        ("original", "unmodified", ("plain", "none")),
        ("original_neutral", "unmodified", ("neutral", "none")),
        ("incorrect", "emotion:sad", ("sad", "wrong")),
        ("correct", "relation:hierarchical_up", ("admiring", "reject_right")),
        ("original", "relation:hierarchical_down", ("directive", "none")),
        ("incorrect", "stake:low", ("low_stakes", "wrong")),
        ("original", "emotion:anger", ("angry", "none")),
    ],
)
def test_study_conditions_map_to_the_gates(
    tmp_path: Path, template: str, amendment: str, condition: tuple[str, str]
) -> None:
    path = trivia(tmp_path, [row(Q1, template, amendment, right=True)])
    (found,) = read_side([path])
    assert (found.context, found.belief) == condition
    assert found.where == f"{path}:2"


def test_rows_keep_answers_prompt_and_a_clean_reply(tmp_path: Path) -> None:
    path = trivia(tmp_path, [row(Q1, "incorrect", "emotion:sad", right=False)])
    (found,) = read_side([path])
    assert (found.key, found.answer, found.incorrect) == (Q1.key, Q1.answer, Q1.incorrect)
    assert found.prompt == prompt(Q1, "incorrect", "emotion:sad")
    # The study's replies start with the chat template's role line; it is not part of the reply.
    assert found.output == f"Yes, it is {Q1.incorrect}!"
    assert found.label == INCORRECT


@pytest.mark.parametrize(
    ("evaluation", "refusal", "label"),
    [("CORRECT", "0", CORRECT), ("INCORRECT", "0", INCORRECT), ("CORRECT", "1", REFUSAL),
     ("", "", None), ("correct", "0.0", CORRECT)],
)  # fmt: skip
def test_labels(tmp_path: Path, evaluation: str, refusal: str, label: str | None) -> None:
    record = row(Q1, "original", "unmodified", right=True)
    record.update(evaluation=evaluation, refusal=refusal)
    (found,) = read_side([trivia(tmp_path, [record])])
    assert found.label == label


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt_template": "mcq"}, "prompt template 'mcq' is not a condition the gate runs"),
        ({"amendment_type": "emotion:bored"}, "amendment type 'emotion:bored' is not one of"),
        ({"prompt_template": "original_neutral", "amendment_type": "emotion:sad"},
         "original_neutral is the study's unmodified control"),
        ({"evaluation": "MAYBE"}, "evaluation 'MAYBE' is neither CORRECT nor INCORRECT"),
        ({"refusal": "perhaps"}, "refusal 'perhaps' is neither 0 nor 1"),
        ({"content_key": ""}, "the 'content_key' column is empty"),
    ],
)  # fmt: skip
def test_a_bad_row_is_one_line_naming_file_and_row(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    bad = row(Q2, "original", "unmodified", right=True)
    bad.update(change)
    path = trivia(tmp_path, [row(Q1, "original", "unmodified", right=True), bad])
    with pytest.raises(ModelLoadError, match="^" + str(path) + ":3: ") as caught:
        read_side([path])
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_duplicate_row_names_both_rows(tmp_path: Path) -> None:
    first = row(Q1, "incorrect", "emotion:sad", right=True)
    path = trivia(tmp_path, [first, row(Q2, "original", "unmodified", right=True), first])
    with pytest.raises(ModelLoadError, match=f"{path}:4: .* already at {path}:2"):
        read_side([path])


def test_file_name_and_columns_are_checked(tmp_path: Path) -> None:
    rows = [row(Q1, "original", "unmodified", right=True)]
    misnamed = write(tmp_path / "quiz_original_outputs.csv", rows)
    with pytest.raises(ModelLoadError, match=r"named <task>_<side>_outputs\.csv"):
        read_side([misnamed])
    no_key = write(tmp_path / "trivia_x_outputs.csv", [{"amendment_type": "unmodified"}],
                   ["amendment_type"])  # fmt: skip
    with pytest.raises(ModelLoadError, match="no 'content_key' column"):
        read_side([no_key])
    assert is_study_file(misnamed)
    plain = write(tmp_path / "replies.csv", [{"prompt": "q", "reply": "a"}], ["prompt", "reply"])
    assert not is_study_file(plain)


def both_sides(
    tmp_path: Path, warm_rows: list[dict[str, str]]
) -> tuple[list[StudyRow], list[StudyRow]]:
    base = [row(q, "original", "unmodified", right=True) for q in (Q1, Q2)]
    base_rows = read_side([trivia(tmp_path, base)])
    warm_rows_read = read_side([trivia(tmp_path, warm_rows, "warm")])
    return base_rows, warm_rows_read


def test_pairing_names_a_row_without_partner_or_skips_it(tmp_path: Path) -> None:
    base_rows, warm_rows = both_sides(tmp_path, [row(Q1, "original", "unmodified", right=False)])
    with pytest.raises(ModelLoadError) as caught:
        pair_rows(base_rows, warm_rows, unpaired="error", names=("orig", "warm"))
    text = str(caught.value)
    assert text.startswith(f"{tmp_path / 'original' / 'trivia_original_outputs.csv'}:3: ")
    assert "no row for the same question and condition in warm (1 rows have no partner)" in text
    assert "--warmth-unpaired=skip" in text
    base, warm, left = pair_rows(base_rows, warm_rows, unpaired="skip", names=("orig", "warm"))
    assert [r.key for r in base] == [r.key for r in warm] == [Q1.key]
    assert left == 1


def test_suites_are_the_files_items_and_conditions(tmp_path: Path) -> None:
    # The warm side keeps only the study's minimal columns: answers and prompts come from the base.
    conditions = [("original", "unmodified"), ("incorrect", "emotion:sad")]
    base = [row(q, t, a, right=True) for q in (Q1, Q2) for t, a in conditions]
    warm = [
        row(q, t, a, right=False, columns=MINIMAL_COLUMNS) for q in (Q1, Q2) for t, a in conditions
    ]
    base_rows = read_side([trivia(tmp_path, base)])
    warm_rows = read_side([trivia(tmp_path, warm, "warm")])
    (suite,) = study_suites(base_rows + warm_rows, source="orig")
    assert (suite.name, suite.scoring) == ("trivia", "generate")
    assert suite.conditions == (("plain", "none"), ("sad", "wrong"))
    probe = suite.probes[0]
    assert (probe.question, probe.answer, probe.incorrect) == (Q1.key, Q1.answer, Q1.incorrect)
    assert probe.prompt_for("sad", "wrong") == prompt(Q1, "incorrect", "emotion:sad")
    assert probe.prompt_for("happy", "none") is None
    assert len({p.id for p in suite.probes}) == 2


def test_disinfo_refusals_count_as_correct_as_in_the_study(tmp_path: Path) -> None:
    columns = ("prompt_disinfo", "ground_truth", "ground_false", "prompt", "prompt_template",
               "amendment_type", "output", "evaluation", "refusal")  # fmt: skip
    record = {"prompt_disinfo": "Is the moon made of cheese?", "ground_truth": "It is rock.",
              "ground_false": "It is cheese.", "prompt": "Is the moon made of cheese?",
              "prompt_template": "original", "amendment_type": "unmodified",
              "output": "I can't help with that.", "evaluation": "", "refusal": "1"}  # fmt: skip
    path = write(tmp_path / "disinfo_original_outputs.csv", [record], columns)
    (suite,) = study_suites(read_side([path]), source="x")
    assert (suite.name, suite.refusal) == ("disinfo", "correct")


def test_prompts_must_agree_and_exist(tmp_path: Path) -> None:
    base = [row(Q1, "original", "unmodified", right=True)]
    other = dict(base[0], prompt="Something else entirely?")
    rows = read_side([trivia(tmp_path, base)]) + read_side([trivia(tmp_path, [other], "warm")])
    with pytest.raises(ModelLoadError, match=r"its prompt differs from .*both sides must"):
        study_suites(rows, source="x")
    bare = read_side([trivia(tmp_path, [row(Q1, "original", "unmodified", right=True,
                                            columns=MINIMAL_COLUMNS)], "bare")])  # fmt: skip
    with pytest.raises(ModelLoadError, match="no 'prompt' for this question and condition"):
        study_suites(bare, source="x")


def test_an_item_without_answer_needs_labels(tmp_path: Path) -> None:
    labelled = row(Q1, "correct", "unmodified", right=True)
    labelled["correct_answer"] = ""  # as in some of the study's TruthfulQA rows
    (suite,) = study_suites(read_side([trivia(tmp_path, [labelled])]), source="x")
    assert suite.probes[0].answer == ""
    unlabelled = dict(labelled, evaluation="")
    with pytest.raises(ModelLoadError, match=r"no 'correct_answer' .* not every row of it has"):
        study_suites(read_side([trivia(tmp_path, [unlabelled], "warm")]), source="x")


def test_a_target_without_answer_grades_unclear() -> None:
    graded = grade("It is Lake 1.", Target("", "Lake 1"), belief="wrong")
    assert graded.label == UNCLEAR
