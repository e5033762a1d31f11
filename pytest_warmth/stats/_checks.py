"""Argument checks shared by the statistics modules (private)."""

from __future__ import annotations

import math
import numbers

from pytest_warmth.errors import WarmthUsageError


def check_count(value: object, name: str) -> int:
    """Return ``value`` as an int after checking it is a non-negative whole number.

    Args:
        value: The count to check.
        name: Its name, for the error message.

    Returns:
        The count as a Python int.

    Raises:
        WarmthUsageError: ``value`` is not a non-negative whole number (booleans are refused).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WarmthUsageError(f"{name} must be a non-negative integer, got {value!r}")
    as_float = float(value)
    if not math.isfinite(as_float) or as_float < 0 or as_float != int(as_float):
        raise WarmthUsageError(f"{name} must be a non-negative integer, got {value!r}")
    return int(as_float)


def check_table(b: object, c: object, n: object) -> tuple[int, int, int]:
    """Check the discordant counts ``b``, ``c`` and the number of pairs ``n``.

    Args:
        b: Pairs with the base model right and the tuned model wrong.
        c: Pairs with the base model wrong and the tuned model right.
        n: All pairs; must be positive and at least ``b + c``.

    Returns:
        ``(b, c, n)`` as ints.

    Raises:
        WarmthUsageError: A negative or non-integer count, ``n == 0`` or ``b + c > n``.
    """
    bi, ci, ni = check_count(b, "b"), check_count(c, "c"), check_count(n, "n")
    if ni == 0:
        raise WarmthUsageError("n must be positive: an estimate needs at least one pair")
    if bi + ci > ni:
        raise WarmthUsageError(f"b + c = {bi + ci} exceeds the number of pairs n = {ni}")
    return bi, ci, ni


def check_probability(value: object, name: str) -> float:
    """Check that ``value`` lies strictly between 0 and 1.

    Args:
        value: A level such as alpha, power or confidence.
        name: Its name, for the error message.

    Returns:
        The value as a float.

    Raises:
        WarmthUsageError: ``value`` is not a real number in the open interval (0, 1).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WarmthUsageError(f"{name} must be a number in (0, 1), got {value!r}")
    as_float = float(value)
    if not 0.0 < as_float < 1.0:
        raise WarmthUsageError(f"{name} must lie in (0, 1), got {value!r}")
    return as_float


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """Check that ``value`` is one of ``choices``.

    Args:
        value: The option given.
        name: Its name, for the error message.
        choices: The accepted options.

    Returns:
        ``value`` unchanged.

    Raises:
        WarmthUsageError: ``value`` is not one of ``choices``.
    """
    if value not in choices:
        raise WarmthUsageError(f"unknown {name} {value!r}; use one of {choices}")
    return value
