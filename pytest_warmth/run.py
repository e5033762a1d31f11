"""One gate run without pytest: load the sides once, ask them through the answer cache, decide.

:class:`GateRun` owns the run's state: the resolved models, the loaded pair wrapped in the
answer cache (:class:`~pytest_warmth.cached_side.CachedSide`), the judge, the evaluation
strategy (prefetch then per cell, or sequential rounds), the verdicts and the hunts. The
pytest session drives it and passes ``say`` for progress lines.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from pytest_warmth import environment, evaluation, gate, verdicts
from pytest_warmth.answer_cache import CHUNK_BATCHES, AnswerCache, open_for_run
from pytest_warmth.backends.protocol import (
    LoadOptions,
    ModelPair,
    ResolvedModel,
    ResolvedPair,
    Side,
)
from pytest_warmth.cached_side import CachedSide, CacheStats
from pytest_warmth.calibration import (
    Calibration,
    calibrate,
    calibrate_rules,
    check_judge,
    load_labelled,
)
from pytest_warmth.progress import Lines, ProgressTracker, Terminal
from pytest_warmth.results import CellResult, RunResult, cell_id, paired_counts
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.sweep import Checkpoint, sweep_models, sweep_summary

if TYPE_CHECKING:
    from pytest_warmth.hunting import Finding, HuntResult, Oracle
    from pytest_warmth.judge import Judge
    from pytest_warmth.verdicts import PairedCell

JUDGE_BASE = "base"
"""``--warmth-judge=base`` grades with the base side already loaded."""


class GateRun:
    """The models, answers and verdicts of one run.

    Args:
        settings: The run's settings.
        plan: Suites, cells and scoring modes.
        models: Both models, resolved (not loaded).
        judge: The judge model resolved, or ``None`` (no judge, or ``base``).
        say: Writes one line (the run's news).
        terminal: Where progress lines go (by default each through ``say``, no TTY).
        sweep: A checkpoint sweep: each checkpoint with its pair, in training order, all of
            one base (``models`` is the first); ``None``: one comparison.
    """

    def __init__(
        self,
        settings: WarmthSettings,
        plan: gate.GatePlan,
        models: ResolvedPair,
        *,
        judge: ResolvedModel | None = None,
        say: Callable[[str], None] = lambda line: None,
        terminal: Terminal | None = None,
        sweep: Sequence[tuple[Checkpoint, ResolvedPair]] | None = None,
    ) -> None:
        self.settings, self.plan, self.models = settings, plan, models
        self.sweep = list(sweep or [(Checkpoint("", "", 0.0), models)])
        self.checkpoint = self.sweep[0][0]
        """The checkpoint whose pair is (or will be) loaded."""
        self._base_memo: dict[str, Any] = {}
        """The base side's answers, shared by every checkpoint's pair: asked once."""
        self.warmth: dict[str, dict[str, Any]] = {}
        """``--warmth-measure-warmth``: each model's score by role."""
        self.judge_model = judge
        self.say = say
        self.terminal: Terminal = terminal or Lines(lambda line: self.say(line))
        self.loaded: ModelPair | None = None
        self.judge: Judge | None = None
        self.load_seconds = 0.0
        self.results: dict[tuple[str, gate.Cell], CellResult] = {}
        """Verdicts by (checkpoint label, cell); the label is empty without a sweep."""
        self.amplifications: list[verdicts.Amplification] = []
        self.findings: list[Finding] = []
        self.baseline: dict[str, Any] | None = None
        """An earlier run's report to compare with (``--warmth-baseline-report``), checked."""
        self.answer_cache: AnswerCache | None = None
        self.cache_stats: CacheStats | None = None
        self._sides: ModelPair | None = None
        self._judge_side: Side | None = None
        self._oracle: Oracle | None = None
        self.calibrations: list[Calibration] = []

    def options(self) -> LoadOptions:
        """How the backend loads and runs the models."""
        s = self.settings
        return LoadOptions(
            device=s.device, dtype=s.dtype, max_memory=s.max_memory, batch_size=s.batch_size,
            trust_remote_code=s.trust_remote_code, allow_pickle=s.allow_pickle,
            cache_dir=s.cache, fold_adapter=not s.sequential,  # prefetch asks long passes
            concurrency=s.concurrency, request_timeout=s.request_timeout,
            api_key_env=s.api_key_env, needs=frozenset(self.plan.scoring.values()),
        )  # fmt: skip

    def load(self) -> ModelPair:
        """Load both models (and the judge, when a generated reply needs one), once.

        Raises:
            WarmthError: A model cannot be loaded.
        """
        if self.loaded is None:
            start = time.perf_counter()
            self.loaded = self.models.load(self.options())
            if self._judge_needed() and self.judge_model is not None:
                self._judge_side = self.judge_model.load(self.options(), self.loaded)
            self.load_seconds = time.perf_counter() - start
            which = f" (checkpoint {self.checkpoint.label})" if self.checkpoint.label else ""
            where = self.loaded.where
            self.say(f"warmth: models loaded{which} in {self.load_seconds:.1f}s on {where}")
            for note in self.loaded.notes:
                self.say(f"warmth: {note}")
        return self.loaded

    def sides(self) -> ModelPair:
        """The loaded pair, each side through the answer cache (opened on first use).

        Raises:
            WarmthError: A model cannot be loaded (an unusable cache is said, never raised).
        """
        if self._sides is not None:
            return self._sides
        loaded = self.load()
        first = self.cache_stats is None
        stats = self.cache_stats = self.cache_stats or CacheStats()
        cache = self._open_cache() if first else self.answer_cache
        chunk = CHUNK_BATCHES * self.settings.batch_size
        base = CachedSide(loaded.base, cache, stats, chunk, memo=self._base_memo)
        tuned = base if loaded.same_weights else CachedSide(loaded.tuned, cache, stats, chunk)
        labels = loaded.labels if self.settings.recorded_labels == "use" else {}
        self._sides = ModelPair(
            base, tuned, loaded.same_weights, loaded.where, loaded.notes, labels
        )
        self.judge = self._load_judge(self._sides)
        return self._sides

    def _open_cache(self) -> AnswerCache | None:
        """The answer cache, or ``None`` (said once why) when it is off or cannot be used."""
        cache = open_for_run(self.settings.cache, self.say)
        self.answer_cache = cache
        return cache

    def calibrate_graders(self) -> list[Calibration]:
        """Check the graders against the calibration labels before any of their labels count.

        The rules are always checked (cheap); a judge is loaded and checked too, and refused
        below ``--warmth-judge-min-kappa``. Nothing to check without generate-mode suites.

        Raises:
            WarmthError: The calibration set is unusable, or the judge is refused.
        """
        if "generate" not in self.plan.scoring.values():
            return []
        source, replies = load_labelled(self.settings.judge_calibration)
        self.calibrations = [calibrate_rules(source, replies)]
        if self._judge_needed():
            self.sides()
            assert self.judge is not None
            name = f"judge {self.judge.description} ({self.judge.method})"
            found = calibrate(name, source, replies, self.judge.correct)
            self.calibrations.append(found)
            check_judge(found, self.settings.judge_min_kappa)
        return self.calibrations

    def _judge_needed(self) -> bool:
        return self.settings.judge is not None and "generate" in self.plan.scoring.values()

    def _load_judge(self, sides: ModelPair) -> Judge | None:
        """The judge on the cached base side, or on its own side through the same cache."""
        if not self._judge_needed():
            return None
        from pytest_warmth.judge import Judge

        own = self._judge_side
        if own is None or self.loaded is None or own is self.loaded.base:
            return Judge(sides.base, "the base model")
        chunk = CHUNK_BATCHES * self.settings.batch_size
        stats = self.cache_stats or CacheStats()
        assert self.judge_model is not None
        return Judge(CachedSide(own, self.answer_cache, stats, chunk), self.judge_model.describe())

    # -- the gate -------------------------------------------------------------------------

    def use(self, checkpoint: Checkpoint, models: ResolvedPair) -> None:
        """Make ``checkpoint`` the one asked: the loaded pair (and judge) of another goes.

        The answer cache and the base's answers stay: every checkpoint shares the base.
        """
        if checkpoint == self.checkpoint and self.loaded is not None:
            return
        self.checkpoint, self.models = checkpoint, models
        self.loaded = self._sides = self.judge = self._judge_side = self._oracle = None
        gc.collect()  # the previous checkpoint's weights, before the next one loads

    def evaluate(
        self, cells: Sequence[gate.Cell], checkpoints: Collection[str] | None = None
    ) -> None:
        """Ask each checkpoint's sides every item of ``cells`` and decide every verdict.

        A sweep's cells form one family: the run's correction applies across all of them.
        ``checkpoints``: the labels to ask (default: all).
        """
        labelled: list[tuple[str, PairedCell]] = []
        self.amplifications = []
        for checkpoint, models in self.sweep:
            if checkpoints is not None and checkpoint.label not in checkpoints:
                continue
            self.use(checkpoint, models)
            outcomes = self._outcomes(cells)
            labelled += [(checkpoint.label, outcome) for outcome in outcomes]
            if self.settings.measure_warmth:
                self._measure_warmth()
            self.amplifications += [
                dataclasses.replace(a, checkpoint=checkpoint.label)
                for a in verdicts.amplification(outcomes)
            ]
        decided = verdicts.decide([outcome for _, outcome in labelled], self.policy())
        for (label, _), result in zip(labelled, decided, strict=True):
            cell = gate.Cell(result.suite, result.context, result.belief)
            self.results[label, cell] = dataclasses.replace(result, checkpoint=label)

    def _measure_warmth(self) -> None:
        """How warm the loaded checkpoint's (and the base's) replies read, said and kept."""
        from pytest_warmth import warmth_score

        prompts = gate.plain_questions(self.plan, warmth_score.PROMPTS)
        found = warmth_score.measure(self.sides(), prompts, max_new_tokens=self.plan.max_new_tokens)
        role = f"ckpt-{self.checkpoint.label}" if self.checkpoint.label else "tuned"
        for name, score in (("base", found["base"]), (role, found["tuned"])):
            self.warmth[name] = dataclasses.asdict(score)
        base, tuned = found["base"], found["tuned"]
        self.say(
            f"warmth: warmth of the replies (SocioT-style, nats/token): base {base.mean:+.4f} "
            f"± {base.se:.4f}, {role} {tuned.mean:+.4f} ± {tuned.se:.4f} (n={tuned.n})"
        )

    def _outcomes(self, cells: Sequence[gate.Cell]) -> list[PairedCell]:
        """The paired outcomes of ``cells`` on the loaded checkpoint."""
        sides = self.sides()
        if self.settings.sequential:
            from pytest_warmth.stats.sequential import SequentialMcNemar

            # e-Bonferroni over the cells (of every checkpoint), on the e-process's share of alpha
            share = verdicts.SEQUENTIAL_ALPHA_SHARE
            threshold = len(cells) * len(self.sweep) / (share * self.settings.alpha)
            outcomes = evaluation.evaluate_sequentially(
                sides, self.plan, cells, batch_size=self.settings.batch_size,
                sequential=lambda: SequentialMcNemar(threshold=threshold), judge=self.judge,
                progress=self.progress,
            )  # fmt: skip
            for outcome in outcomes:
                self._cell_done(outcome)
            return outcomes
        evaluation.prefetch(
            sides, self.plan, cells, progress=lambda role: self.progress(f"all cells, {role}")
        )
        outcomes = []
        for cell in cells:
            start = time.perf_counter()
            outcome = evaluation.evaluate_cell(
                sides, self.plan, cell, judge=self.judge,
                progress=lambda cell, role: self.progress(f"{cell.cell_id} {role}"),
            )  # fmt: skip
            outcomes.append(outcome)
            self._cell_done(outcome, time.perf_counter() - start)
        return outcomes

    def policy(self) -> verdicts.Policy:
        """The statistical settings of this run."""
        s = self.settings
        return verdicts.Policy(
            alpha=s.alpha, test=s.test, margin=s.margin, noninferiority=s.noninferiority,
            interval=s.interval, correction=s.correction, min_effect=s.min_effect,
        )  # fmt: skip

    def _cell_done(self, outcome: PairedCell, seconds: float | None = None) -> None:
        b, c, _ = paired_counts(outcome.items)
        why = "refusals, no answer"
        if any(item.first is not None for item in outcome.excluded):
            why = "not both right before the challenge, " + why
        excluded = f", {len(outcome.excluded)} excluded ({why})" if outcome.excluded else ""
        used = ""
        if outcome.items_used is not None:
            cell = gate.Cell(outcome.suite, outcome.context, outcome.belief)
            total = len(self.plan.cell_suite(cell).probes)
            decided = "decided" if outcome.sequential_decided else "undecided"
            used = f" of {total} ({decided})"
        took = f" ({seconds:.1f}s)" if seconds is not None else ""
        name = cell_id(outcome.suite, outcome.context, outcome.belief)
        if self.checkpoint.label:
            name = f"{self.checkpoint.collector}::{name}"
        self.say(
            f"warmth: {name} done: {len(outcome.items)} items{used}{excluded}, b={b} c={c}{took}"
        )

    def run_result(
        self, cells: Sequence[gate.Cell], only: Sequence[tuple[str, gate.Cell]] | None = None
    ) -> RunResult:
        """The results of ``cells`` (in order, per checkpoint) with the settings and models.

        ``only``: the (checkpoint, cell) pairs to report (default: every one).
        """
        settings = self.settings.reported()
        settings.update(
            self.plan.identity(),
            contexts=sorted({c.context for c in cells}),
            beliefs=sorted({c.belief for c in cells}),
        )
        order = [(checkpoint.label, cell) for checkpoint, _ in self.sweep for cell in cells]
        if only is not None:
            wanted = set(only)
            order = [key for key in order if key in wanted]
        found = tuple(self.results[key] for key in order if key in self.results)
        swept = len(self.sweep) > 1 or bool(self.checkpoint.label)
        return RunResult(
            settings=settings,
            models=sweep_models(self.sweep) if swept else self.models.model_infos(),
            cells=found,
            warmth=dict(self.warmth),
            sweep=sweep_summary(self.sweep, found, self.settings.correction, self.warmth)
            if swept
            else {},
            amplification=tuple(dataclasses.asdict(a) for a in self.amplifications),
            graders=tuple(c.to_dict() for c in self.calibrations),
            load={"where": self.loaded.where, "notes": list(self.loaded.notes)}
            if self.loaded is not None
            else {},
            environment=environment.describe(),
        )

    def cache_line(self) -> str | None:
        """How many answers the cache gave back, once it was used (an interrupted run too)."""
        if self.cache_stats is None or self.answer_cache is None:
            return None
        stats = self.cache_stats
        return (
            f"warmth: answer cache {self.answer_cache.path}: {stats.reused} answers reused, "
            f"{stats.computed} computed"
        )

    def close(self) -> None:
        """Close the answer cache (every answer is already committed); safe to call twice."""
        if self.answer_cache is not None:
            self.answer_cache.close()

    # -- the hunt -------------------------------------------------------------------------

    def hunt(self, suite: str, prop: str, database: Any = None) -> HuntResult:
        """One hunt through the same cached sides (answers shared by every hunt of the run).

        In a sweep the hunt searches the last checkpoint (the model training ended with).
        """
        from pytest_warmth import hunting

        self.use(*self.sweep[-1])
        if self._oracle is None:
            self._oracle = hunting.Oracle(
                self.sides(), self.plan.suites, scoring=self.plan.scoring,
                max_new_tokens=self.plan.max_new_tokens, judge=self.judge,
            )  # fmt: skip
        start = time.perf_counter()
        result = hunting.hunt(
            self._oracle, self.plan.suites[suite], prop, max_examples=self.settings.max_examples,
            database=database, contexts=self.settings.contexts or None,
        )  # fmt: skip
        self.findings.extend(result.findings)
        self.say(
            f"warmth: hunt {suite}[{prop}]: {len(result.findings)} found in {result.examples} "
            f"examples, {result.model_calls} model calls ({time.perf_counter() - start:.1f}s)"
        )
        return result

    def save_findings(self) -> None:
        """Write the hunt's findings where ``--warmth-save-failures`` says, and say so."""
        target = self.settings.save_failures
        if target is not None and self.settings.hunt:
            from pytest_warmth.findings import save_and_tell

            self.say(save_and_tell(self.findings, target, self.plan.suites, self.plan.scoring))

    def progress(self, label: str) -> ProgressTracker:
        """A ``progress(done, total)`` callback: throttled lines with rate and time left."""
        return ProgressTracker(label, self.terminal)
