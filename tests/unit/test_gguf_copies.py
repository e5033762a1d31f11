"""De-quantised copies: written once, found by content, never trusted when incomplete."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth.backends.hf import gguf_copies  # noqa: E402
from pytest_warmth.backends.hf.gguf_copies import COMPLETE, GgufCopies  # noqa: E402


def _logits(path: Path) -> torch.Tensor:
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    with torch.inference_mode():
        return model(input_ids=torch.tensor([[3, 4, 5, 6]])).logits


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    """A file standing in for the GGUF file (only its bytes name the copy)."""
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF stand-in")
    return path


def test_store_then_find_gives_the_same_numbers(
    random_model: Path, stand_in: Path, tmp_path: Path
) -> None:
    copies = GgufCopies(tmp_path / "copies")
    assert copies.find(stand_in, "float32") is None
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model)
    tokenizer = transformers.AutoTokenizer.from_pretrained(random_model)
    written = copies.store(model, tokenizer, stand_in, "float32")
    assert written is not None
    assert copies.find(stand_in, "float32") == written
    assert torch.equal(_logits(written), _logits(random_model))
    reloaded = transformers.AutoTokenizer.from_pretrained(written)
    assert reloaded.get_vocab() == tokenizer.get_vocab()
    assert copies.find(stand_in, "bfloat16") is None  # another dtype is another copy
    stand_in.write_bytes(b"GGUF stand-in, retrained")
    assert copies.find(stand_in, "float32") is None  # other bytes, other copy


def test_an_incomplete_copy_is_ignored_and_replaced(
    random_model: Path, stand_in: Path, tmp_path: Path
) -> None:
    copies = GgufCopies(tmp_path / "copies")
    half_written = copies.location(stand_in, "float32")
    half_written.mkdir(parents=True)
    (half_written / "config.json").write_text("{")
    assert copies.find(stand_in, "float32") is None
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model)
    tokenizer = transformers.AutoTokenizer.from_pretrained(random_model)
    assert copies.store(model, tokenizer, stand_in, "float32") == half_written
    assert (half_written / COMPLETE).is_file()
    assert not [p for p in (tmp_path / "copies").iterdir() if p.name.startswith(".writing-")]


def test_too_large_or_unwritable_means_no_copy(
    random_model: Path, stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model)
    tokenizer = transformers.AutoTokenizer.from_pretrained(random_model)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert GgufCopies(blocked / "copies").store(model, tokenizer, stand_in, "float32") is None
    monkeypatch.setattr(gguf_copies, "MAX_BYTES", 1)
    assert GgufCopies(tmp_path / "copies").store(model, tokenizer, stand_in, "float32") is None
