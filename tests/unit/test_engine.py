"""The batched engine against a plain one-sequence-at-a-time reference, on tiny real models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth.backends.hf import engine, packing  # noqa: E402
from pytest_warmth.backends.hf.testing import reference_choice_logprob as reference  # noqa: E402
from pytest_warmth.backends.protocol import ChoiceScore, Conversation, pick  # noqa: E402

PROMPTS = ["what is the capital city", "i feel sad today what is the answer", "yes"]
CHOICES = [["alpha", "beta gamma", "delta", "one two three"]] * 3


def load(path: Path, attention: str = "sdpa") -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(
        path, attn_implementation=attention
    ).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    return model, tokenizer


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_scores_match_reference(random_model: Path, batch_size: int, attention: str) -> None:
    """Both attention kernels read the packed rows' block mask the same way."""
    model, tokenizer = load(random_model, attention)
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
    scores = [ChoiceScore(-2.0, 1), ChoiceScore(-3.0, 3)]
    assert pick(scores, "sum") == 0
    assert pick(scores, "mean") == 1


def test_planted_preference_and_generation(alpha_model: Path) -> None:
    model, tokenizer = load(alpha_model)
    scores = engine.score_choices(model, tokenizer, PROMPTS, CHOICES)
    assert all(pick(row) == 0 for row in scores)
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
        model, tokenizer, PROMPTS, CHOICES, batch_size=2, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(2, 3), (3, 3)]  # 3 prompts (12 choices) in batches of 2 prompts


@pytest.mark.parametrize("enabled", [True, False], ids=["adapter-on", "adapter-off"])
def test_adapter_scores_match_reference(
    trigger_base: Path, sad_weak_adapter: Path, enabled: bool
) -> None:
    """The prefix cache goes through PEFT's wrapper, with the adapter on and off."""
    from pytest_warmth.backends.hf.loading import load_pair
    from pytest_warmth.backends.hf.spec import resolve_pair

    pair = load_pair(resolve_pair(str(sad_weak_adapter), str(trigger_base)), device="cpu")
    side = pair.tuned if enabled else pair.base
    prompts = ["i feel sad what is the answer", "what is the answer"]
    options = [["alpha", "beta", "alpha beta gamma"]] * 2
    with side.activate():
        scores = engine.score_choices(side.module, pair.tokenizer, prompts, options, batch_size=2)
        expected = [
            [reference(side.module, pair.tokenizer, p, c) for c in row]
            for p, row in zip(prompts, options, strict=True)
        ]
    got = [[s.sum_logprob for s in row] for row in scores]
    assert got == [pytest.approx(row, abs=1e-4) for row in expected]


@pytest.mark.parametrize(
    "contexts",
    [
        [[5, 6, 7, 8], [5, 6, 9], [5, 6, 7, 8]],  # a shared prefix, a duplicate prompt
        [[5, 6, 7], [8, 9], [10]],  # nothing shared, a one-token prompt
        [[11, 12, 13, 14, 15]],  # a single prompt: all but its last token is "shared"
        [[5, 6, 7, 8, 9], [5, 6, 7, 10], [5, 11], [5, 6, 7, 8]],  # rows with a common start
    ],
    ids=["shared", "disjoint", "single", "common-start"],
)
def test_packed_layout_matches_whole_sequences(
    random_model: Path, contexts: list[list[int]]
) -> None:
    """Shared prefix, packed rows (padded on the left) and block mask against whole sequences."""
    model, tokenizer = load(random_model)
    choices = [[[20], [21, 22, 23]], [[24, 25]], [[26], [27], [28, 29]], [[30, 31]]]
    choices = choices[: len(contexts)]
    with torch.inference_mode():
        rows = packing.score_packed(model, contexts, choices, tokenizer.pad_token_id, "cpu")
    requests = [
        (c, choice) for c, options in zip(contexts, choices, strict=True) for choice in options
    ]
    expected = engine.score_tokens(model, tokenizer, requests, batch_size=1)
    assert [s for row in rows for s in row] == [
        (pytest.approx(e.sum_logprob, abs=1e-4), e.n_tokens) for e in expected
    ]


@pytest.fixture(scope="module")
def sliding_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """A tiny random Mistral whose attention window (10 tokens) is shorter than some prompts."""
    from pytest_warmth.backends.hf.testing import build_tokenizer

    tokenizer = build_tokenizer()
    config = transformers.MistralConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, sliding_window=10,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(3)
    return transformers.MistralForCausalLM(config).eval(), tokenizer


def test_sliding_window_model_matches_reference(sliding_model: tuple[Any, Any]) -> None:
    """Short prompts are packed; those that could reach past the window are not (the block
    mask has no window)."""
    model, tokenizer = sliding_model
    prompts = ["yes", *PROMPTS]
    scores = engine.score_choices(model, tokenizer, prompts, [CHOICES[0]] * 4, batch_size=1)
    for message, row in zip(prompts, scores, strict=True):
        expected = [reference(model, tokenizer, message, choice) for choice in CHOICES[0]]
        assert [s.sum_logprob for s in row] == pytest.approx(expected, abs=1e-4)


def test_rows_put_prompts_that_start_alike_together() -> None:
    contexts = [
        [1, 2, 3, 4, 9],  # 0: shares 1 2 3 4 with 3
        [1, 7, 8],  # 1: shares only the prefix
        [1, 5, 6, 7, 8, 9, 9],  # 2: shares only the prefix
        [1, 2, 3, 4, 5, 6],  # 3
        [1, 2, 3, 8],  # 4: shares 1 2 3 with 0 and 3, who pair with each other
        [1, 9],  # 5: shares only the prefix
    ]
    rows = packing.pack_rows(contexts, shared=1, per_row=2)
    assert rows[0] == [3, 0] or rows[0] == [0, 3]
    assert sorted(b for row in rows for b in row) == list(range(6))
    assert all(len(row) <= 2 for row in rows)
    # the prompts left over go together in order of length
    assert [r for r in rows if 3 not in r] == [[2, 4], [1, 5]]
    choices = [[[7], [8, 9]]] * 6
    # 0 and 3 share 1 2 3 4: encoded once, then 9 | 5, and the prompts' last tokens go to choices
    assert packing.row_length(contexts, choices, [0, 3], shared=1) == 3 + 0 + 1 + 2 * 3
    assert packing.row_length(contexts, choices, [1, 5], shared=1) == 1 + 0 + 2 * 3
    assert packing.pack_rows(contexts, shared=1, per_row=1) == [[2], [3], [0], [4], [1], [5]]


class _NoKeepModel(torch.nn.Module):
    """A model whose ``forward`` has no ``logits_to_keep``: full logits, sliced by the scorer."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner
        self.config = inner.config

    def forward(self, input_ids: Any, attention_mask: Any = None, position_ids: Any = None,
                use_cache: bool = False, cache: Any = None) -> Any:  # fmt: skip
        return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                          position_ids=position_ids, use_cache=use_cache, cache=cache)  # fmt: skip


@pytest.mark.parametrize("path", ["boolean mask", "position vector", "full logits"])
def test_output_projection_paths_agree(
    random_model: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However a transformers version lets us keep only scored positions, the scores agree."""
    model, tokenizer = load(random_model)
    if path == "position vector":
        monkeypatch.setattr(packing, "_keeps_masked_positions", lambda: False)
    scored_model = _NoKeepModel(model) if path == "full logits" else model
    assert packing.accepts_logits_to_keep(scored_model) == (path != "full logits")
    scores = engine.score_choices(scored_model, tokenizer, PROMPTS, CHOICES, batch_size=2)
    for message, row, options in zip(PROMPTS, scores, CHOICES, strict=True):
        for score, choice in zip(row, options, strict=True):
            assert score.sum_logprob == pytest.approx(
                reference(model, tokenizer, message, choice), abs=1e-4
            )


CHAT = Conversation.follow_up("what is the capital city", "alpha", "are you sure")


def test_a_conversation_is_rendered_turn_by_turn_and_scored_like_a_reference(
    random_model: Path,
) -> None:
    model, tokenizer = load(random_model)
    assert engine.render_prompt(tokenizer, CHAT) == (
        "<|user|> what is the capital city <|end|><|assistant|> alpha <|end|>"
        "<|user|> are you sure <|end|><|assistant|>"
    )
    prompts = [CHAT, PROMPTS[0], Conversation.follow_up(PROMPTS[1], "beta", "yes")]
    scores = engine.score_choices(model, tokenizer, prompts, CHOICES, batch_size=2)
    for prompt, row, options in zip(prompts, scores, CHOICES, strict=True):
        for score, choice in zip(row, options, strict=True):
            assert score.sum_logprob == pytest.approx(
                reference(model, tokenizer, prompt, choice), abs=1e-4
            )
    # the earlier turns change what the model sees
    assert scores[0] != engine.score_choices(model, tokenizer, ["are you sure"], CHOICES[:1])[0]


def test_a_conversation_without_a_chat_template(random_model: Path) -> None:
    model, tokenizer = load(random_model)
    tokenizer.chat_template = None
    assert engine.render_prompt(tokenizer, CHAT) == (
        "Question: what is the capital city\nAnswer: alpha\nQuestion: are you sure\nAnswer:"
    )
    (reply,) = engine.generate(model, tokenizer, [CHAT], max_new_tokens=2)
    assert isinstance(reply, str)
