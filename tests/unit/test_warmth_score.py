"""The SocioT-style warmth score against a one-sequence-at-a-time reference, on a tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from pytest_warmth import warmth_score  # noqa: E402
from pytest_warmth.backends.hf.sides import HFSide  # noqa: E402
from pytest_warmth.backends.hf.spec import ModelSpec, SpecKind  # noqa: E402
from pytest_warmth.backends.hf.testing import build_tiny_model  # noqa: E402


def side(module: object, tokenizer: object, batch_size: int) -> HFSide:
    spec = ModelSpec("tiny", SpecKind.DIRECTORY)
    return HFSide(module, tokenizer, spec=spec, device="cpu", batch_size=batch_size, identity=None)


def reference(module: object, tokenizer: object, reply: str) -> float:
    body = tokenizer(warmth_score.framed(reply), add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    values = {}
    for who in warmth_score.WARM + warmth_score.COLD:
        prefix = tokenizer(warmth_score.FRAME.format(who=who), add_special_tokens=False)[
            "input_ids"
        ]  # type: ignore[operator]
        ids = torch.tensor([prefix + body])
        with torch.no_grad():
            logprobs = torch.log_softmax(module(input_ids=ids).logits[0].float(), dim=-1)  # type: ignore[operator]
        values[who] = sum(
            logprobs[len(prefix) + i - 1, token].item() for i, token in enumerate(body)
        ) / len(body)
    warm = sum(values[w] for w in warmth_score.WARM) / 4
    cold = sum(values[w] for w in warmth_score.COLD) / 4
    return warm - cold


def test_batched_scores_match_the_reference(tmp_path: Path) -> None:
    # A random tiny model whose vocabulary holds the framing words, so framings differ.
    words = [*warmth_score.WARM, *warmth_score.COLD, "said", "friend", "happy"]
    path = build_tiny_model(tmp_path / "m", seed=3, extra_words=words)
    tokenizer = AutoTokenizer.from_pretrained(path)
    module = AutoModelForCausalLM.from_pretrained(path).eval()
    replies = ["you are my friend and i feel happy today", "no", "the answer is alpha " * 30]
    got = warmth_score.reply_scores(side(module, tokenizer, 5), replies)
    for reply, value in zip(replies, got, strict=True):
        assert value == pytest.approx(reference(module, tokenizer, reply), abs=1e-4)
    score = warmth_score.warmth(side(module, tokenizer, 16), replies)
    assert score.n == 3
    # warmth() batches differently; float32 sums of about -10 carry noise of about 1e-6.
    assert score.mean == pytest.approx(sum(got) / 3, abs=1e-6)
    assert score.se > 0
    assert len(set(got)) == 3


def test_replies_are_cut_and_quoted() -> None:
    assert warmth_score.framed("  hi  ") == 'hi"'
    assert len(warmth_score.framed("x" * 1000)) == warmth_score.MAX_CHARS + 1
