"""Option values: what each ``--warmth-*`` option accepts, its default, and its parser.

Each parser turns one command-line or ini string into a typed value, or raises
:class:`argparse.ArgumentTypeError` with one line that says what is wrong and what to pass
instead (pytest prints it as ``error: argument --warmth-x: ...`` and exits with code 4).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

from pytest_warmth.profiles import PROFILE_NAMES

DEVICES = ("auto", "cpu", "cuda", "mps", "shard")
"""``shard``: one model split across every visible GPU (``auto`` does so with several)."""
DTYPES = ("auto", "float32", "bfloat16", "float16")
DEFAULT_SEED = 20260429
DEFAULT_ALPHA = 0.05
DEFAULT_BATCH_SIZE = 16
DEFAULT_MAX_NEW_TOKENS = 48
SCORING_MODES = ("mc", "generate", "suite")
UNCLEAR_POLICIES = ("wrong", "right", "exclude")
"""Generate mode: a reply committing to no answer counts as wrong, as right, or leaves the pair."""
DEFAULT_UNCLEAR = "wrong"
DEFAULT_JUDGE_MIN_KAPPA = 0.6
UNPAIRED = ("error", "skip")
"""Recorded sides: a row without a partner on the other side stops the run, or is left out."""
RECORDED_LABELS = ("use", "regrade")
"""Recorded sides: labels recorded with the replies decide, or the run grades every reply."""


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
parse_concurrency = _positive_int("concurrency")
DEFAULT_MAX_EXAMPLES = 100
DEFAULT_CONCURRENCY = 8
DEFAULT_REQUEST_TIMEOUT = 300.0
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"


def parse_timeout(text: str) -> float:
    """Parse a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"request timeout must be a number of seconds, got {text!r}"
        ) from None
    if not value > 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"request timeout must be positive seconds, got {text}")
    return value


def parse_env_name(text: str) -> str:
    """Parse the name of an environment variable (letters, digits, underscores)."""
    value = text.strip()
    if not value or not all(c.isalnum() or c == "_" for c in value) or value[0].isdigit():
        raise argparse.ArgumentTypeError(
            f"expected the name of an environment variable such as OPENAI_API_KEY, got {text!r}"
        )
    return value


_MEMORY = re.compile(r"^(\d+|cpu)=(\d+(\.\d+)?\s*([KMGT]i?B|B))$", re.IGNORECASE)


def parse_max_memory(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``0=70GiB,1=70GiB[,cpu=64GiB]``: the most memory a sharded model may use per device.

    Keys are GPU indices (or ``cpu``), values sizes such as ``70GiB`` or ``80GB``.
    """
    pairs = []
    for part in text.split(","):
        match = _MEMORY.match(part.strip().replace(" ", ""))
        if match is None:
            raise argparse.ArgumentTypeError(
                f"expected DEVICE=SIZE pairs such as 0=70GiB,1=70GiB (cpu=SIZE allowed), "
                f"got {part.strip()!r}"
            )
        pairs.append((match[1].lower(), match[2]))
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise argparse.ArgumentTypeError(f"a device is named twice in {text!r}")
    return tuple(pairs)


def parse_kappa(text: str) -> float:
    """Parse a Cohen's kappa threshold in [-1, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.6, got {text!r}") from None
    if not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"Cohen's kappa lies in [-1, 1], got {value:g}")
    return value


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
parse_unpaired = _choice("unpaired policy", UNPAIRED)
parse_unclear = _choice("unclear policy", UNCLEAR_POLICIES)
parse_recorded_labels = _choice("recorded-labels policy", RECORDED_LABELS)
parse_profile = _choice("profile", PROFILE_NAMES)


def parse_text(text: str) -> str:
    """A free-text value, without surrounding blanks."""
    return text.strip()
