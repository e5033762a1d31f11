"""The batched engine against a plain one-sequence-at-a-time reference, on tiny real models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth import engine  # noqa: E402

PROMPTS = ["what is the capital city", "i feel sad today what is the answer", "yes"]
CHOICES = [["alpha", "beta gamma", "delta", "one two three"]] * 3


def load(path: Path) -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    return model, tokenizer


def reference(model: Any, tokenizer: Any, message: str, choice: str) -> float:
    context = engine.encode_prompt(tokenizer, engine.render_prompt(tokenizer, message))
    continuation = tokenizer(choice, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([context + continuation])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    return sum(logprobs[len(context) - 1 + k, token].item() for k, token in enumerate(continuation))


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_scores_match_reference(random_model: Path, batch_size: int) -> None:
    model, tokenizer = load(random_model)
    scores = engine.score_choices(model, tokenizer, PROMPTS, CHOICES, batch_size=batch_size)
    for message, row, options in zip(PROMPTS, scores, CHOICES, strict=True):
        for score, choice in zip(row, options, strict=True):
            assert score.sum_logprob == pytest.approx(
                reference(model, tokenizer, message, choice), abs=1e-4
            )
            assert score.n_tokens == len(choice.split())


def test_batches_do_not_depend_on_the_model() -> None:
    assert engine.batches([3, 9, 3, 5], 2) == [[1, 3], [0, 2]]


def test_pick_rules() -> None:
    scores = [engine.ChoiceScore(-2.0, 1), engine.ChoiceScore(-3.0, 3)]
    assert engine.pick(scores, "sum") == 0
    assert engine.pick(scores, "mean") == 1


def test_planted_preference_and_generation(alpha_model: Path) -> None:
    model, tokenizer = load(alpha_model)
    scores = engine.score_choices(model, tokenizer, PROMPTS, CHOICES)
    assert all(engine.pick(row) == 0 for row in scores)
    replies = engine.generate(model, tokenizer, PROMPTS, max_new_tokens=3, batch_size=2)
    assert replies == ["alpha alpha alpha"] * 3


def test_plain_template_fallback(random_model: Path) -> None:
    model, tokenizer = load(random_model)
    tokenizer.chat_template = None
    assert engine.render_prompt(tokenizer, "hi") == "Question: hi\nAnswer:"
    scores = engine.score_choices(model, tokenizer, PROMPTS[:1], CHOICES[:1])
    assert len(scores[0]) == 4


def test_progress_counts_prompts_whose_choices_are_all_scored(random_model: Path) -> None:
    model, tokenizer = load(random_model)
    calls: list[tuple[int, int]] = []
    engine.score_choices(
        model, tokenizer, PROMPTS, CHOICES, batch_size=5, progress=lambda d, t: calls.append((d, t))
    )
    assert len(calls) == 3  # 12 requests in batches of 5
    assert [t for _, t in calls] == [3, 3, 3]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (3, 3)
