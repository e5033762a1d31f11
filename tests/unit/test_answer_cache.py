"""The answer cache: content-keyed hits, misses on every changed input, interruption, corruption."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth import answer_cache  # noqa: E402
from pytest_warmth.answer_cache import CHUNK_BATCHES, AnswerCache  # noqa: E402
from pytest_warmth.backends import hf  # noqa: E402
from pytest_warmth.backends.hf import engine  # noqa: E402
from pytest_warmth.backends.hf.sides import HFSide  # noqa: E402
from pytest_warmth.backends.hf.spec import ModelSpec, SpecKind  # noqa: E402
from pytest_warmth.backends.protocol import LoadOptions  # noqa: E402
from pytest_warmth.cached_side import CachedSide, CacheStats  # noqa: E402

PROMPTS = [f"what is the answer to question {i}" for i in range(12)]
CHOICES = [["alpha", "beta gamma", "delta"]] * 12


@pytest.fixture(scope="module")
def tiny(random_model: Path) -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model).eval()
    return model, transformers.AutoTokenizer.from_pretrained(random_model)


def side_id(weights: list[str], *, dtype: str, device: str, batch_size: int) -> str | None:
    return hf.side_identity(weights, LoadOptions(dtype=dtype, batch_size=batch_size), device)


def scorer(
    cache: AnswerCache | None,
    weights: str = "w1",
    *,
    tiny: tuple[Any, Any],
    chunk_batches: int = CHUNK_BATCHES,
    **settings: Any,
) -> CachedSide:
    """The tiny model as an HF side, through the cache (``settings`` change its identity)."""
    knobs = {"dtype": "float32", "device": "cpu", "batch_size": 4, **settings}
    side = HFSide(
        tiny[0], tiny[1], spec=ModelSpec("tiny", SpecKind.DIRECTORY), device="cpu",
        batch_size=4, identity=side_id([weights], **knobs),
    )  # fmt: skip
    return CachedSide(side, cache, CacheStats(), chunk_batches * 4)


def test_second_run_reuses_every_answer_and_returns_the_same_numbers(
    tmp_path: Path, tiny: tuple[Any, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    first = scorer(cache, tiny=tiny)
    scores = first.score_choices(PROMPTS, CHOICES)
    assert (first.stats.reused, first.stats.computed) == (0, 12)
    again = scorer(
        AnswerCache.in_directory(tmp_path), tiny=tiny
    )  # a new process would reopen the file
    assert again.score_choices(PROMPTS, CHOICES) == scores
    assert (again.stats.reused, again.stats.computed) == (12, 0)
    replies = again.generate(PROMPTS[:3], max_new_tokens=2)
    assert again.generate(PROMPTS[:3], max_new_tokens=2) == replies
    assert again.stats.computed == 3


def test_uncached_scorer_matches_the_engine(tiny: tuple[Any, Any]) -> None:
    plain = engine.score_choices(*tiny, PROMPTS, CHOICES, batch_size=4)
    assert scorer(None, tiny=tiny).score_choices(PROMPTS, CHOICES) == plain


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
    scorer(cache, tiny=tiny).score_choices(PROMPTS[:2], CHOICES[:2])
    other = scorer(cache, tiny=tiny, **change)
    other.score_choices(PROMPTS[:2], CHOICES[:2])
    assert (other.stats.reused, other.stats.computed) == (0, 2)


def test_changed_prompt_choices_or_generation_settings_miss(
    tmp_path: Path, tiny: tuple[Any, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    warm = scorer(cache, tiny=tiny)
    warm.score_choices(PROMPTS[:2], CHOICES[:2])
    warm.generate(PROMPTS[:2], max_new_tokens=2)
    probe = scorer(cache, tiny=tiny)
    probe.score_choices([PROMPTS[0] + "?", PROMPTS[1]], CHOICES[:2])
    assert (probe.stats.reused, probe.stats.computed) == (1, 1)
    probe = scorer(cache, tiny=tiny)
    probe.score_choices(PROMPTS[:2], [["alpha", "beta"], CHOICES[1]])
    assert (probe.stats.reused, probe.stats.computed) == (1, 1)
    probe = scorer(cache, tiny=tiny)
    probe.generate(PROMPTS[:2], max_new_tokens=3)
    assert (probe.stats.reused, probe.stats.computed) == (0, 2)


def test_asking_again_in_the_same_run_reads_the_memo(
    tiny: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a cache, a second ask (per cell, after the prefetch) computes nothing."""
    uncached = scorer(None, tiny=tiny)
    first = uncached.score_choices(PROMPTS, CHOICES)
    monkeypatch.setattr(uncached.inner, "score_choices", lambda *a, **k: pytest.fail("again"))
    assert uncached.score_choices(PROMPTS[::-1], CHOICES[::-1]) == first[::-1]
    assert (uncached.stats.reused, uncached.stats.computed) == (0, len(PROMPTS))


def test_side_identity_includes_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    before = side_id(["w"], dtype="float32", device="cpu", batch_size=4)
    monkeypatch.setattr(hf, "library_versions", lambda: {"torch": "0.0"})
    assert side_id(["w"], dtype="float32", device="cpu", batch_size=4) != before


def test_an_interrupted_run_keeps_finished_chunks_and_resumes(
    tmp_path: Path, tiny: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    first = scorer(cache, tiny=tiny, chunk_batches=1)  # commit after every batch of 4
    real = first.inner.score_choices
    calls = []

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[0]))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(first.inner, "score_choices", interrupted)
    with pytest.raises(KeyboardInterrupt):
        first.score_choices(PROMPTS, CHOICES)
    assert len(AnswerCache.in_directory(tmp_path)) == 4
    resumed = scorer(AnswerCache.in_directory(tmp_path), tiny=tiny, chunk_batches=1)
    scores = resumed.score_choices(PROMPTS, CHOICES)
    assert (resumed.stats.reused, resumed.stats.computed) == (4, 8)
    assert scores == scorer(None, tiny=tiny).score_choices(PROMPTS, CHOICES)


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
    first = scorer(cache, tiny=tiny)
    good = first.score_choices(PROMPTS[:1], CHOICES[:1])
    (key,) = cache.get([k for k in _keys(cache)])
    cache.put({key: [[0.0, 1]]})  # one choice's score where three are needed
    with sqlite3.connect(cache.path) as db:
        db.execute("INSERT OR REPLACE INTO answers VALUES ('junk', 'not json')")
    again = scorer(cache, tiny=tiny)
    assert again.score_choices(PROMPTS[:1], CHOICES[:1]) == good
    assert (again.stats.reused, again.stats.computed) == (0, 1)
    assert cache.get(["junk"]) == {}


def _keys(cache: AnswerCache) -> list[str]:
    with sqlite3.connect(cache.path) as db:
        return [row[0] for row in db.execute("SELECT key FROM answers")]


def test_a_side_without_identity_is_answered_but_never_stored(
    tmp_path: Path, tiny: tuple[Any, Any]
) -> None:
    cache = AnswerCache.in_directory(tmp_path)
    unknown = scorer(cache, "unknown", tiny=tiny)
    assert unknown.identity is None
    unknown.score_choices(PROMPTS[:2], CHOICES[:2])
    assert len(cache) == 0
    again = scorer(cache, "unknown", tiny=tiny)
    again.score_choices(PROMPTS[:2], CHOICES[:2])
    assert (again.stats.reused, again.stats.computed) == (0, 2)
