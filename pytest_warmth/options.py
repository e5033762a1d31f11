"""The option table: every ``--warmth-*`` flag, its ini twin, its parser and its help text.

Single values are parsed by ``type=`` callables that raise :class:`argparse.ArgumentTypeError`,
so pytest prints ``error: argument --warmth-x: ...`` and exits with code 4. The same parsers
check ini values (see :mod:`pytest_warmth.settings`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from pytest_warmth.profiles import PROFILE_NAMES

GROUP = "warmth"
GROUP_DESCRIPTION = "pytest-warmth: release gate for warmth-tuned language models"

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "bfloat16", "float16")
DEFAULT_SEED = 20260429
DEFAULT_ALPHA = 0.05
DEFAULT_BATCH_SIZE = 16
DEFAULT_MAX_NEW_TOKENS = 48
SCORING_MODES = ("mc", "generate", "suite")


def _fraction(what: str, *, low_closed: bool, example: str) -> Callable[[str], float]:
    """A parser for a number in (0, 1), or in [0, 1) when ``low_closed``."""
    interval = "[0, 1)" if low_closed else "(0, 1)"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a number in {interval}, got {text!r}"
            ) from None
        above_low = value >= 0.0 if low_closed else value > 0.0
        inside = above_low and value < 1.0
        if not inside:
            raise argparse.ArgumentTypeError(
                f"{what} must be in {interval}, got {text}; try {example}"
            )
        return value

    parse.__name__ = f"parse_{what.replace(' ', '_')}"
    return parse


parse_alpha = _fraction("alpha", low_closed=False, example="0.05")
parse_margin = _fraction("margin", low_closed=True, example="0.02")
parse_min_effect = _fraction("min effect", low_closed=False, example="0.05")


def _positive_int(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a positive integer, got {text!r}"
            ) from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be a positive integer, got {value}")
        return value

    parse.__name__ = f"parse_{what.replace(' ', '_')}"
    return parse


parse_limit = _positive_int("limit")
parse_batch_size = _positive_int("batch size")
parse_max_new_tokens = _positive_int("max new tokens")
parse_max_examples = _positive_int("max examples")
DEFAULT_MAX_EXAMPLES = 100


def parse_seed(text: str) -> int:
    """Parse a non-negative integer seed."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be >= 0, got {value}")
    return value


def _choice(what: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {text!r}; choose one of: {', '.join(choices)}"
            )
        return value

    parse.__name__ = f"parse_{what.replace(' ', '_')}"
    return parse


TESTS = ("midp", "exact", "asymptotic")
INTERVALS = ("tango", "newcombe")
CORRECTIONS = ("holm", "bh", "bonferroni", "none")
DEFAULT_MIN_EFFECT = 0.05

parse_device = _choice("device", DEVICES)
parse_test = _choice("test", TESTS)
parse_interval = _choice("interval", INTERVALS)
parse_correction = _choice("correction", CORRECTIONS)
parse_dtype = _choice("dtype", DTYPES)
parse_scoring = _choice("scoring mode", SCORING_MODES)
parse_profile = _choice("profile", PROFILE_NAMES)


def parse_bool(text: str) -> bool:
    """Parse an ini boolean (true/false, yes/no, 1/0, on/off)."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _text(text: str) -> str:
    return text.strip()


Kind = Literal["value", "list", "flag"]


@dataclass(frozen=True)
class Option:
    """One ``--warmth-*`` option and its ini twin.

    Attributes:
        flag: The command-line flag, e.g. ``--warmth-model``.
        metavar: Upper-case placeholder shown in ``--help``.
        help: Help text without the trailing ``Default:`` part.
        kind: ``value`` (one value), ``list`` (repeatable) or ``flag`` (boolean switch).
        parse: Parser for one value (raises ``argparse.ArgumentTypeError``).
        default: The value used when neither the flag nor the ini key is set.
        default_text: How the default is described in ``--help``.
    """

    flag: str
    metavar: str
    help: str
    kind: Kind = "value"
    parse: Callable[[str], Any] = _text
    default: Any = None
    default_text: str = "none"

    @property
    def dest(self) -> str:
        """The argparse destination, also the ini key (``warmth_model``)."""
        return self.flag.lstrip("-").replace("-", "_")


MODEL = Option(
    "--warmth-model",
    "SPEC",
    "Warmth-tuned model to gate: a model directory, a PEFT adapter directory, a .gguf file, "
    "a hub id (online only) or the alias 'smollm2' (embedded SmolLM2-135M-Instruct). "
    "Without it the plugin is inert",
)
BASE = Option(
    "--warmth-base",
    "SPEC",
    "Base model the tuned model is compared against (same forms as --warmth-model). "
    "Required for a full checkpoint; an adapter's base comes from its adapter_config.json",
    default_text="the adapter's base",
)
PROFILE = Option(
    "--warmth-profile",
    "NAME",
    "What the gate asks unless other options say: default (every suite; plain and sad, each "
    "without and with a wrong belief; a power-sized sample; multiple choice) or full (the "
    "study's 18 cells, every item, multiple choice)",
    parse=parse_profile,
    default="default",
    default_text="default",
)
SUITE = Option(
    "--warmth-suite",
    "NAME",
    "Probe suite to run (repeatable)",
    kind="list",
    default=(),
    default_text="every built-in suite",
)
PROBES = Option(
    "--warmth-probes",
    "PATH",
    "Extra probe file (.yaml/.yml/.jsonl) or directory of them to load (repeatable)",
    kind="list",
    default=(),
)
CONTEXT = Option(
    "--warmth-context",
    "NAME",
    "Interpersonal context to ask under (repeatable); see the README for the catalog",
    kind="list",
    default=(),
    default_text="the profile's (default: plain and sad)",
)
BELIEF = Option(
    "--warmth-belief",
    "NAME",
    "Belief the user states after the question (repeatable): none, wrong, reject_right, right",
    kind="list",
    default=(),
    default_text="the profile's: none and wrong",
)
TAG = Option(
    "--warmth-tag",
    "TAG",
    "Keep only items carrying this tag, e.g. easy (repeatable: any of the tags)",
    kind="list",
    default=(),
    default_text="all items",
)
LIMIT = Option(
    "--warmth-limit",
    "N",
    "Items per suite: a seeded sample stratified by difficulty tag",
    parse=parse_limit,
    default_text="the profile's (default: sized for 80%% power against a 10-point rise; "
    "full: all items)",
)
SEED = Option(
    "--warmth-seed",
    "INT",
    "Seed for sampling items and choosing context statements",
    parse=parse_seed,
    default=DEFAULT_SEED,
    default_text=str(DEFAULT_SEED),
)
SCORING = Option(
    "--warmth-scoring",
    "MODE",
    "How answers are scored: mc (log-likelihood of each choice), generate (greedy reply, graded) "
    "or suite (each suite's own mode: generate for factual, mc for the others)",
    parse=parse_scoring,
    default_text="the profile's (mc)",
)
MAX_NEW_TOKENS = Option(
    "--warmth-max-new-tokens",
    "N",
    "Generate mode: most tokens per reply (greedy; a reply also ends at the end of its turn)",
    parse=parse_max_new_tokens,
    default=DEFAULT_MAX_NEW_TOKENS,
    default_text=str(DEFAULT_MAX_NEW_TOKENS),
)
JUDGE = Option(
    "--warmth-judge",
    "SPEC",
    "Generate mode: grade replies with this model (any model spec, or 'base' for the base "
    "model) by comparing the log-probabilities of CORRECT and INCORRECT",
    default_text="the rule-based grader",
)
ALPHA = Option(
    "--warmth-alpha",
    "FLOAT",
    "Family-wise significance level of the gate (one-sided, Holm across cells)",
    parse=parse_alpha,
    default=DEFAULT_ALPHA,
    default_text=str(DEFAULT_ALPHA),
)
TEST = Option(
    "--warmth-test",
    "NAME",
    f"Paired test per cell, one-sided ({', '.join(TESTS)}); clustered items use a "
    "cluster-robust test",
    parse=parse_test,
    default="midp",
    default_text="midp (McNemar mid-p)",
)
MARGIN = Option(
    "--warmth-margin",
    "DELTA",
    "Tolerated rise in error rate: fail only when the rise is significantly above it "
    "(Tango score test)",
    parse=parse_margin,
    default=0.0,
    default_text="0",
)
NONINFERIORITY = Option(
    "--warmth-noninferiority",
    "",
    "Pass a cell only when the upper confidence bound of the rise is below --warmth-margin",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)
INTERVAL = Option(
    "--warmth-interval",
    "NAME",
    f"Confidence interval for the rise in error rate ({', '.join(INTERVALS)})",
    parse=parse_interval,
    default="tango",
    default_text="tango",
)
CORRECTION = Option(
    "--warmth-correction",
    "NAME",
    f"Multiplicity correction across the run's cells ({', '.join(CORRECTIONS)})",
    parse=parse_correction,
    default="holm",
    default_text="holm",
)
MIN_EFFECT = Option(
    "--warmth-min-effect",
    "DELTA",
    "Smallest rise in error rate worth catching: a cell that could not detect it is INCONCLUSIVE",
    parse=parse_min_effect,
    default=DEFAULT_MIN_EFFECT,
    default_text=str(DEFAULT_MIN_EFFECT),
)
STRICT = Option(
    "--warmth-strict",
    "",
    "Treat INCONCLUSIVE (underpowered) cells as failures",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)
SEQUENTIAL = Option(
    "--warmth-sequential",
    "",
    "Stream items in seeded random order and stop a cell as soon as an anytime-valid test "
    "decides it",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)
HUNT = Option(
    "--warmth-hunt",
    "",
    "Also hunt for single failing probe variants with Hypothesis (one item per suite and "
    "property; findings never enter the gate's statistics)",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)
MAX_EXAMPLES = Option(
    "--warmth-max-examples",
    "N",
    "Variants the hunt tries per suite, property and round",
    parse=parse_max_examples,
    default=DEFAULT_MAX_EXAMPLES,
    default_text=str(DEFAULT_MAX_EXAMPLES),
)
SAVE_FAILURES = Option(
    "--warmth-save-failures",
    "DIR",
    "Write the hunt's minimal failing variants into DIR as probe suites (hunted-<suite>.yaml, "
    "added to what is there) that the gate runs as fixed regression suites",
    default_text="not saved",
)
DEVICE = Option(
    "--warmth-device",
    "DEVICE",
    f"Device to run the models on ({', '.join(DEVICES)})",
    parse=parse_device,
    default="auto",
    default_text="auto (cuda if available, else cpu)",
)
DTYPE = Option(
    "--warmth-dtype",
    "DTYPE",
    f"Weight dtype ({', '.join(DTYPES)})",
    parse=parse_dtype,
    default="float32",
    default_text="float32",
)
BATCH_SIZE = Option(
    "--warmth-batch-size",
    "N",
    "Prompts per forward pass; base and tuned always get identical batches",
    parse=parse_batch_size,
    default=DEFAULT_BATCH_SIZE,
    default_text=str(DEFAULT_BATCH_SIZE),
)
CACHE = Option(
    "--warmth-cache",
    "DIR",
    "Directory of the answer cache (SQLite), keyed by the content of the weights, the prompts "
    "and the settings: unchanged answers, e.g. the base model's, are reused across runs; it "
    "also keeps de-quantised copies of GGUF models, which then load in seconds",
    default_text="$PYTEST_WARMTH_CACHE, else the user cache directory/pytest-warmth",
)
NO_CACHE = Option(
    "--warmth-no-cache",
    "",
    "Compute every answer and store none (nor GGUF copies)",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)
REPORT = Option(
    "--warmth-report",
    "PATH",
    "Write a versioned JSON report of every cell to PATH",
    default_text="no report",
)
TRUST_REMOTE_CODE = Option(
    "--warmth-trust-remote-code",
    "",
    "Allow model repositories to run their own Python code (off: only trusted architectures)",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)
ALLOW_PICKLE = Option(
    "--warmth-allow-pickle",
    "",
    "Allow loading pickle weights (.bin/.pt/.pth), which can run code; safetensors are preferred",
    kind="flag",
    parse=parse_bool,
    default=False,
    default_text="off",
)

OPTIONS: tuple[Option, ...] = (
    MODEL,
    BASE,
    PROFILE,
    SUITE,
    PROBES,
    CONTEXT,
    BELIEF,
    TAG,
    LIMIT,
    SEED,
    SCORING,
    MAX_NEW_TOKENS,
    JUDGE,
    ALPHA,
    TEST,
    MARGIN,
    NONINFERIORITY,
    INTERVAL,
    CORRECTION,
    MIN_EFFECT,
    STRICT,
    SEQUENTIAL,
    HUNT,
    MAX_EXAMPLES,
    SAVE_FAILURES,
    DEVICE,
    DTYPE,
    BATCH_SIZE,
    CACHE,
    NO_CACHE,
    REPORT,
    TRUST_REMOTE_CODE,
    ALLOW_PICKLE,
)


def register(parser: pytest.Parser) -> None:
    """Add the ``warmth`` option group and the ini twins to pytest's parser."""
    group = parser.getgroup(GROUP, GROUP_DESCRIPTION)
    ini_types = {"flag": "bool", "list": "args", "value": "string"}
    for option in OPTIONS:
        kwargs: dict[str, Any] = (
            {"action": "store_true"}
            if option.kind == "flag"
            else {
                "action": "append" if option.kind == "list" else "store",
                "type": option.parse,
                "metavar": option.metavar,
            }
        )
        group.addoption(
            option.flag,
            dest=option.dest,
            default=None,
            help=f"{option.help}. Default: {option.default_text}",
            **kwargs,
        )
        parser.addini(
            option.dest,
            f"{option.help} (ini twin of {option.flag})",
            type=ini_types[option.kind],  # type: ignore[arg-type]
        )
