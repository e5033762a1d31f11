"""One served model as a :class:`~pytest_warmth.backends.protocol.Side`.

Generation asks ``/chat/completions`` (temperature 0, the run's most new tokens; the server
stops at the end of the assistant's turn); multiple choice asks ``/completions`` for the
log-probability of every prompt token with the prompt given as token ids (a chat-formatted
question followed by one choice), which needs a local tokenizer of the served model and a
server whose prompt log-probabilities passed :func:`.logprobs.check_prompt_logprobs`. Requests
run ``concurrency`` at a time; answers come back in request order.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_warmth.backends.openai.client import Client, ServerError
from pytest_warmth.backends.openai.endpoint import Endpoint
from pytest_warmth.backends.openai.logprobs import (
    Prompt,
    continuation_span,
    generated_text,
    joined,
    prompt_logprobs,
    score_body,
    span_score,
)
from pytest_warmth.backends.protocol import (
    CHAT,
    GENERATE,
    MC,
    TEXT,
    ChoiceScore,
    Progress,
    chat_messages,
)
from pytest_warmth.backends.protocol import Prompt as ChatPrompt

if TYPE_CHECKING:
    from pytest_warmth.backends.hf.chat_tokens import ChatTokens

T = TypeVar("T")
R = TypeVar("R")


class ServerSide:
    """A model behind an OpenAI-compatible server.

    Args:
        endpoint: The served model.
        client: The HTTP client of its server.
        identity: The answer cache's key for this side, or ``None`` (cache for the run only).
        concurrency: Requests in flight at once.
        tokens: The served model's chat format as token ids (multiple choice and text
            scoring), or ``None``.
        scoring: The scoring kinds (:data:`MC`, :data:`TEXT`) whose prompt log-probabilities
            passed the check on this server; the others are refused.
        text_prompts: Send scored prompts as text and find choices by ``text_offset`` (for
            servers that refuse token ids); by default they are sent as token ids.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        client: Client,
        *,
        identity: str | None,
        concurrency: int = 8,
        tokens: ChatTokens | None = None,
        scoring: frozenset[str] = frozenset(),
        text_prompts: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.client = client
        self._identity = identity
        self.concurrency = concurrency
        self.tokens = tokens
        self.scoring = scoring & {MC, TEXT} if tokens is not None else frozenset()
        self.text_prompts = text_prompts

    @property
    def identity(self) -> str | None:
        """What the server says it serves plus the declared revision, or ``None``."""
        return self._identity

    @property
    def capabilities(self) -> frozenset[str]:
        """Generation and conversations always; each kind of scoring whose check passed."""
        return frozenset({GENERATE, CHAT}) | self.scoring

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to switch: the server holds the model."""
        return contextlib.nullcontext()

    def generate(
        self, prompts: Sequence[ChatPrompt], *, max_new_tokens: int,
        progress: Progress | None = None,
    ) -> list[str]:  # fmt: skip
        """One reply per prompt from ``/chat/completions`` at temperature 0, stripped."""

        def ask(prompt: ChatPrompt) -> str:
            body = {
                "model": self.endpoint.model,
                "messages": chat_messages(prompt),
                "temperature": 0,
                "max_tokens": max_new_tokens,
            }
            return chat_reply(self.client.post("/chat/completions", body)).strip()

        return self._each(ask, list(prompts), progress)

    def score_choices(
        self,
        prompts: Sequence[ChatPrompt],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        """The log-likelihood of every choice after its chat-formatted prompt.

        Raises:
            ServerError: The server's prompt log-probabilities failed the check, or no
                tokenizer was given.
        """
        tokens = self._scoring_tokens(MC)
        requests: list[tuple[Prompt, Prompt]] = []
        for prompt, row in zip(prompts, choices, strict=True):
            if self.text_prompts:
                context_text = tokens.render(prompt)
                requests += [(context_text, tokens.choice_text(choice)) for choice in row]
            else:
                context_ids = tokens.prompt(prompt)
                requests += [(context_ids, tokens.choice(choice)) for choice in row]
        flat = self._each(self._score, requests, None)
        rows, k = [], 0
        for row in choices:
            rows.append(flat[k : k + len(row)])
            k += len(row)
        if progress is not None:
            progress(len(prompts), len(prompts))
        return rows

    def score_text(
        self, requests: Sequence[tuple[str, str]], *, progress: Progress | None = None
    ) -> list[ChoiceScore]:
        """The log-likelihood of each plain-text continuation after its plain-text context.

        Raises:
            ServerError: As :meth:`score_choices`; or a continuation has no tokens.
        """
        tokens = self._scoring_tokens(TEXT)
        pairs: list[tuple[Prompt, Prompt]] = []
        for context, continuation in requests:
            ids = tokens.text(continuation)
            if not ids:
                raise ValueError(f"continuation {continuation!r} encodes to no tokens")
            pairs.append(
                (context, continuation) if self.text_prompts else (tokens.text(context), ids)
            )
        return self._each(self._score, pairs, progress)

    def _scoring_tokens(self, kind: str) -> ChatTokens:
        if self.tokens is None or kind not in self.scoring:
            raise ServerError(
                f"{self.endpoint.display}: scoring ({kind}) was not checked on this server when "
                "it loaded (it needs &tokenizer=PATH and a run that asks for it); use "
                "--warmth-scoring=generate"
            )
        return self.tokens

    def _score(self, request: tuple[Prompt, Prompt]) -> ChoiceScore:
        context, continuation = request
        prompt = joined(context, continuation)
        body = {"model": self.endpoint.model, **score_body(prompt)}
        response = self.client.post("/completions", body)
        positions = prompt_logprobs(response, prompt)
        start, end = continuation_span(positions, continuation, generated_text(response, prompt))
        return ChoiceScore(span_score(positions, start, end), end - start)

    def _each(self, ask: Callable[[T], R], requests: list[T], progress: Progress | None) -> list[R]:
        """``ask`` every request, ``concurrency`` at a time; the first failure stops the rest."""
        if not requests:
            return []
        done = [0]
        lock = threading.Lock()

        def counted(request: T) -> R:
            answer = ask(request)
            with lock:
                done[0] += 1
                if progress is not None:
                    progress(done[0], len(requests))
            return answer

        workers = max(1, min(self.concurrency, len(requests)))
        with ThreadPoolExecutor(workers, thread_name_prefix="warmth-http") as pool:
            futures: list[Future[R]] = [pool.submit(counted, r) for r in requests]
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in finished:
                error = future.exception()
                if error is not None:
                    for pending in futures:
                        pending.cancel()
                    raise error
            return [future.result() for future in futures]


def chat_reply(response: Any) -> str:
    """The assistant's text in a ``/chat/completions`` response.

    Raises:
        ServerError: The response does not have the OpenAI shape.
    """
    try:
        content = response["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ServerError(
            "the server's /chat/completions response has no choices[0].message.content: not "
            "an OpenAI-compatible chat endpoint"
        ) from None
    return content if isinstance(content, str) else ""
