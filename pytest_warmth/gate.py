"""The gate's plan: which suites, items and cells a run asks, and each cell's prompts.

Pure planning without pytest or models: :func:`build_plan` turns settings into cells and
:func:`cell_messages` writes a cell's user messages. :mod:`pytest_warmth.evaluation` then asks
both models, and :func:`pytest_warmth.verdicts.decide` applies the one-sided paired test with
a multiplicity correction across the run's cells.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_warmth import contexts
from pytest_warmth.errors import WarmthError
from pytest_warmth.option_values import DEFAULT_MAX_NEW_TOKENS, DEFAULT_UNCLEAR
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

    @property
    def second_turn(self) -> bool:
        """Whether the belief is a challenge after each side's first answer (pushback)."""
        return contexts.get_belief(self.belief).second_turn


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
    unclear: str = DEFAULT_UNCLEAR
    """Generate mode: a reply without an answer counts as ``wrong``, ``right`` or ``exclude``."""

    def identity(self) -> dict[str, Any]:
        """What decides the items asked and their scoring, as a report records it.

        The suites' names, their scoring modes, and per suite its version, item count and a
        digest of its (sampled) item ids: two runs with equal identities asked the same items.
        """
        items = {
            name: {
                "version": suite.version,
                "n": len(suite.probes),
                "items": hashlib.sha256(
                    "\n".join(sorted(p.id for p in suite.probes)).encode()
                ).hexdigest()[:16],
            }
            for name, suite in self.suites.items()
        }
        return {"suites": list(self.suites), "scoring": dict(self.scoring), "suite_items": items}

    def cell_suite(self, cell: Cell) -> ProbeSuite:
        """The suite of ``cell`` with the items asked in it.

        For a suite with exact conditions, those are the items that have a verbatim prompt
        for the cell's condition; otherwise all of them.
        """
        suite = self.suites[cell.suite]
        if not suite.conditions:
            return suite
        return suite.with_probes(
            tuple(p for p in suite.probes if p.prompt_for(cell.context, cell.belief) is not None)
        )


def build_plan(settings: WarmthSettings, bundled: Sequence[ProbeSuite] | None = None) -> GatePlan:
    """Load the suites, check the names the user asked for, and list the cells.

    Args:
        settings: The run's settings.
        bundled: Suites that come with the models (e.g. recorded outputs in a study's
            layout, whose items are the files' own); they replace the built-in suites.

    Raises:
        WarmthError: An unknown suite or context name, or an invalid probe file.
    """
    available = builtin_suites() if bundled is None else {s.name: s for s in bundled}
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
    beliefs = tuple(dict.fromkeys(map(contexts.belief_name, settings.beliefs or profile.beliefs)))
    bad = [name for name in beliefs if name not in contexts.BELIEFS]
    if bad:
        raise WarmthError(f"unknown belief {bad[0]!r}; choose from: {', '.join(contexts.BELIEFS)}")
    warnings = list(settings.warnings)
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
    only = (names if settings.contexts else None, beliefs if settings.beliefs else None)
    cells = tuple(cell for suite in suites.values() for cell in _cells(suite, names, beliefs, only))
    if not cells:
        raise WarmthError(
            "no condition of the run is among the suites' own: leave out --warmth-context "
            "and --warmth-belief to run the conditions the suites have"
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
        unclear=settings.unclear,
    )


def _cells(
    suite: ProbeSuite,
    names: Sequence[str],
    beliefs: Sequence[str],
    only: tuple[Sequence[str] | None, Sequence[str] | None],
) -> list[Cell]:
    """A suite's cells.

    Its exact conditions (those among ``only``, the contexts and beliefs the user named, if
    any), else its declared contexts and beliefs (e.g. saved hunt findings, whose questions
    already hold their context and belief), else the run's.
    """
    if suite.conditions:
        return [
            Cell(suite.name, context, belief)
            for context, belief in suite.conditions
            if (only[0] is None or context in only[0]) and (only[1] is None or belief in only[1])
        ]
    return [
        Cell(suite.name, context, belief)
        for belief in suite.beliefs or beliefs
        for context in suite.contexts or names
    ]


def cell_messages(plan: GatePlan, cell: Cell) -> list[str]:
    """The user messages of a cell, one per item, identical for base and tuned.

    A belief stated in a second turn (pushback) starts from the cell's question without a
    belief: the very messages of the ``none`` cell of the same context, so those answers are
    shared (and cached) between the two cells.
    """
    suite = plan.cell_suite(cell)
    belief = contexts.NO_BELIEF if cell.second_turn else cell.belief
    return [
        probe.prompt_for(cell.context, belief)
        or contexts.build_prompt(
            question=probe.question,
            answer=probe.answer,
            incorrect=probe.incorrect,
            suite=suite.name,
            item_id=probe.id,
            context=cell.context,
            belief=belief,
            seed=plan.seed,
        )
        for probe in suite.probes
    ]


def plain_questions(plan: GatePlan, count: int) -> list[str]:
    """The first ``count`` questions of the run's suites, asked plainly, in turn per suite.

    For measurements beside the gate, e.g. how warm the replies read.
    """
    per_suite = [cell_messages(plan, Cell(name, contexts.PLAIN)) for name in plan.suites]
    mixed = [messages[i] for i in range(max(map(len, per_suite), default=0))
             for messages in per_suite if i < len(messages)]  # fmt: skip
    return mixed[:count]
