"""The per-run plugin object: pytest's hooks for the gate, each delegating to the run.

Registered as ``warmth-session`` by :func:`pytest_warmth.plugin.pytest_configure` only when
``--warmth-model`` is given, so an inert run pays nothing. It adds the items
(:mod:`pytest_warmth.nodes`), starts the :class:`~pytest_warmth.run.GateRun` (loading,
evaluation, hunts), keeps file hashes in pytest's cache, and hands the finished run to the
reporters (:func:`pytest_warmth.hookspecs.pytest_warmth_report`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_warmth import gate
from pytest_warmth.backends.protocol import CarriesLabels
from pytest_warmth.errors import WarmthError, WarmthWarning
from pytest_warmth.nodes import WarmthGateCollector, WarmthGateItem, WarmthHuntItem
from pytest_warmth.reporting import WarmthReport
from pytest_warmth.run import GateRun
from pytest_warmth.settings import WarmthSettings

if TYPE_CHECKING:
    from pytest_warmth.backends.protocol import ModelPair
    from pytest_warmth.hunting import HuntResult
    from pytest_warmth.results import CellResult, RunResult

HASH_CACHE_KEY = "warmth/sha256"
"""Where file digests (by path, size and mtime) are kept in pytest's cache between runs."""


def hash_memo(config: pytest.Config) -> dict[str, str]:
    """The file-digest memo from pytest's cache (empty without the cache plugin)."""
    cache = getattr(config, "cache", None)
    return dict(cache.get(HASH_CACHE_KEY, {})) if cache is not None else {}


class WarmthSession:
    """The gate's hooks for one pytest run."""

    def __init__(
        self, config: pytest.Config, settings: WarmthSettings, plan: gate.GatePlan, run: GateRun,
        memo: dict[str, str],
    ) -> None:  # fmt: skip
        self.config = config
        self.settings = settings
        self.plan = plan
        self.run = run
        self.memo = memo
        self.selected: list[tuple[str, gate.Cell]] = []
        """The selected items: (checkpoint label, cell); the label is empty without a sweep."""
        self.error: Exception | None = None
        self.terminal = ReporterTerminal(config)
        run.say, run.terminal = self.terminal.line, self.terminal

    # -- hooks ----------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Name both models with short content hashes, the device, dtype and scoring."""
        s = self.settings
        sweep = [checkpoint for checkpoint, _ in self.run.sweep if checkpoint.label]
        lines = [
            f"warmth: {self.run.models.describe()}",
            *(
                [
                    f"warmth: sweep of {len(sweep)} checkpoints in training order: "
                    + ", ".join(f"ckpt-{c.label}" for c in sweep)
                    + " (one base, asked once)"
                ]
                if sweep
                else []
            ),
            f"warmth: device={s.device} dtype={s.dtype} batch={s.batch_size} seed={s.seed} "
            f"alpha={s.alpha} cells={len(self.plan.cells)} "
            f"items={sum(len(x) for x in self.plan.suites.values())}",
            f"warmth: scoring {self._scoring_text()}",
            *(f"warmth: grader check: {found.line()}" for found in self.run.calibrations),
        ]
        self._save_hash_memo()
        return lines

    def _scoring_text(self) -> str:
        modes = self.plan.scoring
        text = ", ".join(f"{suite}={mode}" for suite, mode in modes.items())
        if "generate" in modes.values():
            grader = "rules" if self.settings.judge is None else f"judge {self.settings.judge}"
            models = self.run.models
            if isinstance(models, CarriesLabels) and models.labelled_replies:
                if self.settings.recorded_labels == "use":
                    grader = f"recorded labels, else {grader}"
                else:
                    grader += " (recorded labels ignored: --warmth-recorded-labels=regrade)"
            text += f" (max_new_tokens={self.plan.max_new_tokens}, grader: {grader})"
        return text

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Add one item per cell (before -k/-m deselection runs)."""
        for message in self.plan.warnings:
            config.issue_config_time_warning(WarmthWarning(message), stacklevel=2)
        for checkpoint, _ in self.run.sweep:
            name = checkpoint.collector if checkpoint.label else "warmth"
            parent = WarmthGateCollector.from_parent(session, name=name, nodeid=name)
            gate_items = [
                WarmthGateItem.from_parent(
                    parent, name=cell.cell_id, cell=cell, runner=self, checkpoint=checkpoint.label
                )
                for cell in self.plan.cells
            ]
            self._add(config, items, parent, gate_items)
        if self.settings.hunt:
            from pytest_warmth.hunting import PROPERTIES

            hunter = WarmthGateCollector.from_parent(
                session, name="warmth-hunt", nodeid="warmth-hunt"
            )
            hunt_items = [
                WarmthHuntItem.from_parent(
                    hunter, name=f"{suite}[{prop}]", suite=suite, prop=prop, runner=self
                )
                for suite in self.plan.suites
                for prop, spec in PROPERTIES.items()
                if not spec.pushback or self._asks_pushback()
            ]
            self._add(config, items, hunter, hunt_items)

    def _asks_pushback(self) -> bool:
        """Whether the run asks second turns (then the hunt looks for give-ins too)."""
        return any(cell.second_turn for cell in self.plan.cells)

    @staticmethod
    def _add(
        config: pytest.Config, items: list[pytest.Item], parent: pytest.Collector,
        new: list[Any],
    ) -> None:  # fmt: skip
        items.extend(new)
        # Let the terminal reporter (and others) count the items as collected.
        report = pytest.CollectReport(parent.nodeid, "passed", None, list(new))
        config.hook.pytest_collectreport(report=report)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Load the models once, if any gate item survived selection (not for --collect-only)."""
        self.selected = [
            (i.checkpoint, i.cell) for i in session.items if isinstance(i, WarmthGateItem)
        ]
        hunts = any(isinstance(i, WarmthHuntItem) for i in session.items)
        if not (self.selected or hunts) or self.config.option.collectonly:
            return
        labels = self._checkpoints()
        # the first checkpoint asked (a sweep's hunts search its last one)
        first = next((pair for pair in self.run.sweep if pair[0].label in labels), None)
        self.run.use(*(first or self.run.sweep[-1]))
        try:
            self.load_models()
        except WarmthError as exc:
            raise pytest.UsageError(str(exc)) from None

    def load_models(self) -> ModelPair:
        """Load the pair once per run and return its sides (through the answer cache).

        Raises:
            WarmthError: A model cannot be loaded (an unusable answer cache only turns the
                cache off, with one line).
        """
        try:
            self.run.load()
        finally:
            self._save_hash_memo()
        return self.run.sides()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        """Evaluate every selected cell up front, so progress lines do not split test output."""
        if self.run.loaded is not None and self.selected and not session.config.option.collectonly:
            try:
                self.run.evaluate(self._cells(), self._checkpoints())
            except Exception as exc:  # noqa: BLE001 - reported by every gate item instead
                self.error = exc
            finally:
                self.terminal.end_line()
        return (yield)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Save the hunt's findings and hand the finished run to every reporter.

        A run without results (interrupted, or failed in the evaluation) still says what the
        answer cache kept, so the next run's reuse is no surprise.
        """
        self.run.close()
        self.run.save_findings()
        if not self.run.results:
            line = self.run.cache_line()
            if line is not None:
                self.terminal.line(line)
            return
        result = self.run_result()
        comparison = None
        if self.run.baseline is not None and self.settings.baseline is not None:
            from pytest_warmth.reporting.baseline import compare

            comparison = compare(self.run.baseline, result, self.settings.baseline)
        report = WarmthReport(result, self.settings, self.config, comparison=comparison)
        line = self.run.cache_line()
        if line is not None:
            report.notes.append(line)
        self.config.hook.pytest_warmth_report(report=report)
        if report.failures:
            # A report the user asked for and did not get fails the run (its lines print last).
            report.notes.extend(report.failures)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    # -- what the items ask ---------------------------------------------------------------

    def run_result(self) -> RunResult:
        """The run's results with settings and model identities."""
        return self.run.run_result(self._cells(), self.selected)

    def ordered_results(self) -> list[CellResult]:
        """Results in cell order."""
        return list(self.run_result().cells)

    def _cells(self) -> list[gate.Cell]:
        """The selected cells, each once (a sweep asks them of every checkpoint)."""
        return list(dict.fromkeys(cell for _, cell in self.selected))

    def _checkpoints(self) -> set[str]:
        """The labels of the checkpoints with a selected item (``{""}`` without a sweep)."""
        return {label for label, _ in self.selected}

    def result_for(self, cell: gate.Cell, checkpoint: str = "") -> CellResult:
        """The verdict of ``cell`` (evaluated before the test loop; re-raises its error)."""
        if self.error is not None:
            raise self.error
        if not self.run.results:
            self.run.evaluate(self._cells(), self._checkpoints())
        return self.run.results[checkpoint, cell]

    def hunt(self, suite: str, prop: str) -> HuntResult:
        """Run one hunt (Hypothesis's example database lives in pytest's cache)."""
        cache = getattr(self.config, "cache", None)
        database = cache.mkdir("warmth-hypothesis") if cache is not None else None
        return self.run.hunt(suite, prop, database)

    # -- helpers --------------------------------------------------------------------------

    def _save_hash_memo(self) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            cache.set(HASH_CACHE_KEY, self.memo)


class ReporterTerminal:
    """Lines through pytest's terminal reporter, around output capturing; nothing under -q.

    On a TTY one progress line can be rewritten in place (:mod:`pytest_warmth.progress`);
    any other line first finishes it.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.open = False

    @property
    def quiet(self) -> bool:
        """``-q`` (or quieter): write nothing."""
        return self.config.get_verbosity() < 0

    @property
    def tty(self) -> bool:
        """Whether the terminal reporter writes to a TTY."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        return reporter is not None and bool(reporter.isatty)

    @contextlib.contextmanager
    def _reporter(self) -> Iterator[Any]:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.quiet:
            yield None
            return
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            yield reporter

    def line(self, text: str) -> None:
        """Write ``text`` as a line of its own."""
        with self._reporter() as reporter:
            if reporter is not None:
                self._finish(reporter)
                reporter.ensure_newline()
                reporter.write_line(text)

    def rewrite(self, text: str) -> None:
        """Replace the open line with ``text`` (cut to the terminal's width), left open."""
        with self._reporter() as reporter:
            if reporter is None:
                return
            if not self.open:
                reporter.ensure_newline()
            width = self.config.get_terminal_writer().fullwidth
            reporter.rewrite(text[: max(width - 1, 1)], erase=True)
            reporter.flush()
            self.open = True

    def end_line(self) -> None:
        """Finish the line left open by :meth:`rewrite`, if any."""
        with self._reporter() as reporter:
            if reporter is not None:
                self._finish(reporter)

    def _finish(self, reporter: Any) -> None:
        if self.open:
            reporter.write("\n", flush=True)
            self.open = False
