"""Models behind OpenAI-compatible servers: vLLM, SGLang, llama.cpp, Ollama, hosted APIs.

``--warmth-model='http://127.0.0.1:8000/v1?model=warm'`` (see :mod:`.endpoint`) picks this
backend (registered as ``openai``; ``openai:URL`` names it explicitly). Both sides may be two
servers or two names on one server (vLLM serves a LoRA adapter beside its base with
``--enable-lora --lora-modules warm=PATH``). Loading contacts each server once: its
``/models`` must list the model; when the run scores multiple choice, a local tokenizer must
be given and the server's prompt log-probabilities must pass
:func:`.logprobs.check_prompt_logprobs`. Requests go through :mod:`.client` (standard
library, retries with backoff); :mod:`.sides` turns them into the gate's requests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_warmth.backends.openai.client import Client, ServerError
from pytest_warmth.backends.openai.endpoint import Endpoint, is_server_spec, parse_endpoint
from pytest_warmth.backends.openai.logprobs import Prompt, check_prompt_logprobs, score_body
from pytest_warmth.backends.openai.sides import ServerSide
from pytest_warmth.backends.protocol import (
    CHAT,
    GENERATE,
    MC,
    TEXT,
    LoadOptions,
    ModelPair,
    ModelRequest,
    Side,
)
from pytest_warmth.errors import ModelLoadError, ModelSpecError
from pytest_warmth.results import ModelInfo

if TYPE_CHECKING:
    from pytest_warmth.backends.hf.chat_tokens import ChatTokens

IDENTITY_VERSION = 1
"""Bumped whenever the requests this backend sends could give other answers."""
IMMUTABLE_PREFIXES = ("ft:",)
"""Model ids that name one fixed set of weights (OpenAI fine-tunes), cacheable as they are."""
CHECK_QUESTION = "What is the capital of France?"
CHECK_REPLY = "The capital of France is Paris."
"""A prompt and an obvious reply: the server's echoed log-probabilities of the reply are
compared with its own generation at the same positions before multiple choice is trusted."""
CHECK_TEXT = ("The capital of France is", " Paris. It is also the largest city in France.")
"""The same for plain text (no chat format), before plain-text scoring is trusted."""
UNCACHED = "answers cached for this run only: add &revision=... to say what the server serves"


def trusted(endpoint: Endpoint) -> bool:
    """Whether the spec pins what is served (a declared revision, or an immutable model id)."""
    return endpoint.revision is not None or endpoint.model.startswith(IMMUTABLE_PREFIXES)


class ServerPair:
    """Two served models, located and checked offline (loading contacts the servers)."""

    def __init__(self, tuned: Endpoint, base: Endpoint) -> None:
        self.tuned, self.base = tuned, base

    @property
    def same_model(self) -> bool:
        """Both specs name the same served model."""
        return self.tuned == self.base

    @property
    def capabilities(self) -> frozenset[str]:
        """Generation and conversations; scoring too when both sides name a tokenizer."""
        if self.tuned.tokenizer is None or self.base.tokenizer is None:
            return frozenset({GENERATE, CHAT})
        return frozenset({GENERATE, CHAT, MC, TEXT})

    def describe(self) -> str:
        """``tuned NAME @ URL vs base NAME @ URL``, and whether answers are cached."""
        text = f"tuned {self.tuned.display} vs base {self.base.display}"
        if self.same_model:
            text += " (same model both sides: a self-check)"
        if not (trusted(self.tuned) and trusted(self.base)):
            text += f" ({UNCACHED})"
        return text

    def model_infos(self) -> tuple[ModelInfo, ModelInfo]:
        """Both served models for reports (no key, no query parameters but the revision)."""
        return (_info("base", self.base), _info("tuned", self.tuned))

    def load(self, options: LoadOptions) -> ModelPair:
        """Contact each server, check what it serves, and wrap both models as sides.

        Raises:
            ModelLoadError: A server cannot be reached, does not serve the model, or cannot
                score multiple choice that the run needs.
        """
        key = os.environ.get(options.api_key_env) or None
        clients: dict[str, Client] = {}
        sides: dict[Endpoint, ServerSide] = {}
        for endpoint in (self.base, self.tuned):
            if endpoint in sides:
                continue
            if endpoint.base_url not in clients:
                clients[endpoint.base_url] = Client(
                    endpoint.base_url, api_key=key, key_hint=f"${options.api_key_env}",
                    timeout=options.request_timeout,
                )  # fmt: skip
            sides[endpoint] = _load_side(endpoint, clients[endpoint.base_url], options)
        base, tuned = sides[self.base], sides[self.tuned]
        notes = () if tuned.identity and base.identity else (UNCACHED,)
        where = ", ".join(sorted(clients))
        return ModelPair(base, tuned, self.same_model, where, notes)


def _load_side(endpoint: Endpoint, client: Client, options: LoadOptions) -> ServerSide:
    """One served model, checked: served, and trusted for each kind of scoring the run needs."""
    wanted = options.needs & {MC, TEXT}
    try:
        served = _served(endpoint, client)
        tokens = _tokens(endpoint, options) if wanted else None
        text_prompts = False
        if tokens is not None:
            text_prompts = not _takes_token_ids(endpoint, client, tokens)
            for kind in sorted(wanted):
                refused = _scoring_refused(endpoint, client, tokens, kind, text_prompts)
                if refused is not None:
                    raise ModelLoadError(refused)
    except ServerError as exc:
        raise ModelLoadError(f"{endpoint.display}: {exc}") from None
    return ServerSide(
        endpoint, client, identity=_identity(endpoint, served), concurrency=options.concurrency,
        tokens=tokens, scoring=wanted, text_prompts=text_prompts,
    )  # fmt: skip


def _served(endpoint: Endpoint, client: Client) -> dict[str, Any]:
    """The server's ``/models`` entry for the endpoint's model."""
    listing = client.get("/models", retries=1)
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list):
        raise ServerError(
            f"{client.base_url}/models has no 'data' list: not an OpenAI-compatible API root "
            "(the URL should be where /chat/completions is appended, often ending in /v1)"
        )
    entries = {str(e.get("id")): e for e in data if isinstance(e, dict) and "id" in e}
    if endpoint.model not in entries:
        names = ", ".join(sorted(entries)[:10]) or "nothing"
        raise ServerError(
            f"the server does not serve a model named {endpoint.model!r}; it serves: {names} "
            "(fix ?model=)"
        )
    return entries[endpoint.model]


def _identity(endpoint: Endpoint, served: dict[str, Any]) -> str | None:
    """What determines the answers: the served model as the server reports it, the revision."""
    if not trusted(endpoint):
        return None
    reported = {k: served.get(k) for k in ("id", "root", "parent") if served.get(k) is not None}
    tokenizer = _tokenizer_digest(endpoint.tokenizer)
    parts = [IDENTITY_VERSION, reported, endpoint.revision, tokenizer]
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return f"openai:{hashlib.sha256(text.encode()).hexdigest()}"


def _tokenizer_digest(path: Path | None) -> str | None:
    if path is None:
        return None
    from pytest_warmth.backends.hf.hashing import content_hash

    return content_hash([path], {})


def _tokens(endpoint: Endpoint, options: LoadOptions) -> ChatTokens:
    if endpoint.tokenizer is None:
        raise ServerError(
            "multiple choice needs the served model's tokenizer: add &tokenizer=PATH (a local "
            "model or tokenizer directory, or a .gguf file), or use --warmth-scoring=generate"
        )
    from pytest_warmth.backends.hf.chat_tokens import ChatTokens

    return ChatTokens.load(
        endpoint.tokenizer, flag="tokenizer=", trust_remote_code=options.trust_remote_code
    )


def _takes_token_ids(endpoint: Endpoint, client: Client, tokens: ChatTokens) -> bool:
    """Whether ``/completions`` accepts a prompt of token ids (llama-cpp-python does not)."""
    body = {"model": endpoint.model, **score_body(tokens.prompt(CHECK_QUESTION))}
    try:
        client.post("/completions", body, retries=0)
    except ServerError:
        return False
    return True


def _scoring_refused(
    endpoint: Endpoint, client: Client, tokens: ChatTokens, kind: str, text_prompts: bool
) -> str | None:
    """Why the server's prompt log-probabilities cannot be trusted for ``kind``, or ``None``.

    :data:`MC` is checked after a chat-formatted prompt, :data:`TEXT` on plain text.
    """

    def complete(body: dict[str, Any]) -> Any:
        return client.post("/completions", {"model": endpoint.model, **body})

    context: Prompt
    reply: Prompt
    if kind == MC:
        if text_prompts:
            context, reply = tokens.render(CHECK_QUESTION), tokens.choice_text(CHECK_REPLY)
        else:
            context, reply = tokens.prompt(CHECK_QUESTION), tokens.choice(CHECK_REPLY)
    elif text_prompts:
        context, reply = CHECK_TEXT
    else:
        context, reply = tokens.text(CHECK_TEXT[0]), tokens.text(CHECK_TEXT[1])
    why = check_prompt_logprobs(complete, context, reply)
    if why is None:
        return None
    if kind == MC:
        what, instead = "multiple choice", "use --warmth-scoring=generate"
    else:
        what, instead = "plain-text scoring", "score plain text with an in-process model"
    return (
        f"{endpoint.display}: its prompt log-probabilities cannot be trusted for {what} "
        f"({why}); {instead}"
    )


def _info(role: str, endpoint: Endpoint) -> ModelInfo:
    return ModelInfo(
        role, endpoint.display, "server", endpoint.base_url, endpoint.revision or "unknown"
    )


class OpenAIBackend:
    """OpenAI-compatible HTTP servers (registered as ``openai``)."""

    def claims(self, spec: str, cwd: Path) -> bool:
        """``http://`` and ``https://`` URLs."""
        return is_server_spec(spec)

    def resolve(self, request: ModelRequest) -> ServerPair:
        """Parse both specs (offline).

        Raises:
            ModelSpecError: A spec is not a usable server URL, or the base is missing.
        """
        tuned = parse_endpoint(request.model, flag="--warmth-model", cwd=request.cwd)
        if request.base is None:
            raise ModelSpecError(
                f"--warmth-model={request.model} is a served model, so the gate cannot find its "
                "base by itself: pass --warmth-base (the same server: --warmth-base='?model=BASE')"
            )
        base = parse_endpoint(request.base, flag="--warmth-base", cwd=request.cwd, beside=tuned)
        return ServerPair(tuned, base)

    def resolve_model(self, spec: str, request: ModelRequest) -> ServedModel:
        """A judge behind a server (label log-probabilities with &tokenizer=, else a reply).

        Raises:
            ModelSpecError: The spec is not a usable server URL.
        """
        return ServedModel(parse_endpoint(spec, flag="--warmth-judge", cwd=request.cwd))


class ServedModel:
    """One more served model of the run (a judge)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def describe(self) -> str:
        """``NAME @ URL``."""
        return self.endpoint.display

    def load(self, options: LoadOptions, beside: ModelPair) -> Side:
        """Contact the server: label log-probabilities where they pass the check, else replies.

        With ``&tokenizer=`` the judge reads label log-probabilities where the server's echo
        passes its check; otherwise it replies with one word.

        Raises:
            ModelLoadError: As :meth:`ServerPair.load` (a failed log-prob check is not one: the
                judge then replies instead).
        """
        key = os.environ.get(options.api_key_env) or None
        client = Client(
            self.endpoint.base_url, api_key=key, key_hint=f"${options.api_key_env}",
            timeout=options.request_timeout,
        )  # fmt: skip
        plain = _load_side(self.endpoint, client, dataclasses.replace(options, needs=frozenset()))
        if self.endpoint.tokenizer is None:
            return plain
        try:
            return _load_side(
                self.endpoint, client, dataclasses.replace(options, needs=frozenset({MC}))
            )
        except ModelLoadError:
            return plain
