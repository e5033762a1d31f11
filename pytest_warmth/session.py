"""The per-run plugin object: collects the gate items, loads the models once, reports.

Registered as ``warmth-session`` by :func:`pytest_warmth.plugin.pytest_configure` only when
``--warmth-model`` is given, so an inert run pays nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_warmth import evaluation, gate, verdicts
from pytest_warmth.errors import WarmthAssertionError, WarmthError, WarmthWarning
from pytest_warmth.models.spec import ModelSpec, PairSpec, SpecKind
from pytest_warmth.reporting.json_report import write_json
from pytest_warmth.reporting.terminal import summary_lines
from pytest_warmth.results import (
    FAIL,
    INCONCLUSIVE,
    UNTESTABLE,
    CellResult,
    ModelInfo,
    RunResult,
    cell_id,
    paired_counts,
)
from pytest_warmth.settings import WarmthSettings

if TYPE_CHECKING:
    from pytest_warmth.answer_cache import AnswerCache, CachedScorer, CacheStats
    from pytest_warmth.hunting import Finding, HuntResult, Oracle
    from pytest_warmth.judge import Judge
    from pytest_warmth.models.loading import ModelPair
    from pytest_warmth.verdicts import PairedCell

HASH_CACHE_KEY = "warmth/sha256"
PROGRESS_EVERY_S = 10.0


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

    def __init__(self, *, cell: gate.Cell, runner: WarmthSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cell = cell
        self.runner = runner
        self.add_marker("warmth")

    def runtest(self) -> None:
        """Evaluate (once per run, for every selected cell) and check this cell's verdict."""
        result = self.runner.result_for(self.cell)
        self.user_properties.append(
            ("warmth", {k: v for k, v in result.to_dict().items() if k != "items"})
        )
        strict = self.runner.settings.strict
        if result.verdict == FAIL or (strict and result.verdict in (INCONCLUSIVE, UNTESTABLE)):
            raise WarmthAssertionError(verdicts.explain(result, strict=strict))
        if result.verdict in (INCONCLUSIVE, UNTESTABLE):
            warnings.warn(WarmthWarning(verdicts.explain(result)), stacklevel=1)

    def reportinfo(self) -> tuple[Path, None, str]:
        """Location shown in reports."""
        return self.path, None, f"warmth gate {self.cell.cell_id}"


class WarmthHuntItem(_WarmthItem):
    """One hunt: a property searched over one suite's variants (not part of the statistics)."""

    def __init__(self, *, suite: str, prop: str, runner: WarmthSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.prop = prop
        self.runner = runner
        self.add_marker("warmth")

    def runtest(self) -> None:
        """Hunt; fail with the minimal failing variants, if any."""
        result = self.runner.hunt(self.suite, self.prop)
        self.user_properties.append(
            ("warmth_hunt", {"examples": result.examples, "model_calls": result.model_calls})
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


class WarmthSession:
    """State and hooks of one gate run."""

    def __init__(
        self,
        config: pytest.Config,
        settings: WarmthSettings,
        plan: gate.GatePlan,
        pair: PairSpec,
        *,
        judge_spec: ModelSpec | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.plan = plan
        self.pair_spec = pair
        self.judge_spec = judge_spec
        self.models: ModelPair | None = None
        self.judge: Judge | None = None
        self.selected: list[gate.Cell] = []
        self.results: dict[gate.Cell, CellResult] = {}
        self.load_seconds = 0.0
        self.error: Exception | None = None
        self.amplifications: list[verdicts.Amplification] = []
        self.findings: list[Finding] = []
        self._oracle: Oracle | None = None
        self._digests: dict[str, str] = {}
        self._memo: dict[str, str] | None = None
        self.answer_cache: AnswerCache | None = None
        self.cache_stats: CacheStats | None = None

    # -- identity -------------------------------------------------------------------------

    def digest(self, role: str) -> str:
        """Content hash of one side's files (memoised in pytest's cache by size and mtime)."""
        if role not in self._digests:
            from pytest_warmth.hashing import content_hash

            spec = self.pair_spec.base if role == "base" else self.pair_spec.tuned
            memo = self._hash_memo()
            self._digests[role] = content_hash([spec.path], memo) if spec.path else "unknown"
            self._save_hash_memo()
        return self._digests[role]

    def _hash_memo(self) -> dict[str, str]:
        """File digests by (path, size, mtime), kept in pytest's cache between runs."""
        if self._memo is None:
            cache = getattr(self.config, "cache", None)
            self._memo = dict(cache.get(HASH_CACHE_KEY, {})) if cache else {}
        return self._memo

    def _save_hash_memo(self) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is not None and self._memo is not None:
            cache.set(HASH_CACHE_KEY, self._memo)

    def model_infos(self) -> tuple[ModelInfo, ...]:
        """Both sides' identities for reports."""
        infos = []
        for role, spec in (("base", self.pair_spec.base), ("tuned", self.pair_spec.tuned)):
            infos.append(
                ModelInfo(role, spec.raw, spec.kind.value, spec.location, self.digest(role))
            )
        return tuple(infos)

    # -- hooks ----------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Name both models, the adapter, device, dtype and short content hashes."""
        tuned, base = self.pair_spec.tuned, self.pair_spec.base
        s = self.settings
        if tuned.kind is SpecKind.ADAPTER:
            what = f"adapter {tuned.raw} [{self.digest('tuned')[:12]}] on base {base.display}"
        else:
            what = f"tuned {tuned.display} [{self.digest('tuned')[:12]}] vs base {base.display}"
        if self.pair_spec.same_model:
            what += " (same model both sides: a self-check)"
        lines = [
            f"warmth: {what} [{self.digest('base')[:12]}]",
            f"warmth: device={s.device} dtype={s.dtype} batch={s.batch_size} seed={s.seed} "
            f"alpha={s.alpha} cells={len(self.plan.cells)} "
            f"items={sum(len(x) for x in self.plan.suites.values())}",
            f"warmth: scoring {self._scoring_text()}",
        ]
        return lines

    def _scoring_text(self) -> str:
        modes = self.plan.scoring
        text = ", ".join(f"{suite}={mode}" for suite, mode in modes.items())
        if "generate" in modes.values():
            grader = "rules" if self.settings.judge is None else f"judge {self.settings.judge}"
            text += f" (max_new_tokens={self.plan.max_new_tokens}, grader: {grader})"
        return text

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Add one item per cell (before -k/-m deselection runs)."""
        for message in self.plan.warnings:
            config.issue_config_time_warning(WarmthWarning(message), stacklevel=2)
        parent = WarmthGateCollector.from_parent(session, name="warmth", nodeid="warmth")
        gate_items = [
            WarmthGateItem.from_parent(parent, name=cell.cell_id, cell=cell, runner=self)
            for cell in self.plan.cells
        ]
        items.extend(gate_items)
        # Let the terminal reporter (and others) count the items as collected.
        report = pytest.CollectReport(parent.nodeid, "passed", None, list(gate_items))
        config.hook.pytest_collectreport(report=report)
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
                for prop in PROPERTIES
            ]
            items.extend(hunt_items)
            report = pytest.CollectReport(hunter.nodeid, "passed", None, list(hunt_items))
            config.hook.pytest_collectreport(report=report)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Load the models once, if any gate item survived selection (not for --collect-only)."""
        self.selected = [i.cell for i in session.items if isinstance(i, WarmthGateItem)]
        hunts = any(isinstance(i, WarmthHuntItem) for i in session.items)
        if not (self.selected or hunts) or self.config.option.collectonly:
            return
        try:
            self.load_models()
        except WarmthError as exc:
            raise pytest.UsageError(str(exc)) from None

    def load_models(self) -> ModelPair:
        """Load the pair once per run and return it.

        Raises:
            WarmthError: A model or tokenizer cannot be loaded, or the vocabularies differ.
        """
        if self.models is None:
            from pytest_warmth.models.loading import load_pair

            start = time.perf_counter()
            copies = None
            if self.settings.cache is not None:
                from pytest_warmth.models.gguf_copies import DIRECTORY_NAME, GgufCopies

                copies = GgufCopies(self.settings.cache / DIRECTORY_NAME, self._hash_memo())
            self.models = load_pair(
                self.pair_spec,
                device=self.settings.device,
                dtype=self.settings.dtype,
                trust_remote_code=self.settings.trust_remote_code,
                allow_pickle=self.settings.allow_pickle,
                gguf_copies=copies,
            )
            if copies is not None:
                self._save_hash_memo()
            if self.settings.judge is not None and "generate" in self.plan.scoring.values():
                from pytest_warmth.judge import load_judge

                self.judge = load_judge(
                    self.judge_spec,
                    self.models,
                    dtype=self.settings.dtype,
                    trust_remote_code=self.settings.trust_remote_code,
                    allow_pickle=self.settings.allow_pickle,
                )
            self.load_seconds = time.perf_counter() - start
            self._write(
                f"warmth: models loaded in {self.load_seconds:.1f}s on {self.models.device}"
            )
            for note in self.models.notes:
                self._write(f"warmth: {note}")
        return self.models

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        """Evaluate every selected cell up front, so progress lines do not split test output."""
        if self.models is not None and self.selected and not session.config.option.collectonly:
            try:
                self._evaluate_all()
            except Exception as exc:  # noqa: BLE001 - reported by every gate item instead
                self.error = exc
        return (yield)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print one row per evaluated cell."""
        if not self.results:
            return
        terminalreporter.section("warmth gate")
        for line in summary_lines(self.ordered_results()):
            terminalreporter.write_line(line)
        flagged = [a for a in self.amplifications if a.flagged]
        if flagged:
            terminalreporter.write_line(
                f"amplification warnings (BH q <= {verdicts.AMPLIFICATION_Q:g}, not gating):"
            )
            for finding in flagged:
                terminalreporter.write_line(f"WARNING {finding.message()}", yellow=True)
        stats = self.cache_stats
        if stats is not None and self.answer_cache is not None:
            terminalreporter.write_line(
                f"warmth: answer cache {self.answer_cache.path}: {stats.reused} answers reused, "
                f"{stats.computed} computed"
            )
        if self.settings.report is not None:
            terminalreporter.write_line(f"warmth: JSON report written to {self.settings.report}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the JSON report of whatever was evaluated, and the hunt's findings."""
        if self.answer_cache is not None:
            self.answer_cache.close()  # every answer is already committed
        self._save_findings()
        if self.settings.report is None or not self.results:
            return
        try:
            write_json(self.run_result(), self.settings.report)
        except OSError as exc:
            self._write(f"warmth: cannot write the report to {self.settings.report}: {exc}")

    # -- evaluation -----------------------------------------------------------------------

    def ordered_results(self) -> list[CellResult]:
        """Results in cell order."""
        return [self.results[c] for c in self.selected if c in self.results]

    def run_result(self) -> RunResult:
        """The run's results with settings and model identities."""
        s = self.settings
        settings = {
            "model": s.model,
            "base": s.base,
            "suites": list(self.plan.suites),
            "contexts": sorted({c.context for c in self.selected}),
            "beliefs": sorted({c.belief for c in self.selected}),
            "limit": s.limit,
            "seed": s.seed,
            "scoring": dict(self.plan.scoring),
            "max_new_tokens": s.max_new_tokens,
            "judge": s.judge,
            "alpha": s.alpha,
            "device": s.device,
            "dtype": s.dtype,
            "batch_size": s.batch_size,
            "test": s.test,
            "margin": s.margin,
            "noninferiority": s.noninferiority,
            "interval": s.interval,
            "correction": s.correction,
            "min_effect": s.min_effect,
            "strict": s.strict,
            "sequential": s.sequential,
            "tags": list(s.tags),
            "profile": s.profile,
            "cache": str(s.cache) if s.cache is not None else None,
        }
        return RunResult(
            settings=settings,
            models=self.model_infos(),
            cells=tuple(self.ordered_results()),
            amplification=tuple(dataclasses.asdict(a) for a in self.amplifications),
        )

    def result_for(self, cell: gate.Cell) -> CellResult:
        """The verdict of ``cell`` (evaluated before the test loop; re-raises its error)."""
        if self.error is not None:
            raise self.error
        if not self.results:
            self._evaluate_all()
        return self.results[cell]

    def policy(self) -> verdicts.Policy:
        """The statistical settings of this run."""
        s = self.settings
        return verdicts.Policy(
            alpha=s.alpha,
            test=s.test,
            margin=s.margin,
            noninferiority=s.noninferiority,
            interval=s.interval,
            correction=s.correction,
            min_effect=s.min_effect,
            strict=s.strict,
        )

    def _evaluate_all(self) -> None:
        if self.models is None:
            raise WarmthError("the models are not loaded (was collection interrupted?)")
        sequential = None
        if self.settings.sequential:
            from pytest_warmth.stats.sequential import SequentialMcNemar

            # e-Bonferroni over the cells, on the e-process's share of alpha
            share = verdicts.SEQUENTIAL_ALPHA_SHARE
            threshold = len(self.selected) / (share * self.settings.alpha)

            def sequential() -> SequentialMcNemar:
                return SequentialMcNemar(threshold=threshold)

        prefetch = sequential is None  # a sequential test asks round by round
        scorers = self._scorers(prefetch=prefetch)
        if sequential is not None:
            outcomes = evaluation.evaluate_sequentially(
                self.models,
                self.plan,
                self.selected,
                batch_size=self.settings.batch_size,
                sequential=sequential,
                scorers=scorers,
                judge=self.judge,
                progress=self._progress,
            )
            for outcome in outcomes:
                self._cell_done(outcome)
        else:
            evaluation.prefetch(
                self.models,
                self.plan,
                self.selected,
                batch_size=self.settings.batch_size,
                scorers=scorers,
                progress=lambda role: self._progress(f"all cells, {role}"),
            )
            outcomes = []
            for cell in self.selected:
                start = time.perf_counter()
                outcome = evaluation.evaluate_cell(
                    self.models,
                    self.plan,
                    cell,
                    batch_size=self.settings.batch_size,
                    progress=self._cell_progress,
                    judge=self.judge,
                    scorers=scorers,
                )
                outcomes.append(outcome)
                self._cell_done(outcome, time.perf_counter() - start)
        for result in verdicts.decide(outcomes, self.policy()):
            self.results[gate.Cell(result.suite, result.context, result.belief)] = result
        self.amplifications = verdicts.amplification(outcomes)

    def _cell_done(self, outcome: PairedCell, seconds: float | None = None) -> None:
        b, c, _ = paired_counts(outcome.items)
        excluded = f", {len(outcome.excluded)} excluded (refusals)" if outcome.excluded else ""
        used = ""
        if outcome.items_used is not None:
            total = len(self.plan.suites[outcome.suite].probes)
            decided = "decided" if outcome.sequential_decided else "undecided"
            used = f" of {total} ({decided})"
        took = f" ({seconds:.1f}s)" if seconds is not None else ""
        name = cell_id(outcome.suite, outcome.context, outcome.belief)
        self._write(
            f"warmth: {name} done: {len(outcome.items)} items{used}{excluded}, b={b} c={c}{took}"
        )

    def _scorers(self, *, prefetch: bool) -> dict[str, CachedScorer]:
        """Each side's scorer, through the answer cache when its weight files are known.

        A hub model without local files has no content hash and is never cached. With
        ``prefetch`` (see :func:`pytest_warmth.evaluation.prefetch`), a LoRA adapter is folded
        into the weights for the tuned side, whose answers then carry other rounding and their
        own key.
        """
        from pytest_warmth.answer_cache import AnswerCache, CachedScorer, CacheStats, side_id

        assert self.models is not None
        stats = self.cache_stats = CacheStats()
        directory = self.settings.cache
        cache = None
        if directory is not None:
            try:
                cache = self.answer_cache = AnswerCache.in_directory(directory)
            except (OSError, sqlite3.Error) as exc:
                if self.settings.cache_explicit:
                    raise WarmthError(
                        f"--warmth-cache={directory}: cannot open it: {exc}"
                    ) from None
                self._write(f"warmth: answer cache off: cannot open {directory}: {exc}")
            if cache is not None and cache.rebuilt:
                self._write(f"warmth: answer cache: {cache.rebuilt}")
        weights = {"base": [self.digest("base")]}
        if self.models.same_weights:
            weights["tuned"] = weights["base"]
        elif self.pair_spec.tuned.kind is SpecKind.ADAPTER:
            weights["tuned"] = [self.digest("base"), self.digest("tuned")]
            if prefetch and self.models.tuned.merged is not None:
                weights["tuned"].append("lora-merged")
        else:
            weights["tuned"] = [self.digest("tuned")]
        scorers = {}
        for role, digests in weights.items():
            known = cache is not None and "unknown" not in digests
            identity = side_id(
                digests,
                dtype=self.models.dtype,
                device=self.models.device,
                batch_size=self.settings.batch_size,
            )
            scorers[role] = CachedScorer(cache if known else None, identity, stats)
        return scorers

    def hunt(self, suite: str, prop: str) -> HuntResult:
        """Run one hunt on the loaded models (answers are shared by every hunt of the run)."""
        from pytest_warmth import hunting

        if self.models is None:
            raise WarmthError("the models are not loaded (was collection interrupted?)")
        if self._oracle is None:
            self._oracle = hunting.Oracle(
                self.models,
                self.plan.suites,
                scoring=self.plan.scoring,
                max_new_tokens=self.plan.max_new_tokens,
            )
        cache = getattr(self.config, "cache", None)
        database = cache.mkdir("warmth-hypothesis") if cache is not None else None
        start = time.perf_counter()
        result = hunting.hunt(
            self._oracle,
            self.plan.suites[suite],
            prop,
            max_examples=self.settings.max_examples,
            database=database,
            contexts=self.settings.contexts or None,
        )
        self.findings.extend(result.findings)
        self._write(
            f"warmth: hunt {suite}[{prop}]: {len(result.findings)} found in {result.examples} "
            f"examples, {result.model_calls} model calls ({time.perf_counter() - start:.1f}s)"
        )
        return result

    def _save_findings(self) -> None:
        target = self.settings.save_failures
        if target is None or not self.settings.hunt:
            return
        if not self.findings:
            self._write(f"warmth: the hunt found nothing; {target} not written")
            return
        from pytest_warmth.hunting import save_findings

        try:
            files = save_findings(self.findings, target, self.plan.suites, self.plan.scoring)
        except (OSError, WarmthError) as exc:
            self._write(f"warmth: cannot write the findings to {target}: {exc}")
            return
        names = ", ".join(path.name for path in files)
        self._write(
            f"warmth: {len(self.findings)} minimal failing variant(s) saved to {target} "
            f"({names}); re-run them with --warmth-probes={target}"
        )

    def _cell_progress(self, cell: gate.Cell, role: str) -> Any:
        return self._progress(f"{cell.cell_id} {role}")

    def _progress(self, label: str) -> Any:
        last = [time.perf_counter()]

        def report(done: int, total: int) -> None:
            now = time.perf_counter()
            if done < total and now - last[0] < PROGRESS_EVERY_S:
                return
            last[0] = now
            self._write(f"warmth: {label}: {done}/{total} items")

        return report

    def _write(self, line: str) -> None:
        """Write a progress line to the terminal (not under -q), around output capturing."""
        if self.config.get_verbosity() < 0:
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.ensure_newline()
            reporter.write_line(line)
