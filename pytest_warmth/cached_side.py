"""The answer cache around any side: :class:`CachedSide` answers from the store first.

What is not stored is computed by the wrapped side in fixed chunks, each committed as it
finishes (see :mod:`pytest_warmth.answer_cache` for the store and how keys are formed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_warmth.answer_cache import CHUNK_BATCHES, KEY_VERSION, SCHEMA, AnswerCache, digest
from pytest_warmth.backends.protocol import ChoiceScore, Progress, Prompt, Side, prompt_key


@dataclass
class CacheStats:
    """How many answers a run reused and computed."""

    reused: int = 0
    computed: int = 0


@dataclass
class CachedSide:
    """Any :class:`~pytest_warmth.backends.protocol.Side`, answering from the cache first.

    It is a side itself. What is not stored is computed by the wrapped side in chunks of
    ``chunk`` prompts (the same with or without a cache, so a cached and an uncached run form
    the same batches), each committed as it finishes, all inside one hold of the wrapped side;
    an xdist worker starts at its share of the chunks and takes those stored meanwhile.

    Attributes:
        inner: The side that computes.
        cache: The store, or ``None`` to compute everything and keep nothing.
        stats: Counters, shareable between sides.
        chunk: Prompts computed between two commits (what an interruption can lose at most).
    """

    inner: Side
    cache: AnswerCache | None = None
    stats: CacheStats = field(default_factory=CacheStats)
    chunk: int = CHUNK_BATCHES * 16
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    """This run's answers, by key, so asking again (e.g. per cell after
    :func:`pytest_warmth.evaluation.prefetch`) neither recomputes nor counts as reuse."""

    @property
    def identity(self) -> str | None:
        """The wrapped side's identity."""
        return self.inner.identity

    @property
    def capabilities(self) -> frozenset[str]:
        """The wrapped side's capabilities."""
        return self.inner.capabilities

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """The wrapped side's hold."""
        return self.inner.hold()

    def _key(self, *request: Any) -> str:
        return digest(SCHEMA, KEY_VERSION, self.inner.identity, *request)

    def score_choices(
        self,
        prompts: Sequence[Prompt],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        """The wrapped side's scores, reusing stored ones."""
        keys = [
            self._key("mc", prompt_key(p), list(c)) for p, c in zip(prompts, choices, strict=True)
        ]

        def compute(indices: Sequence[int]) -> list[Any]:
            rows = self.inner.score_choices(
                [prompts[i] for i in indices], [choices[i] for i in indices]
            )
            return [[[s.sum_logprob, s.n_tokens] for s in row] for row in rows]

        def valid(index: int, value: Any) -> bool:
            return (
                isinstance(value, list)
                and len(value) == len(choices[index])
                and all(isinstance(v, list) and len(v) == 2 for v in value)
            )

        values = self._through(keys, compute, valid, progress)
        return [[ChoiceScore(float(s), int(n)) for s, n in row] for row in values]

    def generate(
        self, prompts: Sequence[Prompt], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        """The wrapped side's replies, reusing stored ones."""
        keys = [self._key("generate", max_new_tokens, prompt_key(p)) for p in prompts]

        def compute(indices: Sequence[int]) -> list[Any]:
            asked = [prompts[i] for i in indices]
            return list(self.inner.generate(asked, max_new_tokens=max_new_tokens))

        values = self._through(keys, compute, lambda _, v: isinstance(v, str), progress)
        return [str(v) for v in values]

    def score_text(
        self, requests: Sequence[tuple[str, str]], *, progress: Progress | None = None
    ) -> list[ChoiceScore]:
        """The wrapped side's text scores, reusing stored ones."""
        keys = [self._key("text", context, text) for context, text in requests]

        def compute(indices: Sequence[int]) -> list[Any]:
            scores = self.inner.score_text([requests[i] for i in indices])
            return [[s.sum_logprob, s.n_tokens] for s in scores]

        def valid(_: int, value: Any) -> bool:
            return isinstance(value, list) and len(value) == 2

        values = self._through(keys, compute, valid, progress)
        return [ChoiceScore(float(s), int(n)) for s, n in values]

    def _through(
        self,
        keys: Sequence[str],
        compute: Callable[[Sequence[int]], list[Any]],
        valid: Callable[[int, Any], bool],
        progress: Progress | None,
    ) -> list[Any]:
        """Values for ``keys``: this run's, then stored ones, then the rest, computed in chunks."""
        values: list[Any] = [self.memo.get(key) for key in keys]
        store = self.cache if self.inner.identity is not None else None
        asked = [key for key, value in zip(keys, values, strict=True) if value is None]
        stored = store.get(asked) if store is not None and asked else {}
        missing: list[int] = []
        repeated: list[int] = []  # asked twice in one call (e.g. a first turn two cells share)
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if values[i] is not None:
                continue
            if key in seen:
                repeated.append(i)
            elif key in stored and valid(i, stored[key]):
                values[i] = self.memo[key] = stored[key]
                self.stats.reused += 1
            else:
                missing.append(i)
            seen.add(key)
        done = len(keys) - len(missing)
        if progress is not None and done:
            progress(done, len(keys))
        if missing:
            self._compute(keys, values, missing, compute, valid, progress, done)
        for i in repeated:
            values[i] = self.memo[keys[i]]
        return values

    def _compute(
        self,
        keys: Sequence[str],
        values: list[Any],
        missing: list[int],
        compute: Callable[[Sequence[int]], list[Any]],
        valid: Callable[[int, Any], bool],
        progress: Progress | None,
        done: int,
    ) -> None:
        """Compute ``missing`` in chunks, each committed (or taken from another worker)."""
        store = self.cache if self.inner.identity is not None else None
        chunks = [missing[s : s + self.chunk] for s in range(0, len(missing), self.chunk)]
        index, count = store.lane if store is not None else (0, 1)
        first = len(chunks) * index // count  # xdist workers start apart and meet
        with self.inner.hold():
            for n, chunk in enumerate(chunks[first:] + chunks[:first]):
                found = store.get([keys[i] for i in chunk]) if store is not None and n else {}
                if all(keys[i] in found and valid(i, found[keys[i]]) for i in chunk):
                    computed = [found[keys[i]] for i in chunk]  # another worker's, meanwhile
                    self.stats.reused += len(chunk)
                else:
                    computed = compute(chunk)
                    if store is not None:
                        store.put({keys[i]: v for i, v in zip(chunk, computed, strict=True)})
                    self.stats.computed += len(chunk)
                for i, value in zip(chunk, computed, strict=True):
                    values[i] = self.memo[keys[i]] = value
                done += len(chunk)
                if progress is not None:
                    progress(done, len(keys))
