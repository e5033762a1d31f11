"""The backend seam: what the gate may ask of a model, and how a backend hands models over.

Everything that asks a model (evaluation, the judge, the hunt's oracle, the warmth score, the
benchmarks) talks to a :class:`Side`; nothing outside a backend sees a torch module, a
tokenizer or an HTTP client. A :class:`Backend` turns ``--warmth-model``/``--warmth-base``
into a :class:`ResolvedPair` at configure time (cheap and offline: bad specs are usage
errors before any work), which loads into a :class:`ModelPair` of two sides once the gate
knows it has items to run.

This module imports nothing heavy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pytest_warmth.results import ModelInfo

if TYPE_CHECKING:
    from pytest_warmth.suites import ProbeSuite

MC = "mc"
"""Capability: multiple-choice log-likelihood of chat replies (:meth:`Side.score_choices`)."""
GENERATE = "generate"
"""Capability: greedy replies to chat prompts (:meth:`Side.generate`)."""
TEXT = "text"
"""Capability: log-likelihood of plain text after plain text (:meth:`Side.score_text`)."""
CHAT = "chat"
"""Capability: prompts that are whole conversations (:class:`Conversation`), not one turn."""
CAPABILITIES = (MC, GENERATE, TEXT, CHAT)

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a side answers."""


USER = "user"
ASSISTANT = "assistant"


@dataclass(frozen=True)
class Conversation:
    """Several chat turns that end with the user's: a follow-up asked after an earlier reply.

    Attributes:
        turns: ``(role, text)`` pairs, alternating :data:`USER` and :data:`ASSISTANT`, starting
            and ending with the user.
    """

    turns: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        roles = [role for role, _ in self.turns]
        expected = [USER if i % 2 == 0 else ASSISTANT for i in range(len(roles))]
        if not roles or roles != expected or roles[-1] != USER:
            raise ValueError(
                f"a conversation alternates user and assistant turns, starting and ending with "
                f"the user's; got {roles}"
            )

    @classmethod
    def follow_up(cls, first: str, reply: str, then: str) -> Conversation:
        """The user's ``first`` message, the assistant's ``reply``, and the user's ``then``."""
        return cls(((USER, first), (ASSISTANT, reply), (USER, then)))

    def key(self) -> list[list[str]]:
        """The turns as JSON-ready lists (how the answer cache and recordings key it)."""
        return [[role, text] for role, text in self.turns]

    def __str__(self) -> str:
        return "\n".join(f"[{role}] {text}" for role, text in self.turns)


Prompt = str | Conversation
"""What a side is asked: the text of one user turn, or a whole :class:`Conversation`."""


def chat_messages(prompt: Prompt) -> list[dict[str, str]]:
    """The prompt as chat-completion messages (``[{"role": ..., "content": ...}, ...]``)."""
    if isinstance(prompt, Conversation):
        return [{"role": role, "content": text} for role, text in prompt.turns]
    return [{"role": USER, "content": prompt}]


def prompt_key(prompt: Prompt) -> str | list[list[str]]:
    """A JSON-ready key for a prompt: the text of one turn as itself (keys stay as they were)."""
    return prompt.key() if isinstance(prompt, Conversation) else prompt


@dataclass(frozen=True)
class ChoiceScore:
    """Log-likelihood of one continuation (a choice, or a piece of text)."""

    sum_logprob: float
    """Sum of the log-probabilities of the continuation's tokens."""
    n_tokens: int
    """Number of tokens in the continuation."""

    @property
    def mean_logprob(self) -> float:
        """Per-token mean log-probability (length-normalised)."""
        return self.sum_logprob / self.n_tokens


MC_RULE = "sum"
"""How a choice is picked by default: the highest summed log-probability (ties: first)."""


def pick(scores: Sequence[ChoiceScore], rule: str = MC_RULE) -> int:
    """Index of the chosen answer under ``rule`` (``sum`` or ``mean``); ties go to the first."""
    values = [s.sum_logprob if rule == "sum" else s.mean_logprob for s in scores]
    return values.index(max(values))


@runtime_checkable
class Side(Protocol):
    """One model of a comparison, as the gate sees it.

    A prompt is the text of one user turn, or a :class:`Conversation` (sides that list
    :data:`CHAT` in their capabilities); the side applies its own chat format. Answers
    depend only on the requests and the side (batches are formed from the requests alone),
    so the same request always gets the same answer from the same side.
    """

    @property
    def identity(self) -> str | None:
        """What determines this side's answers, as a string the answer cache keys on.

        Weights, versions, numeric settings; ``None``: unknown, never cache across runs.
        """
        ...

    @property
    def capabilities(self) -> frozenset[str]:
        """The request kinds this side answers: a subset of :data:`CAPABILITIES`."""
        ...

    def score_choices(
        self,
        prompts: Sequence[Prompt],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        """Log-likelihood of every choice as the assistant's reply to every prompt."""
        ...

    def generate(
        self, prompts: Sequence[Prompt], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        """One greedy reply per prompt, stripped, ending at the end of the assistant's turn."""
        ...

    def score_text(
        self, requests: Sequence[tuple[str, str]], *, progress: Progress | None = None
    ) -> list[ChoiceScore]:
        """Log-likelihood of each ``(context, continuation)``'s continuation after its context.

        Plain text: no chat format, each part tokenised on its own.
        """
        ...

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Keep this side ready across several calls (e.g. an adapter folded in once).

        Entering costs nothing: a backend switches state only when a call inside the hold
        must compute, and undoes it when the hold ends. A backend without state returns
        :func:`contextlib.nullcontext`.
        """
        ...


@dataclass
class ModelPair:
    """The loaded comparison: the base and the tuned side.

    Attributes:
        base: The model the tuned one is compared against.
        tuned: The warmth-tuned model.
        same_weights: True when both sides are the very same model (a self-check), so the
            tuned side's answers are the base side's.
        where: Where and how the models run, for messages (e.g. ``cpu float32``).
        notes: One line per thing worth telling about the load.
        labels: Labels recorded with the replies (e.g. a study's judge verdicts), by role
            (``base``/``tuned``) and then prompt: ``correct``, ``incorrect`` or ``refusal``.
            Generate mode uses them instead of grading those replies.
    """

    base: Side
    tuned: Side
    same_weights: bool = False
    where: str = ""
    notes: tuple[str, ...] = ()
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def sides(self) -> Iterator[tuple[str, Side]]:
        """``("base", base)``, then ``("tuned", tuned)``."""
        yield "base", self.base
        yield "tuned", self.tuned

    def side(self, role: str) -> Side:
        """The side called ``role`` (``base`` or ``tuned``)."""
        return self.base if role == "base" else self.tuned


@dataclass(frozen=True)
class ModelRequest:
    """What the user asked for, as a backend resolves it.

    Attributes:
        model: ``--warmth-model`` without the backend's scheme prefix.
        base: ``--warmth-base`` without its prefix, or ``None``.
        cwd: The directory relative paths are taken from.
        allow_pickle: Whether pickle weight files may be loaded.
        hash_memo: File digests by (path, size, mtime), kept between runs by the caller.
        unpaired: Recorded sides: a row without a partner on the other side is an
            ``error`` or is left out (``skip``).
    """

    model: str
    base: str | None = None
    cwd: Path = field(default_factory=Path.cwd)
    allow_pickle: bool = False
    hash_memo: MutableMapping[str, str] = field(default_factory=dict, compare=False)
    unpaired: str = "error"


@dataclass(frozen=True)
class LoadOptions:
    """How to load and run the models (a backend ignores what does not apply to it).

    Attributes:
        device: ``auto``, ``cpu``, ``cuda``, ``mps`` or ``shard`` (across all GPUs).
        max_memory: A sharded model: the most memory per device, as (device, size) pairs.
        dtype: Weight dtype name (``float32``, ``bfloat16``, ``float16``, ``auto``).
        batch_size: Prompts per forward pass or request batch.
        trust_remote_code: Whether model repositories may run their own code.
        allow_pickle: Whether pickle weight files may be loaded.
        cache_dir: The answer cache's directory, where a backend may keep derived files
            (e.g. de-quantised copies); ``None`` keeps nothing.
        fold_adapter: A hint that the tuned side will answer long passes: a backend may fold
            an adapter into the weights for them (its identity then says so).
        concurrency: Models behind a server: requests in flight at once per side.
        request_timeout: Models behind a server: seconds to wait for one response.
        api_key_env: Models behind a server: the environment variable holding the API key
            (read when the models load; the key itself is never part of any option).
        needs: The request kinds the run will ask (see :data:`CAPABILITIES`), so a backend
            can check at load time what only the model itself can tell (e.g. a server's
            prompt log-probabilities) and refuse in one line before any work.
    """

    device: str = "auto"
    dtype: str = "float32"
    max_memory: tuple[tuple[str, str], ...] = ()
    batch_size: int = 16
    trust_remote_code: bool = False
    allow_pickle: bool = False
    cache_dir: Path | None = None
    fold_adapter: bool = False
    concurrency: int = 8
    request_timeout: float = 300.0
    api_key_env: str = "OPENAI_API_KEY"
    needs: frozenset[str] = frozenset()


class ResolvedPair(Protocol):
    """A located, validated, not yet loaded comparison."""

    @property
    def same_model(self) -> bool:
        """True when base and tuned are the same model (a self-check)."""
        ...

    @property
    def capabilities(self) -> frozenset[str]:
        """What both sides will answer (see :data:`CAPABILITIES`)."""
        ...

    def describe(self) -> str:
        """One line naming both models, for the report header."""
        ...

    def model_infos(self) -> tuple[ModelInfo, ModelInfo]:
        """The base's and the tuned model's identities, for reports."""
        ...

    def load(self, options: LoadOptions) -> ModelPair:
        """Load both sides.

        Raises:
            WarmthError: A model cannot be loaded; the message says how to fix it.
        """
        ...


@runtime_checkable
class CarriesSuites(Protocol):
    """A resolved pair that brings its own items (e.g. recorded outputs in a study's layout).

    The gate runs these suites, under the conditions they have, instead of the built-in ones.
    """

    def suites(self) -> list[ProbeSuite]:
        """The suites the recordings answer."""
        ...


@runtime_checkable
class CarriesLabels(Protocol):
    """A resolved pair whose replies come with labels (see :attr:`ModelPair.labels`)."""

    @property
    def labelled_replies(self) -> int:
        """How many of its replies carry a recorded label."""
        ...


@runtime_checkable
class ChecksPrompts(Protocol):
    """A resolved pair that can tell before any work whether it answers a run's prompts."""

    def check_prompts(self, prompts: Sequence[str]) -> None:
        """Fail unless both sides answer every generate-mode prompt of the run.

        Raises:
            WarmthError: Says what is missing and how to fix it.
        """
        ...


class ResolvedModel(Protocol):
    """One located model that is not part of the comparison (e.g. a judge)."""

    def describe(self) -> str:
        """A short name for messages."""
        ...

    def load(self, options: LoadOptions, beside: ModelPair) -> Side:
        """Load it; ``beside`` is the loaded pair, whose weights it may share.

        Raises:
            WarmthError: The model cannot be loaded.
        """
        ...


class Backend(Protocol):
    """Turns model specs into sides. Registered by name (see :mod:`.registry`)."""

    def claims(self, spec: str, cwd: Path) -> bool:
        """Whether a spec without a scheme prefix is this backend's (e.g. an existing path)."""
        ...

    def resolve(self, request: ModelRequest) -> ResolvedPair:
        """Locate and check both models, without loading anything heavy.

        Raises:
            WarmthError: A spec is unusable; the message says how to fix it.
        """
        ...

    def resolve_model(self, spec: str, request: ModelRequest) -> ResolvedModel:
        """Locate one more model (``spec`` without its prefix) for the same run.

        Raises:
            WarmthError: The spec is unusable.
        """
        ...
