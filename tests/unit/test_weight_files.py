"""Weight files checked before loading: a cut-short safetensors file, a broken link, bad configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_warmth.backends.hf.spec import resolve_pair, resolve_spec
from pytest_warmth.backends.hf.weight_files import check_safetensors, expected_size
from pytest_warmth.errors import ModelSpecError

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def _weights(path: Path) -> Path:
    safetensors_torch.save_file({"w": torch.zeros(64, 32), "b": torch.ones(32)}, str(path))
    return path


def test_a_whole_file_matches_its_header(tmp_path: Path) -> None:
    path = _weights(tmp_path / "model.safetensors")
    assert expected_size(path) == path.stat().st_size
    check_safetensors(path, flag="--warmth-model", raw="m")


def test_a_cut_short_file_is_refused_before_loading(tmp_path: Path) -> None:
    path = _weights(tmp_path / "adapter_model.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    (tmp_path / "adapter_config.json").write_text('{"base_model_name_or_path": "x"}')
    with pytest.raises(ModelSpecError, match=r"adapter_model.safetensors is cut short \(\d+ bytes"):
        resolve_spec(str(tmp_path), flag="--warmth-model")


def test_a_file_without_a_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file at all")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelSpecError, match="not a readable safetensors file"):
        resolve_spec(str(tmp_path), flag="--warmth-base")


def test_a_broken_link_is_not_taken_for_a_hub_id(tmp_path: Path) -> None:
    link = tmp_path / "models" / "warm"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(ModelSpecError, match=r"is a link to .*gone, which does not exist"):
        resolve_spec("models/warm", flag="--warmth-model", cwd=tmp_path)


@pytest.mark.parametrize("config", ["[]", '"text"', "3"])
def test_an_adapter_config_that_is_not_an_object(tmp_path: Path, config: str) -> None:
    _weights(tmp_path / "adapter_model.safetensors")
    (tmp_path / "adapter_config.json").write_text(config)
    with pytest.raises(ModelSpecError, match="must be a JSON object, this one is a"):
        resolve_pair(str(tmp_path), None)


def test_an_adapter_config_without_a_base(tmp_path: Path) -> None:
    _weights(tmp_path / "adapter_model.safetensors")
    (tmp_path / "adapter_config.json").write_text(json.dumps({"r": 8}))
    with pytest.raises(ModelSpecError, match="does not name its base model"):
        resolve_pair(str(tmp_path), None)
