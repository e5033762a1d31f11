"""Bad probe input is refused when the suite loads, in one line that names the file and the place.

Suite files (answer templates, blank and over-long texts, malformed files), folders without
suite files, public-dataset files (column types, MASK readings, missing files, unusable rows)
and the check every source's suites pass (:func:`pytest_warmth.suite_sources.check_suite`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_warmth import suite_sources
from pytest_warmth.errors import ProbeSuiteError
from pytest_warmth.hub import looks_like_file
from pytest_warmth.sampling import filter_tags
from pytest_warmth.suite_sources import check_suite, load_suites
from pytest_warmth.suites import (
    MAX_TEXT_CHARS,
    Probe,
    ProbeSuite,
    load_suite,
    slugify,
    template_problem,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")  # the rule suite files apply to names and tags


def item(item_id: str = "q1", **change: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "question": "What is two plus two?",
        "answer": "4",
        "incorrect": "5",
        "choices": ["3", "4", "5", "6"],
        "tags": ["easy"],
        **change,
    }


def write_yaml(path: Path, items: list[dict[str, Any]], **header: Any) -> Path:
    path.write_text(yaml.safe_dump({"name": "mine", **header, "items": items}, sort_keys=False))
    return path


def refused(path: Path) -> str:
    """The one-line message loading ``path`` fails with (it must name the file)."""
    with pytest.raises(ProbeSuiteError) as info:
        load_suites([path])
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# ----------------------------------------------------------------------------- answer templates


@pytest.mark.parametrize(
    ("template", "detail"),
    [
        ("{choice}}", "Single '}' encountered"),
        ("{answer}", "found {answer}"),
        ("The answer is", "found none"),
        ("{choice} {0}", "found {choice}, {0}"),
        ("{choice} or {choice}", "found {choice}, {choice}"),
        ("{choice!x}", "Unknown conversion specifier x"),
        ("{choice.upper}", "found {choice.upper}"),
    ],
)
def test_bad_answer_template_is_refused_at_load(tmp_path: Path, template: str, detail: str) -> None:
    message = refused(write_yaml(tmp_path / "t.yaml", [item()], answer_template=template))
    assert f"t.yaml:1: answer_template: {template!r}" in message
    assert detail in message
    assert "write {choice} exactly once and double any literal brace" in message


def test_template_with_literal_braces_formats() -> None:
    assert template_problem("{{note}} It is {choice}.") is None
    assert template_problem("{choice:>3}") is None


# ----------------------------------------------------------------------------- texts


@pytest.mark.parametrize("blank", ["", "   ", "\t", "\u200b"])
def test_blank_choice_names_item_and_choice(tmp_path: Path, blank: str) -> None:
    bad = item("q2", choices=["3", "4", "5", blank])
    message = refused(write_yaml(tmp_path / "c.yaml", [item(), bad]))
    assert re.search(r"c\.yaml:\d+: choices: item 'q2', choice 4 is empty or blank; write", message)


def test_blank_alias_is_refused(tmp_path: Path) -> None:
    # An empty alias would be found in every reply: generate mode would grade all as correct.
    message = refused(write_yaml(tmp_path / "a.yaml", [item(aliases=["four", " "])]))
    assert "aliases: item 'q1', alias 2 is empty or blank" in message


@pytest.mark.parametrize("field", ["question", "answer", "choices", "aliases"])
def test_text_over_the_limit_is_refused(tmp_path: Path, field: str) -> None:
    long = "x" * (MAX_TEXT_CHARS + 1)
    changes: dict[str, dict[str, Any]] = {
        "question": {"question": long},
        "answer": {"answer": long, "choices": ["3", long, "5", "6"]},
        "choices": {"choices": ["3", "4", "5", long]},
        "aliases": {"aliases": [long]},
    }
    change = changes[field]
    message = refused(write_yaml(tmp_path / "long.yaml", [item(), item("q2", **change)]))
    assert f": {field}: item 'q2'" in message
    assert f"is {MAX_TEXT_CHARS + 1:,} characters, over the limit of {MAX_TEXT_CHARS:,}" in message


def test_ten_megabyte_question_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps(item(question="word " * 2_000_000)) + "\n")
    message = refused(path)
    assert "big.jsonl:1: question: item 'q1' is 9,999,999 characters" in message


def test_text_at_the_limit_is_accepted(tmp_path: Path) -> None:
    suite = load_suite(write_yaml(tmp_path / "ok.yaml", [item(question="y" * MAX_TEXT_CHARS)]))
    assert len(suite.probes[0].question) == MAX_TEXT_CHARS


# ----------------------------------------------------------------------------- malformed files


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("e.yaml", "", "e.yaml: the file is empty; write a suite"),
        ("e.jsonl", "\n\n", "e.jsonl: the file is empty; write a suite"),
        ("l.yaml", "- id: a\n", "l.yaml:1: expected a mapping with 'name' and 'items', got a list"),
        ("s.yaml", "name: s\nitems:\n  - hello\n", "s.yaml: items: item 1 is 'hello', not a"),
        ("k.yaml", "name: k\nname: j\nitems: []\n", "k.yaml:2: invalid YAML: duplicate key 'name'"),
        (
            "h.yaml",
            "name: h\nscorign: generate\nitems: []\n",
            "h.yaml:1: scorign: unknown field; remove it or use one of: name, version",
        ),
        (
            "v.yaml",
            "name: v\nversion: [1]\nitems:\n  - {id: a, question: q, answer: '1', incorrect: '2',"
            " choices: ['1', '2', '3', '4']}\n",
            "v.yaml:1: version: expected text, got a list; write one string",
        ),
        (
            "j.jsonl",
            '{"id": "a"}\n\n{"id": "b",}\n',
            "j.jsonl:3: invalid JSON: Expecting property name enclosed in double quotes at column",
        ),
        (
            "late.jsonl",
            json.dumps(item()) + '\n{"suite": {"name": "late"}}\n',
            "late.jsonl:2: suite: must be the first line",
        ),
    ],
)
def test_malformed_file_is_one_clear_line(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert expected in refused(path)


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: l\nitems:\n  - id: a\n    question: Café?\n".encode("latin-1"))
    assert "latin.yaml:4: not UTF-8 text (byte 0xe9); save the file as UTF-8" in refused(path)


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text("\ufeff" + json.dumps(item()) + "\n", encoding="utf-8")
    assert load_suite(path).name == "bom"


def test_cluster_must_be_text(tmp_path: Path) -> None:
    message = refused(write_yaml(tmp_path / "cl.yaml", [item(cluster={"a": 1})]))
    assert "cluster: item 'q1': expected text, got a dict" in message
    assert "__line__" not in message


def test_tag_that_is_not_a_slug_suggests_one(tmp_path: Path) -> None:
    message = refused(write_yaml(tmp_path / "tg.yaml", [item(tags=["Indexical Error: Time"])]))
    assert "is not a lower-case slug (a-z, 0-9, _ . -); use e.g. 'indexical-error-time'" in message


# ----------------------------------------------------------------------------- folders


@pytest.mark.parametrize("held", [[], ["notes.txt"], ["suite.json"]])
def test_folder_without_suite_files_is_refused(tmp_path: Path, held: list[str]) -> None:
    folder = tmp_path / "probes"
    folder.mkdir()
    for name in held:
        (folder / name).write_text("{}")
    message = refused(folder)
    assert "no suite files (*.yaml, *.yml, *.jsonl) in this directory" in message
    assert (f"it holds {held[0]}" if held else "it is empty") in message
    assert message.endswith("add one or pass a suite file")


# ----------------------------------------------------------------------------- every source


def suite_of(*probes: Probe, template: str = "{choice}") -> ProbeSuite:
    return ProbeSuite("mem", "1", "", "mc", probes, source="fake:here", answer_template=template)


GOOD = Probe("p1", "Q?", "a", "b", ("a", "b", "c", "d"))


@pytest.mark.parametrize(
    ("suite", "expected"),
    [
        (suite_of(GOOD, template="{choice}}"), "fake:here: answer_template: '{choice}}' is not"),
        (suite_of(GOOD, GOOD), "fake:here: id: item id 'p1' is blank or used twice"),
        (
            suite_of(Probe("p2", "Q?", "a", "b", ("a", "b", " ", "d"))),
            "fake:here: choices: item 'p2', choice 3 is empty or blank",
        ),
        (
            suite_of(Probe("p3", "Q?", "a", "b", ("a", "b"), aliases=("",))),
            "fake:here: aliases: item 'p3', alias 1 is empty or blank",
        ),
        (
            suite_of(Probe("p4", "Q" * (MAX_TEXT_CHARS + 1), "a", "b", ("a", "b"))),
            "fake:here: question: item 'p4' is 20,001 characters",
        ),
        (
            suite_of(
                Probe("p5", "Q?", "a", "b", ("a", "b"), prompts=(("plain+none", "x" * 30_000),))
            ),
            "fake:here: prompts: item 'p5' (plain+none) is 30,000 characters",
        ),
    ],
)
def test_check_suite_refuses_what_would_fail_at_scoring(suite: ProbeSuite, expected: str) -> None:
    with pytest.raises(ProbeSuiteError) as info:
        check_suite(suite)
    assert expected in str(info.value)


def test_check_suite_accepts_a_recorded_item_without_answers() -> None:
    # The study's released outputs leave some answers empty; their items carry no choices.
    check_suite(suite_of(GOOD, Probe("p2", "Q?", "", "", (), prompts=(("plain+none", "Q?"),))))


def test_every_source_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    class Fake:
        def load(self, location: str, *, seed: int) -> list[ProbeSuite]:
            return [suite_of(Probe("p2", "Q?", "a", "b", ("a", "b", "", "d")))]

    monkeypatch.setitem(suite_sources.BUILTIN, "fake", Fake())
    with pytest.raises(ProbeSuiteError, match="fake:here: choices: item 'p2', choice 3 is empty"):
        load_suites(["fake:anything"])


# ----------------------------------------------------------------------------- tags and names


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Indexical Error: Time", "indexical-error-time"),
        ("Misconceptions", "misconceptions"),
        (".NET stuff", "net-stuff"),
        ("Économie & Société", "economie-societe"),
        ("???", "none"),
    ],
)
def test_slugify_makes_valid_tags(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert SLUG.match(slug)


def test_tag_filter_accepts_a_category_name() -> None:
    probe = Probe("p1", "Q?", "a", "b", ("a", "b", "c", "d"), tags=("indexical-error-time",))
    assert len(filter_tags(suite_of(probe), ["Indexical Error: Time"])) == 1
    assert len(filter_tags(suite_of(probe), ["indexical_error_time"])) == 1  # the old tag
    with pytest.raises(ProbeSuiteError, match=r"carries Law; check --warmth-tag \(its tags: ind"):
        filter_tags(suite_of(probe), ["Law"])


@pytest.mark.parametrize(
    ("name", "local"),
    [
        ("missing.csv", True),
        ("data/tqa.parquet", True),
        ("./tqa", True),
        ("~/tqa", True),
        ("a/b/c", True),
        ("notes.txt", True),
        ("truthfulqa/truthful_qa", False),
        ("hub", False),
        ("org/name.v2", False),
    ],
)
def test_what_looks_like_a_file(name: str, local: bool) -> None:
    assert looks_like_file(name) is local


# ----------------------------------------------------------------------------- public datasets


def tqa_row(i: int, **change: Any) -> dict[str, Any]:
    return {
        "question": f"Question {i}?",
        "best_answer": f"Answer {i}",
        "correct_answers": [f"Answer {i}"],
        "incorrect_answers": [f"Wrong {i}a", f"Wrong {i}b", f"Wrong {i}c"],
        "category": "Indexical Error: Time",
        "source": "https://example.org",
        **change,
    }


MASK_ROW = {
    "proposition": "Vaccines <pivotal>do/do not</pivotal> cause autism.",
    "ground_truth": "Vaccines do not cause autism.",
    "belief_elicit_1": "Do vaccines cause autism?",
}
TRIVIA_ROWS = [
    {"question": f"Trivia {i}?", "answer": {"value": f"V{i}", "aliases": []}} for i in range(5)
]
MEDQA_ROW = {
    "question": "Diagnosis?",
    "answer": "Flu",
    "options": {"A": "Cold", "B": "Flu", "C": "Measles", "D": "Mumps"},
    "answer_idx": "B",
}


def public_refusal(tmp_path: Path, kind: str, name: str, rows: list[dict[str, Any]]) -> str:
    """The message loading ``rows`` (written to ``name``) as ``kind`` fails with."""
    pytest.importorskip("datasets")
    path = tmp_path / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(ProbeSuiteError) as info:
        load_suites([f"{kind}:{path}"])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{kind}:{path}: ")
    return message


@pytest.mark.parametrize(
    ("kind", "rows", "expected"),
    [
        (
            "truthfulqa",
            [tqa_row(0), tqa_row(1, incorrect_answers=5)],
            "row 2, column 'incorrect_answers': expected a list of texts, got a number; write",
        ),
        (
            "truthfulqa",
            [tqa_row(0, question=["a", "b"])],
            "row 1, column 'question': expected text, got a list; write a string",
        ),
        (
            "truthfulqa",
            [tqa_row(0, question="x" * (MAX_TEXT_CHARS + 1))],
            "row 1, column 'question': the text is 20,001 characters, over the limit",
        ),
        (
            "triviaqa",
            [{**TRIVIA_ROWS[0], "answer": "V0"}, *TRIVIA_ROWS[1:]],
            "row 1, column 'answer': expected a mapping, got text; write one like {",
        ),
        (
            "triviaqa",
            [*TRIVIA_ROWS[:2], {**TRIVIA_ROWS[2], "answer": {"value": "V2", "aliases": 3}}],
            "row 3, column 'answer.aliases': expected a list of texts, got a number",
        ),
        (
            "medqa",
            [{**MEDQA_ROW, "options": ["Cold", "Flu", "Measles", "Mumps"]}],
            "row 1, column 'options': expected a mapping, got a list; write one like {",
        ),
        (
            "medqa",
            [{**MEDQA_ROW, "answer": "Plague", "answer_idx": "E"}],
            "row 1, column 'answer_idx': 'E' is not one of the options A, B, C, D; correct it",
        ),
        (
            "mask",
            [
                MASK_ROW,
                {
                    **MASK_ROW,
                    "proposition": "Vaccines <pivotal>do/do</pivotal> cause autism.",
                    "ground_truth": "Vaccines do cause autism.",
                },
            ],
            "row 2, column 'proposition': both readings of '<pivotal>do/do</pivotal>' are the "
            "same; write two different ones",
        ),
    ],
)
def test_public_row_of_the_wrong_type_names_row_and_column(
    tmp_path: Path, kind: str, rows: list[dict[str, Any]], expected: str
) -> None:
    assert expected in public_refusal(tmp_path, kind, "rows.jsonl", rows)


def test_public_csv_list_column_explains_csv(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    path = tmp_path / "tqa.csv"
    path.write_text("question,best_answer,correct_answers,incorrect_answers\nQ?,A,A,W\n")
    with pytest.raises(ProbeSuiteError) as info:
        load_suites([f"truthfulqa:{path}"])
    assert "row 1, column 'correct_answers': expected a list of texts, got text" in str(info.value)
    assert "a .csv file cannot hold lists: use .jsonl or .parquet" in str(info.value)


def test_public_rows_without_enough_answers_name_the_columns(tmp_path: Path) -> None:
    rows = [tqa_row(0, incorrect_answers=["Only one"]), tqa_row(1, incorrect_answers=[])]
    message = public_refusal(tmp_path, "truthfulqa", "few.jsonl", rows)
    assert "no usable rows (2 read): each needs a question, a best_answer and 3 distinct" in message
    assert "expected columns question, best_answer, incorrect_answers (optional: " in message
    assert message.endswith(
        "found question, best_answer, correct_answers, incorrect_answers, category, source; "
        "fix the rows or the columns"
    )


def test_public_missing_column_names_expected_and_found(tmp_path: Path) -> None:
    rows = [{"Question": "Q?", "Best Answer": "A"}]
    message = public_refusal(tmp_path, "truthfulqa", "cols.jsonl", rows)
    assert (
        "missing column 'question' for the truthfulqa layout: expected columns question" in message
    )
    assert "found Question, Best Answer; rename the columns" in message


@pytest.mark.parametrize("spec", ["missing.csv", "data/missing.jsonl", "./gone.parquet", "x.txt"])
def test_public_missing_file_is_not_looked_up_on_the_hub(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec: str
) -> None:
    datasets = pytest.importorskip("datasets")

    def no_hub(*args: object, **kwargs: object) -> None:
        raise AssertionError("the hub was asked")

    monkeypatch.setattr(datasets, "load_dataset", no_hub)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProbeSuiteError) as info:
        load_suites([f"truthfulqa:{spec}"])
    assert str(info.value) == (
        f"truthfulqa:{spec}: no such file; pass a data file, or a hub dataset as ORG/NAME "
        "(or 'hub')"
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.jsonl", b"", "the file is empty; write the rows"),
        ("bad.jsonl", b'{"question": "q"}\n{"question": \n', "line 2: invalid JSON: "),
        ("latin.csv", "question\ncafé\n".encode("latin-1"), "line 2: not UTF-8 text (byte 0xe9)"),
        ("data.tsv", b"question\n", "unknown file type '.tsv'; use one of .jsonl, .json"),
    ],
)
def test_public_unreadable_file_is_one_line(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    pytest.importorskip("datasets")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ProbeSuiteError) as info:
        load_suites([f"truthfulqa:{path}"])
    assert str(info.value).startswith(f"truthfulqa:{path}: {expected}")


def test_public_categories_become_valid_tags(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    path = tmp_path / "t.jsonl"
    rows = [tqa_row(0), tqa_row(1, category="Misconceptions"), tqa_row(2, category=".NET")]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    (suite,) = load_suites([f"truthfulqa:{path}"]).values()
    tags = [probe.tags[1] for probe in suite.probes]
    assert tags == ["indexical-error-time", "misconceptions", "net"]
    assert all(SLUG.match(tag) for probe in suite.probes for tag in probe.tags)
    assert len(filter_tags(suite, ["Indexical Error: Time"])) == 1
