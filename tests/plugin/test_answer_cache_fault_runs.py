"""Real pytest runs with an unusable answer cache: the gate decides as without a cache, says
why once, and never fails on the cache (no traceback, no INTERNALERROR, no file moved aside)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth import answer_cache

HOLD_EXCLUSIVE = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT OR REPLACE INTO answers VALUES ('held', '[1]')")
print("locked", flush=True)
time.sleep(120)
"""


def gate(pytester: pytest.Pytester, adapter: Path, suite: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={adapter}", f"--warmth-probes={suite}",
        "--warmth-suite=tiny", *args,
    )  # fmt: skip


def said(result: pytest.RunResult, start: str) -> list[str]:
    lines = result.stdout.lines + result.stderr.lines
    return [line for line in lines if line.startswith(start)]


def no_crash(result: pytest.RunResult) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output


def test_another_programs_database_is_left_alone_and_the_gate_decides(
    pytester: pytest.Pytester, tiny_suite: Path, beta_adapter: Path
) -> None:
    directory = pytester.path / "shared"
    directory.mkdir()
    path = directory / answer_cache.FILE_NAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = gate(pytester, beta_adapter, tiny_suite, f"--warmth-cache={directory}")
    result.assert_outcomes(failed=4)  # the planted regression is found without the cache
    assert said(result, "warmth: answer cache") == [
        f"warmth: answer cache off: {path} is another program's SQLite database (tables: "
        "invoices), not an answer cache; left untouched; every answer is computed, none stored"
    ]
    result.stdout.fnmatch_lines(["warmth: tiny[[]plain[]] done: 20 items, b=20 c=0 *"])
    no_crash(result)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in directory.iterdir()) == [answer_cache.FILE_NAME]


def test_a_cache_locked_by_another_process_is_waited_for_then_skipped(
    pytester: pytest.Pytester, tiny_suite: Path, zero_adapter: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    directory = pytester.path / "shared"
    cache = answer_cache.AnswerCache.in_directory(directory)
    cache.put({"theirs": [2]})
    cache.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_EXCLUSIVE, str(cache.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(answer_cache, "BUSY_TIMEOUT", 1.0)
        result = gate(pytester, zero_adapter, tiny_suite, f"--warmth-cache={directory}")
    finally:
        holder.kill()
        holder.wait()
    result.assert_outcomes(passed=4)
    assert said(result, "warmth: answer cache") == [
        f"warmth: answer cache off: {cache.path} is locked by another process (waited 1s); "
        "every answer is computed, none stored"
    ]
    no_crash(result)
    assert not list(directory.glob("*.corrupt-*"))
    reopened = answer_cache.AnswerCache(cache.path)
    assert reopened.get(["theirs", "held"]) == {"theirs": [2]}  # the holder never committed
    assert len(reopened) == 1


def test_a_disk_that_fills_up_mid_run_turns_the_cache_off_once(
    pytester: pytest.Pytester, tiny_suite: Path, beta_adapter: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    real = sqlite3.connect

    def small_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = real(*args, **kwargs)
        db.execute("PRAGMA max_page_count = 5")  # room for the empty tables, not for answers
        return db

    monkeypatch.setattr(sqlite3, "connect", small_disk)
    directory = pytester.path / "small"
    result = gate(pytester, beta_adapter, tiny_suite, f"--warmth-cache={directory}")
    result.assert_outcomes(failed=4)
    path = directory / answer_cache.FILE_NAME
    assert said(result, "warmth: answer cache") == [
        f"warmth: answer cache off for the rest of the run: {path}: database or disk is full",
        f"warmth: answer cache {path}: 0 answers reused, 160 computed",
    ]
    result.stdout.fnmatch_lines(["warmth: tiny[[]sad+wrong[]] done: 20 items, b=20 c=0 *"])
    no_crash(result)
    assert not list(directory.glob("*.corrupt-*"))


def test_an_unwritable_default_cache_directory_is_skipped(
    pytester: pytest.Pytester, tiny_suite: Path, zero_adapter: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    parent = pytester.path / "not-mine"
    parent.mkdir()
    parent.chmod(0o555)
    directory = parent / "pytest-warmth"
    monkeypatch.setenv("PYTEST_WARMTH_CACHE", str(directory))
    if os.geteuid() == 0:  # root ignores the mode: fail as the kernel does for anyone else
        real = Path.mkdir

        def denied(self: Path, *args: Any, **kwargs: Any) -> None:
            if self == directory:
                raise PermissionError(13, "Permission denied", str(self))
            real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", denied)
    try:
        result = gate(pytester, zero_adapter, tiny_suite)
    finally:
        parent.chmod(0o755)
    result.assert_outcomes(passed=4)
    assert said(result, "warmth: answer cache") == [
        f"warmth: answer cache off: cannot use {directory / answer_cache.FILE_NAME}: "
        f"[Errno 13] Permission denied: '{directory}'; every answer is computed, none stored"
    ]
    no_crash(result)
    assert not directory.exists()
