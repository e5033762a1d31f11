"""The option table: every ``--warmth-*`` flag, its ini twin, its parser and its help text.

Single values are parsed by the ``type=`` callables of :mod:`pytest_warmth.option_values`; the
same parsers check ini values (see :mod:`pytest_warmth.settings`).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_warmth import option_values as values
from pytest_warmth import options_runtime as runtime
from pytest_warmth.option_spec import Option

__all__ = ["OPTIONS", "Option", "register"]

GROUP = "warmth"
GROUP_DESCRIPTION = "pytest-warmth: release gate for warmth-tuned language models"

MODEL = Option(
    "--warmth-model",
    "SPEC",
    "Warmth-tuned model to gate: a model directory, a PEFT adapter directory, a .gguf file, "
    "a hub id (online only), a model behind an OpenAI-compatible server "
    "(http://HOST:PORT/v1?model=NAME) or the alias 'smollm2' (embedded SmolLM2-135M-Instruct). "
    "Repeat it, or name a folder of checkpoint-N/ (or epoch-N/) subfolders, to gate every "
    "checkpoint of one training run against the same base (a sweep). Without it the plugin "
    "is inert",
    kind="list",
    default=(),
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
    parse=values.parse_profile,
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
    "Interpersonal context to ask under (repeatable); the study's names work too "
    "(emotion:sad, relation:hierarchical_up, ...); see the README for the catalog",
    kind="list",
    default=(),
    default_text="the profile's (default: plain and sad)",
)
BELIEF = Option(
    "--warmth-belief",
    "NAME",
    "Belief the user states after the question (repeatable): none, wrong, reject_right, right "
    "(the study's original, incorrect, correct work too), or pushback: a challenge of the "
    "model's own first answer in a second turn",
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
    parse=values.parse_limit,
    default_text="the profile's (default: sized for 80%% power against a 10-point rise; "
    "full: all items)",
)
SEED = Option(
    "--warmth-seed",
    "INT",
    "Seed for sampling items and choosing context statements",
    parse=values.parse_seed,
    default=values.DEFAULT_SEED,
    default_text=str(values.DEFAULT_SEED),
)
SCORING = Option(
    "--warmth-scoring",
    "MODE",
    "How answers are scored: mc (log-likelihood of each choice), generate (greedy reply, graded) "
    "or suite (each suite's own mode: generate for factual, mc for the others)",
    parse=values.parse_scoring,
    default_text="the profile's (mc)",
)
MAX_NEW_TOKENS = Option(
    "--warmth-max-new-tokens",
    "N",
    "Generate mode: most tokens per reply (greedy; a reply also ends at the end of its turn)",
    parse=values.parse_max_new_tokens,
    default=values.DEFAULT_MAX_NEW_TOKENS,
    default_text=str(values.DEFAULT_MAX_NEW_TOKENS),
)
JUDGE = Option(
    "--warmth-judge",
    "SPEC",
    "Generate mode: grade replies with this model (any model spec, or 'base' for the base "
    "model): CORRECT or INCORRECT by their log-probabilities where the backend gives them, "
    "else by a short constrained reply; it must pass its calibration first",
    default_text="the rule-based grader",
)
JUDGE_CALIBRATION = Option(
    "--warmth-judge-calibration",
    "FILE",
    "Labelled replies (JSON lines: question, answer, incorrect, belief, response, label) the "
    "judge and the rules are checked against before the judge's labels count",
    default_text="the shipped calibration set",
)
JUDGE_MIN_KAPPA = Option(
    "--warmth-judge-min-kappa",
    "KAPPA",
    "Refuse a judge whose Cohen's kappa against the calibration labels is below this",
    parse=values.parse_kappa,
    default=values.DEFAULT_JUDGE_MIN_KAPPA,
    default_text=str(values.DEFAULT_JUDGE_MIN_KAPPA),
)
UNCLEAR = Option(
    "--warmth-unclear",
    "POLICY",
    "Generate mode: a reply that commits to no answer counts as 'wrong', as 'right', or is "
    "left out of the pair ('exclude')",
    parse=values.parse_unclear,
    default=values.DEFAULT_UNCLEAR,
    default_text=values.DEFAULT_UNCLEAR,
)
ALPHA = Option(
    "--warmth-alpha",
    "FLOAT",
    "Family-wise significance level of the gate (one-sided, Holm across cells)",
    parse=values.parse_alpha,
    default=values.DEFAULT_ALPHA,
    default_text=str(values.DEFAULT_ALPHA),
)
TEST = Option(
    "--warmth-test",
    "NAME",
    f"Paired test per cell, one-sided ({', '.join(values.TESTS)}); clustered items use a "
    "cluster-robust test",
    parse=values.parse_test,
    default="midp",
    default_text="midp (McNemar mid-p)",
)
MARGIN = Option(
    "--warmth-margin",
    "DELTA",
    "Tolerated rise in error rate: fail only when the rise is significantly above it "
    "(Tango score test)",
    parse=values.parse_margin,
    default=0.0,
    default_text="0",
)
NONINFERIORITY = Option(
    "--warmth-noninferiority",
    "",
    "Pass a cell only when the upper confidence bound of the rise is below --warmth-margin",
    kind="flag",
    default=False,
    default_text="off",
)
INTERVAL = Option(
    "--warmth-interval",
    "NAME",
    f"Confidence interval for the rise in error rate ({', '.join(values.INTERVALS)})",
    parse=values.parse_interval,
    default="tango",
    default_text="tango",
)
CORRECTION = Option(
    "--warmth-correction",
    "NAME",
    f"Multiplicity correction across the run's cells ({', '.join(values.CORRECTIONS)})",
    parse=values.parse_correction,
    default="holm",
    default_text="holm",
)
MIN_EFFECT = Option(
    "--warmth-min-effect",
    "DELTA",
    "Smallest rise in error rate worth catching: a cell that could not detect it is INCONCLUSIVE",
    parse=values.parse_min_effect,
    default=values.DEFAULT_MIN_EFFECT,
    default_text=str(values.DEFAULT_MIN_EFFECT),
)
STRICT = Option(
    "--warmth-strict",
    "",
    "Treat INCONCLUSIVE (underpowered) cells as failures",
    kind="flag",
    default=False,
    default_text="off",
)
MEASURE_WARMTH = Option(
    "--warmth-measure-warmth",
    "",
    "Also measure how warm the tuned model's replies read (each checkpoint's, in a sweep), "
    "beside the base's: a SocioT-style score under the base model, on the replies to the "
    "first 40 plain questions of the run's suites",
    kind="flag",
    default=False,
    default_text="off",
)
SEQUENTIAL = Option(
    "--warmth-sequential",
    "",
    "Stream items in seeded random order and stop a cell as soon as an anytime-valid test "
    "decides it",
    kind="flag",
    default=False,
    default_text="off",
)
HUNT = Option(
    "--warmth-hunt",
    "",
    "Also hunt for single failing probe variants with Hypothesis (one item per suite and "
    "property; findings never enter the gate's statistics)",
    kind="flag",
    default=False,
    default_text="off",
)
MAX_EXAMPLES = Option(
    "--warmth-max-examples",
    "N",
    "Variants the hunt tries per suite, property and round",
    parse=values.parse_max_examples,
    default=values.DEFAULT_MAX_EXAMPLES,
    default_text=str(values.DEFAULT_MAX_EXAMPLES),
)
SAVE_FAILURES = Option(
    "--warmth-save-failures",
    "DIR",
    "Write the hunt's minimal failing variants into DIR as probe suites (hunted-<suite>.yaml, "
    "added to what is there) that the gate runs as fixed regression suites",
    default_text="not saved",
)
OPTIONS: tuple[Option, ...] = (
    *(v for v in dict(globals()).values() if isinstance(v, Option)),
    *runtime.OPTIONS,
)
"""Every option: what to ask and how to decide (above), then how models are reached and run
(:mod:`pytest_warmth.options_runtime`); the order of ``--help``."""


def register(parser: pytest.Parser) -> None:
    """Add the ``warmth`` option group and the ini twins to pytest's parser."""
    group = parser.getgroup(GROUP, GROUP_DESCRIPTION)
    ini_types = {"flag": "bool", "list": "args", "value": "string"}
    for option in OPTIONS:
        kwargs: dict[str, Any] = (
            {"action": "store_true"}
            if option.kind == "flag"
            else {
                # Values are parsed by the settings, so that a bad one is one clear line
                # naming the flag (argparse would print its usage line first).
                "action": "append" if option.kind == "list" else "store",
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
