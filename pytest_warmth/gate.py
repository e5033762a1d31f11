"""The gate: which cells a run asks, how each cell is evaluated, and how verdicts are reached.

Pure orchestration without pytest: :func:`build_plan` turns settings into cells,
:func:`evaluate_cell` asks both models the cell's prompts, and :func:`decide` applies the
one-sided paired test with a multiplicity correction across the run's cells.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_warmth import contexts, engine
from pytest_warmth.errors import WarmthError
from pytest_warmth.results import ItemOutcome, cell_id
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.stats.sequential import SequentialMcNemar
from pytest_warmth.suites import ProbeSuite, builtin_suites, filter_tags, load_suites, sample
from pytest_warmth.verdicts import PairedCell

if TYPE_CHECKING:
    from pytest_warmth.models.loading import ModelPair


@dataclass(frozen=True)
class Cell:
    """One (suite, context, belief) combination: one gate item."""

    suite: str
    context: str
    belief: str = "none"

    @property
    def cell_id(self) -> str:
        """``suite[context]`` or ``suite[context+belief]``."""
        return cell_id(self.suite, self.context, self.belief)


@dataclass(frozen=True)
class GatePlan:
    """The suites (already sampled) and the cells of a run."""

    suites: dict[str, ProbeSuite]
    cells: tuple[Cell, ...]
    seed: int
    warnings: tuple[str, ...] = field(default=())


def build_plan(settings: WarmthSettings) -> GatePlan:
    """Load the suites, check the names the user asked for, and list the cells.

    Raises:
        WarmthError: An unknown suite or context name, or an invalid probe file.
    """
    available = builtin_suites()
    extra = load_suites(settings.probe_paths, seed=settings.seed)
    for name, suite in extra.items():
        if name in available:
            raise WarmthError(
                f"{suite.source}: suite name {name!r} is also a built-in suite; rename it"
            )
    available.update(extra)
    wanted = settings.suites or tuple(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise WarmthError(
            f"unknown suite {unknown[0]!r}; available: {', '.join(sorted(available))} "
            "(add your own with --warmth-probes=PATH)"
        )
    names = settings.contexts or contexts.DEFAULT_CONTEXTS
    bad = [name for name in names if name not in contexts.CATALOG]
    if bad:
        raise WarmthError(f"unknown context {bad[0]!r}; choose from: {', '.join(contexts.CATALOG)}")
    beliefs = settings.beliefs or contexts.DEFAULT_BELIEFS
    bad = [name for name in beliefs if name not in contexts.BELIEFS]
    if bad:
        raise WarmthError(f"unknown belief {bad[0]!r}; choose from: {', '.join(contexts.BELIEFS)}")
    warnings = []
    suites: dict[str, ProbeSuite] = {}
    for name in wanted:
        suite = filter_tags(available[name], settings.tags)
        if settings.limit is not None and settings.limit > len(suite):
            warnings.append(
                f"--warmth-limit={settings.limit} is larger than suite {name!r} "
                f"({len(suite)} items); using all items"
            )
        suites[name] = sample(suite, settings.limit, settings.seed)
    cells = tuple(
        Cell(suite, context, belief) for suite in suites for belief in beliefs for context in names
    )
    return GatePlan(suites=suites, cells=cells, seed=settings.seed, warnings=tuple(warnings))


def cell_messages(plan: GatePlan, cell: Cell) -> list[str]:
    """The user messages of a cell, one per item, identical for base and tuned."""
    suite = plan.suites[cell.suite]
    return [
        contexts.build_prompt(
            question=probe.question,
            answer=probe.answer,
            incorrect=probe.incorrect,
            suite=suite.name,
            item_id=probe.id,
            context=cell.context,
            belief=cell.belief,
            seed=plan.seed,
        )
        for probe in suite.probes
    ]


ProgressFactory = Callable[[Cell, str], "engine.Progress | None"]
SEQUENTIAL_CHUNK = 32
"""Items scored between two looks of the sequential test."""


def _ask(
    pair: ModelPair,
    suite: ProbeSuite,
    indices: Sequence[int],
    messages: Sequence[str],
    *,
    batch_size: int,
    progress: Callable[[str], engine.Progress | None],
) -> list[ItemOutcome]:
    """Both models' multiple-choice answers to the items at ``indices``."""
    probes = [suite.probes[i] for i in indices]
    prompts = [messages[i] for i in indices]
    choices = [
        [suite.answer_template.format(choice=choice) for choice in probe.choices]
        for probe in probes
    ]
    picks: dict[str, list[int]] = {}
    for side in pair.sides():
        if side.role == "tuned" and pair.same_weights:
            # The very same weights on both sides (a self-check): identical batches give
            # identical numbers, so the tuned answers are the base answers.
            picks["tuned"] = picks["base"]
            continue
        with side.activate():
            scores = engine.score_choices(
                side.module,
                pair.tokenizer,
                prompts,
                choices,
                batch_size=batch_size,
                device=pair.device,
                progress=progress(side.role),
            )
        picks[side.role] = [engine.pick(row, suite.mc_rule) for row in scores]
    items = []
    for probe, prompt, base_pick, tuned_pick in zip(
        probes, prompts, picks["base"], picks["tuned"], strict=True
    ):
        items.append(
            ItemOutcome(
                probe_id=probe.id,
                prompt=prompt,
                base_answer=probe.choices[base_pick],
                tuned_answer=probe.choices[tuned_pick],
                base_correct=probe.choices[base_pick] == probe.answer,
                tuned_correct=probe.choices[tuned_pick] == probe.answer,
            )
        )
    return items


def evaluate_cell(
    pair: ModelPair,
    plan: GatePlan,
    cell: Cell,
    *,
    batch_size: int,
    progress: ProgressFactory | None = None,
    sequential: Callable[[], SequentialMcNemar] | None = None,
) -> PairedCell:
    """Ask both models the items of ``cell`` (multiple-choice log-likelihood).

    Args:
        pair: The loaded models.
        plan: The run's suites and seed.
        cell: The cell to evaluate.
        batch_size: Prompts per forward pass.
        progress: Optional progress callback factory.
        sequential: When given, a factory for the anytime-valid test: items are asked in a
            seeded random order, in chunks, and the cell stops as soon as the test decides.

    Returns:
        The paired outcomes (only the items used, when a sequential test stopped early).
    """
    suite = plan.suites[cell.suite]
    messages = cell_messages(plan, cell)

    def callbacks(role: str) -> engine.Progress | None:
        return progress(cell, role) if progress is not None else None

    order = list(range(len(suite.probes)))
    if sequential is None:
        items = _ask(pair, suite, order, messages, batch_size=batch_size, progress=callbacks)
        used = [suite.probes[i] for i in order]
        decided: bool | None = None
        log_e: float | None = None
    else:
        random.Random(f"{plan.seed}:{cell.cell_id}").shuffle(order)
        monitor = sequential()
        items = []
        for start in range(0, len(order), SEQUENTIAL_CHUNK):
            chunk = order[start : start + SEQUENTIAL_CHUNK]
            for item in _ask(
                pair, suite, chunk, messages, batch_size=batch_size, progress=callbacks
            ):
                items.append(item)
                if monitor.update(item.base_correct, item.tuned_correct):
                    break
            if monitor.decided:
                break
        used = [suite.probes[i] for i in order[: len(items)]]
        decided, log_e = monitor.decided, monitor.log_e
    return PairedCell(
        suite=cell.suite,
        context=cell.context,
        belief=cell.belief,
        scoring="mc",
        items=tuple(items),
        clusters=tuple(probe.cluster for probe in used),
        items_used=len(items) if sequential is not None else None,
        sequential_decided=decided,
        log_evalue=log_e,
    )
