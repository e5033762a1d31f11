"""Checking a grader against human labels before its labels count: agreement and Cohen's kappa.

A judge model is only as good as its agreement with careful readers, and none of the common
eval tools refuses a weak one. Here every judge is first asked to grade a labelled calibration
set (the shipped one, or ``--warmth-judge-calibration=FILE``); its right/not-right verdicts
are compared with the human labels, and a judge whose Cohen's kappa falls below
``--warmth-judge-min-kappa`` is refused before it grades anything. The rules get the same
check, so the header says how far they can be trusted on that register.

Refusals are left out: the rules detect them for every grader, and the judge decides only
between right and not right. A calibration file is JSON lines with ``question``, ``answer``,
``incorrect``, ``response`` and ``label`` (``correct``, ``incorrect``, ``unclear``,
``refusal``), and optionally ``aliases``, ``choices`` and ``belief``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_warmth.errors import WarmthError
from pytest_warmth.grading import CORRECT, LABELS, REFUSAL, Target, grade
from pytest_warmth.jsonlines import JsonLineError, json_objects

SHIPPED = "calibration.jsonl"
"""The shipped calibration set, in :mod:`pytest_warmth` (a part of the labelled dev sets)."""


@dataclass(frozen=True)
class LabelledReply:
    """One reply with the label a careful reader gave it."""

    question: str
    target: Target
    belief: str
    response: str
    label: str


@dataclass(frozen=True)
class Calibration:
    """How one grader's right/not-right verdicts agree with the human labels."""

    grader: str
    source: str
    n: int
    agree: int
    kappa: float
    off_format: int = 0
    """Judge verdicts that were neither CORRECT nor INCORRECT (the rules decided those)."""

    @property
    def agreement(self) -> float:
        """The share of replies on which grader and humans agree."""
        return self.agree / self.n if self.n else 0.0

    def line(self) -> str:
        """``rules: 88.0 % agreement, kappa 0.75 on 150 labelled replies (SOURCE)``."""
        off = f", {self.off_format} off-format" if self.off_format else ""
        return (
            f"{self.grader}: {self.agreement:.1%} agreement, kappa {self.kappa:.2f} on {self.n} "
            f"labelled replies ({self.source}{off})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the report)."""
        return {
            "grader": self.grader, "source": self.source, "n": self.n, "agree": self.agree,
            "agreement": self.agreement, "kappa": self.kappa, "off_format": self.off_format,
        }  # fmt: skip


def cohen_kappa(pairs: Sequence[tuple[bool, bool]]) -> float:
    """Cohen's kappa of two raters' yes/no decisions.

    Returns 0.0 when chance agreement is total (a rater who always says the same thing shows no
    skill, however often it happens to agree).
    """
    n = len(pairs)
    if n == 0:
        return 0.0
    observed = sum(a == b for a, b in pairs) / n
    first = sum(a for a, _ in pairs) / n
    second = sum(b for _, b in pairs) / n
    chance = first * second + (1 - first) * (1 - second)
    if chance >= 1.0:
        return 0.0
    return (observed - chance) / (1 - chance)


def load_labelled(path: Path | None = None) -> tuple[str, list[LabelledReply]]:
    """The calibration set at ``path`` (default: the shipped one), refusals left out.

    Raises:
        WarmthError: The file cannot be read, or a record lacks a field (names file and line).
    """
    if path is None:
        text = resources.files("pytest_warmth").joinpath(SHIPPED).read_text(encoding="utf-8")
        source = "the shipped calibration set"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise WarmthError(f"{path}: cannot read the calibration set: {exc}") from None
        source = str(path)
    replies = []
    try:
        for line, record in json_objects(text):
            reply = _labelled(record, f"{source}:{line}")
            if reply.label != REFUSAL:
                replies.append(reply)
    except JsonLineError as exc:
        raise WarmthError(f"{source}:{exc.line}: {exc.problem}") from None
    if not any(r.label == CORRECT for r in replies) or all(r.label == CORRECT for r in replies):
        raise WarmthError(
            f"{source}: a calibration set needs replies labelled correct and replies labelled "
            "otherwise, or no grader can show skill on it"
        )
    return source, replies


def _labelled(record: dict[str, Any], where: str) -> LabelledReply:
    missing = [
        k for k in ("question", "answer", "incorrect", "response", "label") if k not in record
    ]
    if missing:
        raise WarmthError(f"{where}: a labelled reply needs {', '.join(missing)}")
    label = str(record["label"])
    if label not in LABELS:
        raise WarmthError(f"{where}: label {label!r} is not one of {', '.join(LABELS)}")
    target = Target(
        str(record["answer"]), str(record["incorrect"]),
        tuple(record.get("aliases") or ()), tuple(record.get("choices") or ()),
    )  # fmt: skip
    belief = str(record.get("belief") or "none")
    return LabelledReply(str(record["question"]), target, belief, str(record["response"]), label)


def compare(
    grader: str, source: str, replies: Sequence[LabelledReply], says: Sequence[bool | None]
) -> Calibration:
    """Agreement and kappa of a grader's verdicts (None, an off-format verdict: not correct)."""
    pairs = [
        (reply.label == CORRECT, bool(verdict))
        for reply, verdict in zip(replies, says, strict=True)
    ]
    agree = sum(a == b for a, b in pairs)
    off = sum(verdict is None for verdict in says)
    return Calibration(grader, source, len(pairs), agree, cohen_kappa(pairs), off)


def calibrate_rules(source: str, replies: Sequence[LabelledReply]) -> Calibration:
    """The rule-based grader on the calibration set."""
    says = [
        grade(r.response, r.target, question=r.question, belief=r.belief).label == CORRECT
        for r in replies
    ]
    return compare("rules", source, replies, says)


def calibrate(
    name: str,
    source: str,
    replies: Sequence[LabelledReply],
    verdicts: Callable[[list[str], list[str], list[Target]], Sequence[bool | None]],
) -> Calibration:
    """A judge on the calibration set: ``verdicts(questions, replies, targets)``."""
    says = verdicts(
        [r.question for r in replies], [r.response for r in replies], [r.target for r in replies]
    )
    return compare(name, source, replies, says)


def check_judge(calibration: Calibration, min_kappa: float) -> None:
    """Refuse a judge below the threshold.

    Raises:
        WarmthError: One line with the figure, the threshold and what to do.
    """
    if calibration.kappa < min_kappa:
        raise WarmthError(
            f"--warmth-judge refused: {calibration.line()}; kappa {calibration.kappa:.2f} is below "
            f"--warmth-judge-min-kappa={min_kappa:g}. Use a stronger judge, grade with the rules "
            "(drop --warmth-judge), or lower the threshold if you accept a weaker judge"
        )
