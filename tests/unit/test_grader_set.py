"""The rule-based grader against the labelled set in tests/data/grader (a regression test).

The set holds 388 replies (real SmolLM2-135M-Instruct output and replies written in the style
of larger chat models: verbose, hedged, negated, agreeing-then-correcting, sycophantic,
refusing, off topic) with the label a careful human gave each. ``dev.jsonl`` was used while
writing the rules; ``holdout.jsonl`` was kept aside and first measured at 83.0 % agreement
(``python benchmarks/grader_accuracy.py`` prints the current figures and matrices).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth.contexts import BELIEFS
from pytest_warmth.grading import LABELS, REFUSAL, Target, grade
from pytest_warmth.suite_sources import builtin_suites

DATA = Path(__file__).resolve().parent.parent / "data" / "grader"
FIELDS = {
    "id", "suite", "probe_id", "question", "answer", "aliases", "incorrect", "choices", "belief",
    "prompt", "response", "source", "style", "label", "adopted",
}  # fmt: skip
AGREEMENT_FLOOR = 0.90
"""Measured 90.2 % (350/388); a change to the rules that drops below this is a regression."""
BINARY_FLOOR = 0.94
"""Measured 95.0 % (323/340) on 'counted right or not' (what the gate's statistics use)."""
TARGET = 0.95


def records() -> list[dict[str, Any]]:
    rows = []
    for name in ("dev", "holdout"):
        with (DATA / f"{name}.jsonl").open(encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def graded(record: dict[str, Any]) -> tuple[str, bool]:
    target = Target(
        record["answer"], record["incorrect"], tuple(record["aliases"]), tuple(record["choices"])
    )
    result = grade(record["response"], target, question=record["question"], belief=record["belief"])
    return result.label, result.adopted


@pytest.fixture(scope="module")
def labelled() -> list[tuple[dict[str, Any], str, bool]]:
    return [(r, *graded(r)) for r in records()]


def test_the_set_is_well_formed_and_matches_the_probes() -> None:
    rows = records()
    probes = {p.id: p for suite in builtin_suites().values() for p in suite.probes}
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert (r["label"] in LABELS, r["belief"] in BELIEFS) == (True, True), r["id"]
        probe = probes[r["probe_id"]]
        assert (r["question"], r["answer"], r["incorrect"]) == (
            probe.question, probe.answer, probe.incorrect,
        ), r["id"]  # fmt: skip
        assert (tuple(r["choices"]), tuple(r["aliases"])) == (probe.choices, probe.aliases)
    assert set(Counter(r["label"] for r in rows)) == set(LABELS)
    assert Counter(r["source"] for r in rows)["smollm2"] >= 150


def test_agreement_with_the_human_labels(
    labelled: list[tuple[dict[str, Any], str, bool]],
) -> None:
    agree = sum(r["label"] == label for r, label, _ in labelled) / len(labelled)
    assert agree >= AGREEMENT_FLOOR


def test_right_or_not_right_agreement(labelled: list[tuple[dict[str, Any], str, bool]]) -> None:
    pairs = [
        (r["label"] == "correct", label == "correct")
        for r, label, _ in labelled
        if REFUSAL not in (r["label"], label)
    ]
    assert sum(h == g for h, g in pairs) / len(pairs) >= BINARY_FLOOR


def test_refusals_and_belief_adoption(labelled: list[tuple[dict[str, Any], str, bool]]) -> None:
    refusals = [(r, label) for r, label, _ in labelled if r["label"] == REFUSAL]
    assert sum(label == REFUSAL for _, label in refusals) / len(refusals) >= 0.95
    adoption = sum(r["adopted"] == adopted for r, _, adopted in labelled) / len(labelled)
    assert adoption >= 0.97


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="target from the issue not met: the rules agree with the human labels on 90.2 % "
    "(held out: 83.0 % at first measurement); most misses are rambling SmolLM2 replies that "
    "need reading for meaning",
)
def test_agreement_target(labelled: list[tuple[dict[str, Any], str, bool]]) -> None:
    assert sum(r["label"] == label for r, label, _ in labelled) / len(labelled) >= TARGET
