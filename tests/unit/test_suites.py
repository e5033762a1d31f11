"""Probe suite loading, validation messages and sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pytest_warmth.errors import ProbeSuiteError
from pytest_warmth.sampling import sample
from pytest_warmth.suite_sources import builtin_suites
from pytest_warmth.suites import load_suite

ITEM = {
    "id": "q1",
    "question": "What is two plus two?",
    "answer": "4",
    "aliases": ["four"],
    "incorrect": "5",
    "choices": ["3", "4", "5", "6"],
    "tags": ["easy", "math"],
}


def write_yaml(path: Path, items: list[dict[str, object]], **header: object) -> Path:
    data = {"name": "mine", "version": "1", "description": "d", "scoring": "mc", **header}
    data["items"] = items
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_builtin_suites_validate_and_have_unique_ids() -> None:
    suites = builtin_suites()
    assert "factual" in suites
    factual = suites["factual"]
    assert len(factual) >= 40
    assert len({p.id for p in factual.probes}) == len(factual)
    for probe in factual.probes:
        assert probe.answer in probe.choices
        assert probe.incorrect in probe.choices
        assert probe.difficulty in ("easy", "medium", "hard")


def test_yaml_round_trip(tmp_path: Path) -> None:
    suite = load_suite(write_yaml(tmp_path / "s.yaml", [ITEM]))
    assert suite.name == "mine"
    probe = suite.probes[0]
    assert (probe.answer, probe.aliases, probe.choices) == ("4", ("four",), ("3", "4", "5", "6"))


def test_jsonl_with_header(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    lines = [{"suite": {"name": "lines", "scoring": "mc"}}, ITEM, {**ITEM, "id": "q2"}]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    suite = load_suite(path)
    assert suite.name == "lines"
    assert len(suite) == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"answer": "7"}, "answer", "not among the choices"),
        ({"incorrect": "4"}, "incorrect", "equals the answer"),
        ({"choices": ["3", "4", "5"]}, "choices", "exactly 4 choices"),
        ({"question": None}, "question", "missing required field"),
        ({"tags": ["easy", "hard"]}, "tags", "more than one difficulty"),
        ({"tags": ["Not A Slug"]}, "tags", "not a lower-case slug"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_yaml_errors_name_file_line_and_field(
    tmp_path: Path, change: dict[str, object], field: str, message: str
) -> None:
    bad = {k: v for k, v in {**ITEM, **change}.items() if v is not None}
    path = write_yaml(tmp_path / "bad.yaml", [ITEM | {"id": "ok"}, bad])
    with pytest.raises(ProbeSuiteError, match=message) as info:
        load_suite(path)
    assert info.value.field == field
    # The second item starts on the line of its "- id:" entry.
    lines = path.read_text().splitlines()
    assert lines[info.value.line - 1].lstrip().startswith("- ")
    assert str(info.value).startswith(f"{path}:{info.value.line}: {field}: ")


def test_duplicate_id_points_at_second_record(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join(json.dumps(ITEM) for _ in range(2)))
    with pytest.raises(ProbeSuiteError, match=r"dup.jsonl:2: id: duplicate id 'q1'"):
        load_suite(path)


def test_invalid_yaml_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nitems: [\n")
    with pytest.raises(ProbeSuiteError) as info:
        load_suite(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:3: invalid YAML: ")


def test_empty_suite(tmp_path: Path) -> None:
    with pytest.raises(ProbeSuiteError, match="no items"):
        load_suite(write_yaml(tmp_path / "e.yaml", []))


def test_sample_is_seeded_stratified_and_stable() -> None:
    suite = builtin_suites()["factual"]
    first = sample(suite, 20, seed=7)
    assert len(first) == 20
    assert first == sample(suite, 20, seed=7)
    assert first != sample(suite, 20, seed=8)
    share = {d: sum(p.difficulty == d for p in suite.probes) / len(suite) for d in ("easy", "hard")}
    for difficulty, fraction in share.items():
        drawn = sum(p.difficulty == difficulty for p in first.probes)
        assert abs(drawn - 20 * fraction) <= 1
    assert sample(suite, 10_000, seed=7) is suite


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        ({"answer_template": "The answer"}, "answer_template", "exactly once"),
        ({"answer_template": "{choice} {other}"}, "answer_template", "exactly once"),
        ({"mc_rule": "max"}, "mc_rule", "unknown rule 'max'"),
        ({"refusal": "ignore"}, "refusal", "unknown policy 'ignore'; use exclude or correct"),
        ({"scoring": "vibes"}, "scoring", "unknown mode 'vibes'"),
    ],
)
def test_header_errors(tmp_path: Path, header: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(ProbeSuiteError, match=message) as info:
        load_suite(write_yaml(tmp_path / "h.yaml", [ITEM], **header))
    assert info.value.field == field
    assert info.value.line == 1


def test_suite_format_fields(tmp_path: Path) -> None:
    suite = load_suite(
        write_yaml(
            tmp_path / "f.yaml",
            [ITEM],
            answer_template="It is {choice}.",
            mc_rule="mean",
            refusal="correct",
        )
    )
    assert (suite.answer_template, suite.mc_rule) == ("It is {choice}.", "mean")
    assert suite.refusal == "correct"


def test_builtin_suite_sizes() -> None:
    sizes = {name: len(suite) for name, suite in builtin_suites().items()}
    assert sizes["factual"] >= 300
    assert sizes["misconceptions"] >= 200
    assert sizes["disinformation"] >= 100
    assert sizes["medical"] >= 200
    assert sizes["capability"] >= 200
    for suite in builtin_suites().values():
        assert {p.difficulty for p in suite.probes} == {"easy", "medium", "hard"}
