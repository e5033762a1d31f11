"""Prefetch: every cell's prompts asked up front, the base on untouched weights, then the tuned
side with its LoRA adapter folded in; per-cell evaluation then reads the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from pytest_warmth import engine, evaluation, gate  # noqa: E402
from pytest_warmth.answer_cache import CachedScorer  # noqa: E402
from pytest_warmth.models.loading import load_pair  # noqa: E402
from pytest_warmth.models.spec import resolve_pair  # noqa: E402
from pytest_warmth.models.testing import build_lora_adapter  # noqa: E402
from pytest_warmth.settings import WarmthSettings  # noqa: E402
from pytest_warmth.stats.sequential import SequentialMcNemar  # noqa: E402


@pytest.fixture(scope="module")
def random_adapter(random_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter with random, non-zero B matrices: it moves every score a little."""
    out = tmp_path_factory.mktemp("random-adapter")
    path = build_lora_adapter(random_model, out / "adapter", seed=4)
    from safetensors.torch import load_file, save_file

    weights = load_file(path / "adapter_model.safetensors")
    generator = torch.Generator().manual_seed(5)
    for name in weights:
        if "lora_B" in name:
            weights[name] = torch.randn(weights[name].shape, generator=generator) * 0.5
    save_file(weights, path / "adapter_model.safetensors")
    return path


def test_prefetch_matches_per_cell_answers_and_restores_the_base(
    random_adapter: Path, tiny_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = gate.build_plan(
        WarmthSettings(model=str(random_adapter), probe_paths=(tiny_suite,), suites=("tiny",))
    )
    pair = load_pair(resolve_pair(str(random_adapter), None), device="cpu")
    assert pair.tuned.merged is not None
    weights = pair.base.module.get_base_model().state_dict()
    before = {name: tensor.clone() for name, tensor in weights.items()}
    fetched = {role: CachedScorer(side_id=role) for role in ("base", "tuned")}
    evaluation.prefetch(pair, plan, plan.cells, batch_size=4, scorers=fetched)
    after = pair.base.module.get_base_model().state_dict()
    assert all(torch.allclose(before[n], after[n], rtol=0, atol=1e-6) for n in before)
    assert all(len(s.memo) == 4 * 20 for s in fetched.values())

    fresh = {role: CachedScorer(side_id=role) for role in ("base", "tuned")}  # per cell, unmerged
    for cell in plan.cells:
        evaluation.evaluate_cell(pair, plan, cell, batch_size=4, scorers=fresh)
    for role in ("base", "tuned"):
        assert fresh[role].memo.keys() == fetched[role].memo.keys()
        for key, scores in fresh[role].memo.items():
            assert fetched[role].memo[key] == [pytest.approx(s, abs=1e-4) for s in scores]
    assert fresh["base"].memo != fresh["tuned"].memo  # the adapter does change the scores

    # Per cell after the prefetch: nothing is computed again.
    monkeypatch.setattr(engine, "score_choices", lambda *a, **k: pytest.fail("recomputed"))
    for cell in plan.cells:
        evaluation.evaluate_cell(pair, plan, cell, batch_size=4, scorers=fetched)

    # Sides whose answers are all known are not switched: no adapter toggle, no fold.
    def no_switch() -> None:
        pytest.fail("switched a side whose answers are all known")

    for side in (pair.base, pair.tuned):
        monkeypatch.setattr(side, "activate", no_switch)
    monkeypatch.setattr(pair.tuned, "merged", no_switch)
    evaluation.prefetch(pair, plan, plan.cells, batch_size=4, scorers=fetched)
    for cell in plan.cells:
        evaluation.evaluate_cell(pair, plan, cell, batch_size=4, scorers=fetched)


class _DecidesAfter(SequentialMcNemar):
    """A test that decides once it has counted ``after`` items (to drive the rounds)."""

    def __init__(self, after: int) -> None:
        super().__init__(threshold=1e300)  # the evidence alone never decides
        self.after = after

    def update(self, base_correct: bool, tuned_correct: bool) -> bool:
        super().update(base_correct, tuned_correct)
        if self.items >= self.after and self._decided_at is None:
            self._decided_at = self.items
        return self.decided


def test_sequential_rounds_ask_only_open_cells_and_agree_with_cell_by_cell(
    random_adapter: Path, make_suite: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = make_suite(tmp_path / "long.yaml", 40, name="long")
    plan = gate.build_plan(
        WarmthSettings(model=str(random_adapter), probe_paths=(suite,), suites=("long",))
    )
    assert len(plan.cells) == 4
    pair = load_pair(resolve_pair(str(random_adapter), None), device="cpu")
    asked: list[int] = []
    real = engine.score_choices

    def counting(module: Any, tokenizer: Any, prompts: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(len(prompts))
        return real(module, tokenizer, prompts, *args, **kwargs)

    monkeypatch.setattr(engine, "score_choices", counting)
    after = iter([3, 12, 10**9, 20])
    scorers = {role: CachedScorer(side_id=role) for role in ("base", "tuned")}
    cells = evaluation.evaluate_sequentially(
        pair, plan, plan.cells, batch_size=4, scorers=scorers,
        sequential=lambda: _DecidesAfter(next(after)),
    )  # fmt: skip
    # Looks of 8 items: a cell decided after 3 items asked 8; after 12, 16; never, all 40.
    assert [c.items_used for c in cells] == [8, 16, 40, 24]
    assert [c.sequential_decided for c in cells] == [True, True, False, True]
    assert sum(asked) == 2 * (8 + 16 + 40 + 24)  # both sides, nothing asked twice
    assert all(len(c.items) == c.items_used for c in cells)
    # One order per suite: its cells ask the same items in the same round (rows can share).
    ids = [[i.probe_id for i in c.items] for c in cells]
    assert all(ids[2][: len(other)] == other for other in ids)

    for cell, rounds in zip(plan.cells, cells, strict=True):
        alone = evaluation.evaluate_cell(
            pair, plan, cell, batch_size=4, scorers=scorers,
            sequential=lambda: _DecidesAfter(10**9),
        )  # fmt: skip
        head = alone.items[: len(rounds.items)]
        assert [i.probe_id for i in rounds.items] == [i.probe_id for i in head]
        assert [(i.base_answer, i.tuned_answer) for i in rounds.items] == [
            (i.base_answer, i.tuned_answer) for i in head
        ]
