"""Packed multiple-choice scoring: each prompt token encoded once, no padding between choices.

A call's shared prefix (the chat template's system block) is encoded once; then every batch is
one forward pass over rows that each pack a few prompts that start alike (their common start
once) and all their choices under a block attention mask (see :func:`score_packed`).
:func:`pytest_warmth.engine.score_choices` is the public entry point.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def forward_parameters(module: Any) -> frozenset[str]:
    """Keyword names the underlying model's ``forward`` takes (a PEFT wrapper passes them on)."""
    target = module.get_base_model() if hasattr(module, "get_base_model") else module
    return frozenset(inspect.signature(target.forward).parameters)


def accepts_logits_to_keep(module: Any) -> bool:
    """Whether ``forward`` can skip the output projection where no token is scored."""
    return "logits_to_keep" in forward_parameters(module)


def _keeps_masked_positions() -> bool:
    """Whether this transformers takes a boolean ``(rows, width)`` mask as ``logits_to_keep``."""
    from transformers import modeling_utils

    return hasattr(modeling_utils, "slice_logits_to_keep")


def tail_mask(width: int, counts: Sequence[int]) -> Any:
    """``(len(counts), width)`` boolean: the last ``counts[r]`` positions of row ``r``.

    What a row padded on the left to ``width`` holds (its tokens), or scores (its targets).
    """
    import torch

    return torch.arange(width)[None, :] >= (width - torch.tensor(counts))[:, None]


def target_logprobs(module: Any, scored: Any, targets: Any, **inputs: Any) -> Any:
    """Log-probabilities of the scored tokens, the output projection run only where needed.

    The hidden states at the scored positions are gathered into one contiguous matrix before
    the output projection, so it is one matrix product; slicing the last positions of every
    row instead hands the projection a strided batch that PyTorch multiplies against a copy
    of the whole output matrix per row (a quarter of the time in bfloat16).

    Args:
        module: The model, called as ``module(**inputs)``.
        scored: ``(rows, width)`` boolean, the positions whose next token is scored; in every
            row they are the last positions.
        targets: ``(scored.sum(),)`` the scored tokens, in row-major order of ``scored``.
        **inputs: The forward's other arguments.

    Returns:
        ``(scored.sum(),)`` float32 log-probabilities, in the order of ``targets``.
    """
    import torch

    if not accepts_logits_to_keep(module):
        logits = module(**inputs).logits[scored]
    elif _keeps_masked_positions():
        logits = module(**inputs, logits_to_keep=scored.to(inputs["input_ids"].device)).logits
    else:  # older transformers: a vector of positions, kept in every row
        width = scored.shape[1]
        keep = width - int(scored.any(dim=0).nonzero()[0])
        last = torch.arange(width - keep, width, device=inputs["input_ids"].device)
        logits = module(**inputs, logits_to_keep=last).logits[scored[:, -keep:]]
    logits = logits.float()
    # log p(token) = logit - logsumexp: no full-vocabulary log-softmax copy.
    picked = logits.gather(1, targets.to(logits.device)[:, None])[:, 0]
    return (picked - torch.logsumexp(logits, dim=-1)).cpu()


def cache_keyword(module: Any) -> str:
    """The key/value cache keyword: ``cache`` (transformers 5.x) or ``past_key_values``."""
    return "cache" if "cache" in forward_parameters(module) else "past_key_values"


def common_prefix(rows: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix that every row starts with."""
    first = rows[0]
    length = min(len(r) for r in rows)
    for i in range(length):
        if any(r[i] != first[i] for r in rows):
            return i
    return length


@dataclass(frozen=True)
class Prefix:
    """The keys and values of the tokens every prompt of a call starts with (batch of one)."""

    length: int
    cache: Any


def shared_length(contexts: Sequence[Sequence[int]]) -> int:
    """Leading tokens all ``contexts`` share and can encode once.

    Never a prompt's last token: every choice needs it as its first input.
    """
    return min(common_prefix(contexts), min(len(c) for c in contexts) - 1)


def encode_prefix(module: Any, contexts: Sequence[Sequence[int]], device: str) -> Prefix | None:
    """Encode, once, the tokens all ``contexts`` share (see :func:`shared_length`)."""
    import torch

    shared = shared_length(contexts)
    if not shared:
        return None
    keep_one = {"logits_to_keep": 1} if accepts_logits_to_keep(module) else {}
    ids = torch.tensor([list(contexts[0][:shared])], device=device)
    output = module(input_ids=ids, use_cache=True, **keep_one)
    return Prefix(shared, getattr(output, cache_keyword(module)))


PROMPTS_PER_ROW = 2
"""Prompts packed into one row of a forward pass; attention cost grows with the row's square."""


def score_packed(
    module: Any,
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[Sequence[int]]],
    pad_id: int,
    device: str,
    prefix: Prefix | None = None,
    memberships: Sequence[Sequence[int]] | None = None,
) -> list[list[tuple[float, int]]]:
    """One batch in a single forward pass that encodes no token twice (but each prompt's last).

    After the keys and values of the tokens every prompt starts with (``prefix``, encoded once
    per call, or else the batch's own shared prefix, encoded here), each row packs a few
    prompts (``memberships``, by default :func:`pack_rows`): the start they have in common,
    once; then each one's remaining tokens but the last; then, for every choice, the prompt's
    last token and the choice's tokens but the last. A block attention mask lets each prompt
    see the prefix, the row's common start and itself, and each choice also its prompt and
    itself, never another prompt or choice; position ids continue each prompt and restart for
    each choice as if it stood alone. Rows are padded on the left, so every row's
    choices end the row, and the output projection runs only on the choices' positions (see
    :func:`target_logprobs`).

    Returns:
        For each prompt and choice: the summed log-probability and the number of tokens.
    """
    import copy

    import torch

    if prefix is None or any(len(c) <= prefix.length for c in contexts):
        prefix = encode_prefix(module, contexts, device)
    shared = prefix.length if prefix is not None else 0
    if memberships is None:
        memberships = pack_rows(contexts, shared, PROMPTS_PER_ROW)
    rows = [_packed_row(contexts, continuations, members, shared) for members in memberships]
    width = max(len(row.tokens) for row in rows)

    def left_padded(field: str, fill: int) -> Any:
        return torch.tensor(
            [[fill] * (width - len(row.tokens)) + getattr(row, field) for row in rows]
        )

    owners = left_padded("owners", -1)
    dtype = next(module.parameters()).dtype
    attention = _block_mask(owners, left_padded("segments", -1), shared, dtype)
    keyword = cache_keyword(module)
    cache = None
    if prefix is not None:
        cache = copy.deepcopy(prefix.cache)
        cache.batch_select_indices(torch.zeros(len(rows), dtype=torch.long, device=device))
    scored = tail_mask(width, [len(row.targets) for row in rows])
    logprobs = target_logprobs(
        module,
        scored,
        torch.tensor([token for row in rows for token in row.targets]),
        input_ids=left_padded("tokens", pad_id).to(device),
        attention_mask=attention.to(device),
        position_ids=left_padded("positions", 0).to(device),
        use_cache=cache is not None,
        **({keyword: cache} if cache is not None else {}),
    ).tolist()
    scores: list[list[tuple[float, int]]] = [[] for _ in contexts]
    values = iter(logprobs)
    for members in memberships:
        for b in members:
            scores[b] = [
                (sum(next(values) for _ in choice), len(choice)) for choice in continuations[b]
            ]
    return scores


@dataclass
class _Row:
    """One packed row: the prompts' common start, their own tokens, then their choices.

    ``targets`` are the choices' tokens, the ones scored.
    """

    tokens: list[int]
    positions: list[int]
    owners: list[int]
    segments: list[int]
    targets: list[int]


def pack_rows(contexts: Sequence[Sequence[int]], shared: int, per_row: int) -> list[list[int]]:
    """Which prompts share a row: those that start alike, so their common start is encoded once.

    In token order, runs of up to ``per_row`` neighbours whose common prefix reaches past the
    ``shared`` tokens of every prompt form a row (a question asked without and with a stated
    belief after the same context statement shares the statement). The prompts left over are
    grouped in order of length. A pure function of the tokens: both models get the same rows.
    """
    order = sorted(range(len(contexts)), key=lambda b: (list(contexts[b][shared:]), b))
    runs: list[list[int]] = []
    for b in order:
        if runs and len(runs[-1]) < per_row and _common_start(contexts, [*runs[-1], b]) > shared:
            runs[-1].append(b)
        else:
            runs.append([b])
    alone = sorted((r[0] for r in runs if len(r) == 1), key=lambda b: (-len(contexts[b]), b))
    grouped = [alone[i : i + per_row] for i in range(0, len(alone), per_row)]
    return [r for r in runs if len(r) > 1] + grouped


def row_length(
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[Sequence[int]]],
    members: Sequence[int],
    shared: int,
) -> int:
    """Tokens one packed row of ``members`` runs through the model after ``shared`` tokens."""
    return len(_packed_row(contexts, continuations, members, shared).tokens)


def _common_start(contexts: Sequence[Sequence[int]], members: Sequence[int]) -> int:
    """Leading tokens ``members`` share and a row can encode once (see :func:`shared_length`)."""
    return shared_length([contexts[b] for b in members])


COMMON = -2
"""Segment of a row's common start: visible to every token of the row."""


def _packed_row(
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[Sequence[int]]],
    members: Sequence[int],
    shared: int,
) -> _Row:
    """Pack the prompts ``members`` (indices) after ``shared`` tokens.

    The members' common start is packed once (segment :data:`COMMON`), then each member's other
    tokens but the last (segment -1), then each member's choices (segment = choice index).
    """
    common = max(shared, _common_start(contexts, members))
    first = contexts[members[0]]
    row = _Row(
        list(first[shared:common]),
        list(range(shared, common)),
        [members[0]] * (common - shared),
        [COMMON] * (common - shared),
        [],
    )
    for b in members:  # the prompts' own tokens
        context = contexts[b]
        row.tokens += context[common:-1]
        row.positions += range(common, len(context) - 1)
        row.owners += [b] * (len(context) - 1 - common)
        row.segments += [-1] * (len(context) - 1 - common)
    for b in members:  # then every choice, after its prompt's last token
        context = contexts[b]
        for j, choice in enumerate(continuations[b]):
            row.tokens += [context[-1], *choice[:-1]]
            row.targets += choice
            row.positions += range(len(context) - 1, len(context) - 1 + len(choice))
            row.owners += [b] * len(choice)
            row.segments += [j] * len(choice)
    return row


def _block_mask(owners: Any, segments: Any, shared: int, dtype: Any) -> Any:
    """Additive ``(rows, 1, n, shared + n)`` attention mask for packed rows.

    Args:
        owners: ``(rows, n)`` the prompt each packed token belongs to (-1: padding).
        segments: ``(rows, n)`` :data:`COMMON` for the row's common start, -1 for a prompt's
            own tokens, else the index of the choice.
        shared: Cached prefix length, visible to every token.
        dtype: The model's floating dtype.

    Returns:
        0 where a token may attend, the dtype's minimum elsewhere: the prefix, the row's common
        start, and the earlier tokens of its own prompt and of its own choice. Padding sees only
        the prefix and itself.
    """
    import torch

    rows, n = owners.shape
    earlier = torch.ones((n, n), dtype=torch.bool).tril()
    same_prompt = (owners[:, :, None] == owners[:, None, :]) & (owners[:, None, :] >= 0)
    visible = (segments[:, None, :] == -1) | (segments[:, None, :] == segments[:, :, None])
    common = (segments == COMMON)[:, None, :] & (owners >= 0)[:, :, None]
    own = earlier & ((same_prompt & visible) | common)
    own |= torch.eye(n, dtype=torch.bool) & (owners < 0)[:, :, None]
    allowed = torch.cat([torch.ones((rows, n, shared), dtype=torch.bool), own], dim=2)
    blocked = torch.full(allowed.shape, torch.finfo(dtype).min, dtype=dtype)
    return blocked.masked_fill(allowed, 0.0)[:, None]
