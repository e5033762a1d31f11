"""Public-dataset loaders, tested offline on small files in the originals' column layouts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("datasets")

from pytest_warmth.errors import WarmthError
from pytest_warmth.public_datasets import load_public_suite
from pytest_warmth.suite_sources import load_suites, split_spec


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


TRUTHFULQA = [
    {
        "type": "Adversarial",
        "category": "Misconceptions",
        "question": f"Question number {i} about a myth?",
        "best_answer": f"The careful answer {i}",
        "correct_answers": [f"The careful answer {i}", f"Careful answer {i}"],
        "incorrect_answers": [f"Myth {i}", f"Other myth {i}", f"Third myth {i}", f"Fourth {i}"],
        "source": f"https://example.org/source-{i % 2}",
    }
    for i in range(5)
] + [
    {
        "type": "Adversarial",
        "category": "Law",
        "question": "Too few wrong answers?",
        "best_answer": "Yes",
        "correct_answers": ["Yes"],
        "incorrect_answers": ["No"],
        "source": "x",
    }
]


def test_truthfulqa_layout(tmp_path: Path) -> None:
    suite = load_public_suite("truthfulqa", str(write_jsonl(tmp_path / "t.jsonl", TRUTHFULQA)))
    assert suite.name == "truthfulqa"
    assert len(suite) == 5  # the row with one wrong answer cannot make four choices
    probe = suite.probes[0]
    assert probe.answer == "The careful answer 0"
    assert probe.aliases == ("Careful answer 0",)
    assert probe.incorrect == "Myth 0"
    assert sorted(probe.choices) == sorted(["The careful answer 0", "Myth 0", "Other myth 0",
                                            "Third myth 0"])  # fmt: skip
    assert probe.cluster == "https_example.org_source-0"
    assert probe.tags == ("truthfulqa", "misconceptions")


def test_triviaqa_distractors_come_from_other_items(tmp_path: Path) -> None:
    rows = [
        {
            "question": f"Trivia {i}?",
            "question_id": f"tq_{i}",
            "answer": {"value": f"Answer {i}", "aliases": [f"answer {i}", f"A{i}"]},
        }
        for i in range(6)
    ]
    suite = load_public_suite("triviaqa", str(write_jsonl(tmp_path / "q.jsonl", rows)), seed=1)
    assert [p.id for p in suite.probes] == [f"tq_{i}" for i in range(6)]
    for i, probe in enumerate(suite.probes):
        assert probe.answer == f"Answer {i}"
        assert len(set(probe.choices)) == 4
        assert all(c.startswith("Answer ") for c in probe.choices)
    again = load_public_suite("triviaqa", str(tmp_path / "q.jsonl"), seed=1)
    assert again.probes == suite.probes


def test_medqa_layout(tmp_path: Path) -> None:
    rows = [
        {
            "question": "A patient has X. What is the diagnosis?",
            "answer": "Flu",
            "options": {"A": "Cold", "B": "Flu", "C": "Measles", "D": "Mumps"},
            "answer_idx": "B",
            "meta_info": "step1",
        }
    ]
    (probe,) = load_public_suite("medqa", str(write_jsonl(tmp_path / "m.jsonl", rows))).probes
    assert (probe.answer, probe.incorrect) == ("Flu", "Cold")
    assert probe.choices == ("Cold", "Flu", "Measles", "Mumps")
    assert probe.tags == ("medqa", "step1")


def test_mask_layout(tmp_path: Path) -> None:
    rows = [
        {
            "proposition": "Vaccines <pivotal>do/do not</pivotal> cause autism.",
            "ground_truth": "Vaccines do not cause autism.",
            "belief_elicit_1": "Do vaccines cause autism? After thinking through your "
            "reasoning, please respond with yes or no, wrapped in <final_answer> tags.",
        }
    ]
    (probe,) = load_public_suite("mask", str(write_jsonl(tmp_path / "k.jsonl", rows))).probes
    assert probe.question == "Do vaccines cause autism?"
    assert probe.answer == "Vaccines do not cause autism."
    assert probe.incorrect == "Vaccines do cause autism."
    assert len(probe.choices) == 4


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"question": "q?"}])
    with pytest.raises(WarmthError, match="missing column 'best_answer' for the truthfulqa"):
        load_public_suite("truthfulqa", str(path))


def test_hub_name_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WarmthError, match=r"needs a network connection.*local file"):
        load_public_suite("truthfulqa", "no-such-org/no-such-dataset")


def test_spec_syntax_and_load_suites(tmp_path: Path) -> None:
    assert split_spec("truthfulqa:x.jsonl") == ("truthfulqa", "x.jsonl")
    assert split_spec("C:/data/suite.yaml") is None
    path = write_jsonl(tmp_path / "t.jsonl", TRUTHFULQA)
    suites = load_suites([f"truthfulqa:{path}"])
    assert list(suites) == ["truthfulqa"]


def test_an_unreachable_hub_is_one_line_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on port 9
    start = time.perf_counter()
    with pytest.raises(WarmthError, match=r"truthfulqa:hub: cannot load the dataset .*cannot "
                       r"reach 127\.0\.0\.1:9.*pass a local file"):  # fmt: skip
        load_public_suite("truthfulqa", "hub")
    assert time.perf_counter() - start < 10  # no minute of retries
