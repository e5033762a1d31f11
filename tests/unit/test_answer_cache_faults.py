"""The answer cache under faults: locks held by other processes, another program's database,
real corruption, a full or read-only disk, concurrent creation, and xdist workers' lanes."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth import answer_cache  # noqa: E402
from pytest_warmth.answer_cache import (  # noqa: E402
    AnswerCache,
    CacheUnavailable,
    worker_lane,
)
from pytest_warmth.backends import hf  # noqa: E402
from pytest_warmth.backends.hf.sides import HFSide  # noqa: E402
from pytest_warmth.backends.hf.spec import ModelSpec, SpecKind  # noqa: E402
from pytest_warmth.backends.protocol import LoadOptions  # noqa: E402
from pytest_warmth.cached_side import CachedSide, CacheStats  # noqa: E402

PROMPTS = [f"what is the answer to question {i}" for i in range(12)]
CHOICES = [["alpha", "beta gamma", "delta"]] * 12

# Another process that takes the file's lock, writes a row, says so, holds it, then commits.
HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":  # nobody may even read (a VACUUM, a backup, another tool)
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    db.execute("BEGIN EXCLUSIVE")
else:  # another writer: readers go on, writers wait
    db.execute("BEGIN IMMEDIATE")
db.execute("INSERT OR REPLACE INTO answers VALUES ('held', '[1]')")
print("locked", flush=True)
time.sleep(float(sys.argv[3]))
db.execute("COMMIT")
"""


@pytest.fixture(scope="module")
def tiny(random_model: Path) -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model).eval()
    return model, transformers.AutoTokenizer.from_pretrained(random_model)


def scorer(cache: AnswerCache | None, tiny: tuple[Any, Any]) -> CachedSide:
    """The tiny model through ``cache``, committing after every batch of 4."""
    identity = hf.side_identity(["w"], LoadOptions(dtype="float32", batch_size=4), "cpu")
    side = HFSide(
        tiny[0], tiny[1], spec=ModelSpec("tiny", SpecKind.DIRECTORY), device="cpu",
        batch_size=4, identity=identity,
    )  # fmt: skip
    return CachedSide(side, cache, CacheStats(), 4)


@pytest.fixture
def hold_lock() -> Iterator[Any]:
    """Start a process holding the cache file's lock; each is ended after the test."""
    started: list[subprocess.Popen[str]] = []

    def hold(path: Path, mode: str, seconds: float) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), mode, str(seconds)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        return process

    yield hold
    for process in started:
        process.kill()
        process.wait()


def put(directory: Path, entries: dict[str, Any]) -> Path:
    """Store ``entries`` and close the file (another process may then lock it)."""
    cache = AnswerCache.in_directory(directory)
    cache.put(entries)
    cache.close()
    return cache.path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_lock_held_briefly_is_waited_for_and_the_other_runs_answers_are_kept(
    tmp_path: Path, hold_lock: Any
) -> None:
    holder = hold_lock(put(tmp_path, {"mine": [2]}), "exclusive", 1.5)
    start = time.monotonic()
    cache = AnswerCache.in_directory(tmp_path, timeout=30)
    assert time.monotonic() - start >= 1.0  # it waited for the other process's commit
    assert holder.wait(timeout=30) == 0
    assert cache.rebuilt is None
    assert cache.get(["mine", "held"]) == {"mine": [2], "held": [1]}
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_a_lock_held_too_long_leaves_the_file_alone(tmp_path: Path, hold_lock: Any) -> None:
    path = put(tmp_path, {"mine": [2]})
    holder = hold_lock(path, "exclusive", 60)
    with pytest.raises(CacheUnavailable, match=r"is locked by another process \(waited 1s\)"):
        AnswerCache(path, timeout=1)
    holder.kill()
    holder.wait()
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert AnswerCache(path).get(["mine"]) == {"mine": [2]}


def test_a_writer_holding_the_lock_mid_run_turns_the_cache_off_once(
    tmp_path: Path, hold_lock: Any, tiny: tuple[Any, Any]
) -> None:
    said: list[str] = []
    cache = AnswerCache.in_directory(tmp_path, timeout=1, notify=said.append)
    hold_lock(cache.path, "write", 60)
    side = scorer(cache, tiny)
    scores = side.score_choices(PROMPTS, CHOICES)  # three chunks, three puts
    assert said == [f"{cache.path} is locked by another process (waited 1s)"]
    assert cache.off == said[0]
    assert scores == scorer(None, tiny).score_choices(PROMPTS, CHOICES)
    assert (side.stats.reused, side.stats.computed) == (0, 12)
    assert not list(tmp_path.glob("*.corrupt-*"))


@pytest.mark.parametrize(
    ("pragma", "error"),
    [("max_page_count", "database or disk is full"), ("query_only", "readonly database")],
    ids=["full", "read-only"],
)
def test_a_full_or_read_only_disk_mid_run_turns_the_cache_off_once(
    tmp_path: Path, tiny: tuple[Any, Any], pragma: str, error: str
) -> None:
    said: list[str] = []
    cache = AnswerCache.in_directory(tmp_path, notify=said.append)
    cache.put({"filler": ["x" * 3500]})  # the pages are full: the next answers need another
    # What SQLite reports for a full disk, or for a read-only one:
    (pages,) = cache._db.execute("PRAGMA page_count").fetchone()
    cache._db.execute(f"PRAGMA {pragma} = {pages if pragma == 'max_page_count' else 1}")
    side = scorer(cache, tiny)
    scores = side.score_choices(PROMPTS, CHOICES)  # three chunks: three puts
    assert len(said) == 1
    assert said[0].startswith(f"{cache.path}: ")
    assert error in said[0]
    assert cache.off == said[0]
    assert scores == scorer(None, tiny).score_choices(PROMPTS, CHOICES)
    assert (side.stats.reused, side.stats.computed) == (0, 12)
    assert AnswerCache(cache.path).get(["filler"]) == {"filler": ["x" * 3500]}
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_another_programs_database_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / answer_cache.FILE_NAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO contacts VALUES ('Ada', '555')")
    db.close()
    before = sha256(path)
    with pytest.raises(CacheUnavailable) as raised:
        AnswerCache(path)
    assert str(raised.value) == (
        f"{path} is another program's SQLite database (tables: contacts, meta), not an "
        "answer cache; left untouched"
    )
    assert sha256(path) == before
    assert not list(tmp_path.glob(f"{answer_cache.FILE_NAME}?*"))  # no WAL, nothing aside


def test_a_table_named_answers_with_rows_but_no_schema_is_not_ours(tmp_path: Path) -> None:
    path = tmp_path / answer_cache.FILE_NAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE answers (question TEXT, reply TEXT)")
        db.execute("INSERT INTO answers VALUES ('why', 'because')")
    db.close()
    before = sha256(path)
    with pytest.raises(CacheUnavailable, match="another program's SQLite database"):
        AnswerCache(path)
    assert sha256(path) == before


def test_a_truncated_cache_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    cache.put({f"key-{i}": ["x" * 200] for i in range(400)})
    cache.close()
    path = cache.path
    size = path.stat().st_size
    assert size > 40_000
    with path.open("r+b") as handle:  # pages lost mid-file, the header intact
        handle.seek(size // 2)
        handle.write(b"\x00" * 8192)
    again = AnswerCache(path)
    assert again.rebuilt is not None
    assert "moved to answers.sqlite.corrupt-" in again.rebuilt
    (aside,) = tmp_path.glob("answers.sqlite.corrupt-*")
    assert aside.stat().st_size == size
    assert len(again) == 0


def test_many_processes_creating_the_cache_at_once_all_open_it(tmp_path: Path) -> None:
    start = time.time() + 2.0
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pytest_warmth.answer_cache import AnswerCache\n"
        f"time.sleep(max(0.0, {start} - time.time()))\n"
        "cache = AnswerCache.in_directory(Path(sys.argv[1]))\n"
        "cache.put({sys.argv[2]: [1]})\n"
        "print(cache.rebuilt)\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), f"p{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [(p.returncode, out) for p, (out, _) in zip(processes, outputs, strict=True)] == [
        (0, "None\n")
    ] * 8, [err for _, err in outputs]
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert AnswerCache.in_directory(tmp_path).get([f"p{i}" for i in range(8)]) == {
        f"p{i}": [1] for i in range(8)
    }


def test_worker_lane_reads_the_xdist_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert worker_lane() == (0, 1)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    assert worker_lane() == (3, 4)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1")
    assert worker_lane() == (0, 1)


def test_a_second_worker_starts_apart_and_takes_chunks_stored_meanwhile(
    tmp_path: Path, tiny: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = scorer(AnswerCache.in_directory(tmp_path), tiny)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    second = scorer(AnswerCache.in_directory(tmp_path), tiny)
    assert second.cache is not None
    assert second.cache.lane == (1, 2)
    real = second.inner.score_choices
    asked: list[list[str]] = []

    def meanwhile(prompts: Any, choices: Any, **kwargs: Any) -> Any:
        if not asked:  # the other worker commits the first chunk while this one computes
            first.score_choices(PROMPTS[:4], CHOICES[:4])
        asked.append(list(prompts))
        return real(prompts, choices, **kwargs)

    monkeypatch.setattr(second.inner, "score_choices", meanwhile)
    scores = second.score_choices(PROMPTS, CHOICES)
    assert asked == [PROMPTS[4:8], PROMPTS[8:12]]  # chunks 1 and 2; chunk 0 was taken
    assert (second.stats.reused, second.stats.computed) == (4, 8)
    assert scores == scorer(None, tiny).score_choices(PROMPTS, CHOICES)
