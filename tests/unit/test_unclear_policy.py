"""--warmth-unclear: a reply that commits to no answer counts as wrong, as right, or leaves."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import pytest

from pytest_warmth.backends.protocol import GENERATE, ChoiceScore, ModelPair, Progress
from pytest_warmth.evaluation import evaluate_cell
from pytest_warmth.gate import Cell, GatePlan
from pytest_warmth.suites import Probe, ProbeSuite

PROBES = tuple(
    Probe(f"p{i}", f"What is the capital of country {i}?", f"Town{i}", f"Village{i}",
          (f"Town{i}", f"Village{i}"))
    for i in range(4)
)  # fmt: skip
RIGHT = [f"The capital is Town{i}." for i in range(4)]
VAGUE = ["Capitals are such interesting places to think about!"] * 4


class Scripted:
    """A side that answers each prompt of a suite with a fixed reply, in item order."""

    capabilities = frozenset({GENERATE})
    identity = None

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies

    def hold(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def generate(
        self, prompts: Sequence[str], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        return [self.replies[int(p.split("country ")[1].split("?")[0])] for p in prompts]

    def score_choices(self, *args: object, **kwargs: object) -> list[list[ChoiceScore]]:
        raise AssertionError("generate mode only")

    def score_text(self, *args: object, **kwargs: object) -> list[ChoiceScore]:
        raise AssertionError("generate mode only")


@pytest.mark.parametrize(
    ("policy", "n", "tuned_errors", "excluded"),
    [("wrong", 4, 2, 0), ("right", 4, 0, 0), ("exclude", 2, 0, 2)],
)
def test_no_answer_counts_as_the_policy_says(
    policy: str, n: int, tuned_errors: int, excluded: int
) -> None:
    suite = ProbeSuite("caps", "1", "test", "generate", PROBES)
    plan = GatePlan({"caps": suite}, (Cell("caps", "plain"),), seed=0,
                    scoring={"caps": "generate"}, unclear=policy)  # fmt: skip
    tuned = RIGHT[:2] + VAGUE[2:]  # the tuned model stops committing on two items
    pair = ModelPair(Scripted(RIGHT), Scripted(tuned))
    outcome = evaluate_cell(pair, plan, plan.cells[0])
    assert len(outcome.items) == n
    assert sum(not item.tuned_correct for item in outcome.items) == tuned_errors
    assert len(outcome.excluded) == excluded
    assert {item.tuned_label for item in outcome.excluded} <= {"unclear"}
