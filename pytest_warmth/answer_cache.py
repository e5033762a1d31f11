"""A persistent cache of model answers that wraps any side, keyed by what the side computes.

Every answer (the scores of one prompt's choices, one generated reply, one text score) is
stored under a SHA-256 of: the side's :attr:`~pytest_warmth.backends.protocol.Side.identity`
(which the backend derives from what determines its numbers: for the transformers backend the
content hash of the weight files, library versions, dtype, device and batch size), the request
kind with its settings, and the exact request. Never by a path or a name: the base model's
answers are reused by every later run on the same base, and retraining an adapter only pays
for the tuned side. A side whose identity is ``None`` is answered and memoised, never stored.

One SQLite file in a user cache directory, shared by concurrent runs (WAL, busy timeout,
retries), committed in chunks (an interrupted run keeps them; xdist workers start on different
chunks and take each other's). A file that is no readable cache of this schema is moved aside
and rebuilt; another program's database is left alone; a cache locked too long or on a full or
read-only disk goes off, never failing the run; a stored value of the wrong shape is recomputed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

SCHEMA = 1
"""Layout of the SQLite file; another value rebuilds it."""
KEY_VERSION = 2
"""How keys are formed (2: from the side's identity); part of every key."""
FILE_NAME = "answers.sqlite"
CHUNK_BATCHES = 8
"""Batches computed between two commits (what an interruption can lose at most)."""
BUSY_TIMEOUT = 30.0
"""Seconds to wait for another process's lock before going on without the cache."""
TABLES = frozenset({"meta", "answers"})
"""A cache file's tables; a file with any other table belongs to another program."""
_BUSY, _DAMAGED = {5, 6}, {11, 26}  # SQLITE_BUSY/LOCKED: retry; CORRUPT/NOTADB: move aside
_MESSAGES = {"database is locked": 5, "database table is locked": 6,  # Python < 3.11
             "database disk image is malformed": 11, "file is not a database": 26}  # fmt: skip
_CREATE = f"""BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA}');
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL);
COMMIT;"""
T = TypeVar("T")


def digest(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts``."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def worker_lane() -> tuple[int, int]:
    """This process's place among pytest-xdist workers, ``(index, count)``; ``(0, 1)`` alone."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if name[:2] == "gw" and name[2:].isdigit() and count.isdigit() and int(count) > 1:
        return int(name[2:]) % int(count), int(count)
    return 0, 1


def error_code(exc: sqlite3.Error) -> int:
    """The primary SQLite result code of ``exc`` (0 when unknown)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    return next((c for text, c in _MESSAGES.items() if text in str(exc)), 0)


class CacheUnavailable(Exception):
    """The cache cannot be used in this run; the message says why in one line."""


class _Damaged(Exception):
    """The file is not a readable cache of this schema: move it aside and start afresh."""


class AnswerCache:
    """The SQLite file: ``get`` and ``put`` JSON values under hex keys.

    Args:
        path: The database file.
        timeout: Seconds to wait for another process's lock (:data:`BUSY_TIMEOUT`).
        notify: Told the reason, once, if the cache goes off mid-run.

    Attributes:
        rebuilt: Why an unreadable file was moved aside and replaced, or ``None``.
        off: Why the cache went off mid-run (every later call misses), or ``None``.
        lane: This process's ``(index, count)`` among xdist workers sharing the file.

    Raises:
        CacheUnavailable: Locked for longer than ``timeout``, another program's database, or
            an unwritable directory or disk.
    """

    def __init__(
        self, path: Path, *, timeout: float | None = None,
        notify: Callable[[str], None] = lambda reason: None,
    ) -> None:  # fmt: skip
        self.path, self.notify = path, notify
        self.timeout = BUSY_TIMEOUT if timeout is None else timeout
        self.rebuilt: str | None = None
        self.off: str | None = None
        self.lane = worker_lane()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
            except _Damaged as exc:
                self._move_aside(str(exc))
                self._db = self._open()
        except (_Damaged, OSError, sqlite3.Error) as exc:
            raise CacheUnavailable(f"cannot use {path}: {exc}") from None

    @classmethod
    def in_directory(cls, directory: Path, **options: Any) -> AnswerCache:
        """The cache file inside ``directory`` (created when missing)."""
        return cls(directory / FILE_NAME, **options)

    def _open(self) -> sqlite3.Connection:
        self._inode = self.path.stat().st_ino if self.path.exists() else None
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            self._retry(lambda: self._prepare(db))
        except BaseException as exc:
            db.close()
            if isinstance(exc, sqlite3.DatabaseError) and error_code(exc) in _DAMAGED:
                raise _Damaged(str(exc)) from None
            raise
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        """Check that ``db`` is a cache of this schema (or empty) and create what is missing."""
        query = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'"
        tables = {name for (name,) in db.execute(query)}
        ours = tables <= TABLES
        schema = _schema(db) if ours and "meta" in tables else None
        if schema is None and "answers" in tables:  # answers without a schema are not ours
            ours = ours and db.execute("SELECT 1 FROM answers LIMIT 1").fetchone() is None
        if not ours or schema == "?":
            raise CacheUnavailable(
                f"{self.path} is another program's SQLite database (tables: "
                f"{', '.join(sorted(tables))}), not an answer cache; left untouched"
            )
        if schema is not None and schema != str(SCHEMA):
            raise _Damaged(f"schema {schema}, expected {SCHEMA}")
        db.execute("PRAGMA journal_mode=WAL")
        (check,) = db.execute("PRAGMA quick_check").fetchone()
        if check != "ok":
            raise _Damaged(f"integrity check: {check}")
        if schema is None or "answers" not in tables:
            db.executescript(_CREATE)  # whole or not at all (a failure closes ``db``)

    def _move_aside(self, reason: str) -> None:
        """Move the unreadable file (and its WAL files) aside, unless another run already did."""
        if not self.path.exists() or self.path.stat().st_ino != self._inode:
            return  # another run moved it aside and started afresh
        aside = f"{self.path}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        os.replace(self.path, aside)
        name = Path(aside).name
        self.rebuilt = f"{self.path} was unreadable ({reason}); moved to {name} and rebuilt"

    def _retry(self, action: Callable[[], T]) -> T:
        """``action()``, again while another process holds the lock, up to ``timeout`` seconds."""
        deadline, pause = time.monotonic() + self.timeout, 0.05
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if error_code(exc) not in _BUSY:
                    raise
                if time.monotonic() >= deadline:
                    raise CacheUnavailable(
                        f"{self.path} is locked by another process (waited {self.timeout:g}s)"
                    ) from None
            time.sleep(pause)
            pause = min(2 * pause, 1.0)

    def get(self, keys: Sequence[str]) -> dict[str, Any]:
        """The stored values of whichever ``keys`` are present (undecodable ones are absent)."""

        def read() -> list[tuple[str, str]]:
            rows: list[tuple[str, str]] = []
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows += self._db.execute(f"SELECT * FROM answers WHERE key IN ({marks})", chunk)
            return rows

        found: dict[str, Any] = {}
        for key, value in self._use(read, list[tuple[str, str]]()):
            with contextlib.suppress(ValueError):
                found[key] = json.loads(value)
        return found

    def put(self, entries: Mapping[str, Any]) -> None:
        """Store ``entries`` in one transaction: all of them or, if interrupted, none."""
        rows = [(key, json.dumps(value)) for key, value in entries.items()]

        def write() -> None:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?)", rows)

        self._use(write, None)

    def _use(self, action: Callable[[], T], otherwise: T) -> T:
        """``action()`` with retries; on a failure the cache goes off, said once: ``otherwise``."""
        if self.off is not None:
            return otherwise
        try:
            return self._retry(action)
        except (CacheUnavailable, sqlite3.Error) as exc:
            self.off = str(exc) if isinstance(exc, CacheUnavailable) else f"{self.path}: {exc}"
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self.notify(self.off)
            return otherwise

    def __len__(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the connection (everything put is already committed)."""
        self._db.close()


def _schema(db: sqlite3.Connection) -> str | None:
    """The schema row of ``meta``: ``None`` when absent, ``"?"`` when ``meta`` is not ours."""
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError as exc:
        if error_code(exc) in _BUSY:
            raise
        return "?"
    return None if row is None else str(row[0])


def open_for_run(directory: Path | None, say: Callable[[str], None]) -> AnswerCache | None:
    """A run's cache in ``directory``, or ``None`` (said once why) when off or unusable.

    The cache only saves time: a locked, foreign, full or unwritable one never fails the
    run, and one that fails mid-run goes off, said once, for the rest of it.
    """
    if directory is None:
        return None

    def went_off(reason: str) -> None:
        say(f"warmth: answer cache off for the rest of the run: {reason}")

    try:
        cache = AnswerCache.in_directory(directory, notify=went_off)
    except CacheUnavailable as exc:
        say(f"warmth: answer cache off: {exc}; every answer is computed, none stored")
        return None
    if cache.rebuilt:
        say(f"warmth: answer cache: {cache.rebuilt}")
    return cache
