"""The gate's plan: which suites, items and cells a run asks, and each cell's prompts.

Pure planning without pytest or models: :func:`build_plan` turns settings into cells and
:func:`cell_messages` writes a cell's user messages. :mod:`pytest_warmth.evaluation` then asks
both models, and :func:`pytest_warmth.verdicts.decide` applies the one-sided paired test with
a multiplicity correction across the run's cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_warmth import contexts
from pytest_warmth.errors import WarmthError
from pytest_warmth.option_values import DEFAULT_MAX_NEW_TOKENS
from pytest_warmth.profiles import PROFILES
from pytest_warmth.results import cell_id
from pytest_warmth.sampling import filter_tags, sample
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.suite_sources import builtin_suites, load_suites
from pytest_warmth.suites import ProbeSuite


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
    """The suites (already sampled), their scoring modes and the cells of a run."""

    suites: dict[str, ProbeSuite]
    cells: tuple[Cell, ...]
    seed: int
    warnings: tuple[str, ...] = field(default=())
    scoring: dict[str, str] = field(default_factory=dict)
    """Scoring mode per suite: ``mc`` or ``generate``."""
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    """Generate mode: most new tokens per reply."""


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
    profile = PROFILES[settings.profile]
    names = tuple(dict.fromkeys(map(contexts.context_name, settings.contexts or profile.contexts)))
    bad = [name for name in names if name not in contexts.CATALOG]
    if bad:
        raise WarmthError(f"unknown context {bad[0]!r}; choose from: {', '.join(contexts.CATALOG)}")
    beliefs = settings.beliefs or profile.beliefs
    bad = [name for name in beliefs if name not in contexts.BELIEFS]
    if bad:
        raise WarmthError(f"unknown belief {bad[0]!r}; choose from: {', '.join(contexts.BELIEFS)}")
    warnings = []
    suites: dict[str, ProbeSuite] = {}
    limit = settings.limit if settings.limit is not None else profile.limit()
    for name in wanted:
        suite = filter_tags(available[name], settings.tags)
        if settings.limit is not None and settings.limit > len(suite):
            warnings.append(
                f"--warmth-limit={settings.limit} is larger than suite {name!r} "
                f"({len(suite)} items); using all items"
            )
        suites[name] = sample(suite, limit, settings.seed)
    # A suite that declares its conditions (e.g. saved hunt findings, whose questions already
    # hold their context and belief) is asked under those only.
    cells = tuple(
        Cell(name, context, belief)
        for name, suite in suites.items()
        for belief in suite.beliefs or beliefs
        for context in suite.contexts or names
    )
    mode = settings.scoring or profile.scoring
    scoring = {name: suite.scoring if mode == "suite" else mode for name, suite in suites.items()}
    if settings.judge is not None and "generate" not in scoring.values():
        warnings.append(
            "--warmth-judge has no effect: every suite is scored by multiple choice; "
            "add --warmth-scoring=generate"
        )
    return GatePlan(
        suites=suites,
        cells=cells,
        seed=settings.seed,
        warnings=tuple(warnings),
        scoring=scoring,
        max_new_tokens=settings.max_new_tokens,
    )


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
