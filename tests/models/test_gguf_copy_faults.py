"""The embedded GGUF model's de-quantised copy, damaged between runs: never reused, rebuilt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("gguf")

from embedded import embedded_or_skip

from pytest_warmth.backends.hf.spec import embedded_model_path, resolve_pair

embedded_or_skip()

pytestmark = pytest.mark.slow


def test_a_truncated_copy_is_rebuilt_with_the_same_numbers(tmp_path: Path) -> None:
    import torch

    from pytest_warmth.backends.hf.gguf_copies import GgufCopies
    from pytest_warmth.backends.hf.loading import load_pair

    memo: dict[str, str] = {}  # the hash memo that pytest's cache keeps between runs

    def run() -> tuple[torch.Tensor, list[str]]:
        copies = GgufCopies(tmp_path / "gguf", memo)
        pair = load_pair(resolve_pair("smollm2", None), device="cpu", gguf_copies=copies)
        ids = pair.tokenizer("Is the Great Wall visible from space?", return_tensors="pt")
        with torch.inference_mode():
            return pair.base.module(**ids).logits, list(pair.notes)

    first, notes = run()
    (copy,) = (tmp_path / "gguf").iterdir()
    assert notes == [f"{embedded_model_path().name}: de-quantised copy written to {copy}"]
    weights = copy / "model.safetensors"
    size = weights.stat().st_size
    os.truncate(weights, size - 4096)  # the disk filled up, or a crash lost the tail

    second, notes = run()
    assert notes[0] == (
        f"de-quantised copy {copy} not reused (model.safetensors has {size - 4096} bytes, "
        f"{size} were written); removed, to be rebuilt"
    )
    assert notes[1].endswith(f"de-quantised copy written to {copy}")
    assert torch.equal(first, second)

    assert [p.name for p in (tmp_path / "gguf").iterdir()] == [copy.name]
