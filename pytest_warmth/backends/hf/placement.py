"""Where a model's weights go: one device, or one model sharded across every visible GPU.

An 8B model fits one GPU; a 70B model in bfloat16 (about 140 GB) does not. With
``--warmth-device=shard`` (or ``auto`` when several GPUs are visible) transformers loads the
model through accelerate's ``device_map="auto"``: consecutive layers fill one GPU after another,
within ``--warmth-max-memory`` per device when given, and accelerate's hooks carry activations
from one GPU to the next. Inputs go to the device of the first module; outputs come back there.
A PEFT adapter attached to a sharded base lands beside the layers it modifies, so the adapter
toggle still costs the memory of one model.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_warmth.errors import MissingExtraError, ModelLoadError

SHARD = "shard"
OFFLOADED = ("cpu", "disk")
"""Devices in a device map that mean accelerate ran out of GPU memory (slow, but it runs)."""


@dataclass(frozen=True)
class Placement:
    """How to load one model.

    Attributes:
        device: Where inputs go (``cpu``, ``cuda``, ``mps``, or ``cuda:0`` for a sharded model).
        shard: Whether the model is split across GPUs by accelerate.
        max_memory: A sharded model: the most memory per device (GPU index or ``cpu``).
    """

    device: str
    shard: bool = False
    max_memory: Mapping[int | str, str] = field(default_factory=dict)

    def load_kwargs(self) -> dict[str, Any]:
        """Extra ``from_pretrained`` arguments: a device map and memory budget when sharded."""
        if not self.shard:
            return {}
        kwargs: dict[str, Any] = {"device_map": "auto"}
        if self.max_memory:
            kwargs["max_memory"] = dict(self.max_memory)
        return kwargs


def plan_placement(name: str, max_memory: Sequence[tuple[str, str]], torch: Any) -> Placement:
    """Decide where the models go from ``--warmth-device`` and ``--warmth-max-memory``.

    Args:
        name: ``auto``, ``cpu``, ``cuda``, ``mps`` or ``shard``.
        max_memory: (device, size) pairs; used only when the model is sharded.
        torch: The torch module (passed in so that this module imports nothing heavy).

    Raises:
        ModelLoadError: Sharding was asked for without GPUs, or the memory budget names a GPU
            that is not visible.
        MissingExtraError: Sharding needs accelerate, which is not installed.
    """
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if name == SHARD or (name == "auto" and gpus > 1):
        if gpus == 0:
            raise ModelLoadError(
                "--warmth-device=shard splits a model across CUDA GPUs, but none is visible; "
                "use --warmth-device=cpu"
            )
        if importlib.util.find_spec("accelerate") is None:
            raise MissingExtraError(
                'sharding a model across GPUs needs accelerate: pip install "pytest-warmth[hf]"'
            )
        memory: dict[int | str, str] = {
            int(key) if key.isdigit() else key: size for key, size in max_memory
        }
        unseen = sorted(k for k in memory if isinstance(k, int) and k >= gpus)
        if unseen:
            raise ModelLoadError(
                f"--warmth-max-memory names GPU {unseen[0]}, but {gpus} GPU(s) are visible "
                "(indices from 0); check CUDA_VISIBLE_DEVICES"
            )
        return Placement("cuda:0", shard=True, max_memory=memory)
    if name == "auto":
        return Placement("cuda" if gpus else "cpu")
    if name == "cuda" and not gpus:
        raise ModelLoadError("--warmth-device=cuda but no CUDA device is visible; use cpu")
    if name == "mps" and not _mps_available(torch):
        raise ModelLoadError(
            "--warmth-device=mps but no Apple GPU (MPS) is available to this torch build; "
            "use cpu (or auto)"
        )
    return Placement(name)


def _mps_available(torch: Any) -> bool:
    backend = getattr(getattr(torch, "backends", None), "mps", None)
    return bool(backend is not None and backend.is_available())


def device_groups(module: Any) -> dict[str, list[str]]:
    """A sharded module's submodules by device, in the order the device map lists them."""
    groups: dict[str, list[str]] = {}
    for name, device in (getattr(module, "hf_device_map", None) or {}).items():
        key = f"cuda:{device}" if isinstance(device, int) else str(device)
        groups.setdefault(key, []).append(name or "(whole model)")
    return groups


def input_device(module: Any, fallback: str) -> str:
    """The device a sharded module takes its inputs on (its first module's), else ``fallback``."""
    groups = device_groups(module)
    first = next(iter(groups), None)
    return first if first is not None and first not in OFFLOADED else fallback


def describe_placement(role: str, module: Any, device: str) -> list[str]:
    """Lines saying where a model sits: one device, or each GPU's share of the layers."""
    groups = device_groups(module)
    if len(groups) <= 1:
        return [f"{role} on {next(iter(groups), device)}"]
    shares = "; ".join(
        f"{where}: {names[0]}" + (f" .. {names[-1]}" if len(names) > 1 else "")
        for where, names in groups.items()
    )
    lines = [f"{role} sharded over {len(groups)} devices ({shares})"]
    spilled = [where for where in groups if where in OFFLOADED]
    if spilled:
        lines.append(
            f"{role}: part of the model did not fit the GPUs and runs from {' and '.join(spilled)}"
            " (slow); raise --warmth-max-memory or use more GPUs"
        )
    return lines
