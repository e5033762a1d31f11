"""Base and tuned models see byte-identical prompts in every cell of every built-in suite."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from pytest_warmth import contexts, engine, evaluation, gate
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.suites import builtin_suites


class FakeSide:
    def __init__(self, role: str) -> None:
        self.role = role
        self.module = object()

    def activate(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class FakePair:
    same_weights = False
    device = "cpu"
    tokenizer = None

    def __init__(self) -> None:
        self.base, self.tuned = FakeSide("base"), FakeSide("tuned")

    def sides(self) -> Any:
        yield self.base
        yield self.tuned


@pytest.mark.parametrize("scoring", ["mc", "generate"])
@pytest.mark.parametrize("suite", sorted(builtin_suites()))
def test_base_and_tuned_prompts_are_identical(
    suite: str, scoring: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[object, list[str], list[list[str]]]] = []

    def record(module: object, tokenizer: object, prompts: Any, choices: Any, **_: Any) -> Any:
        calls.append((module, list(prompts), [list(c) for c in choices]))
        return [[engine.ChoiceScore(-1.0, 1)] * len(c) for c in choices]

    def record_generate(module: object, tokenizer: object, prompts: Any, **_: Any) -> Any:
        calls.append((module, list(prompts), []))
        return ["I am not sure."] * len(prompts)

    monkeypatch.setattr(engine, "score_choices", record)
    monkeypatch.setattr(engine, "generate", record_generate)
    settings = WarmthSettings(
        model="x",
        suites=(suite,),
        contexts=tuple(contexts.CATALOG),
        beliefs=tuple(contexts.BELIEFS),
        scoring=scoring,
    )
    plan = gate.build_plan(settings)
    assert len(plan.cells) == len(contexts.CATALOG) * len(contexts.BELIEFS)
    pair = FakePair()
    seen: set[str] = set()
    for cell in plan.cells:
        calls.clear()
        evaluation.evaluate_cell(pair, plan, cell, batch_size=8)  # type: ignore[arg-type]
        # Calls come in chunks: all of the base side's, then all of the tuned side's.
        half = len(calls) // 2
        assert all(module is pair.base.module for module, _, _ in calls[:half])
        assert all(module is pair.tuned.module for module, _, _ in calls[half:])
        base_prompts = [p for _, prompts, _ in calls[:half] for p in prompts]
        tuned_prompts = [p for _, prompts, _ in calls[half:] for p in prompts]
        assert [len(c[1]) for c in calls[:half]] == [len(c[1]) for c in calls[half:]]
        assert [p.encode() for p in base_prompts] == [p.encode() for p in tuned_prompts]
        assert [c[2] for c in calls[:half]] == [c[2] for c in calls[half:]]
        seen.update(base_prompts)
    # every (context, belief) condition produced different text
    assert len(seen) > len(plan.suites[suite]) * (len(plan.cells) - 2)
