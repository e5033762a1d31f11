"""A persistent cache of model answers, keyed by content, never by a path or a name.

Every answer (the scores of one prompt's choices, or one generated reply) is stored under a
SHA-256 of: the content hash of the side's weight files (base weights, plus the adapter's for
an adapter), the library versions and numeric settings that can change a number (dtype, device,
batch size, torch/transformers/peft versions, this module's scorer version), the scoring mode
with its settings, and the exact prompt and choices. So the base model's answers are reused by
every later run on the same base, and retraining an adapter only pays for the tuned side.

The store is one SQLite file in a user cache directory. Answers are committed in chunks as
they are computed, so an interrupted run keeps what it finished and the next run resumes. A
file that is not a readable cache of this schema is moved aside, reported and rebuilt; a
stored value of the wrong shape is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_warmth import engine

SCHEMA = 1
"""Layout of the SQLite file; another value rebuilds it."""
SCORER_VERSION = 5
"""Bumped whenever the engine's numbers could change (5: output projection on gathered rows)."""
FILE_NAME = "answers.sqlite"
CHUNK_BATCHES = 8
"""Batches computed between two commits (what an interruption can lose at most)."""


def default_directory() -> Path:
    """``$PYTEST_WARMTH_CACHE``, else the platform's user cache directory + ``pytest-warmth``."""
    explicit = os.environ.get("PYTEST_WARMTH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "pytest-warmth"


def digest(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts``."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose numerics end up in an answer."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("torch", "transformers", "peft"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


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
class CachedScorer:
    """The engine's ``score_choices`` and ``generate`` for one side, through the cache.

    Prompts are computed in fixed chunks of :data:`CHUNK_BATCHES` batches whether or not a
    cache is attached, so a cached and an uncached run form the same batches.

    Attributes:
        cache: The store, or ``None`` to compute everything and keep nothing.
        side_id: What identifies the side's numbers (weights, versions, settings).
        stats: Counters, shareable between sides.
    """

    cache: AnswerCache | None = None
    side_id: str = ""
    stats: CacheStats = field(default_factory=CacheStats)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    """This run's answers, by key, so asking again (e.g. per cell after
    :func:`pytest_warmth.evaluation.prefetch`) neither recomputes nor counts as reuse."""

    def score_choices(
        self,
        module: Any,
        tokenizer: Any,
        prompts: Sequence[str],
        choices: Sequence[Sequence[str]],
        *,
        batch_size: int = 16,
        device: str = "cpu",
        progress: engine.Progress | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> list[list[engine.ChoiceScore]]:
        """:func:`pytest_warmth.engine.score_choices`, reusing stored scores.

        ``prepare``, when given, is called once before the first score is computed (not at all
        when every answer is stored), e.g. to switch ``module`` into this side's mode.
        """
        keys = [
            digest(self.side_id, "mc", p, list(c)) for p, c in zip(prompts, choices, strict=True)
        ]

        def compute(indices: Sequence[int]) -> list[Any]:
            rows = engine.score_choices(
                module, tokenizer, [prompts[i] for i in indices], [choices[i] for i in indices],
                batch_size=batch_size, device=device,
            )  # fmt: skip
            return [[[s.sum_logprob, s.n_tokens] for s in row] for row in rows]

        def valid(index: int, value: Any) -> bool:
            return (
                isinstance(value, list)
                and len(value) == len(choices[index])
                and all(isinstance(v, list) and len(v) == 2 for v in value)
            )

        values = self._through(keys, compute, valid, batch_size, progress, prepare)
        return [[engine.ChoiceScore(float(s), int(n)) for s, n in row] for row in values]

    def generate(
        self,
        module: Any,
        tokenizer: Any,
        prompts: Sequence[str],
        *,
        max_new_tokens: int = 48,
        batch_size: int = 16,
        device: str = "cpu",
        progress: engine.Progress | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> list[str]:
        """:func:`pytest_warmth.engine.generate`, reusing stored replies.

        ``prepare``: as in :meth:`score_choices`.
        """
        keys = [digest(self.side_id, "generate", max_new_tokens, p) for p in prompts]

        def compute(indices: Sequence[int]) -> list[Any]:
            return engine.generate(
                module, tokenizer, [prompts[i] for i in indices],
                max_new_tokens=max_new_tokens, batch_size=batch_size, device=device,
            )  # fmt: skip

        values = self._through(
            keys, compute, lambda _, v: isinstance(v, str), batch_size, progress, prepare
        )
        return [str(v) for v in values]

    def _through(
        self,
        keys: Sequence[str],
        compute: Callable[[Sequence[int]], list[Any]],
        valid: Callable[[int, Any], bool],
        batch_size: int,
        progress: engine.Progress | None,
        prepare: Callable[[], None] | None = None,
    ) -> list[Any]:
        """Values for ``keys``: this run's, then stored ones, then the rest, computed in chunks."""
        values: list[Any] = [self.memo.get(key) for key in keys]
        asked = [key for key, value in zip(keys, values, strict=True) if value is None]
        stored = self.cache.get(asked) if self.cache is not None and asked else {}
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
        if missing and prepare is not None:
            prepare()
        step = CHUNK_BATCHES * batch_size
        for start in range(0, len(missing), step):
            chunk = missing[start : start + step]
            computed = compute(chunk)
            if self.cache is not None:
                self.cache.put({keys[i]: v for i, v in zip(chunk, computed, strict=True)})
            for i, value in zip(chunk, computed, strict=True):
                values[i] = self.memo[keys[i]] = value
            self.stats.computed += len(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, len(keys))
        return values


def side_id(weight_digests: Sequence[str], *, dtype: str, device: str, batch_size: int) -> str:
    """What identifies one side's numbers: its weight files and every setting that moves them."""
    return digest(
        SCHEMA,
        SCORER_VERSION,
        list(weight_digests),
        library_versions(),
        dtype,
        device,
        batch_size,
    )
