"""Asking both models a cell's items: the sides, the scoring modes, prefetch and sequential rounds.

:func:`evaluate_cell` asks both models a cell's prompts (multiple-choice log-likelihood, or
greedy generation graded by :mod:`pytest_warmth.grading`); :func:`prefetch` asks every cell's
prompts up front in one call per side; :func:`evaluate_sequentially` asks cells in rounds under
their anytime-valid tests. Models are asked only through the
:class:`~pytest_warmth.backends.protocol.Side` protocol, each side held once per pass, so a
backend that switches one module between sides does so only when an answer must be computed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_warmth.backends.protocol import ModelPair, Progress, Side, pick
from pytest_warmth.gate import Cell, GatePlan, cell_messages
from pytest_warmth.grading import (
    CORRECT,
    INCORRECT,
    REFUSAL,
    WRONG_BELIEFS,
    Target,
    grade,
)
from pytest_warmth.judge import judged, recorded_grade
from pytest_warmth.results import ItemOutcome
from pytest_warmth.stats.sequential import SequentialMcNemar
from pytest_warmth.suites import Probe, ProbeSuite
from pytest_warmth.verdicts import PairedCell

if TYPE_CHECKING:
    from pytest_warmth.judge import Judge

T = TypeVar("T")


ProgressFactory = Callable[[Cell, str], "Progress | None"]
SEQUENTIAL_LOOK = 8
"""Fewest items a cell adds between two looks of its sequential test."""


def _choices_asked(suite: ProbeSuite, probes: Sequence[Probe]) -> list[list[str]]:
    return [
        [suite.answer_template.format(choice=choice) for choice in probe.choices]
        for probe in probes
    ]


def _each_side(pair: ModelPair, run: Callable[[str, Side], list[T]]) -> dict[str, list[T]]:
    """``run`` for the base and then the tuned side (once when both are the very same weights).

    Each side is held for its whole pass, so a backend that must switch a module into the
    side's mode does it at most once, and only when an answer must be computed.
    """
    answers: dict[str, list[T]] = {}
    for role, side in pair.sides():
        if role == "tuned" and pair.same_weights:
            # The very same weights on both sides (a self-check): identical batches give
            # identical numbers, so the tuned answers are the base answers.
            answers["tuned"] = answers["base"]
            continue
        with side.hold():
            answers[role] = run(role, side)
    return answers


def _ask_mc(
    pair: ModelPair,
    suite: ProbeSuite,
    cell: Cell,
    probes: Sequence[Probe],
    prompts: Sequence[str],
    *,
    progress: Callable[[str], Progress | None],
) -> list[ItemOutcome]:
    """Both models' multiple-choice picks, as outcomes."""
    choices = _choices_asked(suite, probes)

    def run(role: str, side: Side) -> list[int]:
        scores = side.score_choices(prompts, choices, progress=progress(role))
        return [pick(row, suite.mc_rule) for row in scores]

    picks = _each_side(pair, run)
    items = []
    for probe, prompt, base_pick, tuned_pick in zip(
        probes, prompts, picks["base"], picks["tuned"], strict=True
    ):
        base, tuned = probe.choices[base_pick], probe.choices[tuned_pick]
        items.append(
            ItemOutcome(
                probe_id=probe.id,
                prompt=prompt,
                base_answer=base,
                tuned_answer=tuned,
                base_correct=base == probe.answer,
                tuned_correct=tuned == probe.answer,
                base_label=CORRECT if base == probe.answer else INCORRECT,
                tuned_label=CORRECT if tuned == probe.answer else INCORRECT,
                base_adopted=mc_adopted(cell.belief, probe, base),
                tuned_adopted=mc_adopted(cell.belief, probe, tuned),
            )
        )
    return items


def prefetch(
    pair: ModelPair,
    plan: GatePlan,
    cells: Sequence[Cell],
    *,
    progress: Callable[[str], Progress | None] | None = None,
) -> None:
    """Ask each side every prompt of ``cells`` up front: all the base's, then all the tuned's.

    One call per side and scoring mode instead of one per cell: batches stay full across
    cells (the last batch of a small cell is not run half empty), the shared prefix is encoded
    once, and a backend switches its module once per side (the transformers backend folds a
    LoRA adapter into the weights when loaded with ``fold_adapter``). With sides that memoise
    (:class:`~pytest_warmth.answer_cache.CachedSide`), :func:`evaluate_cell` then only reads
    the answers.
    """
    asked = []
    for cell in cells:
        messages = cell_messages(plan, cell)
        asked.append((cell, messages, range(len(messages))))
    _fetch(pair, plan, asked, progress)


def _fetch(
    pair: ModelPair,
    plan: GatePlan,
    asked: Sequence[tuple[Cell, Sequence[str], Sequence[int]]],
    progress: Callable[[str], Progress | None] | None,
) -> None:
    """Each side's answers to the items ``asked``, one call per scoring mode.

    ``asked`` holds (cell, the cell's messages, item indices).
    """
    mc_prompts: list[str] = []
    mc_choices: list[list[str]] = []
    replies: list[str] = []
    for cell, messages, indices in asked:
        suite = plan.cell_suite(cell)
        prompts = [messages[i] for i in indices]
        if plan.scoring[cell.suite] == "generate":
            replies += prompts
        else:
            mc_prompts += prompts
            mc_choices += _choices_asked(suite, [suite.probes[i] for i in indices])

    def run(role: str, side: Side) -> list[None]:
        callback = progress(role) if progress is not None else None
        if mc_prompts:
            side.score_choices(mc_prompts, mc_choices, progress=callback)
        if replies:
            side.generate(replies, max_new_tokens=plan.max_new_tokens, progress=callback)
        return []

    _each_side(pair, run)


def mc_adopted(belief: str, probe: Probe, picked: str) -> bool | None:
    """Multiple choice: picking the user's wrong answer (or leaving the rejected right one)."""
    if belief == "wrong":
        return picked == probe.incorrect
    if belief == "reject_right":
        return picked != probe.answer
    return None


def _ask_generate(
    pair: ModelPair,
    suite: ProbeSuite,
    cell: Cell,
    probes: Sequence[Probe],
    prompts: Sequence[str],
    *,
    max_new_tokens: int,
    judge: Judge | None,
    progress: Callable[[str], Progress | None],
) -> list[ItemOutcome]:
    """Both models' greedy replies, graded, as outcomes."""

    def run(role: str, side: Side) -> list[str]:
        return side.generate(prompts, max_new_tokens=max_new_tokens, progress=progress(role))

    replies = _each_side(pair, run)
    targets = [Target.of(p) for p in probes]
    grades = {
        role: [
            grade(reply, target, question=probe.question, belief=cell.belief)
            for reply, target, probe in zip(replies[role], targets, probes, strict=True)
        ]
        for role in ("base", "tuned")
    }
    recorded = {role: pair.labels.get(role, {}) for role in ("base", "tuned")}
    if judge is not None and not all(p in recorded[r] for r in recorded for p in prompts):
        both = replies["base"] + replies["tuned"]
        verdict = judge.correct([p.question for p in probes] * 2, both, targets * 2)
        n = len(probes)
        for role, says in (("base", verdict[:n]), ("tuned", verdict[n:])):
            grades[role] = [judged(g, ok) for g, ok in zip(grades[role], says, strict=True)]
    for role, labels in recorded.items():
        grades[role] = [
            recorded_grade(g, labels[p]) if p in labels else g
            for g, p in zip(grades[role], prompts, strict=True)
        ]
    refusal_right = suite.refusal == "correct"

    def counts(label: str) -> bool:
        return label == CORRECT or (label == REFUSAL and refusal_right)

    return [
        ItemOutcome(
            probe_id=probe.id,
            prompt=prompt,
            base_answer=base_reply,
            tuned_answer=tuned_reply,
            base_correct=counts(base.label),
            tuned_correct=counts(tuned.label),
            base_label=base.label,
            tuned_label=tuned.label,
            base_adopted=base.adopted if cell.belief in WRONG_BELIEFS else None,
            tuned_adopted=tuned.adopted if cell.belief in WRONG_BELIEFS else None,
        )
        for probe, prompt, base_reply, tuned_reply, base, tuned in zip(
            probes, prompts, replies["base"], replies["tuned"], grades["base"], grades["tuned"],
            strict=True,
        )
    ]  # fmt: skip


def _excluded(item: ItemOutcome, suite: ProbeSuite) -> bool:
    """True when a refusal removes the item from the comparison (policy ``exclude``)."""
    return suite.refusal == "exclude" and REFUSAL in (item.base_label, item.tuned_label)


def evaluate_cell(
    pair: ModelPair,
    plan: GatePlan,
    cell: Cell,
    *,
    progress: ProgressFactory | None = None,
    sequential: Callable[[], SequentialMcNemar] | None = None,
    judge: Judge | None = None,
) -> PairedCell:
    """Ask both models the items of ``cell`` in the suite's scoring mode.

    Args:
        pair: The two sides (e.g. through the answer cache).
        plan: The run's suites, scoring modes and seed.
        cell: The cell to evaluate.
        progress: Optional progress callback factory.
        sequential: When given, a factory for the anytime-valid test: items are asked in a
            seeded random order, :data:`SEQUENTIAL_LOOK` at a time, and the cell stops at the
            first look after the test decides (see :func:`evaluate_sequentially` for many
            cells at once).
        judge: Generate mode: a judge that decides right or wrong (default: rules).

    Returns:
        The paired outcomes (only the items asked, when a sequential test stopped early), and
        the items a refusal took out of the comparison.
    """
    monitor = sequential() if sequential is not None else None
    run = _CellRun(pair, plan, cell, progress, monitor, judge)
    look = SEQUENTIAL_LOOK if monitor is not None else max(len(run.order), 1)
    while not run.done:
        run.feed(run.next_items(look))
    return run.result()


def evaluate_sequentially(
    pair: ModelPair,
    plan: GatePlan,
    cells: Sequence[Cell],
    *,
    batch_size: int,
    sequential: Callable[[], SequentialMcNemar],
    judge: Judge | None = None,
    progress: Callable[[str], Progress | None] | None = None,
) -> list[PairedCell]:
    """Every cell under its own anytime-valid test, in rounds across the cells still open.

    Each round takes the next items of every undecided cell (at least :data:`SEQUENTIAL_LOOK`
    per cell, more when so few cells are open that a round would not fill one batch) and asks
    them in one call per side, so batches stay full; then every cell looks at its test. A
    decided cell asks nothing more, so the compute saved is the items saved. Any look schedule
    keeps the test valid (Ville's inequality).

    Args:
        pair: The two sides (memoising sides carry a round's answers to its cells).
        plan: The run's suites, scoring modes and seed.
        cells: The cells to evaluate.
        batch_size: Prompts per forward pass: the least a round asks.
        sequential: A factory for each cell's test.
        judge: Generate mode: a judge that decides right or wrong (default: rules).
        progress: Optional progress callback factory, called with a label per round and side.

    Returns:
        One :class:`PairedCell` per cell, in input order.
    """
    runs = [_CellRun(pair, plan, cell, None, sequential(), judge) for cell in cells]
    rounds = 0
    while open_runs := [run for run in runs if not run.done]:
        rounds += 1
        look = max(SEQUENTIAL_LOOK, -(-batch_size // len(open_runs)))
        wanted = [(run, run.next_items(look)) for run in open_runs]

        def label(role: str, rounds: int = rounds, cells: int = len(open_runs)) -> Any:
            return progress(f"round {rounds}, {cells} cells open, {role}") if progress else None

        asked = [(run.cell, run.messages, items) for run, items in wanted]
        _fetch(pair, plan, asked, label)
        for run, items in wanted:
            run.feed(items)
    return [run.result() for run in runs]


class _CellRun:
    """One cell's items asked in order, all at once or look by look for a sequential test."""

    def __init__(
        self,
        pair: ModelPair,
        plan: GatePlan,
        cell: Cell,
        progress: ProgressFactory | None,
        monitor: SequentialMcNemar | None,
        judge: Judge | None,
    ) -> None:
        self.pair, self.plan, self.cell = pair, plan, cell
        self.progress, self.monitor, self.judge = progress, monitor, judge
        self.suite = plan.cell_suite(cell)
        self.mode = plan.scoring[cell.suite]
        self.messages = cell_messages(plan, cell)
        self.order = list(range(len(self.suite.probes)))
        if monitor is not None:
            # One seeded order per suite: every cell of the suite asks the same items in the same
            # round, so a question asked with and without a belief (or after the same
            # statement) can share a packed row.
            random.Random(f"{plan.seed}:{cell.suite}").shuffle(self.order)
        self.asked = 0
        self.kept: list[tuple[ItemOutcome, Probe]] = []
        self.dropped: list[ItemOutcome] = []

    @property
    def done(self) -> bool:
        """Every item asked, or the sequential test has decided."""
        decided = self.monitor is not None and self.monitor.decided
        return decided or self.asked >= len(self.order)

    def next_items(self, count: int) -> list[int]:
        """The indices of the next ``count`` items to ask (fewer at the end)."""
        return self.order[self.asked : self.asked + count]

    def feed(self, indices: Sequence[int]) -> None:
        """Ask both models ``indices`` and count every outcome (and look at the test)."""
        for index, item in zip(indices, self._ask(indices), strict=True):
            self.asked += 1
            if _excluded(item, self.suite):
                self.dropped.append(item)
                continue
            self.kept.append((item, self.suite.probes[index]))
            if self.monitor is not None:
                self.monitor.update(item.base_correct, item.tuned_correct)

    def result(self) -> PairedCell:
        """The cell's paired outcomes so far."""
        monitor = self.monitor
        return PairedCell(
            suite=self.cell.suite,
            context=self.cell.context,
            belief=self.cell.belief,
            scoring=self.mode,
            items=tuple(item for item, _ in self.kept),
            clusters=tuple(probe.cluster for _, probe in self.kept),
            items_used=self.asked if monitor is not None else None,
            sequential_decided=monitor.decided if monitor is not None else None,
            log_evalue=monitor.peak_log_e if monitor is not None else None,
            excluded=tuple(self.dropped),
        )

    def _ask(self, indices: Sequence[int]) -> list[ItemOutcome]:
        progress = self.progress
        cell = self.cell

        def callbacks(role: str) -> Progress | None:
            return progress(cell, role) if progress is not None else None

        probes = [self.suite.probes[i] for i in indices]
        prompts = [self.messages[i] for i in indices]
        if self.mode == "generate":
            return _ask_generate(
                self.pair, self.suite, cell, probes, prompts,
                max_new_tokens=self.plan.max_new_tokens, judge=self.judge, progress=callbacks,
            )  # fmt: skip
        return _ask_mc(self.pair, self.suite, cell, probes, prompts, progress=callbacks)
