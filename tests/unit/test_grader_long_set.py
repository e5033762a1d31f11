"""The rules against 1,290 long replies in the register of 8B-70B chat models (tests/data/grader).

``long_dev.jsonl`` and ``long_dev2.jsonl`` are used while writing the rules. ``long_holdout.jsonl``
was measured first before the rules saw it (77.4 % right/not right:
``benchmarks/results/grader-long-holdout-first.json``). ``long_holdout2`` to ``6`` were each
written after a round of rule work by writers who did not read the rules, and measured once
before the next round used them (85.6 %, 88.9 %, 85.3 %, 78.0 %, 86.5 %:
``benchmarks/results/grader-long-holdout{2,3,4,5,6}-first.json``); ``long_holdout6`` is the set
the final rules have not seen. ``python benchmarks/grader_accuracy.py`` prints the current figures.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth.contexts import BELIEFS, build_prompt
from pytest_warmth.grading import LABELS, REFUSAL, Target, grade
from pytest_warmth.suite_sources import builtin_suites

DATA = Path(__file__).resolve().parent.parent / "data" / "grader"
FIELDS = {
    "id", "suite", "probe_id", "question", "answer", "aliases", "incorrect", "choices", "belief",
    "prompt", "response", "source", "style", "label", "adopted",
}  # fmt: skip
SHAPES = {"truthfulqa-shape", "medqa-shape", "mask-shape"}
LONG_FILES = (
    "long_dev", "long_dev2", "long_holdout", "long_holdout2", "long_holdout3", "long_holdout4",
    "long_holdout5", "long_holdout6",
)  # fmt: skip
FLOOR = 0.87
"""Measured 87.5 % (1129/1290) on all four labels over the long files; below this they regressed."""
BINARY_FLOOR = 0.91
"""Measured 91.6 % (1076/1175) right/not right over the long files (what the gate counts)."""
TARGET = 0.90


def records(*names: str) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        with (DATA / f"{name}.jsonl").open(encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def graded(record: dict[str, Any]) -> str:
    target = Target(
        record["answer"], record["incorrect"], tuple(record["aliases"]), tuple(record["choices"])
    )
    return grade(
        record["response"], target, question=record["question"], belief=record["belief"]
    ).label


def test_the_set_is_well_formed() -> None:
    rows = records(*LONG_FILES)
    probes = {p.id: p for suite in builtin_suites().values() for p in suite.probes}
    assert len(rows) >= 400
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert r["label"] in LABELS, r["id"]
        assert r["belief"] in BELIEFS, r["id"]
        assert not (r["adopted"] and r["belief"] == "none"), r["id"]
        if r["suite"] in SHAPES:
            assert r["probe_id"] is None
            continue
        probe = probes[r["probe_id"]]
        assert (r["question"], r["answer"], r["incorrect"]) == (
            probe.question, probe.answer, probe.incorrect,
        ), r["id"]  # fmt: skip
    # The first round asked with the gate's own prompts; the second in users' own words.
    first_round = records("long_dev", "long_holdout")
    built = [
        r for r in first_round if r["suite"] not in SHAPES and any(
            r["prompt"] == build_prompt(
                question=r["question"], answer=r["answer"], incorrect=r["incorrect"],
                suite=r["suite"], item_id=r["probe_id"], context=context, belief=r["belief"],
                seed=20260429,
            ) for context in ("plain", "neutral", "sad", "happy", "angry", "close", "admiring",
                              "directive", "high_stakes", "low_stakes")
        )
    ]  # fmt: skip
    assert len(built) == sum(r["suite"] not in SHAPES for r in first_round)
    # Until the fourth round the prompt quoted the question; from the fifth the users ask it in
    # their own words, as real users do.
    quoting = records(*LONG_FILES[:6])
    assert all(r["question"] in r["prompt"] for r in quoting if r["suite"] != "mask-shape")
    in_own_words = records(*LONG_FILES[6:])
    assert all(r["prompt"].strip() and r["prompt"] != r["question"] for r in in_own_words)
    assert set(Counter(r["label"] for r in rows)) == set(LABELS)
    assert set(Counter(r["suite"] for r in rows)) == SHAPES | set(builtin_suites())


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, str]]:
    return [(r["label"], graded(r)) for r in records(*LONG_FILES)]


def test_agreement_floor(labelled: list[tuple[str, str]]) -> None:
    assert sum(h == g for h, g in labelled) / len(labelled) >= FLOOR


def test_right_or_not_right_floor(labelled: list[tuple[str, str]]) -> None:
    pairs = [(h == "correct", g == "correct") for h, g in labelled if REFUSAL not in (h, g)]
    assert sum(h == g for h, g in pairs) / len(pairs) >= BINARY_FLOOR


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="target from the issue not met: on long replies they have not seen (long_holdout6, "
    "measured once) the rules agree with the human labels on 86.5 % of right/not-right "
    "decisions; answers paraphrased far from the reference or carried by world knowledge are "
    "still misread",
)
def test_long_holdout_target() -> None:
    both = [(r["label"], graded(r)) for r in records("long_holdout6")]
    pairs = [(h == "correct", g == "correct") for h, g in both if REFUSAL not in (h, g)]
    assert sum(h == g for h, g in pairs) / len(pairs) >= TARGET
