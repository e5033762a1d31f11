"""A bad probe file stops the real plugin with one clear line, before any model loads.

Each case writes files a user could write (suite files, a folder, public-dataset files) and
runs pytest on them: exit code 4, exactly one ``ERROR:`` line that names the file (and the
line, item or row) and says how to fix it, no traceback, and no model loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_warmth.suites import MAX_TEXT_CHARS

ITEM = (
    "  - id: {id}\n    question: {question}\n    answer: '4'\n    incorrect: '5'\n"
    "    choices: [{choices}]\n    tags: [easy]\n"
)
"""One item of six lines: the first item of a suite starts on line 3, the second on line 9."""


def item(
    item_id: str, *, question: str = "Two plus two?", choices: str = "'3', '4', '5', '6'"
) -> str:
    return ITEM.format(id=item_id, question=question, choices=choices)


def suite(second: str = "", header: str = "") -> str:
    """A suite file with item ``a`` (lines 3-8) and then ``second`` (from line 9)."""
    return f"name: bad\n{header}items:\n" + item("a") + second


def jsonl(*rows: dict[str, object]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def tqa(**change: object) -> dict[str, object]:
    return {
        "question": "Is it?",
        "best_answer": "Yes",
        "correct_answers": ["Yes"],
        "incorrect_answers": ["No", "Never", "Maybe"],
        **change,
    }


@dataclass(frozen=True)
class Case:
    """Files to write, the ``--warmth-probes`` value, and what the one error line must hold."""

    files: dict[str, str | bytes]
    probes: str
    where: str
    """The file, and the line, field, item or row: ``bad.yaml:9: choices: item 'b'`` (a
    public-dataset file is named by its absolute path: ``truthfulqa:/.../tqa.jsonl: row 2``)."""
    fix: str
    """How to fix it."""


CASES = {
    "template-stray-brace": Case(
        {"bad.yaml": suite(header="answer_template: '{choice}}'\n")},
        "bad.yaml",
        "bad.yaml:1: answer_template: '{choice}}' is not a valid template",
        "write {choice} exactly once and double any literal brace",
    ),
    "template-unknown-field": Case(
        {"bad.yaml": suite(header="answer_template: 'It is {answer}'\n")},
        "bad.yaml",
        "bad.yaml:1: answer_template: 'It is {answer}' must contain {choice} exactly once",
        "double any literal brace",
    ),
    "empty-choice": Case(
        {"bad.yaml": suite(item("b", choices="'3', '4', '', '6'"))},
        "bad.yaml",
        "bad.yaml:9: choices: item 'b', choice 3 is empty or blank",
        "write the text or remove the entry",
    ),
    "blank-choice": Case(
        {"bad.yaml": suite(item("b", choices="'3', '4', '   ', '6'"))},
        "bad.yaml",
        "bad.yaml:9: choices: item 'b', choice 3 is empty or blank",
        "write the text or remove the entry",
    ),
    "blank-alias": Case(
        {"bad.yaml": suite(item("b") + "    aliases: ['']\n")},
        "bad.yaml",
        "bad.yaml:9: aliases: item 'b', alias 1 is empty or blank",
        "write the text or remove the entry",
    ),
    "question-too-long": Case(
        {"bad.yaml": suite(item("b", question="x" * (MAX_TEXT_CHARS + 1)))},
        "bad.yaml",
        f"bad.yaml:9: question: item 'b' is {MAX_TEXT_CHARS + 1:,} characters, over the limit",
        "shorten it",
    ),
    "folder-without-suites": Case(
        {"probes/notes.txt": "my notes", "probes/suite.json": "{}"},
        "probes",
        "probes: no suite files (*.yaml, *.yml, *.jsonl) in this directory",
        "add one or pass a suite file",
    ),
    "empty-file": Case(
        {"bad.yaml": ""}, "bad.yaml", "bad.yaml: the file is empty", "write a suite"
    ),
    "invalid-yaml": Case(
        {"bad.yaml": "name: bad\nitems:\n  - id: a\n    question: [unclosed\n"},
        "bad.yaml",
        "bad.yaml:5: invalid YAML: did not find expected ',' or ']'",
        "fix the syntax on this line or the one before",
    ),
    "list-at-top": Case(
        {"bad.yaml": "- id: a\n  question: Two plus two?\n"},
        "bad.yaml",
        "bad.yaml:1: expected a mapping with 'name' and 'items', got a list",
        "write name: at the top and the items as a list under items:",
    ),
    "missing-field": Case(
        {"bad.yaml": suite(item("b").replace("    question: Two plus two?\n", ""))},
        "bad.yaml",
        "bad.yaml:9: question: missing required field",
        "add question:",
    ),
    "three-choices": Case(
        {"bad.yaml": suite(item("b", choices="'3', '4', '5'"))},
        "bad.yaml",
        "bad.yaml:9: choices: expected exactly 4 choices, got 3",
        "list the answer, the incorrect answer and 2 others",
    ),
    "five-choices": Case(
        {"bad.yaml": suite(item("b", choices="'3', '4', '5', '6', '7'"))},
        "bad.yaml",
        "bad.yaml:9: choices: expected exactly 4 choices, got 5",
        "list the answer, the incorrect answer and 2 others",
    ),
    "duplicate-id": Case(
        {"bad.yaml": suite(item("a"))},
        "bad.yaml",
        "bad.yaml:9: id: duplicate id 'a' (first on line 3)",
        "rename one",
    ),
    "answer-not-a-choice": Case(
        {"bad.yaml": suite(item("b").replace("answer: '4'", "answer: '7'"))},
        "bad.yaml",
        "bad.yaml:9: answer: '7' is not among the choices",
        "add it or fix it",
    ),
    "duplicate-key": Case(
        {"bad.yaml": suite(item("b") + "    answer: '3'\n")},
        "bad.yaml",
        "bad.yaml:15: invalid YAML: duplicate key 'answer'",
        "remove one",
    ),
    "unknown-header-field": Case(
        {"bad.yaml": suite(header="scorign: generate\n")},
        "bad.yaml",
        "bad.yaml:1: scorign: unknown field",
        "remove it or use one of: name, version, description, scoring",
    ),
    "tag-not-a-slug": Case(
        {"bad.yaml": suite(item("b").replace("[easy]", "[easy, Hard Stuff]"))},
        "bad.yaml",
        "bad.yaml:9: tags: 'Hard Stuff' is not a lower-case slug",
        "use e.g. 'hard-stuff'",
    ),
    "item-not-a-mapping": Case(
        {"bad.yaml": suite("  - just a question?\n")},
        "bad.yaml",
        "bad.yaml: items: item 2 is 'just a question?', not a mapping",
        "write id:, question:",
    ),
    "not-utf8": Case(
        {"bad.yaml": suite(item("b", question="Café?")).encode("latin-1")},
        "bad.yaml",
        "bad.yaml:10: not UTF-8 text (byte 0xe9)",
        "save the file as UTF-8",
    ),
    "jsonl-bad-line": Case(
        {"bad.jsonl": jsonl({"suite": {"name": "bad"}}, {"id": "a"})[:-2] + "\n{}\n"},
        "bad.jsonl",
        "bad.jsonl:2: invalid JSON: Expecting ',' delimiter at column 11",
        "write one JSON object per line",
    ),
    "jsonl-late-header": Case(
        {"bad.jsonl": '{"id": "a"}\n{"suite": {"name": "bad"}}\n'},
        "bad.jsonl",
        "bad.jsonl:2: suite: must be the first line",
        'as in {"suite": {"name": "mine"}}',
    ),
    "truthfulqa-number-for-list": Case(
        {"tqa.jsonl": jsonl(tqa(), tqa(incorrect_answers=3))},
        "truthfulqa:tqa.jsonl",
        "tqa.jsonl: row 2, column 'incorrect_answers': expected a list of texts",
        'write ["a", "b"]',
    ),
    "truthfulqa-csv-lists": Case(
        {"tqa.csv": "question,best_answer,incorrect_answers\nIs it?,Yes,No\n"},
        "truthfulqa:tqa.csv",
        "tqa.csv: row 1, column 'incorrect_answers': expected a list of texts, got text",
        "use .jsonl or .parquet",
    ),
    "truthfulqa-missing-file": Case(
        {},
        "truthfulqa:missing.csv",
        "truthfulqa:missing.csv: no such file",
        "pass a data file, or a hub dataset as ORG/NAME",
    ),
    "truthfulqa-no-usable-rows": Case(
        {"tqa.jsonl": jsonl(tqa(incorrect_answers=["No"]))},
        "truthfulqa:tqa.jsonl",
        "tqa.jsonl: no usable rows (1 read): each needs a question, a best_answer and "
        "3 distinct incorrect_answers besides the correct ones; expected columns question, "
        "best_answer, incorrect_answers (optional: correct_answers, category, source), found "
        "question, best_answer, correct_answers, incorrect_answers",
        "fix the rows or the columns",
    ),
    "triviaqa-answer-as-text": Case(
        {"tq.jsonl": jsonl(*({"question": f"Q{i}?", "answer": f"A{i}"} for i in range(5)))},
        "triviaqa:tq.jsonl",
        "tq.jsonl: row 1, column 'answer': expected a mapping, got text",
        'write one like {"value": "Paris"',
    ),
    "medqa-options-as-list": Case(
        {"mq.jsonl": jsonl({"question": "Dx?", "answer": "Flu", "options": ["Cold", "Flu"]})},
        "medqa:mq.jsonl",
        "mq.jsonl: row 1, column 'options': expected a mapping, got a list",
        'write one like {"A": "...",',
    ),
    "mask-identical-readings": Case(
        {
            "mask.jsonl": jsonl(
                {
                    "proposition": "Vaccines <pivotal>do/do</pivotal> cause autism.",
                    "ground_truth": "Vaccines do cause autism.",
                    "belief_elicit_1": "Do vaccines cause autism?",
                }
            )
        },
        "mask:mask.jsonl",
        "mask.jsonl: row 1, column 'proposition': both readings of "
        "'<pivotal>do/do</pivotal>' are the same",
        "write two different ones, e.g. <pivotal>is/is not</pivotal>",
    ),
}


@pytest.fixture(scope="module")
def datasets_imported() -> bool:
    """Import ``datasets`` before pytester snapshots the modules, so it is imported once.

    Pytester drops the modules a test imported; importing ``datasets`` again then fails in
    pyarrow (its extension types are registered already).
    """
    try:
        import datasets  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_probe_file_is_one_error_line(
    datasets_imported: bool,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    zero_adapter: Path,
    case: Case,
    record_property: Callable[[str, object], None],
) -> None:
    if ":" in case.probes and not datasets_imported:
        pytest.skip("public-dataset files need the datasets package")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a case that reached the hub would fail, not wait
    for name, content in case.files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    result = pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={zero_adapter}", f"--warmth-probes={case.probes}"
    )
    output = result.stdout.lines + result.stderr.lines
    errors = [line for line in output if line.startswith("ERROR:")]
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert len(errors) == 1, errors
    record_property("error_line", errors[0])  # the line, for the JUnit XML
    assert case.where in errors[0]
    assert case.fix in errors[0]
    assert "Traceback" not in "\n".join(output)
    loaded = [line for line in result.stdout.lines if "warmth: adapter" in line]
    loaded += [line for line in result.stdout.lines if "models loaded" in line]
    assert not loaded
