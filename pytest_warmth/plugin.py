"""The pytest11 entry point: hook implementations and public fixtures only.

Importing this module imports nothing heavy (no torch, transformers, peft, datasets or
hypothesis); every hook delegates to a module that owns the work.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth import options
from pytest_warmth.errors import WarmthError
from pytest_warmth.settings import SETTINGS_KEY, WarmthSettings

SESSION_NAME = "warmth-session"
EXPORTED_KEY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``warmth`` option group (https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_addoption)."""
    options.register(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add the project's own hooks (https://docs.pytest.org/en/stable/reference/reference.html#pytest.hookspec.pytest_addhooks)."""
    from pytest_warmth import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    """Validate the options once and, with ``--warmth-model``, start the gate."""
    config.addinivalue_line("markers", "warmth: an item of the pytest-warmth release gate")
    config.addinivalue_line(
        "markers",
        "warmth_suite(path): parametrize the test's warmth_probe argument with every item of "
        "the probe file at path (relative to the test file)",
    )
    settings = WarmthSettings.from_config(config)
    config.stash[SETTINGS_KEY] = settings
    if settings.export_prompts is not None:
        _export_prompts(config, settings, settings.export_prompts)
    if not settings.active:
        return
    from pytest_warmth.configure import start_gate

    try:
        session = start_gate(config, settings)
    except WarmthError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(session, SESSION_NAME)


def _export_prompts(config: pytest.Config, settings: WarmthSettings, path: Path) -> None:
    """Write the plan's prompts (``--warmth-export-prompts``) and say so."""
    from pytest_warmth.export import export_prompts
    from pytest_warmth.gate import build_plan

    try:
        count = export_prompts(build_plan(settings), path)
    except WarmthError as exc:
        raise pytest.UsageError(str(exc)) from None
    except OSError as exc:
        raise pytest.UsageError(f"--warmth-export-prompts={path}: cannot write it: {exc}") from None
    config.stash[EXPORTED_KEY] = f"warmth: {count} prompts written to {path}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say where ``--warmth-export-prompts`` wrote the plan's prompts."""
    line = config.stash.get(EXPORTED_KEY, None)
    return [line] if line else []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``warmth_probe`` from ``@pytest.mark.warmth_suite(path)``."""
    marker = metafunc.definition.get_closest_marker("warmth_suite")
    if marker is None or "warmth_probe" not in metafunc.fixturenames:
        return
    from pytest_warmth.sampling import filter_tags, sample
    from pytest_warmth.suite_sources import load_suites

    if len(marker.args) != 1:
        pytest.fail("use @pytest.mark.warmth_suite(path) with exactly one path", pytrace=False)
    settings = metafunc.config.stash[SETTINGS_KEY]
    path = Path(metafunc.definition.path).parent / str(marker.args[0])
    try:
        suites = [
            sample(filter_tags(suite, settings.tags), settings.limit, settings.seed)
            for suite in load_suites([path], seed=settings.seed).values()
        ]
    except WarmthError as exc:
        pytest.fail(str(exc), pytrace=False)
    probes = [probe for suite in suites for probe in suite.probes]
    metafunc.parametrize("warmth_probe", probes, ids=[probe.id for probe in probes])


@pytest.fixture
def warmth_probe() -> None:
    """One probe item; parametrized by ``@pytest.mark.warmth_suite(path)``."""
    pytest.fail(
        "warmth_probe needs @pytest.mark.warmth_suite('path/to/suite.yaml') on the test",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def warmth_compare(warmth_models: Any, pytestconfig: pytest.Config) -> Any:
    """Run one (suite, context, belief) cell on both models and return the paired outcomes.

    Call it as ``warmth_compare("factual", context="sad", belief="wrong", limit=100)``; pass
    the result to :func:`pytest_warmth.assertions.assert_no_regression`. The models are asked
    through the gate's sides (the answer cache and ``--warmth-judge`` included); results are
    kept per cell for the session. Skips without ``--warmth-model``.
    """
    from pytest_warmth import evaluation, gate

    session = _session(pytestconfig)
    cache: dict[tuple[str, str, str, int | None], Any] = {}

    def compare(
        suite: str, *, context: str = "plain", belief: str = "none", limit: int | None = None
    ) -> Any:
        key = (suite, context, belief, limit)
        if key not in cache:
            settings = dataclasses.replace(
                session.settings,
                suites=(suite,),
                contexts=(context,),
                beliefs=(belief,),
                limit=limit if limit is not None else session.settings.limit,
            )
            try:
                plan = gate.build_plan(settings)
            except WarmthError as exc:
                pytest.fail(str(exc), pytrace=False)
            cache[key] = evaluation.evaluate_cell(
                warmth_models, plan, plan.cells[0], judge=session.run.judge
            )
        return cache[key]

    return compare


@pytest.fixture(scope="session")
def warmth_oracle(warmth_models: Any, pytestconfig: pytest.Config) -> Any:
    """An :class:`~pytest_warmth.hunting.Oracle` on the gate's sides, for ``@given`` tests.

    It answers one :class:`~pytest_warmth.strategies.Variant` at a time for ``base`` or
    ``tuned`` and memoises every answer for the session, so Hypothesis's shrinking re-uses
    them; answers go through the answer cache, and ``--warmth-judge`` grades replies. Use it
    with :func:`pytest_warmth.hunting.keeps_answer` and
    :func:`pytest_warmth.hunting.resists_belief`. Skips without ``--warmth-model``.
    """
    from pytest_warmth.hunting import Oracle
    from pytest_warmth.suite_sources import builtin_suites

    session = _session(pytestconfig)
    suites = {**builtin_suites(), **session.plan.suites}
    return Oracle(
        warmth_models,
        suites,
        scoring={name: session.plan.scoring.get(name, s.scoring) for name, s in suites.items()},
        max_new_tokens=session.plan.max_new_tokens,
        judge=session.run.judge,
    )


def _session(config: pytest.Config) -> Any:
    return config.pluginmanager.get_plugin(SESSION_NAME)


@pytest.fixture(scope="session")
def warmth_settings(pytestconfig: pytest.Config) -> WarmthSettings:
    """The validated ``--warmth-*`` settings of this run (frozen)."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture(scope="session")
def warmth_models(pytestconfig: pytest.Config) -> Any:
    """The loaded :class:`~pytest_warmth.backends.protocol.ModelPair` (base and tuned sides).

    Loaded once per run and shared with the gate items; each side answers through the
    answer cache (:class:`~pytest_warmth.backends.protocol.Side`: ``score_choices``,
    ``generate``, ``score_text``). Skips the test when no ``--warmth-model`` was given.
    """
    session = _session(pytestconfig)
    if session is None:
        pytest.skip("no --warmth-model given")
    try:
        return session.load_models()
    except WarmthError as exc:
        pytest.fail(str(exc), pytrace=False)
