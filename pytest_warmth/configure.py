"""Starting the gate at configure time: plan, models resolved by their backend, reporters.

Everything here is cheap and offline, so a wrong suite name, model path, backend or scoring
mode is one usage error before any model loads.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from pytest_warmth import sweep
from pytest_warmth.backends import registry
from pytest_warmth.backends.protocol import (
    CHAT,
    GENERATE,
    TEXT,
    CarriesSuites,
    ChecksPrompts,
    ModelRequest,
    ResolvedModel,
    ResolvedPair,
)
from pytest_warmth.errors import ModelSpecError
from pytest_warmth.gate import GatePlan, build_plan, cell_messages
from pytest_warmth.reporting import BUILTIN as BUILTIN_REPORTERS
from pytest_warmth.reporting.baseline import check_comparable, load_baseline
from pytest_warmth.run import JUDGE_BASE, GateRun
from pytest_warmth.session import WarmthSession, hash_memo
from pytest_warmth.settings import WarmthSettings


def start_gate(config: pytest.Config, settings: WarmthSettings) -> WarmthSession:
    """The session of an active gate, with its reporters registered.

    Raises:
        WarmthError: A suite, model spec, backend or scoring mode is unusable.
    """
    assert settings.model is not None
    memo = hash_memo(config)
    cwd = Path(config.invocation_params.dir)
    checkpoints = sweep.expand(settings.models or (settings.model,), cwd)
    request = ModelRequest(
        checkpoints[0].spec, settings.base, cwd=cwd, allow_pickle=settings.allow_pickle,
        hash_memo=memo, unpaired=settings.unpaired,
    )  # fmt: skip
    backend, models = registry.resolve_pair(request)
    pairs = [(checkpoints[0], models)]
    for checkpoint in checkpoints[1:]:
        other = dataclasses.replace(request, model=checkpoint.spec)
        pairs.append((checkpoint, registry.resolve_pair(other)[1]))
    sweep.check_one_base(pairs)
    if settings.scoring is None and models.capabilities == {GENERATE}:
        # Replies recorded elsewhere (or an API without log-probabilities) can only be graded.
        settings = dataclasses.replace(settings, scoring=GENERATE)
    plan = build_plan(settings, models.suites() if isinstance(models, CarriesSuites) else None)
    for _, pair in pairs:
        check_capabilities(plan, pair, backend, measure_warmth=settings.measure_warmth)
    if isinstance(models, ChecksPrompts):
        generated = [c for c in plan.cells if plan.scoring[c.suite] == GENERATE]
        models.check_prompts([m for cell in generated for m in cell_messages(plan, cell)])
    baseline = None
    if settings.baseline is not None:  # refused before anything is loaded
        baseline = load_baseline(settings.baseline)
        check_comparable(baseline, settings.reported() | plan.identity(), settings.baseline)
    judge: ResolvedModel | None = None
    if settings.judge is not None and settings.judge.strip().lower() != JUDGE_BASE:
        judge = registry.resolve_model(settings.judge, request)
    swept = pairs if checkpoints[0].label else None
    run = GateRun(settings, plan, models, judge=judge, sweep=swept)
    run.baseline = baseline
    if not config.option.collectonly:
        run.calibrate_graders()  # a weak judge is refused before it grades anything
    for name in BUILTIN_REPORTERS:
        reporter = importlib.import_module(name).reporter(config)
        if reporter is not None:
            config.pluginmanager.register(reporter, f"warmth-report:{name}")
    return WarmthSession(config, settings, plan, run, memo)


def check_capabilities(
    plan: GatePlan, models: ResolvedPair, backend: str, *, measure_warmth: bool = False
) -> None:
    """Fail when the run asks what the models' backend cannot answer.

    A suite's scoring mode, a second turn (pushback), or ``--warmth-measure-warmth``
    (generated replies scored as plain text).

    Raises:
        ModelSpecError: Names what is asked and what the backend offers.
    """
    offered = models.capabilities
    if measure_warmth and not {GENERATE, TEXT} <= offered:
        raise ModelSpecError(
            f"--warmth-measure-warmth generates replies and scores them as plain text under the "
            f"base, which the {backend!r} backend cannot do (it offers: "
            f"{', '.join(sorted(offered))}); leave it out"
        )
    two_turns = [c.belief for c in plan.cells if c.second_turn]
    if two_turns and CHAT not in offered:
        raise ModelSpecError(
            f"belief {two_turns[0]!r} asks each model again after its own first answer, which "
            f"the {backend!r} backend cannot do (its replies answer single prompts); leave "
            f"{two_turns[0]!r} out of --warmth-belief"
        )
    for suite, mode in plan.scoring.items():
        if mode not in offered:
            raise ModelSpecError(
                f"suite {suite!r} is scored by {mode!r}, which the {backend!r} backend cannot "
                f"answer (it offers: {', '.join(sorted(offered)) or 'nothing'}); pass "
                f"--warmth-scoring={'generate' if 'generate' in offered else 'mc'}"
            )
