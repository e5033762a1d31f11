"""A model's identity is the files it loads from, not what training left beside them."""

from __future__ import annotations

from pathlib import Path

from pytest_warmth.backends.hf.hashing import content_hash, model_files


def adapter(root: Path, weights: bytes = b"w" * 64, config: str = '{"r": 8}') -> Path:
    root.mkdir(parents=True)
    (root / "adapter_model.safetensors").write_bytes(weights)
    (root / "adapter_config.json").write_text(config)
    return root


def test_what_training_leaves_beside_a_checkpoint_is_not_the_model(tmp_path: Path) -> None:
    clean = adapter(tmp_path / "clean")
    trained = adapter(tmp_path / "trained")
    for name in (
        "optimizer.pt",
        "scheduler.pt",
        "rng_state.pth",
        "rng_state_3.pth",
        "trainer_state.json",
        "training_args.bin",
        "training.json",
        "README.md",
    ):
        (trained / name).write_bytes(b"state")  # fmt: skip
    (trained / ".hidden").write_text("x")
    nested = adapter(trained / "checkpoints" / "epoch-1", weights=b"other")
    (trained / "runs").mkdir()
    (trained / "runs" / "events.log").write_text("step 1")
    assert [p.name for p in model_files(trained)] == [
        "adapter_config.json", "adapter_model.safetensors"
    ]  # fmt: skip
    assert content_hash([trained]) == content_hash([clean])
    assert content_hash([nested]) != content_hash([clean])


def test_every_file_the_model_loads_from_counts(tmp_path: Path) -> None:
    base = content_hash([adapter(tmp_path / "a")])
    assert content_hash([adapter(tmp_path / "b", weights=b"v" * 64)]) != base
    assert content_hash([adapter(tmp_path / "c", config='{"r": 16}')]) != base
    tokenizer = adapter(tmp_path / "d")
    (tokenizer / "merges.txt").write_text("a b")
    assert content_hash([tokenizer]) != base
    renamed = adapter(tmp_path / "e")
    (renamed / "adapter_model.safetensors").rename(renamed / "weights.safetensors")
    assert content_hash([renamed]) != base
    single = tmp_path / "model.gguf"
    single.write_bytes(b"GGUF")
    assert model_files(single) == [single]
