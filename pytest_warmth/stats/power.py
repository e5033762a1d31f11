"""Power, sample size and detectability for the paired McNemar comparison (pure scipy).

Orientation (Fagerland, Lydersen & Laake 2013): ``delta = p10 - p01`` is the rise in the tuned
model's error rate (``p10`` = P(base right, tuned wrong)), ``discordance = psi = p10 + p01``
the share of discordant pairs. The formulas are Connor's (1987, Biometrics 43:207-211) normal
approximation:

    n = [z_a * sqrt(psi) + z_b * sqrt(psi - delta^2)]^2 / delta^2
    power = Phi((|delta| sqrt(n) - z_a sqrt(psi)) / sqrt(psi - delta^2))

with ``z_a = z_{1-alpha}`` one-sided or ``z_{1-alpha/2}`` two-sided and ``z_b = z_{1-power}``.
"""

from __future__ import annotations

import math
import numbers

from scipy import optimize, stats

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats._checks import check_choice, check_count, check_probability

POWER_ALTERNATIVES = ("greater", "less", "two-sided")
FLOOR_METHODS = ("exact", "midp")


def required_sample_size(
    delta: float,
    discordance: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "greater",
) -> int:
    """Pairs needed to detect ``delta`` with McNemar's test (Connor 1987), rounded up.

    Args:
        delta: The difference to detect, ``p10 - p01``; positive for ``greater``, negative for
            ``less``, non-zero for ``two-sided``.
        discordance: The expected share of discordant pairs ``p10 + p01``, in (0, 1], at least
            ``|delta|``.
        alpha: Significance level in (0, 1); ``two-sided`` uses ``z_{1-alpha/2}``.
        power: Target power in (0, 1).
        alternative: ``greater`` (tuned model errs more), ``less`` or ``two-sided``.

    Returns:
        The smallest whole number of pairs with at least the requested approximate power.

    Raises:
        WarmthUsageError: Levels outside (0, 1), an unknown alternative, a discordance outside
            (0, 1], ``|delta| > discordance``, or a ``delta`` of zero or of the wrong sign for a
            one-sided alternative.

    Examples:
        >>> required_sample_size(0.4, 0.5, alternative="two-sided")
        23
    """
    a = check_probability(alpha, "alpha")
    pw = check_probability(power, "power")
    check_choice(alternative, "alternative", POWER_ALTERNATIVES)
    psi, d = _check_effect(delta, discordance)
    if d == 0.0:
        raise WarmthUsageError("delta must be non-zero to compute a sample size")
    if (alternative == "greater" and d < 0.0) or (alternative == "less" and d > 0.0):
        raise WarmthUsageError(
            f"delta = {d} points the other way from the {alternative!r} alternative"
        )
    z_a = _z_alpha(a, alternative)
    z_b = float(stats.norm.ppf(pw))
    root = z_a * math.sqrt(psi) + z_b * math.sqrt(max(psi - d * d, 0.0))
    if root <= 0.0:  # alpha and power so loose that a single pair is enough
        return 1
    n = (root / d) ** 2
    return max(1, math.ceil(n - 1e-9))


def connor_power(
    delta: float,
    discordance: float,
    n: int,
    *,
    alpha: float = 0.05,
    alternative: str = "greater",
) -> float:
    """Approximate power of McNemar's test with ``n`` pairs (Connor 1987).

    For ``two-sided`` the far tail is added. In the degenerate case ``discordance == delta**2``
    (every pair discordant and all in one direction) the alternative variance is 0 and the power
    is 1 or 0 according to whether the expected statistic clears the critical value.

    Args:
        delta: The true difference ``p10 - p01``.
        discordance: The true share of discordant pairs, in (0, 1], at least ``|delta|``.
        n: Number of pairs (positive).
        alpha: Significance level in (0, 1).
        alternative: ``greater``, ``less`` or ``two-sided``.

    Returns:
        The approximate power, in [0, 1].

    Raises:
        WarmthUsageError: Invalid levels, alternative, discordance, delta or ``n``.

    Examples:
        >>> round(connor_power(0.15, 0.45, 155, alternative="two-sided"), 3)
        0.801
    """
    a = check_probability(alpha, "alpha")
    check_choice(alternative, "alternative", POWER_ALTERNATIVES)
    psi, d = _check_effect(delta, discordance)
    pairs = check_count(n, "n")
    if pairs == 0:
        raise WarmthUsageError("n must be positive to compute power")
    z_a = _z_alpha(a, alternative)
    sd_alt = math.sqrt(max(psi - d * d, 0.0))
    root_n = math.sqrt(pairs)
    crit = z_a * math.sqrt(psi)
    if alternative == "greater":
        return _tail(d * root_n - crit, sd_alt)
    if alternative == "less":
        return _tail(-d * root_n - crit, sd_alt)
    return min(1.0, _tail(abs(d) * root_n - crit, sd_alt) + _tail(-abs(d) * root_n - crit, sd_alt))


def minimum_detectable_effect(
    n: int, discordance: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest one-sided rise in error rate detectable with ``n`` pairs (Connor 1987, solved).

    Solves ``delta sqrt(n) = z_{1-alpha} sqrt(psi) + z_{power} sqrt(psi - delta^2)`` for delta in
    ``(0, psi]`` with ``psi = max(discordance, 1/n)``: an observed discordance of 0 is replaced by
    one discordant pair's worth so that a run without discordant pairs is not credited with a tiny
    MDE.

    At a given discordance no effect larger than ``psi`` can exist. If even ``delta = psi`` does
    not reach the requested power, no effect is detectable and the function returns
    ``math.inf``; a caller comparing ``MDE > min_effect`` then reports INCONCLUSIVE, which is the
    safe reading. (Returning ``psi`` instead would wrongly look like a small detectable effect.)

    Args:
        n: Number of pairs (positive).
        discordance: Observed share of discordant pairs ``(b + c) / n``, in [0, 1].
        alpha: One-sided significance level in (0, 1), e.g. the Bonferroni ``alpha / m``.
        power: Target power in (0, 1).

    Returns:
        The minimum detectable effect in (0, 1], or ``math.inf`` when nothing is detectable.

    Raises:
        WarmthUsageError: ``n`` not a positive integer, discordance outside [0, 1], or levels
            outside (0, 1).

    Examples:
        >>> round(minimum_detectable_effect(200, 0.3), 4)
        0.0958
    """
    pairs = check_count(n, "n")
    if pairs == 0:
        raise WarmthUsageError("n must be positive to compute a minimum detectable effect")
    a = check_probability(alpha, "alpha")
    pw = check_probability(power, "power")
    psi_obs = _check_unit(discordance, "discordance", allow_zero=True)
    psi = max(psi_obs, 1.0 / pairs)
    z_a = float(stats.norm.isf(a))
    z_b = float(stats.norm.ppf(pw))
    root_n = math.sqrt(pairs)

    def gap(d: float) -> float:
        return d * root_n - z_a * math.sqrt(psi) - z_b * math.sqrt(max(psi - d * d, 0.0))

    if gap(psi) < 0.0:
        return math.inf
    if gap(0.0) >= 0.0:  # only when alpha and power are below 1/2: any effect is "detectable"
        return 0.0
    return float(optimize.brentq(gap, 0.0, psi, xtol=1e-12))


def untestable(b: int, c: int, alpha_adj: float, method: str = "midp") -> bool:
    """Whether a one-sided McNemar test cannot reject at ``alpha_adj`` whatever the split.

    With ``b + c`` discordant pairs the smallest one-sided p-value is ``0.5**(b + c)`` for the
    exact test and ``0.5**(b + c + 1)`` for the mid-p test (Fagerland, Lydersen & Laake 2013).

    Args:
        b: Pairs with the base model right and the tuned model wrong.
        c: Pairs with the base model wrong and the tuned model right.
        alpha_adj: The (multiplicity-adjusted) significance level, in (0, 1).
        method: ``exact`` or ``midp``.

    Returns:
        True when even ``b = b + c, c = 0`` could not give p <= ``alpha_adj``.

    Raises:
        WarmthUsageError: Negative counts, a level outside (0, 1) or an unknown method.

    Examples:
        >>> untestable(3, 0, 0.05), untestable(4, 0, 0.05)
        (True, False)
    """
    discordant = check_count(b, "b") + check_count(c, "c")
    a = check_probability(alpha_adj, "alpha_adj")
    check_choice(method, "method", FLOOR_METHODS)
    exponent = discordant + (1 if method == "midp" else 0)
    return 0.5**exponent > a


def _z_alpha(alpha: float, alternative: str) -> float:
    """Critical value: z_{1-alpha} one-sided, z_{1-alpha/2} two-sided."""
    return float(stats.norm.isf(alpha / 2.0 if alternative == "two-sided" else alpha))


def _tail(shift: float, sd: float) -> float:
    """Phi(shift / sd), with the step function when sd is 0."""
    if sd <= 0.0:
        return 1.0 if shift > 0.0 else 0.0
    return float(stats.norm.cdf(shift / sd))


def _check_unit(value: object, name: str, *, allow_zero: bool) -> float:
    """A real number in [0, 1] (or (0, 1] without ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WarmthUsageError(f"{name} must be a number, got {value!r}")
    v = float(value)
    low_ok = v >= 0.0 if allow_zero else v > 0.0
    if not (low_ok and v <= 1.0):
        where = "[0, 1]" if allow_zero else "(0, 1]"
        raise WarmthUsageError(f"{name} must lie in {where}, got {value!r}")
    return v


def _check_effect(delta: object, discordance: object) -> tuple[float, float]:
    """Discordance in (0, 1] and a delta no larger in size."""
    psi = _check_unit(discordance, "discordance", allow_zero=False)
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real):
        raise WarmthUsageError(f"delta must be a number, got {delta!r}")
    d = float(delta)
    if not math.isfinite(d) or abs(d) > psi:
        raise WarmthUsageError(
            f"|delta| = {abs(d)} cannot exceed the discordance {psi} (delta = p10 - p01)"
        )
    return psi, d
