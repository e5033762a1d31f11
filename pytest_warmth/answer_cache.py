"""A persistent cache of model answers that wraps any side, keyed by what the side computes.

Every answer (the scores of one prompt's choices, one generated reply, one text score) is
stored under a SHA-256 of: the side's :attr:`~pytest_warmth.backends.protocol.Side.identity`
(which the backend derives from what determines its numbers: for the transformers backend the
content hash of the weight files, library versions, dtype, device and batch size), the request
kind with its settings, and the exact request. Never by a path or a name: the base model's
answers are reused by every later run on the same base, and retraining an adapter only pays
for the tuned side. A side whose identity is ``None`` is answered and memoised for the run, but
never stored.

The store is one SQLite file in a user cache directory. Answers are committed in chunks as
they are computed, so an interrupted run keeps what it finished and the next run resumes. A
file that is not a readable cache of this schema is moved aside, reported and rebuilt; a
stored value of the wrong shape is recomputed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_warmth.backends.protocol import ChoiceScore, Progress, Side

SCHEMA = 1
"""Layout of the SQLite file; another value rebuilds it."""
KEY_VERSION = 2
"""How keys are formed (2: from the side's identity); part of every key."""
FILE_NAME = "answers.sqlite"
CHUNK_BATCHES = 8
"""Batches computed between two commits (what an interruption can lose at most)."""


def digest(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts``."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AnswerCache:
    """The SQLite file: ``get`` and ``put`` JSON values under hex keys.

    Attributes:
        path: The database file.
        rebuilt: Why an unreadable file was moved aside and replaced, or ``None``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rebuilt: str | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.rebuilt = f"{path} was unreadable ({exc}); moved to {aside.name} and rebuilt"
            self._db = self._open()

    @classmethod
    def in_directory(cls, directory: Path) -> AnswerCache:
        """The cache file inside ``directory`` (created when missing)."""
        return cls(directory / FILE_NAME)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {check}")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            elif row[0] != str(SCHEMA):
                raise sqlite3.DatabaseError(f"schema {row[0]}, expected {SCHEMA}")
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, keys: Sequence[str]) -> dict[str, Any]:
        """The stored values of whichever ``keys`` are present (undecodable ones are absent)."""
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, value FROM answers WHERE key IN ({marks})"
            for key, value in self._db.execute(query, chunk):
                try:
                    found[key] = json.loads(value)
                except ValueError:
                    continue
        return found

    def put(self, entries: Mapping[str, Any]) -> None:
        """Store ``entries`` in one transaction: all of them or, if interrupted, none."""
        rows = [(key, json.dumps(value)) for key, value in entries.items()]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?)", rows)

    def __len__(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the connection (everything put is already committed)."""
        self._db.close()


@dataclass
class CacheStats:
    """How many answers a run reused and computed."""

    reused: int = 0
    computed: int = 0


@dataclass
class CachedSide:
    """Any :class:`~pytest_warmth.backends.protocol.Side`, answering from the cache first.

    What is not stored is computed by the wrapped side in chunks of ``chunk`` prompts (the
    same chunks with or without a cache, so a cached and an uncached run form the same
    batches), each chunk committed as it finishes, all inside one hold of the wrapped side.
    It is a side itself.

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
        prompts: Sequence[str],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        """The wrapped side's scores, reusing stored ones."""
        keys = [self._key("mc", p, list(c)) for p, c in zip(prompts, choices, strict=True)]

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
        self, prompts: Sequence[str], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        """The wrapped side's replies, reusing stored ones."""
        keys = [self._key("generate", max_new_tokens, p) for p in prompts]

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
        missing = []
        reused = 0
        for i, key in enumerate(keys):
            if values[i] is not None:
                continue
            if key in stored and valid(i, stored[key]):
                values[i] = self.memo[key] = stored[key]
                reused += 1
            else:
                missing.append(i)
        done = len(keys) - len(missing)
        self.stats.reused += reused
        if progress is not None and done:
            progress(done, len(keys))
        if not missing:
            return values
        with self.inner.hold():
            for start in range(0, len(missing), self.chunk):
                chunk = missing[start : start + self.chunk]
                computed = compute(chunk)
                if store is not None:
                    store.put({keys[i]: v for i, v in zip(chunk, computed, strict=True)})
                for i, value in zip(chunk, computed, strict=True):
                    values[i] = self.memo[keys[i]] = value
                self.stats.computed += len(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(keys))
        return values
