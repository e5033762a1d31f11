"""Prompt log-probabilities from ``/completions`` responses, and the check before trusting them.

Two response shapes carry the log-probability of every prompt token:

- vLLM's ``prompt_logprobs`` (asked for with ``prompt_logprobs: 1``, or implied by ``echo``):
  ``choices[0].prompt_logprobs`` is one entry per prompt token, ``None`` for the first, else
  ``{token_id: {logprob, rank, decoded_token}}`` holding the actual token and the top ones.
- The legacy ``echo`` shape: ``choices[0].logprobs.tokens`` / ``token_logprobs`` /
  ``text_offset`` over the prompt followed by the generated tokens (the first prompt entry is
  ``None``; the generated token is dropped).

Some servers return numbers that are not what they claim: llama-cpp-python 0.3.36 scores each
echoed prompt token under the distribution that *follows* it, and llama.cpp's own server
returns none. :func:`check_prompt_logprobs` compares the echoed log-probability of each token
of a known reply with the distribution the server itself gives when it generates at that
position; a server that disagrees is refused for multiple choice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_warmth.backends.openai.client import ServerError

TOLERANCE = 0.25
"""Largest |echoed - generated| log-probability (nats) accepted for one token; a shifted
server is off by several nats, reduced-precision numerics by hundredths."""
MIN_COMPARED = 2
"""Positions that must be compared before a server is trusted."""
TOP = 5
"""Alternatives asked for when generating one token (the reference distribution)."""


Prompt = list[int] | str
"""A prompt as token ids (exact boundaries) or as text (boundaries from ``text_offset``)."""


@dataclass(frozen=True)
class TokenLogprob:
    """One prompt position as the server reported it."""

    text: str | None
    logprob: float | None


def prompt_logprobs(response: Any, prompt: Prompt) -> list[TokenLogprob]:
    """The log-probability of every prompt token, from either response shape.

    Args:
        response: A ``/completions`` response to an echo request.
        prompt: The prompt sent: token ids (then exactly its tokens), or text (then every
            echoed token, which may include the generated ones).

    Raises:
        ServerError: The response holds no prompt log-probabilities, fewer than the prompt
            has tokens, or (text) no offsets.
    """
    choice = _first_choice(response)
    entries = choice.get("prompt_logprobs")
    if isinstance(entries, list) and not isinstance(prompt, str):
        if len(entries) < len(prompt):
            raise ServerError(_SHORT.format(len(entries), len(prompt)))
        return [_vllm_entry(entries[i], token) for i, token in enumerate(prompt)]
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict) or not isinstance(logprobs.get("token_logprobs"), list):
        raise ServerError(
            "the server returned no prompt log-probabilities (neither prompt_logprobs nor "
            "echoed logprobs.token_logprobs): it cannot score multiple choice; use "
            "--warmth-scoring=generate"
        )
    values = logprobs["token_logprobs"]
    tokens = logprobs.get("tokens") or [None] * len(values)
    if isinstance(prompt, str):  # the generated tokens may follow: see continuation_span
        return [TokenLogprob(_text(tokens[i]), _number(values[i])) for i in range(len(values))]
    if len(values) < len(prompt):
        raise ServerError(_SHORT.format(len(values), len(prompt)))
    return [TokenLogprob(_text(tokens[i]), _number(values[i])) for i in range(len(prompt))]


def continuation_span(
    positions: Sequence[TokenLogprob], continuation: Prompt, generated: str = ""
) -> tuple[int, int]:
    """The positions of ``continuation`` at the end of an echoed prompt that ends with it.

    With token ids they are the last ``len(continuation)`` positions. With text, they are the
    last tokens whose texts spell the continuation exactly, read from the end (special tokens
    that a server echoes as empty text earlier in the prompt do not matter); tokens that spell
    ``generated`` (the text the server generated after the prompt) are skipped first when a
    server lists them too (llama-cpp-python does for some prompts and not for others).

    Raises:
        ServerError: (Text) the server's tokens straddle the boundary, or its token texts do
            not spell the continuation.
    """
    if not isinstance(continuation, str):
        return len(positions) - len(continuation), len(positions)
    ends = [len(positions)]
    if generated:
        skipped = _spelled_from(positions, len(positions), generated)
        if skipped is not None:
            ends.insert(0, skipped)
    for end in ends:
        start = _spelled_from(positions, end, continuation)
        if start is not None:
            return start, end
    raise ServerError(
        "the server's echoed tokens do not end with the choice's text exactly (they "
        "straddle the boundary, or the server returned no token texts), so the choice "
        "cannot be scored exactly; use --warmth-scoring=generate"
    )


def generated_text(response: Any, prompt: Prompt) -> str:
    """What the server generated after an echoed text prompt (empty when it cannot tell)."""
    text = _first_choice(response).get("text")
    if isinstance(prompt, str) and isinstance(text, str) and text.startswith(prompt):
        return text[len(prompt) :]
    return ""


def _spelled_from(positions: Sequence[TokenLogprob], end: int, text: str) -> int | None:
    """The start of the tokens ending at ``end`` whose texts spell ``text``, or ``None``."""
    spelled = ""
    start = end
    while start > 0 and len(spelled) < len(text):
        start -= 1
        spelled = (positions[start].text or "") + spelled
    return start if spelled == text and start < end else None


def span_score(positions: Sequence[TokenLogprob], start: int, end: int) -> float:
    """Sum of the log-probabilities at ``start..end-1``.

    Raises:
        ServerError: A position in the span has no log-probability.
    """
    total = 0.0
    for position in positions[start:end]:
        if position.logprob is None:
            raise ServerError(
                "the server left a prompt token without a log-probability: it cannot score "
                "multiple choice; use --warmth-scoring=generate"
            )
        total += position.logprob
    return total


def generated_top(response: Any) -> dict[str, float]:
    """The alternatives for the first generated token (empty when nothing was generated).

    Raises:
        ServerError: The response carries no top log-probabilities.
    """
    choice = _first_choice(response)
    logprobs = choice.get("logprobs")
    top = logprobs.get("top_logprobs") if isinstance(logprobs, dict) else None
    if choice.get("text") == "" and not top:
        return {}  # it generated nothing (e.g. the end of the text): nothing to compare
    if not isinstance(top, list) or not top or not isinstance(top[0], dict):
        raise ServerError(
            "the server returned no log-probabilities for generated tokens (logprobs."
            "top_logprobs): it cannot score multiple choice; use --warmth-scoring=generate"
        )
    return {str(k): float(v) for k, v in top[0].items() if _number(v) is not None}


def check_prompt_logprobs(
    complete: Callable[[dict[str, Any]], Any], context: Prompt, reply: Prompt
) -> str | None:
    """Whether echoed prompt log-probabilities agree with the server's own generation.

    Echoes ``context + reply``, then, at each reply position, generates one token after the
    prefix and compares the echoed log-probability of the reply's token with the one the
    generation's top alternatives give it (or, when the token is not among them, checks that
    it is not above the least of them).

    Args:
        complete: Sends one ``/completions`` body (without ``model``) and returns the response.
        context: A chat-formatted prompt (token ids or text).
        reply: A short, obvious reply to it, in the same form.

    Returns:
        ``None`` when the log-probabilities can be trusted, else why not (one line).

    Raises:
        ServerError: The server fails the requests themselves.
    """
    prompt = joined(context, reply)
    response = complete(_echo_body(prompt))
    echoed = prompt_logprobs(response, prompt)
    start, end = continuation_span(echoed, reply, generated_text(response, prompt))
    compared = 0
    for index in range(start, end):
        got = echoed[index]
        if got.logprob is None:
            return f"it left prompt token {index} without a log-probability"
        if isinstance(prompt, str):
            after = sum(len(p.text or "") for p in echoed[index:end])
            prefix: Prompt = prompt[: len(prompt) - after]
        else:
            prefix = prompt[:index]
        top = generated_top(complete(_generate_body(prefix)))
        text = got.text
        if text is not None and text in top:
            compared += 1
            if abs(top[text] - got.logprob) > TOLERANCE:
                return (
                    f"it echoed {got.logprob:.2f} for the token {text!r} that its own "
                    f"generation at the same position gives {top[text]:.2f}"
                )
        elif top and got.logprob > min(top.values()) + TOLERANCE:
            return (
                f"it echoed {got.logprob:.2f} for the token {text!r}, above every one of the "
                f"{len(top)} likeliest tokens its own generation lists at that position"
            )
    if compared < MIN_COMPARED:
        return (
            f"only {compared} of {end - start} tokens of a known reply could be compared with "
            "its own generation"
        )
    return None


def joined(context: Prompt, continuation: Prompt) -> Prompt:
    """``context`` followed by ``continuation`` (both token ids, or both text)."""
    if isinstance(context, str) and isinstance(continuation, str):
        return context + continuation
    if not isinstance(context, str) and not isinstance(continuation, str):
        return [*context, *continuation]
    raise TypeError("a prompt and its continuation must both be token ids or both be text")


def score_body(prompt: Prompt) -> dict[str, Any]:
    """The ``/completions`` body that returns every prompt token's log-probability."""
    return _echo_body(prompt)


def _echo_body(prompt: Prompt) -> dict[str, Any]:
    # max_tokens=1 (not 0: some servers read 0 as "no limit"); the generated token is dropped.
    return {"prompt": prompt, "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1}


def _generate_body(prompt: Prompt) -> dict[str, Any]:
    return {"prompt": prompt, "max_tokens": 1, "temperature": 0, "logprobs": TOP}


def _first_choice(response: Any) -> dict[str, Any]:
    choices = response.get("choices") if isinstance(response, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ServerError(
            "the server's /completions response has no choices: not an OpenAI-compatible "
            "completions endpoint"
        )
    return choices[0]


def _vllm_entry(entry: Any, token: int) -> TokenLogprob:
    if not isinstance(entry, dict):
        return TokenLogprob(None, None)
    found = entry.get(str(token))  # JSON object keys are strings
    if not isinstance(found, dict):
        return TokenLogprob(None, None)
    return TokenLogprob(_text(found.get("decoded_token")), _number(found.get("logprob")))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_SHORT = (
    "the server returned log-probabilities for {} prompt tokens where the prompt has {}: it "
    "cannot score multiple choice; use --warmth-scoring=generate"
)
