"""The answer cache: content-keyed hits, misses on every changed input, interruption, corruption."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth import answer_cache, engine  # noqa: E402
from pytest_warmth.answer_cache import AnswerCache, CachedScorer, CacheStats, side_id  # noqa: E402

PROMPTS = [f"what is the answer to question {i}" for i in range(12)]
CHOICES = [["alpha", "beta gamma", "delta"]] * 12


@pytest.fixture(scope="module")
def tiny(random_model: Path) -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model).eval()
    return model, transformers.AutoTokenizer.from_pretrained(random_model)


def scorer(cache: AnswerCache | None, weights: str = "w1", **settings: Any) -> CachedScorer:
    knobs = {"dtype": "float32", "device": "cpu", "batch_size": 4, **settings}
    return CachedScorer(cache, side_id([weights], **knobs), CacheStats())


def test_second_run_reuses_every_answer_and_returns_the_same_numbers(
    tmp_path: Path, tiny: tuple[Any, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    first = scorer(cache)
    scores = first.score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)
    assert (first.stats.reused, first.stats.computed) == (0, 12)
    again = scorer(AnswerCache.in_directory(tmp_path))  # a new process would reopen the file
    assert again.score_choices(*tiny, PROMPTS, CHOICES, batch_size=4) == scores
    assert (again.stats.reused, again.stats.computed) == (12, 0)
    replies = again.generate(*tiny, PROMPTS[:3], max_new_tokens=2, batch_size=4)
    assert again.generate(*tiny, PROMPTS[:3], max_new_tokens=2, batch_size=4) == replies
    assert again.stats.computed == 3


def test_uncached_scorer_matches_the_engine(tiny: tuple[Any, Any]) -> None:
    plain = engine.score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)
    assert scorer(None).score_choices(*tiny, PROMPTS, CHOICES, batch_size=4) == plain


@pytest.mark.parametrize(
    "change",
    [
        {"weights": "w2"},  # other weights or adapter files
        {"dtype": "bfloat16"},
        {"device": "cuda"},
        {"batch_size": 8},
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_changed_side_input_misses(
    tmp_path: Path, tiny: tuple[Any, Any], change: dict[str, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    scorer(cache).score_choices(*tiny, PROMPTS[:2], CHOICES[:2], batch_size=4)
    other = scorer(cache, **change)
    other.score_choices(*tiny, PROMPTS[:2], CHOICES[:2], batch_size=4)
    assert (other.stats.reused, other.stats.computed) == (0, 2)


def test_changed_prompt_choices_or_generation_settings_miss(
    tmp_path: Path, tiny: tuple[Any, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    warm = scorer(cache)
    warm.score_choices(*tiny, PROMPTS[:2], CHOICES[:2], batch_size=4)
    warm.generate(*tiny, PROMPTS[:2], max_new_tokens=2, batch_size=4)
    probe = scorer(cache)
    probe.score_choices(*tiny, [PROMPTS[0] + "?", PROMPTS[1]], CHOICES[:2], batch_size=4)
    assert (probe.stats.reused, probe.stats.computed) == (1, 1)
    probe = scorer(cache)
    probe.score_choices(*tiny, PROMPTS[:2], [["alpha", "beta"], CHOICES[1]], batch_size=4)
    assert (probe.stats.reused, probe.stats.computed) == (1, 1)
    probe = scorer(cache)
    probe.generate(*tiny, PROMPTS[:2], max_new_tokens=3, batch_size=4)
    assert (probe.stats.reused, probe.stats.computed) == (0, 2)


def test_asking_again_in_the_same_run_reads_the_memo(
    tiny: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a cache, a second ask (per cell, after the prefetch) computes nothing."""
    uncached = scorer(None)
    first = uncached.score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)
    monkeypatch.setattr(engine, "score_choices", lambda *a, **k: pytest.fail("recomputed"))
    assert uncached.score_choices(*tiny, PROMPTS[::-1], CHOICES[::-1], batch_size=4) == first[::-1]
    assert (uncached.stats.reused, uncached.stats.computed) == (0, len(PROMPTS))


def test_side_identity_includes_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    before = side_id(["w"], dtype="float32", device="cpu", batch_size=4)
    monkeypatch.setattr(answer_cache, "library_versions", lambda: {"torch": "0.0"})
    assert side_id(["w"], dtype="float32", device="cpu", batch_size=4) != before


def test_an_interrupted_run_keeps_finished_chunks_and_resumes(
    tmp_path: Path, tiny: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answer_cache, "CHUNK_BATCHES", 1)  # commit after every batch of 4
    real = engine.score_choices
    calls = []

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[2]))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "score_choices", interrupted)
    cache = AnswerCache.in_directory(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        scorer(cache).score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)
    assert len(AnswerCache.in_directory(tmp_path)) == 4
    monkeypatch.setattr(engine, "score_choices", real)
    resumed = scorer(AnswerCache.in_directory(tmp_path))
    scores = resumed.score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)
    assert (resumed.stats.reused, resumed.stats.computed) == (4, 8)
    assert scores == scorer(None).score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)


def test_a_file_that_is_not_a_database_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / answer_cache.FILE_NAME
    path.write_bytes(b"this is not sqlite" * 100)
    cache = AnswerCache(path)
    assert cache.rebuilt is not None
    assert "moved to" in cache.rebuilt
    assert [p.name for p in tmp_path.glob("*.corrupt-*")]
    cache.put({"k": [1]})
    assert cache.get(["k"]) == {"k": [1]}


def test_a_cache_of_another_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / answer_cache.FILE_NAME
    AnswerCache(path).put({"k": [1]})
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    cache = AnswerCache(path)
    assert cache.rebuilt is not None
    assert "schema" in cache.rebuilt
    assert cache.get(["k"]) == {}


def test_a_stored_value_of_the_wrong_shape_is_recomputed(
    tmp_path: Path, tiny: tuple[Any, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    first = scorer(cache)
    good = first.score_choices(*tiny, PROMPTS[:1], CHOICES[:1], batch_size=4)
    (key,) = cache.get([k for k in _keys(cache)])
    cache.put({key: [[0.0, 1]]})  # one choice's score where three are needed
    with sqlite3.connect(cache.path) as db:
        db.execute("INSERT OR REPLACE INTO answers VALUES ('junk', 'not json')")
    again = scorer(cache)
    assert again.score_choices(*tiny, PROMPTS[:1], CHOICES[:1], batch_size=4) == good
    assert (again.stats.reused, again.stats.computed) == (0, 1)
    assert cache.get(["junk"]) == {}


def _keys(cache: AnswerCache) -> list[str]:
    with sqlite3.connect(cache.path) as db:
        return [row[0] for row in db.execute("SELECT key FROM answers")]
