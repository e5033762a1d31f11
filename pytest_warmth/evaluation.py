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
from typing import TYPE_CHECKING, Any

from pytest_warmth.answering import ask_generate, ask_mc, choices_asked, each_side
from pytest_warmth.backends.protocol import ModelPair, Progress, Prompt, Side
from pytest_warmth.contexts import NO_BELIEF
from pytest_warmth.gate import Cell, GatePlan, cell_messages
from pytest_warmth.grading import (
    REFUSAL,
    UNCLEAR,
)
from pytest_warmth.pushback import ask_pushback, second_turns
from pytest_warmth.results import ItemOutcome
from pytest_warmth.stats.sequential import SequentialMcNemar
from pytest_warmth.suites import Probe, ProbeSuite
from pytest_warmth.verdicts import PairedCell

if TYPE_CHECKING:
    from pytest_warmth.judge import Judge

ProgressFactory = Callable[[Cell, str], "Progress | None"]
SEQUENTIAL_LOOK = 8
"""Fewest items a cell adds between two looks of its sequential test."""


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
    (:class:`~pytest_warmth.cached_side.CachedSide`), :func:`evaluate_cell` then only reads
    the answers.
    """
    asked = []
    plain = {(c.suite, c.context) for c in cells if c.belief == NO_BELIEF}
    for cell in cells:
        if cell.second_turn and (cell.suite, cell.context) in plain:
            continue  # its first turn is the question without a belief, asked already
        messages = cell_messages(plan, cell)
        asked.append((cell, messages, range(len(messages))))
    _fetch(pair, plan, asked, progress)
    _fetch_second_turns(pair, plan, [c for c in cells if c.second_turn], progress)


def _fetch_second_turns(
    pair: ModelPair,
    plan: GatePlan,
    cells: Sequence[Cell],
    progress: Callable[[str], Progress | None] | None,
) -> None:
    """Each side's second turns of every two-turn cell, one call per side and scoring mode.

    Their first turns were asked with every other prompt; each side's conversations hold its
    own first answers, so the sides are asked different prompts here.
    """
    if not cells:
        return
    mc: dict[str, list[Prompt]] = {"base": [], "tuned": []}
    mc_choices: list[list[str]] = []
    generated: dict[str, list[Prompt]] = {"base": [], "tuned": []}
    for cell in cells:
        suite, mode = plan.cell_suite(cell), plan.scoring[cell.suite]
        turns = second_turns(
            pair, suite, suite.probes, cell_messages(plan, cell), mode=mode, seed=plan.seed,
            max_new_tokens=plan.max_new_tokens, progress=lambda role: None,
        )  # fmt: skip
        into = generated if mode == "generate" else mc
        for role in into:
            into[role] += turns.prompts[role]
        if mode != "generate":
            mc_choices += choices_asked(suite, suite.probes)

    def run(role: str, side: Side) -> list[None]:
        callback = progress(f"{role}, second turns") if progress is not None else None
        if mc[role]:
            side.score_choices(mc[role], mc_choices, progress=callback)
        if generated[role]:
            side.generate(generated[role], max_new_tokens=plan.max_new_tokens, progress=callback)
        return []

    each_side(pair, run)


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
            mc_choices += choices_asked(suite, [suite.probes[i] for i in indices])

    def run(role: str, side: Side) -> list[None]:
        callback = progress(role) if progress is not None else None
        if mc_prompts:
            side.score_choices(mc_prompts, mc_choices, progress=callback)
        if replies:
            side.generate(replies, max_new_tokens=plan.max_new_tokens, progress=callback)
        return []

    each_side(pair, run)


def _excluded(item: ItemOutcome, suite: ProbeSuite, unclear: str) -> bool:
    """True when an item leaves the comparison.

    A refusal, or a reply without an answer, under the ``exclude`` policies; a two-turn item
    unless both sides first answered right (only a right answer can be abandoned).
    """
    labels = (item.base_label, item.tuned_label)
    refused = suite.refusal == "exclude" and REFUSAL in labels
    first = item.first
    wrong_before = first is not None and not (first.base_correct and first.tuned_correct)
    return refused or wrong_before or (unclear == "exclude" and UNCLEAR in labels)


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
            if _excluded(item, self.suite, self.plan.unclear):
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
        if cell.second_turn:
            return ask_pushback(
                self.pair, self.suite, probes, prompts, mode=self.mode, seed=self.plan.seed,
                max_new_tokens=self.plan.max_new_tokens, judge=self.judge, progress=callbacks,
                unclear=self.plan.unclear,
            )  # fmt: skip
        if self.mode == "generate":
            return ask_generate(
                self.pair, self.suite, cell, probes, prompts,
                max_new_tokens=self.plan.max_new_tokens, judge=self.judge, progress=callbacks,
                unclear=self.plan.unclear,
            )  # fmt: skip
        return ask_mc(self.pair, self.suite, cell, probes, prompts, progress=callbacks)
