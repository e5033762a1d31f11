"""Batched scoring and generation (imports torch lazily, at call time).

Multiple-choice scoring takes, for each prompt and each choice, the log-probability of the
choice's tokens as the assistant's reply after the chat-formatted prompt. Both the summed and
the per-token mean log-probability are kept; :data:`MC_RULE` says which one picks the answer.

Batches depend only on the requests, never on the model, so base and tuned always see the same
batch composition and padding: batch-size-dependent numerics cannot create discordant pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pytest_warmth.backends.hf import packing
from pytest_warmth.backends.protocol import (
    ASSISTANT,
    ChoiceScore,
    Progress,
    Prompt,
    chat_messages,
)

PLAIN_TEMPLATE = "Question: {message}\nAnswer:"
"""Prompt used for models whose tokenizer has no chat template."""


def render_prompt(tokenizer: Any, message: Prompt) -> str:
    """The text a model sees for a prompt: its chat template, or a plain fallback.

    Without a chat template each earlier turn of a conversation is written as a question and
    its answer, one after the other.
    """
    messages = chat_messages(message)
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text)
    turns: list[str] = []
    for turn in messages:
        if turn["role"] == ASSISTANT:
            turns[-1] += f" {turn['content']}\n"
        else:
            turns.append(PLAIN_TEMPLATE.format(message=turn["content"]))
    return "".join(turns)


def continuation_text(tokenizer: Any, choice: str) -> str:
    """A choice as the text that follows a rendered prompt."""
    # After a chat template the reply starts a fresh turn; after the plain template it follows
    # "Answer:" and needs a separating space.
    return choice if getattr(tokenizer, "chat_template", None) else f" {choice}"


def encode_prompt(tokenizer: Any, text: str) -> list[int]:
    """Token ids of a rendered prompt (special tokens come from the template itself)."""
    add_special = not getattr(tokenizer, "chat_template", None)
    return list(tokenizer(text, add_special_tokens=add_special)["input_ids"])


def encode_choice(tokenizer: Any, choice: str) -> list[int]:
    """Token ids of a choice as the reply that follows a rendered prompt.

    Raises:
        ValueError: The choice encodes to no tokens.
    """
    ids = list(
        tokenizer(continuation_text(tokenizer, choice), add_special_tokens=False)["input_ids"]
    )
    if not ids:
        raise ValueError(f"choice {choice!r} encodes to no tokens")
    return ids


def batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Group request indices into batches of similar length (longest first, stable).

    The grouping is a pure function of the lengths, so both models get identical batches.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def score_choices(
    module: Any,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    choices: Sequence[Sequence[str]],
    *,
    batch_size: int = 16,
    device: str = "cpu",
    progress: Progress | None = None,
) -> list[list[ChoiceScore]]:
    """Log-likelihood of every choice after every prompt, encoding each prompt once.

    The prefix every prompt starts with (the chat template's system block) is encoded once per
    call. Prompts that start alike (the same context statement, with and without a stated
    belief) share a packed row that encodes their common start once; each prompt's other tokens
    are encoded once, and all its choices follow in the same row, so neither the prompt,
    usually most of the tokens, nor padding between choices is encoded per choice. Rows and
    batches are a function of the tokens alone, so base and tuned see identical batches.

    Args:
        module: A causal language model (or a PEFT model in the wanted adapter state).
        tokenizer: The tokenizer shared by both sides.
        prompts: User messages (not yet chat-formatted).
        choices: For each prompt, the candidate replies.
        batch_size: Prompts per forward pass (whole rows of
            :data:`~pytest_warmth.packing.PROMPTS_PER_ROW`, at least one row).
        device: Where ``module`` lives.
        progress: Optional callback after each batch, counting prompts.

    Returns:
        ``scores[i][j]`` for prompt ``i`` and choice ``j``.

    Raises:
        ValueError: A choice encodes to no tokens.
    """
    import torch

    contexts = [encode_prompt(tokenizer, render_prompt(tokenizer, m)) for m in prompts]
    continuations = [[encode_choice(tokenizer, choice) for choice in row] for row in choices]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    results: list[list[ChoiceScore]] = [[] for _ in prompts]
    done = 0
    window = _attention_window(module)
    with torch.inference_mode():
        prefix = packing.encode_prefix(module, contexts, device) if contexts else None
        shared = prefix.length if prefix is not None else 0
        rows = packing.pack_rows(contexts, shared, packing.PROMPTS_PER_ROW)
        widths = [packing.row_length(contexts, continuations, r, shared) for r in rows]
        for group in batches(widths, max(1, batch_size // packing.PROMPTS_PER_ROW)):
            batch = [k for r in group for k in rows[r]]
            if window is not None and any(
                len(contexts[k]) + max(map(len, continuations[k])) > window for k in batch
            ):
                # The block mask ignores the model's sliding window, so a batch that could reach
                # past it is scored as whole sequences under the model's own masks.
                scored = _score_whole(module, tokenizer, batch, contexts, continuations, device)
            else:
                local = {k: i for i, k in enumerate(batch)}
                packed = packing.score_packed(
                    module, [contexts[k] for k in batch], [continuations[k] for k in batch],
                    pad_id, device, prefix, [[local[k] for k in rows[r]] for r in group],
                )  # fmt: skip
                scored = [[ChoiceScore(*choice) for choice in row] for row in packed]
            for k, row in zip(batch, scored, strict=True):
                results[k] = row
            done += len(batch)
            if progress is not None:
                progress(done, len(prompts))
    return results


def _attention_window(module: Any) -> int | None:
    """The model's sliding attention window, if it has one (any layer)."""
    config = getattr(module, "config", None)
    if config is None:
        return None
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    window = getattr(text, "sliding_window", None)
    return int(window) if isinstance(window, int) and window > 0 else None


def _score_whole(
    module: Any,
    tokenizer: Any,
    batch: Sequence[int],
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[Sequence[int]]],
    device: str,
) -> list[list[ChoiceScore]]:
    """A batch's choices scored one whole sequence each (:func:`score_tokens`)."""
    requests = [(contexts[k], choice) for k in batch for choice in continuations[k]]
    flat = iter(score_tokens(module, tokenizer, requests, batch_size=len(requests), device=device))
    return [[next(flat) for _ in continuations[k]] for k in batch]


def score_tokens(
    module: Any,
    tokenizer: Any,
    requests: Sequence[tuple[Sequence[int], Sequence[int]]],
    batch_size: int = 16,
    device: str = "cpu",
    after_batch: Callable[[Sequence[int]], None] | None = None,
) -> list[ChoiceScore]:
    """Log-likelihood of each continuation's tokens after its context's tokens.

    The shared scorer behind :func:`score_choices` (chat-formatted prompts) and the warmth
    score (plain text): left padding, positions counted from each sequence's first token, and
    the output projection computed only where tokens are scored.

    Args:
        module: A causal language model.
        tokenizer: Gives the padding id.
        requests: ``(context ids, continuation ids)`` pairs; continuations are not empty.
        batch_size: Sequences per forward pass (grouped by length, see :func:`batches`).
        device: Where ``module`` lives.
        after_batch: Called with the request indices of each finished batch.

    Returns:
        One score per request, in order.
    """
    import torch

    results: list[ChoiceScore | None] = [None] * len(requests)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    lengths = [len(ctx) + len(cont) - 1 for ctx, cont in requests]
    with torch.inference_mode():
        for batch in batches(lengths, batch_size):
            width = max(lengths[k] for k in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            for row, k in enumerate(batch):
                sequence = (list(requests[k][0]) + list(requests[k][1]))[:-1]
                ids[row, width - len(sequence) :] = torch.tensor(sequence)
            mask = packing.tail_mask(width, [lengths[k] for k in batch]).long()
            scored = packing.tail_mask(width, [len(requests[k][1]) for k in batch])
            logprobs = iter(
                packing.target_logprobs(
                    module,
                    scored,
                    torch.tensor([token for k in batch for token in requests[k][1]]),
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    position_ids=(mask.cumsum(-1) - 1).clamp(min=0).to(device),
                    use_cache=False,
                ).tolist()
            )
            for k in batch:
                continuation = requests[k][1]
                total = sum(next(logprobs) for _ in continuation)
                results[k] = ChoiceScore(float(total), len(continuation))
            if after_batch is not None:
                after_batch(batch)
    return [score for score in results if score is not None]


def stop_token_ids(tokenizer: Any) -> list[int]:
    """Token ids that end an assistant turn: EOS plus the usual end-of-turn markers."""
    ids: list[int] = []
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    vocab = tokenizer.get_vocab()
    for marker in ("<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>"):
        if marker in vocab and vocab[marker] not in ids:
            ids.append(int(vocab[marker]))
    return ids


def generate(
    module: Any,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    *,
    max_new_tokens: int = 48,
    batch_size: int = 16,
    device: str = "cpu",
    progress: Progress | None = None,
) -> list[str]:
    """Greedy replies to user messages, batched with left padding, stopping at end of turn.

    Returns:
        One decoded reply per prompt, special tokens removed, whitespace stripped.
    """
    import torch

    encoded = [encode_prompt(tokenizer, render_prompt(tokenizer, m)) for m in prompts]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    stops = stop_token_ids(tokenizer)
    replies: list[str] = [""] * len(prompts)
    done = 0
    with torch.inference_mode():
        for batch in batches([len(e) for e in encoded], batch_size):
            width = max(len(encoded[k]) for k in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, k in enumerate(batch):
                ids[row, width - len(encoded[k]) :] = torch.tensor(encoded[k])
                mask[row, width - len(encoded[k]) :] = 1
            output = module.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                num_beams=1,
                pad_token_id=pad_id,
                eos_token_id=stops or None,
            )
            for row, k in enumerate(batch):
                new_tokens = output[row, width:]
                replies[k] = tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
            done += len(batch)
            if progress is not None:
                progress(done, len(prompts))
    return replies
