"""The transformers backend's sides: a loaded module in one mode, answering through the engine.

A PEFT adapter pair is one module in two modes (adapter disabled for the base, enabled or
folded into the weights for the tuned side). Switching is not free (``disable_adapter``
inspects every layer; folding rewrites the weights), so a side switches the module only when
a call must compute, and a :meth:`HFSide.hold` keeps the mode across calls until it ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pytest_warmth.backends.hf import engine
from pytest_warmth.backends.hf.spec import ModelSpec
from pytest_warmth.backends.protocol import CHAT, GENERATE, MC, TEXT, ChoiceScore, Progress, Prompt

Enter = Callable[[], contextlib.AbstractContextManager[Any]]
"""Returns a context manager under which a module behaves as one side."""


class ModuleState:
    """Which side's mode one module is in, entered on demand and left when no hold remains."""

    def __init__(self) -> None:
        self._mode: object = None
        self._stack = contextlib.ExitStack()
        self._holds = 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the mode entered inside until the outermost hold ends."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            if self._holds == 0:
                self._leave()

    def use(self, mode: object, enter: Enter) -> None:
        """Put the module into ``mode`` (entering it with ``enter``) unless it is there."""
        if self._mode is mode:
            return
        self._leave()
        self._stack.enter_context(enter())
        self._mode = mode

    def _leave(self) -> None:
        self._stack.close()
        self._stack = contextlib.ExitStack()
        self._mode = None


class HFSide:
    """One side of a transformers comparison: a :class:`~pytest_warmth.backends.protocol.Side`.

    Attributes:
        module: The torch module that computes this side's logits (HF-specific; the gate
            never reads it).
        tokenizer: The tokenizer shared by both sides.
        spec: Where the weights came from.
    """

    def __init__(
        self,
        module: Any,
        tokenizer: Any,
        *,
        spec: ModelSpec,
        device: str,
        batch_size: int,
        identity: str | None,
        state: ModuleState | None = None,
        enter: Enter = contextlib.nullcontext,
    ) -> None:
        self.module = module
        self.tokenizer = tokenizer
        self.spec = spec
        self.device = device
        self.batch_size = batch_size
        self._identity = identity
        self._state = state or ModuleState()
        self._enter = enter

    @property
    def identity(self) -> str | None:
        """Weights, versions and numeric settings; ``None`` when the weights are not local."""
        return self._identity

    @property
    def capabilities(self) -> frozenset[str]:
        """Multiple choice, generation and plain-text scoring; conversations too."""
        return frozenset({MC, GENERATE, TEXT, CHAT})

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Keep the module in this side's mode across calls (entered on the first compute)."""
        return self._state.hold()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """The module in this side's mode for the duration (for code that uses it directly)."""
        with self._state.hold():
            self._state.use(self, self._enter)
            yield

    def score_choices(
        self,
        prompts: Sequence[Prompt],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        """:func:`pytest_warmth.backends.hf.engine.score_choices` in this side's mode."""
        with self.active():
            return engine.score_choices(
                self.module, self.tokenizer, prompts, choices, batch_size=self.batch_size,
                device=self.device, progress=progress,
            )  # fmt: skip

    def generate(
        self, prompts: Sequence[Prompt], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        """:func:`pytest_warmth.backends.hf.engine.generate` in this side's mode."""
        with self.active():
            return engine.generate(
                self.module, self.tokenizer, prompts, max_new_tokens=max_new_tokens,
                batch_size=self.batch_size, device=self.device, progress=progress,
            )  # fmt: skip

    def score_text(
        self, requests: Sequence[tuple[str, str]], *, progress: Progress | None = None
    ) -> list[ChoiceScore]:
        """:func:`pytest_warmth.backends.hf.engine.score_tokens` on each part tokenised alone.

        Raises:
            ValueError: A continuation encodes to no tokens.
        """
        encoded: dict[str, list[int]] = {}

        def ids(text: str) -> list[int]:
            if text not in encoded:
                encoded[text] = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
            return encoded[text]

        pairs = []
        for context, continuation in requests:
            if not ids(continuation):
                raise ValueError(f"continuation {continuation!r} encodes to no tokens")
            pairs.append((ids(context), ids(continuation)))
        done = [0]

        def counted(batch: Sequence[int]) -> None:
            done[0] += len(batch)
            if progress is not None:
                progress(done[0], len(pairs))

        with self.active():
            return engine.score_tokens(
                self.module, self.tokenizer, pairs, self.batch_size, self.device, counted
            )
