"""De-quantised copies under faults: a full disk while writing, a truncated or damaged copy, a
copy without a manifest, an unreadable copies folder, and a race with another run."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from pytest_warmth.backends.hf import gguf_copies  # noqa: E402
from pytest_warmth.backends.hf.gguf_copies import COMPLETE, GgufCopies  # noqa: E402


@pytest.fixture(scope="module")
def tiny(random_model: Path) -> tuple[Any, Any]:
    model = transformers.AutoModelForCausalLM.from_pretrained(random_model)
    return model, transformers.AutoTokenizer.from_pretrained(random_model)


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    """A file standing in for the GGUF file (only its bytes name the copy)."""
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF stand-in")
    return path


def logits(path: Path) -> torch.Tensor:
    model = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    with torch.inference_mode():
        return model(input_ids=torch.tensor([[3, 4, 5, 6]])).logits


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_while_writing_means_no_copy_and_one_note(
    tiny: tuple[Any, Any], stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tempfile.mkdtemp

    def staging_on_a_full_disk(**kwargs: Any) -> str:
        folder = real(**kwargs)
        # Writing the tokenizer fails as on a full disk: tokenizers raises a bare Exception.
        os.symlink("/dev/full", Path(folder) / "tokenizer.json")
        return folder

    monkeypatch.setattr(gguf_copies.tempfile, "mkdtemp", staging_on_a_full_disk)
    copies = GgufCopies(tmp_path / "copies")
    assert copies.store(*tiny, stand_in, "float32") is None
    assert copies.store(*tiny, stand_in, "float32") is None
    assert copies.take_notes() == [
        "de-quantised copy of model.gguf not written (No space left on device (os error 28)); "
        "not kept"
    ]
    assert list((tmp_path / "copies").iterdir()) == []  # nothing half-written is left
    assert copies.find(stand_in, "float32") is None


def test_the_manifest_records_every_file(
    tiny: tuple[Any, Any], stand_in: Path, tmp_path: Path
) -> None:
    written = GgufCopies(tmp_path / "copies").store(*tiny, stand_in, "float32")
    assert written is not None
    manifest = json.loads((written / COMPLETE).read_text())
    on_disk = {p.name: p.stat().st_size for p in written.iterdir() if p.name != COMPLETE}
    assert {name: f["size"] for name, f in manifest["files"].items()} == on_disk
    assert "model.safetensors" in on_disk
    assert manifest["source"] == "model.gguf"


@pytest.mark.parametrize("damage", ["truncated", "same-size", "old-marker", "missing"])
def test_a_damaged_copy_is_removed_said_and_rebuilt(
    tiny: tuple[Any, Any], stand_in: Path, tmp_path: Path, random_model: Path, damage: str
) -> None:
    copies = GgufCopies(tmp_path / "copies")
    written = copies.store(*tiny, stand_in, "float32")
    assert written is not None
    assert copies.find(stand_in, "float32") == written
    weights = written / "model.safetensors"
    size = weights.stat().st_size
    if damage == "truncated":  # a full disk or a crash before the data reached it
        os.truncate(weights, size // 2)
        why = f"model.safetensors has {size // 2} bytes, {size} were written"
    elif damage == "same-size":
        with weights.open("r+b") as handle:
            handle.seek(size - 64)
            handle.write(b"\xff" * 64)
        why = "model.safetensors does not match its SHA-256"
    elif damage == "old-marker":  # written by a version without a manifest
        (written / COMPLETE).write_text("model.gguf\n")
        why = "its manifest is unreadable"
    else:
        weights.unlink()
        why = "model.safetensors is missing"
    fresh = GgufCopies(tmp_path / "copies")  # a later run (no hash memo)
    assert fresh.find(stand_in, "float32") is None
    assert fresh.take_notes() == [
        f"de-quantised copy {written} not reused ({why}); removed, to be rebuilt"
    ]
    assert list((tmp_path / "copies").iterdir()) == []
    assert fresh.store(*tiny, stand_in, "float32") == written
    assert fresh.find(stand_in, "float32") == written
    assert torch.equal(logits(written), logits(random_model))


def test_an_unreadable_copies_folder_means_no_copy_and_one_note(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = GgufCopies(tmp_path / "copies")
    (tmp_path / "copies").mkdir()
    real = Path.exists

    def denied(self: Path, **kwargs: Any) -> bool:  # what stat() gives in a mode-000 folder
        if self.parent == tmp_path / "copies":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, **kwargs)

    monkeypatch.setattr(Path, "exists", denied)
    assert copies.find(stand_in, "float32") is None
    assert copies.find(stand_in, "float32") is None
    (note,) = copies.take_notes()
    assert note.startswith(f"de-quantised copies in {tmp_path / 'copies'} unusable ([Errno 13]")


def test_another_runs_sound_copy_wins_the_race(
    tiny: tuple[Any, Any], stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs write the same copy at once: the second keeps the first one's, no error."""
    copies = GgufCopies(tmp_path / "copies")
    other = GgufCopies(tmp_path / "copies")
    real = copies._publish

    def first_the_other_run(staging: Path, target: Path) -> Path:
        assert other.store(*tiny, stand_in, "float32") == target
        before = (target / COMPLETE).stat().st_mtime_ns
        published = real(staging, target)
        assert (target / COMPLETE).stat().st_mtime_ns == before  # the other copy was kept
        return published

    monkeypatch.setattr(copies, "_publish", first_the_other_run)
    target = copies.location(stand_in, "float32")
    assert copies.store(*tiny, stand_in, "float32") == target
    assert copies.take_notes() == []
    assert other.take_notes() == []
    assert [p.name for p in (tmp_path / "copies").iterdir()] == [target.name]


def test_a_copy_that_matches_its_manifest_but_does_not_load_is_rebuilt(
    tiny: tuple[Any, Any], stand_in: Path, tmp_path: Path, random_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The GGUF file loads as the tiny model; its copy goes through the real loaders."""
    from pytest_warmth.backends.hf import loading
    from pytest_warmth.backends.hf.spec import ModelSpec, SpecKind

    tiny_spec = ModelSpec(str(random_model), SpecKind.DIRECTORY, path=random_model)
    for name in ("load_model", "load_tokenizer"):
        real = getattr(loading, name)

        def load(spec: ModelSpec, *, _real: Any = real, **options: Any) -> Any:
            return _real(tiny_spec if spec.kind is SpecKind.GGUF else spec, **options)

        monkeypatch.setattr(loading, name, load)
    spec = ModelSpec(str(stand_in), SpecKind.GGUF, path=stand_in)
    options = {"dtype": "float32", "trust_remote_code": False, "allow_pickle": False}
    memo: dict[str, str] = {}  # the hash memo pytest's cache keeps between runs

    def run() -> list[str]:
        notes: list[str] = []
        loading._load_full(spec, {**options, "placement": None}, GgufCopies(tmp_path, memo), notes)
        return notes

    (written,) = run()
    copy = Path(written.rsplit(" written to ", 1)[1])
    assert run() == [f"model.gguf: de-quantised copy reused from {copy}"]
    # Damage its manifest cannot see: same size, same mtime (the memo trusts the old hash).
    config = copy / "config.json"
    stat = config.stat()
    config.write_bytes(b"x" * stat.st_size)
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    rebuilt = run()
    assert rebuilt[0].startswith(f"de-quantised copy {copy} not reused (cannot load the tokenizer")
    assert "config.json' is not a valid JSON file" in rebuilt[0]
    assert rebuilt[1:] == [f"model.gguf: de-quantised copy written to {copy}"]
    assert run() == [f"model.gguf: de-quantised copy reused from {copy}"]
    assert torch.equal(logits(copy), logits(random_model))
