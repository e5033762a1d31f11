"""Big models in-process: one model split across GPUs by accelerate, the adapter toggle kept.

These tests need CUDA GPUs (two for a real split) and skip with their reason elsewhere; CPU CI
covers the placement decision in ``tests/unit/test_placement.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

GPUS = torch.cuda.device_count() if torch.cuda.is_available() else 0
needs_gpu = pytest.mark.skipif(GPUS < 1, reason="needs a CUDA GPU")
needs_two = pytest.mark.skipif(GPUS < 2, reason=f"needs two CUDA GPUs to shard ({GPUS} visible)")

PROMPTS = ["what is the answer to question 1?", "what is the answer to question 2?"]
CHOICES = [["alpha", "beta", "gamma", "delta"]] * 2


def scores(model: Path, adapter: Path, **options: Any) -> tuple[list[Any], list[Any], Any]:
    """Both sides' choice scores for an adapter on its base, loaded with ``options``."""
    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair

    pair = load_pair(str(adapter), str(model), options=LoadOptions(**options))
    found = []
    for _, side in pair.sides():
        with side.hold():
            rows = side.score_choices(PROMPTS, CHOICES)
        found.append([[s.sum_logprob for s in row] for row in rows])
    return found[0], found[1], pair


def close(got: list[Any], want: list[Any]) -> bool:
    return all(g == pytest.approx(w, abs=1e-3) for g, w in zip(got, want, strict=True))


def model_bytes(model: Path) -> int:
    return sum(p.stat().st_size for p in model.glob("*.safetensors"))


@needs_gpu
def test_shard_on_one_gpu_matches_the_cpu(alpha_model: Path, beta_adapter: Path) -> None:
    cpu_base, cpu_tuned, _ = scores(alpha_model, beta_adapter, device="cpu")
    base, tuned, pair = scores(alpha_model, beta_adapter, device="shard")
    assert close(base, cpu_base)
    assert close(tuned, cpu_tuned)
    assert not close(base, tuned)  # the adapter toggle still switches sides
    assert pair.where == "cuda:0"


@needs_two
def test_one_model_split_across_two_gpus(
    models_dir: Path, beta_adapter: Path, alpha_model: Path
) -> None:
    cpu_base, cpu_tuned, _ = scores(alpha_model, beta_adapter, device="cpu")
    # A budget of about half the model on GPU 0 forces accelerate to put the rest on GPU 1.
    half = max(model_bytes(alpha_model) // 2, 1)
    base, tuned, pair = scores(
        alpha_model, beta_adapter, device="shard", max_memory=(("0", f"{half}B"), ("1", "4GiB"))
    )
    placed = [note for note in pair.notes if note.startswith("base sharded over")]
    assert placed, pair.notes
    assert "cuda:0" in placed[0]
    assert "cuda:1" in placed[0]
    assert close(base, cpu_base)
    assert close(tuned, cpu_tuned)


@needs_two
def test_auto_shards_when_several_gpus_are_visible(alpha_model: Path, beta_model: Path) -> None:
    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair

    pair = load_pair(str(beta_model), str(alpha_model), options=LoadOptions(device="auto"))
    assert pair.where == "cuda:0"
    # two full checkpoints: each is placed by accelerate and says where it sits
    assert any(n.startswith(("base sharded", "base on")) for n in pair.notes)
    assert any(n.startswith(("tuned sharded", "tuned on")) for n in pair.notes)


@needs_gpu
def test_the_gate_runs_sharded(
    pytester: pytest.Pytester, alpha_model: Path, beta_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        f"--warmth-model={beta_adapter}", f"--warmth-base={alpha_model}",
        f"--warmth-probes={tiny_suite}", "--warmth-suite=tiny", "--warmth-device=shard",
        "--warmth-context=plain", "--warmth-belief=none", "--warmth-no-cache",
        f"--warmth-report={report}",
    )  # fmt: skip
    result.stdout.fnmatch_lines(["warmth: models loaded in * on cuda:0*"])
    result.assert_outcomes(failed=1)  # the beta adapter answers wrong where alpha is right
    load = json.loads(report.read_text())["load"]
    assert load["where"] == "cuda:0"
    assert any(note.startswith("base ") for note in load["notes"])
