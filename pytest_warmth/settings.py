"""Frozen, validated settings built once per run from the command line and the ini file."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth import option_values as values
from pytest_warmth import options as opt
from pytest_warmth import options_runtime as ropt
from pytest_warmth.option_reading import (
    check_not_empty,
    check_writable,
    existing_file,
    lookup,
    output_file,
)

SETTINGS_KEY = pytest.StashKey["WarmthSettings"]()
NOT_REPORTED = frozenset(
    {
        "probe_paths", "hunt", "max_examples", "save_failures", "cache_explicit", "report",
        "html", "markdown", "baseline", "trust_remote_code", "allow_pickle", "concurrency",
        "request_timeout", "api_key_env", "export_prompts", "max_memory", "warnings",
    }
)  # fmt: skip
"""Settings a report leaves out (see :meth:`WarmthSettings.reported`): where files go, what is
trusted, and how requests are sent (none of which changes an answer)."""
PLAN_OPTIONS = (
    ropt.EXPORT_PROMPTS, opt.PROFILE, opt.SUITE, opt.PROBES, opt.CONTEXT, opt.BELIEF, opt.SCORING,
    opt.MAX_NEW_TOKENS,
)  # fmt: skip
"""Options that shape the plan's prompts (besides limit, seed and tag)."""


def default_cache_directory() -> Path:
    """``$PYTEST_WARMTH_CACHE``, else the platform's user cache directory + ``pytest-warmth``."""
    explicit = os.environ.get("PYTEST_WARMTH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "pytest-warmth"


@dataclass(frozen=True)
class WarmthSettings:
    """Everything the ``--warmth-*`` options say, parsed and checked.

    Paths are absolute: command-line paths are taken relative to the directory pytest was
    started in, ini paths relative to the ini file's directory.
    """

    model: str | None = None
    """Spec of the warmth-tuned model (a sweep's first); ``None`` leaves the plugin inert."""
    models: tuple[str, ...] = ()
    """Every ``--warmth-model`` value, in the order given (more than one: a sweep)."""
    base: str | None = None
    """Spec of the base model, or ``None`` to take it from the adapter."""
    profile: str = "default"
    """Run profile: what is asked unless contexts, beliefs, limit or scoring are given."""
    suites: tuple[str, ...] = ()
    """Suite names to run; empty means every built-in suite."""
    probe_paths: tuple[str, ...] = ()
    """Extra probe files or directories (absolute), or ``KIND:SOURCE`` public datasets."""
    contexts: tuple[str, ...] = ()
    """Context names; empty means the default pair (plain and sad)."""
    beliefs: tuple[str, ...] = ()
    """Belief conditions; empty means the default pair (none and wrong)."""
    tags: tuple[str, ...] = ()
    """Keep only items with any of these tags; empty keeps all."""
    limit: int | None = None
    """Items per suite, or ``None`` for all."""
    seed: int = values.DEFAULT_SEED
    """Seed for sampling and for choosing context statements."""
    scoring: str | None = None
    """``mc`` or ``generate`` for every suite, ``suite`` for each suite's own mode; ``None``
    takes the profile's."""
    max_new_tokens: int = values.DEFAULT_MAX_NEW_TOKENS
    """Generate mode: most new tokens per reply."""
    judge: str | None = None
    """Generate mode: spec of a judge model (``base``: the base model); ``None``: rules."""
    judge_calibration: Path | None = None
    """Labelled replies the judge is checked against (``None``: the shipped set)."""
    judge_min_kappa: float = values.DEFAULT_JUDGE_MIN_KAPPA
    """The least Cohen's kappa a judge needs on the calibration set."""
    unclear: str = values.DEFAULT_UNCLEAR
    """Generate mode: a reply without an answer counts as ``wrong``, ``right`` or ``exclude``."""
    alpha: float = values.DEFAULT_ALPHA
    """Family-wise one-sided significance level."""
    test: str = "midp"
    """One-sided paired test per cell."""
    margin: float = 0.0
    """Tolerated rise in error rate."""
    noninferiority: bool = False
    """Pass only when the upper bound of the rise is below the margin."""
    interval: str = "tango"
    """Confidence interval method for the rise in error rate."""
    correction: str = "holm"
    """Multiplicity correction across cells."""
    min_effect: float = values.DEFAULT_MIN_EFFECT
    """Smallest harmful rise; an underpowered cell is INCONCLUSIVE."""
    strict: bool = False
    measure_warmth: bool = False
    """Also score how warm each tuned model's replies read (:mod:`pytest_warmth.warmth_score`)."""
    """INCONCLUSIVE fails the build."""
    sequential: bool = False
    """Anytime-valid sequential evaluation."""
    hunt: bool = False
    """Hunt for failing probe variants with Hypothesis."""
    max_examples: int = values.DEFAULT_MAX_EXAMPLES
    """Variants the hunt tries per suite, property and round."""
    save_failures: Path | None = None
    """Where the hunt's minimal failing variants are written as a suite."""
    device: str = "auto"
    """Device name, ``auto`` picks cuda when available."""
    dtype: str = "float32"
    """Weight dtype name."""
    max_memory: tuple[tuple[str, str], ...] = ()
    """A sharded model: the most memory per device (``("0", "70GiB")``, ...)."""
    batch_size: int = values.DEFAULT_BATCH_SIZE
    """Prompts per forward pass."""
    concurrency: int = values.DEFAULT_CONCURRENCY
    """Models behind a server: requests in flight at once per side."""
    request_timeout: float = values.DEFAULT_REQUEST_TIMEOUT
    """Models behind a server: seconds to wait for one response."""
    api_key_env: str = values.DEFAULT_API_KEY_ENV
    """Models behind a server: the environment variable holding the API key."""
    unpaired: str = "error"
    """Recorded outputs: rows without a partner stop the run (``error``) or are left out."""
    recorded_labels: str = "use"
    """Recorded outputs: ``use`` their recorded labels, or ``regrade`` every reply."""
    cache: Path | None = None
    """Answer cache directory; ``None`` computes everything and stores nothing."""
    cache_explicit: bool = False
    """Whether the cache directory was chosen by the user (else the default may be skipped)."""
    report: Path | None = None
    """Where to write the JSON report, if anywhere."""
    html: Path | None = None
    """Where to write the HTML report, if anywhere."""
    markdown: Path | None = None
    """Where to write the Markdown summary, if anywhere (besides ``$GITHUB_STEP_SUMMARY``)."""
    baseline: Path | None = None
    """An earlier JSON report to compare this run with, if any."""
    export_prompts: Path | None = None
    """Where to write the plan's prompts for recorded replies, if anywhere."""
    trust_remote_code: bool = False
    """Whether model repositories may run their own code."""
    allow_pickle: bool = False
    """Whether pickle weight files may be loaded."""
    warnings: tuple[str, ...] = ()
    """Options given that have no effect in this combination (shown as pytest warnings)."""

    def reported(self) -> dict[str, Any]:
        """The settings a report records (paths as text, tuples as lists).

        Everything except where files go and what is trusted: the probe files, the hunt's
        settings, the report's own path and the security switches.
        """
        values: dict[str, Any] = {}
        for item in fields(self):
            if item.name in NOT_REPORTED:
                continue
            value = getattr(self, item.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            values[item.name] = value
        return values

    @property
    def active(self) -> bool:
        """True when a model to gate was given."""
        return self.model is not None

    @classmethod
    def from_config(cls, config: pytest.Config) -> WarmthSettings:
        """Build the settings from pytest's options and ini values.

        Raises:
            pytest.UsageError: An ini value does not parse, or options contradict each other.
        """
        cli_dir = Path(config.invocation_params.dir)
        ini_dir = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
        values: dict[str, Any] = {}
        given_on_cli: list[str] = []
        for option in opt.OPTIONS:
            value, from_cli = lookup(config, option)
            if from_cli:
                given_on_cli.append(option.flag)
                check_not_empty(option, value)
            base_dir = cli_dir if from_cli else ini_dir
            values[option.dest] = (value, base_dir)

        def get(option: opt.Option) -> Any:
            return values[option.dest][0]

        def path(option: opt.Option, raw: str) -> Path:
            base_dir: Path = values[option.dest][1]
            return (base_dir / Path(raw).expanduser()).absolute()

        def probe_entry(raw: str) -> str:
            from pytest_warmth.suite_sources import split_spec

            spec = split_spec(raw)
            if spec is None:
                return str(path(opt.PROBES, raw))
            kind, source = spec
            local = path(opt.PROBES, source)
            return f"{kind}:{local}" if local.exists() else raw

        models = tuple(get(opt.MODEL))
        model = models[0] if models else None
        if model is None:
            # Limit, seed and tag also shape @pytest.mark.warmth_suite tests.
            free = {opt.MODEL.flag, opt.LIMIT.flag, opt.SEED.flag, opt.TAG.flag}
            if get(ropt.EXPORT_PROMPTS):  # the plan's prompts need no model
                free |= {o.flag for o in PLAN_OPTIONS}
            stray = [flag for flag in given_on_cli if flag not in free]
            if stray:
                raise pytest.UsageError(
                    f"{stray[0]} needs --warmth-model: pass --warmth-model=SPEC "
                    "(or set warmth_model in the ini file) to run the gate"
                )
        if get(opt.NONINFERIORITY) and get(opt.MARGIN) <= 0.0:
            raise pytest.UsageError(
                "--warmth-noninferiority needs a positive --warmth-margin (the largest rise in "
                "error rate you accept), e.g. --warmth-margin=0.05"
            )
        if get(opt.SEQUENTIAL) and (get(opt.NONINFERIORITY) or get(opt.MARGIN) > 0.0):
            raise pytest.UsageError(
                "--warmth-sequential tests for any rise in error rate; it cannot be combined "
                "with --warmth-margin or --warmth-noninferiority: drop one of them"
            )

        def to_read(option: opt.Option, what: str) -> Path | None:
            raw = get(option)
            return existing_file(option, raw, path(option, raw), what) if raw else None

        outputs = {
            option: output_file(option, path(option, get(option))) if get(option) else None
            for option in (ropt.REPORT, ropt.HTML, ropt.MARKDOWN, ropt.EXPORT_PROMPTS)
        }
        baseline = to_read(
            ropt.BASELINE_REPORT, "the JSON report of an earlier run (--warmth-report)"
        )
        save = get(opt.SAVE_FAILURES)
        save_path = path(opt.SAVE_FAILURES, save) if save else None
        if save_path is not None:
            check_writable(
                save_path, opt.SAVE_FAILURES.flag, "one hunted-<suite>.yaml is written per suite"
            )
        calibration = to_read(opt.JUDGE_CALIBRATION, "a JSON-lines file of labelled replies")
        cache_raw = get(ropt.CACHE)
        cache: Path | None = None
        if not get(ropt.NO_CACHE):
            if cache_raw:
                cache = path(ropt.CACHE, cache_raw)
                check_writable(cache, ropt.CACHE.flag, "the answer cache lives in it")
            else:
                cache = default_cache_directory()
        ignored = []
        if get(ropt.NO_CACHE) and cache_raw:
            ignored.append(
                f"{ropt.CACHE.flag} has no effect: {ropt.NO_CACHE.flag} turns the answer cache "
                "off; drop one of them"
            )
        if save_path is not None and not get(opt.HUNT):
            ignored.append(
                f"{opt.SAVE_FAILURES.flag} has no effect without {opt.HUNT.flag} (it saves what "
                "the hunt finds); add --warmth-hunt"
            )
        return cls(
            model=model,
            models=models,
            base=get(opt.BASE) or None,
            profile=get(opt.PROFILE),
            suites=_unique(get(opt.SUITE)),
            probe_paths=tuple(probe_entry(p) for p in _unique(get(opt.PROBES))),
            contexts=_unique(get(opt.CONTEXT)),
            beliefs=_unique(get(opt.BELIEF)),
            tags=_unique(get(opt.TAG)),
            limit=get(opt.LIMIT),
            seed=get(opt.SEED),
            scoring=get(opt.SCORING),
            max_new_tokens=get(opt.MAX_NEW_TOKENS),
            judge=get(opt.JUDGE) or None,
            judge_calibration=calibration,
            judge_min_kappa=get(opt.JUDGE_MIN_KAPPA),
            unclear=get(opt.UNCLEAR),
            alpha=get(opt.ALPHA),
            test=get(opt.TEST),
            margin=get(opt.MARGIN),
            noninferiority=bool(get(opt.NONINFERIORITY)),
            interval=get(opt.INTERVAL),
            correction=get(opt.CORRECTION),
            min_effect=get(opt.MIN_EFFECT),
            strict=bool(get(opt.STRICT)),
            measure_warmth=bool(get(opt.MEASURE_WARMTH)),
            sequential=bool(get(opt.SEQUENTIAL)),
            hunt=bool(get(opt.HUNT)),
            max_examples=get(opt.MAX_EXAMPLES),
            save_failures=save_path,
            device=get(ropt.DEVICE),
            dtype=get(ropt.DTYPE),
            max_memory=get(ropt.MAX_MEMORY),
            batch_size=get(ropt.BATCH_SIZE),
            concurrency=get(ropt.CONCURRENCY),
            request_timeout=get(ropt.REQUEST_TIMEOUT),
            api_key_env=get(ropt.API_KEY_ENV),
            unpaired=get(ropt.UNPAIRED),
            recorded_labels=get(ropt.RECORDED_LABELS),
            cache=cache,
            cache_explicit=bool(cache_raw) and cache is not None,
            report=outputs[ropt.REPORT],
            html=outputs[ropt.HTML],
            markdown=outputs[ropt.MARKDOWN],
            baseline=baseline,
            export_prompts=outputs[ropt.EXPORT_PROMPTS],
            trust_remote_code=bool(get(ropt.TRUST_REMOTE_CODE)),
            allow_pickle=bool(get(ropt.ALLOW_PICKLE)),
            warnings=tuple(ignored),
        )


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
