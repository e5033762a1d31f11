"""Checkpoint sweeps: which checkpoints a run gates, in training order, and what it concludes.

A sweep is several ``--warmth-model`` values, or one directory whose ``checkpoint-N/`` (a
``transformers`` Trainer's) or ``epoch-N/`` subfolders are adapters or full checkpoints of one
base. Each checkpoint is gated against the same base on the same items; the base is asked
once. Its label is the number in its folder's name (the step, or the epoch), else its place
in the order given; items are ``warmth-ckpt-<label>::suite[cell]``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_warmth.errors import ModelSpecError
from pytest_warmth.results import PASS, CellResult, ModelInfo

if TYPE_CHECKING:
    from pytest_warmth.backends.protocol import ResolvedPair

_NUMBERED = re.compile(r"^(checkpoint|epoch|step|ckpt)[-_]?(\d+(?:\.\d+)?)$", re.IGNORECASE)
"""A checkpoint folder's name: ``checkpoint-500``, ``epoch-1.5``, ``step_200``, ``ckpt-3``."""
MODEL_FILES = ("config.json", "adapter_config.json")
"""A folder holding one of these is a model, not a folder of checkpoints."""


@dataclass(frozen=True)
class Checkpoint:
    """One model of a sweep.

    Attributes:
        label: Its name in item ids and reports (``500`` for ``checkpoint-500``).
        spec: Its ``--warmth-model`` value.
        step: Its place in training order (the folder's number, else its position).
    """

    label: str
    spec: str
    step: float

    @property
    def collector(self) -> str:
        """The pytest collector its items belong to: ``warmth-ckpt-<label>``."""
        return f"warmth-ckpt-{self.label}"


def _number(name: str) -> str | None:
    found = _NUMBERED.match(name)
    return found.group(2) if found else None


def checkpoint_folders(directory: Path) -> list[Path]:
    """The numbered checkpoint subfolders of ``directory``, in training order (none: ``[]``).

    A directory that is itself a model (it holds a ``config.json`` or an adapter config) has
    none, whatever its subfolders.
    """
    if not directory.is_dir() or any((directory / name).exists() for name in MODEL_FILES):
        return []
    found = [p for p in directory.iterdir() if p.is_dir() and _number(p.name) is not None]
    return sorted(found, key=lambda p: float(_number(p.name) or 0))


def expand(specs: Sequence[str], cwd: Path) -> list[Checkpoint]:
    """The checkpoints that ``--warmth-model`` names, in training order.

    One value that is a folder of checkpoints gives each of them; several values are taken
    in the order given (the training order), each labelled by the number in its last path
    component where every one has a distinct one, else by its position (1, 2, ...).

    Raises:
        ModelSpecError: A folder of checkpoints among several values, or a checkpoint named
            twice.
    """
    if len(specs) == 1:
        folder = (cwd / specs[0]).expanduser()
        found = checkpoint_folders(folder)
        if not found:
            return [Checkpoint("", specs[0], 0.0)]
        return [
            Checkpoint(_number(p.name) or "", str(p), float(_number(p.name) or 0)) for p in found
        ]
    twice = next((s for i, s in enumerate(specs) if s in specs[:i]), None)
    if twice is not None:
        raise ModelSpecError(f"--warmth-model={twice} is given twice; name each checkpoint once")
    for spec in specs:
        if checkpoint_folders((cwd / spec).expanduser()):
            raise ModelSpecError(
                f"--warmth-model={spec} is a folder of checkpoints; pass it alone to gate each "
                "of them, or name the checkpoints one by one"
            )
    numbers = [_number(Path(spec.rstrip("/")).name) for spec in specs]
    if all(numbers) and len(set(numbers)) == len(numbers):
        return [Checkpoint(n or "", s, float(n or 0)) for n, s in zip(numbers, specs, strict=True)]
    return [Checkpoint(str(i), s, float(i)) for i, s in enumerate(specs, start=1)]


def last_all_pass(order: Sequence[str], cells: Sequence[CellResult]) -> str | None:
    """The last checkpoint in training order whose cells all PASS (``None``: none does)."""
    passing = None
    for label in order:
        mine = [c for c in cells if c.checkpoint == label]
        if mine and all(c.verdict == PASS for c in mine):
            passing = label
    return passing


def sweep_models(sweep: Sequence[tuple[Checkpoint, ResolvedPair]]) -> tuple[ModelInfo, ...]:
    """The base once, then each checkpoint (role ``ckpt-<label>``), for reports."""
    base = sweep[0][1].model_infos()[0]
    tuned = [
        dataclasses.replace(models.model_infos()[1], role=f"ckpt-{checkpoint.label}")
        for checkpoint, models in sweep
    ]
    return (base, *tuned)


def sweep_summary(
    sweep: Sequence[tuple[Checkpoint, ResolvedPair]],
    cells: Sequence[CellResult],
    correction: str,
    warmth: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """What a report records about a sweep.

    The checkpoints (with their warmth, when measured), the last that passes, and the family
    the correction covered.
    """
    order = [checkpoint.label for checkpoint, _ in sweep]
    scores = warmth or {}
    return {
        "checkpoints": [
            {
                "label": c.label,
                "spec": c.spec,
                "step": c.step,
                "sha256": m.model_infos()[1].sha256,
                **(
                    {"warmth": dict(scores[f"ckpt-{c.label}"])}
                    if f"ckpt-{c.label}" in scores
                    else {}
                ),
            }
            for c, m in sweep
        ],
        **({"base_warmth": dict(scores["base"])} if "base" in scores else {}),
        "last_all_pass": last_all_pass(order, cells),
        "correction": (
            f"{correction} across all {len(cells)} cells of the {len(order)} checkpoints (one "
            "family)"
        ),
    }


def check_one_base(sweep: Sequence[tuple[Checkpoint, ResolvedPair]]) -> None:
    """Fail unless every checkpoint is compared with the same base (its files' hash).

    Raises:
        ModelSpecError: Names the checkpoint whose base differs.
    """
    first = sweep[0][1].model_infos()[0]
    for checkpoint, models in sweep[1:]:
        base = models.model_infos()[0]
        known = len(first.sha256) == 64  # a content hash; else the spec must say the same
        if base.sha256 != first.sha256 or (not known and base.spec != first.spec):
            raise ModelSpecError(
                f"checkpoint {checkpoint.spec} is compared with base {base.spec}, the first with "
                f"{first.spec}: a sweep gates checkpoints of one base; pass --warmth-base=SPEC "
                "or gate them in separate runs"
            )
