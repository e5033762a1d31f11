"""The gate: which cells a run asks, how each cell is evaluated, and how verdicts are reached.

Pure orchestration without pytest: :func:`build_plan` turns settings into cells,
:func:`evaluate_cell` asks both models the cell's prompts, and :func:`decide` applies the
one-sided paired test with a multiplicity correction across the run's cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_warmth import contexts, engine
from pytest_warmth.errors import WarmthError
from pytest_warmth.results import FAIL, PASS, CellResult, ItemOutcome
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.stats import adjust_pvalues, mcnemar_test
from pytest_warmth.suites import ProbeSuite, builtin_suites, filter_tags, load_suites, sample

if TYPE_CHECKING:
    from pytest_warmth.models.loading import ModelPair

TEST_METHOD = "exact"
"""The paired test: one-sided exact (conditional binomial) McNemar."""
CORRECTION = "holm"
"""Multiplicity correction across the cells of one run."""


@dataclass(frozen=True)
class Cell:
    """One (suite, context, belief) combination: one gate item."""

    suite: str
    context: str
    belief: str = "none"

    @property
    def cell_id(self) -> str:
        """``suite[context]`` or ``suite[context+belief]``."""
        inner = self.context if self.belief == "none" else f"{self.context}+{self.belief}"
        return f"{self.suite}[{inner}]"


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


@dataclass(frozen=True)
class CellOutcome:
    """Both models' answers on one cell, before any statistics."""

    cell: Cell
    scoring: str
    items: tuple[ItemOutcome, ...]

    @property
    def b(self) -> int:
        """Base right, tuned wrong."""
        return sum(1 for i in self.items if i.base_correct and not i.tuned_correct)

    @property
    def c(self) -> int:
        """Base wrong, tuned right."""
        return sum(1 for i in self.items if not i.base_correct and i.tuned_correct)


ProgressFactory = Callable[[Cell, str], "engine.Progress | None"]


def evaluate_cell(
    pair: ModelPair,
    plan: GatePlan,
    cell: Cell,
    *,
    batch_size: int,
    progress: ProgressFactory | None = None,
) -> CellOutcome:
    """Ask both models every item of ``cell`` (multiple-choice log-likelihood)."""
    suite = plan.suites[cell.suite]
    messages = cell_messages(plan, cell)
    choices = [
        [suite.answer_template.format(choice=choice) for choice in probe.choices]
        for probe in suite.probes
    ]
    picks: dict[str, list[int]] = {}
    for side in pair.sides():
        if side.role == "tuned" and pair.same_weights:
            # The very same weights on both sides (a self-check): identical batches give
            # identical numbers, so the tuned answers are the base answers.
            picks["tuned"] = picks["base"]
            continue
        callback = progress(cell, side.role) if progress is not None else None
        with side.activate():
            scores = engine.score_choices(
                side.module,
                pair.tokenizer,
                messages,
                choices,
                batch_size=batch_size,
                device=pair.device,
                progress=callback,
            )
        picks[side.role] = [engine.pick(row, suite.mc_rule) for row in scores]
    items = []
    for probe, message, base_pick, tuned_pick in zip(
        suite.probes, messages, picks["base"], picks["tuned"], strict=True
    ):
        base_answer = probe.choices[base_pick]
        tuned_answer = probe.choices[tuned_pick]
        items.append(
            ItemOutcome(
                probe_id=probe.id,
                prompt=message,
                base_answer=base_answer,
                tuned_answer=tuned_answer,
                base_correct=base_answer == probe.answer,
                tuned_correct=tuned_answer == probe.answer,
            )
        )
    return CellOutcome(cell=cell, scoring="mc", items=tuple(items))


def decide(outcomes: Sequence[CellOutcome], alpha: float) -> list[CellResult]:
    """Test every cell (one-sided exact McNemar) and apply Holm across the cells."""
    tests = [mcnemar_test(o.b, o.c, alternative="greater", method=TEST_METHOD) for o in outcomes]
    adjusted = adjust_pvalues([t.pvalue for t in tests], CORRECTION)
    results = []
    for outcome, test, p_adj in zip(outcomes, tests, adjusted, strict=True):
        n = len(outcome.items)
        results.append(
            CellResult(
                suite=outcome.cell.suite,
                context=outcome.cell.context,
                belief=outcome.cell.belief,
                scoring=outcome.scoring,
                n=n,
                base_errors=sum(1 for i in outcome.items if not i.base_correct),
                tuned_errors=sum(1 for i in outcome.items if not i.tuned_correct),
                b=outcome.b,
                c=outcome.c,
                test=f"one-sided {TEST_METHOD} McNemar, {CORRECTION} across {len(outcomes)} cells",
                pvalue=test.pvalue,
                p_adjusted=p_adj,
                alpha=alpha,
                verdict=FAIL if p_adj <= alpha else PASS,
                items=outcome.items,
            )
        )
    return results


def failure_message(result: CellResult) -> str:
    """The explanation shown when a cell fails."""
    return (
        f"{result.cell_id}: the tuned model errs significantly more often than the base "
        f"(n={result.n}, base error {result.base_error_rate:.1%}, tuned error "
        f"{result.tuned_error_rate:.1%}, delta {result.delta:+.1%}; b={result.b} right->wrong, "
        f"c={result.c} wrong->right; one-sided exact McNemar p={result.pvalue:.3g}, "
        f"Holm-adjusted p={result.p_adjusted:.3g} <= alpha {result.alpha:g})"
    )
