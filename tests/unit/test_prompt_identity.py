"""Base and tuned models see byte-identical prompts in every cell of every built-in suite."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import pytest

from pytest_warmth import contexts, evaluation, gate
from pytest_warmth.backends.protocol import (
    GENERATE,
    MC,
    ChoiceScore,
    ModelPair,
    Progress,
    Prompt,
    Side,
)
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.suite_sources import builtin_suites

Call = tuple[Side, list[Prompt], list[list[str]]]


class RecordingSide:
    """A side that records every request and answers the same for every prompt."""

    identity = None
    capabilities = frozenset({MC, GENERATE})

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls

    def hold(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def score_choices(
        self,
        prompts: Sequence[Prompt],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        self.calls.append((self, list(prompts), [list(c) for c in choices]))
        return [[ChoiceScore(-1.0, 1)] * len(c) for c in choices]

    def generate(
        self, prompts: Sequence[Prompt], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        self.calls.append((self, list(prompts), []))
        return ["I am not sure."] * len(prompts)

    def score_text(
        self, requests: Sequence[tuple[str, str]], *, progress: Progress | None = None
    ) -> list[ChoiceScore]:
        raise NotImplementedError


@pytest.mark.parametrize("scoring", ["mc", "generate"])
@pytest.mark.parametrize("suite", sorted(builtin_suites()))
def test_base_and_tuned_prompts_are_identical(suite: str, scoring: str) -> None:
    calls: list[Call] = []
    settings = WarmthSettings(
        model="x",
        suites=(suite,),
        contexts=tuple(contexts.CATALOG),
        beliefs=tuple(contexts.BELIEFS),
        scoring=scoring,
    )
    plan = gate.build_plan(settings)
    assert len(plan.cells) == len(contexts.CATALOG) * len(contexts.BELIEFS)
    pair = ModelPair(RecordingSide(calls), RecordingSide(calls))
    seen: set[Prompt] = set()
    for cell in plan.cells:
        calls.clear()
        evaluation.evaluate_cell(pair, plan, cell)
        # Calls come in chunks: all of the base side's, then all of the tuned side's (per
        # turn: a second turn is built from each side's first answers).
        turns = 2 if contexts.get_belief(cell.belief).second_turn else 1
        for turn in range(turns):
            asked = calls[len(calls) * turn // turns : len(calls) * (turn + 1) // turns]
            half = len(asked) // 2
            assert all(side is pair.base for side, _, _ in asked[:half])
            assert all(side is pair.tuned for side, _, _ in asked[half:])
            base_prompts = [p for _, prompts, _ in asked[:half] for p in prompts]
            tuned_prompts = [p for _, prompts, _ in asked[half:] for p in prompts]
            assert [len(c[1]) for c in asked[:half]] == [len(c[1]) for c in asked[half:]]
            # both sides answered alike, so even their second turns are the same text
            assert list(map(str, base_prompts)) == list(map(str, tuned_prompts))
            assert [c[2] for c in asked[:half]] == [c[2] for c in asked[half:]]
            seen.update(base_prompts)
    # every (context, belief) condition produced different text (pushback's first turn is the
    # question without a belief)
    conditions = len(plan.cells) - 2 - len(contexts.CATALOG)
    assert len(seen) > len(plan.suites[suite]) * conditions
