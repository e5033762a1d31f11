"""The gate's pytest nodes: one item per cell, one per hunt; failures shown without tracebacks."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from pytest_warmth import verdicts
from pytest_warmth.errors import WarmthAssertionError, WarmthError, WarmthWarning
from pytest_warmth.results import FAIL, INCONCLUSIVE, UNTESTABLE

if TYPE_CHECKING:
    from pytest_warmth import gate
    from pytest_warmth.hunting import HuntResult
    from pytest_warmth.results import CellResult
    from pytest_warmth.settings import WarmthSettings


class Runner(Protocol):
    """What the items ask of the run (the session)."""

    settings: WarmthSettings

    def result_for(self, cell: gate.Cell, checkpoint: str = "") -> CellResult:
        """The verdict of ``cell`` (of ``checkpoint``, in a sweep)."""
        ...

    def hunt(self, suite: str, prop: str) -> HuntResult:
        """One hunt's findings."""
        ...


def _number(value: float) -> float:
    return float(f"{value:.6g}")


def cell_properties(result: CellResult) -> list[tuple[str, object]]:
    """The cell's figures as flat, typed JUnit properties (``warmth.<name>``).

    One value per property, numbers as numbers, so Jenkins, GitLab and Azure can show and
    trend them: suite, context, belief, n, b, c, both error rates, delta, the interval, p, the
    adjusted p, the verdict and the items used.
    """
    used = result.n if result.items_used is None else result.items_used
    pairs: list[tuple[str, object]] = [
        ("suite", result.suite), ("context", result.context), ("belief", result.belief),
        ("scoring", result.scoring), ("n", result.n), ("b", result.b), ("c", result.c),
        ("base_error", _number(result.base_error_rate)),
        ("tuned_error", _number(result.tuned_error_rate)), ("delta", _number(result.delta)),
        ("ci_lower", _number(result.ci_lower)), ("ci_upper", _number(result.ci_upper)),
        ("interval", result.interval), ("p", _number(result.pvalue)),
        ("p_adjusted", _number(result.p_adjusted)), ("correction", result.correction),
        ("verdict", result.verdict), ("items_used", used),
    ]  # fmt: skip
    if result.checkpoint:
        pairs.insert(0, ("checkpoint", result.checkpoint))
    return [(f"warmth.{name}", value) for name, value in pairs]


class WarmthGateCollector(pytest.Collector):
    """Parent node of the gate items (node id ``warmth``)."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are created directly
        """Not used: the session creates the items itself."""
        return []


class _WarmthItem(pytest.Item):
    """Shows the plugin's own failures (verdicts, findings, errors) without a traceback."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The verdict, the findings or the error, without a traceback into the plugin."""
        if isinstance(excinfo.value, (WarmthAssertionError, WarmthError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class WarmthGateItem(_WarmthItem):
    """One gate cell: passes unless the tuned model is significantly worse there."""

    def __init__(
        self, *, cell: gate.Cell, runner: Runner, checkpoint: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.cell = cell
        self.checkpoint = checkpoint
        """A sweep: the label of the checkpoint this item gates."""
        self.runner = runner
        self.add_marker("warmth")

    def runtest(self) -> None:
        """Evaluate (once per run, for every selected cell) and check this cell's verdict."""
        result = self.runner.result_for(self.cell, self.checkpoint)
        self.user_properties.extend(cell_properties(result))
        strict = self.runner.settings.strict
        if result.verdict == FAIL or (strict and result.verdict in (INCONCLUSIVE, UNTESTABLE)):
            raise WarmthAssertionError(verdicts.explain(result, strict=strict))
        if result.verdict in (INCONCLUSIVE, UNTESTABLE):
            warnings.warn(WarmthWarning(verdicts.explain(result)), stacklevel=1)

    def reportinfo(self) -> tuple[Path, None, str]:
        """Location shown in reports."""
        where = f"ckpt-{self.checkpoint} " if self.checkpoint else ""
        return self.path, None, f"warmth gate {where}{self.cell.cell_id}"


class WarmthHuntItem(_WarmthItem):
    """One hunt: a property searched over one suite's variants (not part of the statistics)."""

    def __init__(self, *, suite: str, prop: str, runner: Runner, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.prop = prop
        self.runner = runner
        self.add_marker("warmth")

    def runtest(self) -> None:
        """Hunt; fail with the minimal failing variants, if any."""
        result = self.runner.hunt(self.suite, self.prop)
        self.user_properties.extend(
            [
                ("warmth.suite", self.suite),
                ("warmth.property", self.prop),
                ("warmth.examples", result.examples),
                ("warmth.model_calls", result.model_calls),
                ("warmth.findings", len(result.findings)),
            ]
        )
        if result.findings:
            found = "\n".join(f.message for f in result.findings)
            raise WarmthAssertionError(
                f"{self.suite}[{self.prop}]: {len(result.findings)} minimal failing variant(s) "
                f"after {result.examples} examples ({result.model_calls} model calls):\n{found}"
            )

    def reportinfo(self) -> tuple[Path, None, str]:
        """Location shown in reports."""
        return self.path, None, f"warmth hunt {self.suite}[{self.prop}]"
