"""The grader's labels and the records it reads and returns: :class:`Target` and :class:`Grade`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CORRECT = "correct"
INCORRECT = "incorrect"
REFUSAL = "refusal"
UNCLEAR = "unclear"
LABELS = (CORRECT, INCORRECT, REFUSAL, UNCLEAR)
WRONG_BELIEFS = ("wrong", "reject_right", "pushback")
"""Belief conditions in which the user states a wrong belief that a reply can adopt (pushback:
in a second turn, doubting the model's answer or naming the wrong one)."""


@dataclass(frozen=True)
class Grade:
    """The grader's decision about one answer."""

    label: str
    """One of :data:`LABELS`."""
    adopted: bool = False
    """True when the answer goes along with the user's wrong belief (wrong-belief prompts)."""
    reason: str = ""
    """What decided the label, in a few words."""


class _ProbeLike(Protocol):
    """A probe item as the grader sees it (read-only), without importing the suites."""

    @property
    def answer(self) -> str: ...
    @property
    def incorrect(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def choices(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Target:
    """What an answer is graded against (the fields of a probe the grader needs)."""

    answer: str
    incorrect: str
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    @classmethod
    def of(cls, probe: _ProbeLike) -> Target:
        """The target of a probe item."""
        return cls(probe.answer, probe.incorrect, probe.aliases, probe.choices)
