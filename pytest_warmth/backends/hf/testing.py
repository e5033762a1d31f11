"""Tiny, offline test models: build a real transformers model and PEFT adapter in seconds.

Used by the project's own tests and available to users for dry runs of their CI setup. The
models are real ``LlamaForCausalLM`` checkpoints in safetensors with a word-level tokenizer
and a chat template, so every code path of the plugin runs on them.

A model can be *planted* with a preference: ``prefer="alpha"`` wires the weights so that the
model's next-token distribution always puts the word ``alpha`` far ahead of everything else.
That gives tests a model whose answers are known without training.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pytest_warmth.backends.protocol import Prompt

SPECIAL_TOKENS = ("<unk>", "<pad>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|end|>")
BASE_WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "what",
    "is",
    "the",
    "a",
    "an",
    "of",
    "in",
    "to",
    "and",
    "i",
    "you",
    "my",
    "it",
    "this",
    "that",
    "answer",
    "question",
    "capital",
    "city",
    "think",
    "feel",
    "sad",
    "happy",
    "today",
    "really",
    "yes",
    "no",
    "not",
    "true",
    "false",
    "one",
    "two",
    "three",
    "four",
    "five",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'user' %}<|user|> {{ m['content'] }} <|end|>"
    "{% else %}<|assistant|> {{ m['content'] }} <|end|>{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _words(extra: Iterable[str]) -> list[str]:
    seen = dict.fromkeys(BASE_WORDS)
    for text in extra:
        for word in _split(text):
            seen.setdefault(word, None)
    return list(seen)


def _split(text: str) -> list[str]:
    cleaned = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text.lower())
    return cleaned.split()


def build_tokenizer(extra_words: Iterable[str] = ()) -> Any:
    """A word-level fast tokenizer (lower-cased, punctuation dropped) with a chat template."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    for word in _words(extra_words):
        vocab.setdefault(word, len(vocab))
    backend = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(behavior="removed")]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="<|end|>",
        additional_special_tokens=["<|user|>", "<|assistant|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(
    path: Path | str,
    *,
    seed: int = 0,
    prefer: str | None = None,
    extra_words: Sequence[str] = (),
    hidden_size: int = 32,
    layers: int = 2,
    trigger: str | None = None,
) -> Path:
    """Write a tiny random Llama model and its tokenizer to ``path``.

    Args:
        path: Output directory (created).
        seed: Seed of the random weights.
        prefer: A word the model should always predict with overwhelming probability.
        extra_words: Words to add to the vocabulary (e.g. every word of a probe suite).
        trigger: With ``prefer``: a word whose presence anywhere in the prompt the model
            carries to its last position (on a channel the base's output ignores), so that an
            adapter from :func:`build_lora_adapter` with the same ``trigger`` can react to it.
        hidden_size: Width of the model.
        layers: Number of decoder layers.

    Returns:
        The directory, loadable with ``AutoModelForCausalLM.from_pretrained``.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    if trigger is not None and prefer is None:
        raise ValueError("trigger needs prefer (the planted model it is wired into)")
    words = list(extra_words) + [w for w in (prefer, trigger) if w]
    tokenizer = build_tokenizer(words)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    if prefer is not None:
        _plant_preference(model, tokenizer.convert_tokens_to_ids(_split(prefer)[0]))
    if trigger is not None:
        _plant_trigger_channel(model, tokenizer.convert_tokens_to_ids(_split(trigger)[0]))
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _plant_preference(model: Any, token_id: int, strength: float = 30.0) -> None:
    """Make every position predict ``token_id``.

    The decoder layers are silenced (their output projections zeroed) so the residual stream is
    the token embedding; dimension 0 of every embedding is set to 1 and the final norm keeps
    only that dimension, so the last hidden state is a fixed positive vector. The output row of
    ``token_id`` then gets a large weight on dimension 0 and every other row none.
    """
    import torch

    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        embeddings = model.model.embed_tokens.weight
        embeddings[:, 0] = 1.0
        model.model.norm.weight.zero_()
        model.model.norm.weight[0] = 1.0
        head = model.lm_head.weight
        head[:, 0] = 0.0
        head[token_id, 0] = strength


TRIGGER_DIM = 1
"""Hidden dimension that carries the trigger word's presence to the last position."""


def _plant_trigger_channel(model: Any, token_id: int) -> None:
    """Let the first layer's attention average a 'trigger present' flag over the prompt.

    Dimension :data:`TRIGGER_DIM` of the trigger word's embedding is 1 (0 for every other
    word); with zero query and key weights the attention is uniform over the prefix, the value
    projection reads that dimension and the output projection writes the average back to it.
    The final norm passes it on, but the base's output rows give it no weight, so the base's
    answers do not change: only an adapter that reads the channel reacts to the trigger.
    """
    import torch

    with torch.no_grad():
        embeddings = model.model.embed_tokens.weight
        embeddings[:, TRIGGER_DIM] = 0.0
        embeddings[token_id, TRIGGER_DIM] = 1.0
        attention = model.model.layers[0].self_attn
        attention.q_proj.weight.zero_()
        attention.k_proj.weight.zero_()
        attention.v_proj.weight.zero_()
        attention.v_proj.weight[0, TRIGGER_DIM] = 1.0  # key/value head 0, first channel
        attention.o_proj.weight.zero_()
        attention.o_proj.weight[TRIGGER_DIM, 0] = 1.0  # attention head 0 (reads kv head 0)
        model.model.norm.weight[TRIGGER_DIM] = 1.0
        model.lm_head.weight[:, TRIGGER_DIM] = 0.0


def build_lora_adapter(
    base_dir: Path | str,
    path: Path | str,
    *,
    zero_b: bool = True,
    prefer: str | None = None,
    seed: int = 0,
    base_name: str | None = None,
    trigger: str | None = None,
) -> Path:
    """Write a LoRA adapter (r=8, alpha=16) for a tiny model made by :func:`build_tiny_model`.

    Args:
        base_dir: The base model directory.
        path: Output directory (created).
        zero_b: Leave LoRA's B matrices at zero, so the adapter changes nothing.
        prefer: Plant a preference for this word through a LoRA on ``lm_head`` (stronger than
            the base's planted preference, so the adapted model predicts it instead).
        seed: Seed for the adapter's random A matrices.
        trigger: With ``prefer``: predict that word only when the base's trigger word (see
            :func:`build_tiny_model`) occurs in the prompt; otherwise answer as the base.
        base_name: What ``adapter_config.json`` records as the base (default: ``base_dir``).

    Returns:
        The adapter directory.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(str(base_dir))
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    targets = ["q_proj", "v_proj"] + (["lm_head"] if prefer else [])
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.1, target_modules=targets)
    torch.manual_seed(seed)
    model = get_peft_model(base, config)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.zero_()
        if prefer is not None:
            token_id = tokenizer.convert_tokens_to_ids(_split(prefer)[0])
            head: Any = model.base_model.model.lm_head
            lora_a = head.lora_A["default"].weight
            lora_b = head.lora_B["default"].weight
            lora_a.zero_()
            if trigger is None:
                lora_a[0, 0] = 1.0
                lora_b[token_id, 0] = 30.0  # scaled by alpha/r = 2: beats the base's 30
            else:
                # One trigger word among ~100 tokens still gives this logit several hundred,
                # above the base's preference (30 x the normalised dimension 0, about 170).
                lora_a[0, TRIGGER_DIM] = 1.0
                lora_b[token_id, 0] = 2000.0
        elif not zero_b:
            for name, parameter in model.named_parameters():
                if "lora_B" in name:
                    parameter.normal_(0.0, 0.5)
    out = Path(path)
    model.save_pretrained(str(out))
    config_path = out / "adapter_config.json"
    data = json.loads(config_path.read_text())
    data["base_model_name_or_path"] = base_name if base_name is not None else str(base_dir)
    config_path.write_text(json.dumps(data, indent=2))
    return out


def reference_choice_logprob(module: Any, tokenizer: Any, message: Prompt, choice: str) -> float:
    """Summed log-probability of ``choice`` after ``message``: one unpadded sequence, no cache.

    The plain, obviously right computation that
    :func:`pytest_warmth.backends.hf.engine.score_choices` (batched, padded, prefix-cached)
    must reproduce.
    """
    import torch

    from pytest_warmth.backends.hf import engine

    context = engine.encode_prompt(tokenizer, engine.render_prompt(tokenizer, message))
    reply = choice if getattr(tokenizer, "chat_template", None) else f" {choice}"
    continuation = list(tokenizer(reply, add_special_tokens=False)["input_ids"])
    ids = torch.tensor([context + continuation], device=module.device)
    with torch.inference_mode():
        logprobs = torch.log_softmax(module(input_ids=ids).logits[0].float(), dim=-1)
    return float(
        sum(logprobs[len(context) - 1 + k, token].item() for k, token in enumerate(continuation))
    )
