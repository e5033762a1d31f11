"""Model spec resolution: cheap, offline, and every error says how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_warmth.backends.hf.spec import SpecKind, resolve_pair, resolve_spec
from pytest_warmth.errors import ModelSpecError


def test_full_model_and_adapter(alpha_model: Path, zero_adapter: Path) -> None:
    assert resolve_spec(str(alpha_model)).kind is SpecKind.DIRECTORY
    pair = resolve_pair(str(zero_adapter), None)
    assert pair.tuned.kind is SpecKind.ADAPTER
    assert pair.base.path == alpha_model
    assert pair.shared


def test_embedded_alias_is_a_self_check() -> None:
    pair = resolve_pair("smollm2", None)
    assert pair.tuned.embedded
    assert pair.same_model
    assert pair.tuned.path is not None
    assert pair.tuned.path.suffix == ".gguf"


def test_full_model_without_base_is_refused(alpha_model: Path) -> None:
    with pytest.raises(ModelSpecError, match="pass --warmth-base=SPEC"):
        resolve_pair(str(alpha_model), None)


def test_same_model_both_sides(alpha_model: Path) -> None:
    assert resolve_pair(str(alpha_model), str(alpha_model)).same_model


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or directory"),
        ("empty_dir", "neither a model directory"),
        ("pickle", "pickle weights"),
        ("text_file", "not a .gguf model"),
    ],
)
def test_bad_specs(tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / "m"
    if setup == "empty_dir":
        target.mkdir()
    elif setup == "pickle":
        target.mkdir()
        (target / "config.json").write_text("{}")
        (target / "pytorch_model.bin").write_bytes(b"\x80")
    elif setup == "text_file":
        target = tmp_path / "m.txt"
        target.write_text("hi")
    with pytest.raises(ModelSpecError, match=message):
        resolve_spec(str(target))


def test_pickle_allowed_when_opted_in(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80")
    assert resolve_spec(str(tmp_path), allow_pickle=True).kind is SpecKind.DIRECTORY


def test_adapter_with_missing_base(tmp_path: Path, zero_adapter: Path) -> None:
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    for file in zero_adapter.iterdir():
        (adapter / file.name).write_bytes(file.read_bytes())
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(tmp_path / "gone")
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelSpecError, match=r"cannot be found.*pass --warmth-base"):
        resolve_pair(str(adapter), None)


def test_hub_id_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelSpecError, match="HF_HUB_OFFLINE is set"):
        resolve_spec("some-org/some-model-that-is-not-cached")
