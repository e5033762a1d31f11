"""Versioned result records: the only shape that reaches disk or crosses processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
"""Version of the JSON report layout; bumped on any incompatible change."""

PASS = "PASS"
FAIL = "FAIL"
INCONCLUSIVE = "INCONCLUSIVE"
UNTESTABLE = "UNTESTABLE"
VERDICTS = (PASS, FAIL, INCONCLUSIVE, UNTESTABLE)
SEVERITY = (FAIL, INCONCLUSIVE, UNTESTABLE, PASS)
"""Verdicts from the one a reader must see first to the last."""


def cell_id(suite: str, context: str, belief: str) -> str:
    """The id of a cell: ``suite[context]``, or ``suite[context+belief]`` with a belief."""
    inner = context if belief == "none" else f"{context}+{belief}"
    return f"{suite}[{inner}]"


def paired_counts(items: Sequence[ItemOutcome]) -> tuple[int, int, int]:
    """``(b, c, both_wrong)``: base right & tuned wrong, the reverse, and both wrong."""
    b = sum(1 for i in items if i.base_correct and not i.tuned_correct)
    c = sum(1 for i in items if not i.base_correct and i.tuned_correct)
    both_wrong = sum(1 for i in items if not i.base_correct and not i.tuned_correct)
    return b, c, both_wrong


@dataclass(frozen=True)
class FirstTurn:
    """The first exchange of a two-turn item (pushback): each side's first answer.

    The item's prompt is the first user message; its answers and labels are the replies to
    the ``challenge`` that followed each side's own first answer.
    """

    challenge: str
    """The user's second turn."""
    base_answer: str
    tuned_answer: str
    base_correct: bool
    """Whether the base's first answer was right (only such items can abandon it)."""
    tuned_correct: bool


@dataclass(frozen=True)
class ItemOutcome:
    """How both models did on one item of one cell."""

    probe_id: str
    prompt: str
    """The user message both models saw."""
    base_answer: str
    tuned_answer: str
    base_correct: bool
    """Whether the base's answer counts as right (a refusal may count as right, by policy)."""
    tuned_correct: bool
    base_label: str = ""
    """Grader label: correct, incorrect, refusal or unclear."""
    tuned_label: str = ""
    base_adopted: bool | None = None
    """Whether the base went along with the user's wrong belief (``None``: no wrong belief)."""
    tuned_adopted: bool | None = None
    first: FirstTurn | None = None
    """Two-turn items: the first exchange (``None``: one turn)."""


@dataclass(frozen=True)
class CellResult:
    """The paired comparison of one (suite, context, belief) cell and its verdict."""

    suite: str
    context: str
    belief: str
    scoring: str
    n: int
    """Items compared."""
    base_errors: int
    tuned_errors: int
    b: int
    """Items the base got right and the tuned model got wrong."""
    c: int
    """Items the base got wrong and the tuned model got right."""
    test: str
    """Name of the significance test."""
    pvalue: float
    """One-sided p-value for 'the tuned model errs more often'."""
    p_adjusted: float
    """The p-value after the multiplicity correction across the run's cells."""
    alpha: float
    verdict: str
    ci_lower: float = -1.0
    """Two-sided (1 - alpha) confidence interval of the rise, lower end."""
    ci_upper: float = 1.0
    """Two-sided (1 - alpha) confidence interval of the rise, upper end."""
    upper_bound: float = 1.0
    """One-sided upper confidence bound of the rise at the per-cell level alpha / cells."""
    interval: str = "tango"
    """Interval method."""
    mde: float | None = None
    """Minimum detectable rise at the observed discordance (power 0.8, level alpha / cells)."""
    required_n: int | None = None
    """Items needed to detect a rise of min_effect (INCONCLUSIVE and UNTESTABLE cells)."""
    correction: str = "holm"
    """Multiplicity correction applied to ``pvalue``."""
    clustered: bool = False
    """True when a cluster-robust test was used."""
    reason: str = ""
    """The verdict in words."""
    items_used: int | None = None
    """Items evaluated before a sequential decision (None: all)."""
    excluded: int = 0
    """Items left out of the comparison: a model refused (refusal policy ``exclude``) or gave
    no answer (``--warmth-unclear=exclude``), or, in a pushback cell, a side's first answer
    was already wrong (only answers both sides got right can be abandoned)."""
    base_refusals: int = 0
    """Refusals by the base among all items asked (generate mode)."""
    tuned_refusals: int = 0
    base_unclear: int = 0
    """Replies of the base that commit to no answer, among all items asked (generate mode)."""
    tuned_unclear: int = 0
    base_adoption: float | None = None
    """Share of the items on which the base adopted the user's wrong belief (belief cells)."""
    tuned_adoption: float | None = None
    base_flip: float | None = None
    """Share of the items the base got right without the belief and wrong with it (pushback:
    right in its first answer and wrong after the challenge)."""
    tuned_flip: float | None = None
    checkpoint: str = ""
    """A sweep: the label of the checkpoint this cell gates (empty: no sweep)."""
    items: tuple[ItemOutcome, ...] = field(default=(), repr=False)

    @property
    def cell_id(self) -> str:
        """``suite[context]`` or ``suite[context+belief]``."""
        return cell_id(self.suite, self.context, self.belief)

    @property
    def report_id(self) -> str:
        """The cell's id, after its checkpoint's in a sweep: ``ckpt-500:suite[context]``."""
        return f"ckpt-{self.checkpoint}:{self.cell_id}" if self.checkpoint else self.cell_id

    @property
    def base_error_rate(self) -> float:
        """Share of items the base model got wrong."""
        return self.base_errors / self.n if self.n else 0.0

    @property
    def tuned_error_rate(self) -> float:
        """Share of items the tuned model got wrong."""
        return self.tuned_errors / self.n if self.n else 0.0

    @property
    def discordance(self) -> float:
        """Share of items on which the two models disagree, (b + c) / n."""
        return (self.b + self.c) / self.n if self.n else 0.0

    @property
    def delta(self) -> float:
        """Rise in error rate, tuned minus base: (b - c) / n."""
        return (self.b - self.c) / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict including the derived rates."""
        data = asdict(self)
        data.update(
            cell=self.cell_id,
            id=self.report_id,
            base_error_rate=self.base_error_rate,
            tuned_error_rate=self.tuned_error_rate,
            delta=self.delta,
            discordance=self.discordance,
        )
        return data


@dataclass(frozen=True)
class ModelInfo:
    """Identity of one side of the comparison."""

    role: str
    spec: str
    kind: str
    location: str
    sha256: str


@dataclass(frozen=True)
class RunResult:
    """Everything one gate run found."""

    settings: dict[str, Any]
    models: tuple[ModelInfo, ...]
    cells: tuple[CellResult, ...]
    amplification: tuple[dict[str, Any], ...] = ()
    """Difference-in-differences diagnostics per context (warnings, not gating)."""
    graders: tuple[dict[str, Any], ...] = ()
    """Each grader's agreement and Cohen's kappa against the calibration labels."""
    load: dict[str, Any] = field(default_factory=dict)
    """How the models were loaded: ``where`` they run and the load's ``notes`` (e.g. which GPU
    holds which layers of a sharded model); empty when nothing was loaded."""
    environment: dict[str, Any] = field(default_factory=dict)
    """When the run ended and the versions it ran with (``date``, ``versions``)."""
    warmth: dict[str, Any] = field(default_factory=dict)
    """``--warmth-measure-warmth``: each model's SocioT-style score (``mean``, ``se``, ``n``)
    by role (``base``, ``tuned`` or ``ckpt-<label>``); empty when not measured."""
    sweep: dict[str, Any] = field(default_factory=dict)
    """A checkpoint sweep: its ``checkpoints`` in training order (label, spec, step, models,
    warmth), the ``last_all_pass`` label and the ``correction`` family; empty otherwise."""
    schema_version: int = SCHEMA_VERSION

    @property
    def failed(self) -> bool:
        """True when any cell failed."""
        return any(cell.verdict == FAIL for cell in self.cells)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "schema_version": self.schema_version,
            "tool": "pytest-warmth",
            "settings": self.settings,
            "models": [asdict(m) for m in self.models],
            "cells": [cell.to_dict() for cell in self.cells],
            "amplification": list(self.amplification),
            "graders": list(self.graders),
            "load": self.load,
            "environment": self.environment,
            **({"warmth": self.warmth} if self.warmth else {}),
            **({"sweep": self.sweep} if self.sweep else {}),
            "failed": self.failed,
        }
