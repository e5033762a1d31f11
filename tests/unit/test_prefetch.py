"""Prefetch: every cell's prompts asked up front, the base on untouched weights, then the tuned
side with its LoRA adapter folded in; per-cell evaluation then reads the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from collections.abc import Sequence  # noqa: E402

from pytest_warmth import evaluation, gate  # noqa: E402
from pytest_warmth.backends.hf import HFBackend  # noqa: E402
from pytest_warmth.backends.hf.sides import HFSide, ModuleState  # noqa: E402
from pytest_warmth.backends.hf.testing import build_lora_adapter  # noqa: E402
from pytest_warmth.backends.protocol import (  # noqa: E402
    ChoiceScore,
    LoadOptions,
    ModelPair,
    ModelRequest,
    Progress,
    Side,
)
from pytest_warmth.cached_side import CachedSide  # noqa: E402
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


def load(adapter: Path, *, fold: bool) -> ModelPair:
    resolved = HFBackend().resolve(ModelRequest(str(adapter)))
    return resolved.load(LoadOptions(device="cpu", batch_size=4, fold_adapter=fold))


def cached(pair: ModelPair, wrap: type[Any] = CachedSide) -> ModelPair:
    return ModelPair(wrap(pair.base), wrap(pair.tuned), pair.same_weights, pair.where)


class CountingSide:
    """A side that records how many prompts it is asked to score, and asks ``inner``."""

    def __init__(self, inner: Side) -> None:
        self.inner = inner
        self.asked: list[int] = []
        self.identity = inner.identity
        self.capabilities = inner.capabilities
        self.hold = inner.hold
        self.generate = inner.generate
        self.score_text = inner.score_text

    def score_choices(
        self,
        prompts: Sequence[str],
        choices: Sequence[Sequence[str]],
        *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:
        self.asked.append(len(prompts))
        return self.inner.score_choices(prompts, choices, progress=progress)


def test_prefetch_matches_per_cell_answers_and_restores_the_base(
    random_adapter: Path, tiny_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = gate.build_plan(
        WarmthSettings(model=str(random_adapter), probe_paths=(tiny_suite,), suites=("tiny",))
    )
    folded = load(random_adapter, fold=True)
    assert isinstance(folded.base, HFSide)
    assert isinstance(folded.tuned, HFSide)
    assert folded.base.identity is not None
    assert folded.tuned.identity is not None
    assert "lora" not in str(folded.base.identity)
    weights = folded.base.module.get_base_model().state_dict()
    before = {name: tensor.clone() for name, tensor in weights.items()}
    fetched = cached(folded)
    evaluation.prefetch(fetched, plan, plan.cells)
    after = folded.base.module.get_base_model().state_dict()
    assert all(torch.allclose(before[n], after[n], rtol=0, atol=1e-6) for n in before)
    memo = {role: side.memo for role, side in fetched.sides() if isinstance(side, CachedSide)}
    assert all(len(m) == 4 * 20 for m in memo.values())

    unfolded = load(random_adapter, fold=False)  # per cell, the adapter applied on the fly
    assert unfolded.tuned.identity != folded.tuned.identity  # other rounding, other answers
    assert unfolded.base.identity == folded.base.identity
    fresh = cached(unfolded)
    for cell in plan.cells:
        evaluation.evaluate_cell(fresh, plan, cell)
    again = {role: side.memo for role, side in fresh.sides() if isinstance(side, CachedSide)}
    assert again["base"].keys() == memo["base"].keys()
    for role in ("base", "tuned"):
        assert len(again[role]) == len(memo[role])
        for scores, stored in zip(again[role].values(), memo[role].values(), strict=True):
            assert stored == [pytest.approx(s, abs=1e-4) for s in scores]
    assert list(again["base"].values()) != list(again["tuned"].values())  # the adapter counts

    # Per cell after the prefetch: nothing is computed again.
    for side in (folded.base, folded.tuned):
        monkeypatch.setattr(side, "score_choices", lambda *a, **k: pytest.fail("recomputed"))
    for cell in plan.cells:
        evaluation.evaluate_cell(fetched, plan, cell)

    # Sides whose answers are all known are not switched: no adapter toggle, no fold.
    def no_switch(*_: Any) -> None:
        pytest.fail("switched a side whose answers are all known")

    monkeypatch.setattr(ModuleState, "use", no_switch)
    evaluation.prefetch(fetched, plan, plan.cells)
    for cell in plan.cells:
        evaluation.evaluate_cell(fetched, plan, cell)


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
    random_adapter: Path, make_suite: Any, tmp_path: Path
) -> None:
    suite = make_suite(tmp_path / "long.yaml", 40, name="long")
    plan = gate.build_plan(
        WarmthSettings(model=str(random_adapter), probe_paths=(suite,), suites=("long",))
    )
    assert len(plan.cells) == 4
    counting = cached(load(random_adapter, fold=False), CountingSide)
    pair = cached(counting)
    after = iter([3, 12, 10**9, 20])
    cells = evaluation.evaluate_sequentially(
        pair, plan, plan.cells, batch_size=4, sequential=lambda: _DecidesAfter(next(after))
    )
    asked = [n for _, s in counting.sides() if isinstance(s, CountingSide) for n in s.asked]
    # Looks of 8 items: a cell decided after 3 items asked 8; after 12, 16; never, all 40.
    assert [c.items_used for c in cells] == [8, 16, 40, 24]
    assert [c.sequential_decided for c in cells] == [True, True, False, True]
    assert sum(asked) == 2 * (8 + 16 + 40 + 24)  # both sides, nothing asked twice
    assert all(len(c.items) == c.items_used for c in cells)
    # One order per suite: its cells ask the same items in the same round (rows can share).
    ids = [[i.probe_id for i in c.items] for c in cells]
    assert all(ids[2][: len(other)] == other for other in ids)

    for cell, rounds in zip(plan.cells, cells, strict=True):
        alone = evaluation.evaluate_cell(pair, plan, cell, sequential=lambda: _DecidesAfter(10**9))
        head = alone.items[: len(rounds.items)]
        assert [i.probe_id for i in rounds.items] == [i.probe_id for i in head]
        assert [(i.base_answer, i.tuned_answer) for i in rounds.items] == [
            (i.base_answer, i.tuned_answer) for i in head
        ]
