"""Anytime-valid one-sided McNemar test: a truncated-Beta mixture e-process.

Only discordant pairs carry evidence. After ``n`` discordant pairs of which ``k`` are harms (base
right, tuned wrong), the e-value for H0: q <= 1/2 (q = P(harm | discordant), i.e. delta <= 0) is

    E_n = 2^n * integral_{1/2}^{1} q^k (1 - q)^(n - k) pi(q) dq
        = 2^n * B(a + k, b + n - k) * (1 - I_{1/2}(a + k, b + n - k))
              / (B(a, b) * (1 - I_{1/2}(a, b)))

with ``pi`` the Beta(a, b) density truncated to [1/2, 1]. Every mixture component with q1 >= 1/2
is a test supermartingale under every q <= 1/2, so by Ville's inequality
P(sup_n E_n >= 1/alpha) <= alpha: the test may be checked after every item and stopped at any
time. With m gate tests, use the threshold m/alpha (e-Bonferroni). Items must arrive in a random
order (Ville's inequality; Ramdas, Grünwald, Vovk & Shafer 2023, Statistical Science).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special

from pytest_warmth.errors import WarmthUsageError
from pytest_warmth.stats._checks import check_count, check_probability
from pytest_warmth.stats.mcnemar import binomial_upper_tail

_LOG2 = math.log(2.0)


def log_evalue(n_discordant: int, k_harm: int, *, a: float = 1.0, b: float = 1.0) -> float:
    """Natural log of the truncated-Beta mixture e-value after ``n_discordant`` pairs.

    Args:
        n_discordant: Discordant pairs seen so far.
        k_harm: How many of them are harms (base right, tuned wrong); at most ``n_discordant``.
        a: First Beta prior parameter (positive); larger values favour larger harm shares.
        b: Second Beta prior parameter (positive).

    Returns:
        ``log E``; 0 before any discordant pair. It is ``-inf`` only when the tail probability
        underflows (overwhelming evidence of no harm).

    Raises:
        WarmthUsageError: Negative counts, ``k_harm > n_discordant`` or non-positive prior
            parameters.

    Examples:
        >>> round(log_evalue(10, 10), 4)
        5.2262
    """
    n = check_count(n_discordant, "n_discordant")
    k = check_count(k_harm, "k_harm")
    if k > n:
        raise WarmthUsageError(f"k_harm = {k} exceeds n_discordant = {n}")
    pa, pb = _check_prior(a, b)
    return float(_log_evalue_array(np.asarray([n]), np.asarray([k]), pa, pb)[0])


def log_evalue_grid(max_discordant: int, *, a: float = 1.0, b: float = 1.0) -> NDArray[np.float64]:
    """Table of :func:`log_evalue` for every ``0 <= k <= n <= max_discordant``.

    Useful to run the e-process over many simulated or recorded streams at once.

    Args:
        max_discordant: The largest number of discordant pairs to tabulate.
        a: First Beta prior parameter (positive).
        b: Second Beta prior parameter (positive).

    Returns:
        An array ``g`` of shape ``(max_discordant + 1, max_discordant + 1)`` with
        ``g[n, k] = log_evalue(n, k)`` for ``k <= n`` and NaN above the diagonal.

    Raises:
        WarmthUsageError: A negative ``max_discordant`` or non-positive prior parameters.
    """
    top = check_count(max_discordant, "max_discordant")
    pa, pb = _check_prior(a, b)
    n, k = np.meshgrid(np.arange(top + 1), np.arange(top + 1), indexing="ij")
    grid = np.full(n.shape, np.nan)
    valid = k <= n
    grid[valid] = _log_evalue_array(n[valid], k[valid], pa, pb)
    return grid


@dataclass
class SequentialMcNemar:
    """Streaming anytime-valid one-sided McNemar test (decides FAIL when E >= ``threshold``).

    Feed it one item at a time with :meth:`update`; it reports a decision as soon as the
    e-value reaches ``threshold`` (``1/alpha`` for one test, ``m/alpha`` for ``m`` gate tests).
    The decision is final: later items are still counted, but ``decided`` stays True.

    Examples:
        >>> test = SequentialMcNemar.from_alpha(0.05)
        >>> [test.update(True, False) for _ in range(7)], test.decided_at
        ([False, False, False, False, False, False, True], 7)
    """

    threshold: float = 20.0
    """Reject H0 (delta <= 0) once the e-value reaches this level; must exceed 1."""
    prior_a: float = 1.0
    """First parameter of the Beta prior on the harm share, truncated to [1/2, 1]."""
    prior_b: float = 1.0
    """Second parameter of the Beta prior."""
    _items: int = field(default=0, init=False, repr=False)
    _discordant: int = field(default=0, init=False, repr=False)
    _harms: int = field(default=0, init=False, repr=False)
    _log_e: float = field(default=0.0, init=False, repr=False)
    _peak_log_e: float = field(default=0.0, init=False, repr=False)
    _decided_at: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        """Validate the threshold and the prior."""
        if (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, numbers.Real)
            or not float(self.threshold) > 1.0
        ):
            raise WarmthUsageError(f"threshold must be a number above 1, got {self.threshold!r}")
        self.prior_a, self.prior_b = _check_prior(self.prior_a, self.prior_b)

    @classmethod
    def from_alpha(
        cls, alpha: float = 0.05, *, tests: int = 1, a: float = 1.0, b: float = 1.0
    ) -> SequentialMcNemar:
        """A test with the e-Bonferroni threshold ``tests / alpha``.

        Args:
            alpha: Family-wise significance level in (0, 1).
            tests: Number of gate tests sharing ``alpha`` (positive).
            a: First Beta prior parameter.
            b: Second Beta prior parameter.

        Returns:
            A fresh :class:`SequentialMcNemar`.

        Raises:
            WarmthUsageError: ``alpha`` outside (0, 1) or ``tests`` not a positive integer.
        """
        level = check_probability(alpha, "alpha")
        m = check_count(tests, "tests")
        if m == 0:
            raise WarmthUsageError("tests must be at least 1")
        return cls(threshold=m / level, prior_a=a, prior_b=b)

    def update(self, base_correct: bool, tuned_correct: bool) -> bool:
        """Add one paired item and report whether the test has decided FAIL.

        Args:
            base_correct: Whether the base model answered the item correctly.
            tuned_correct: Whether the tuned model answered the item correctly.

        Returns:
            True once the e-value has reached the threshold (now or earlier).
        """
        self._items += 1
        base_ok, tuned_ok = bool(base_correct), bool(tuned_correct)
        if base_ok != tuned_ok:
            self._discordant += 1
            if base_ok:  # base right, tuned wrong: a harm
                self._harms += 1
            self._log_e = float(
                _log_evalue_array(
                    np.asarray([self._discordant]),
                    np.asarray([self._harms]),
                    self.prior_a,
                    self.prior_b,
                )[0]
            )
            self._peak_log_e = max(self._peak_log_e, self._log_e)
            if self._decided_at is None and self._log_e >= math.log(self.threshold):
                self._decided_at = self._items
        return self._decided_at is not None

    @property
    def items(self) -> int:
        """Items seen so far (concordant and discordant)."""
        return self._items

    @property
    def discordant(self) -> int:
        """Discordant pairs seen so far."""
        return self._discordant

    @property
    def harms(self) -> int:
        """Discordant pairs where the base model was right and the tuned model wrong."""
        return self._harms

    @property
    def log_e(self) -> float:
        """Natural log of the current e-value."""
        return self._log_e

    @property
    def peak_log_e(self) -> float:
        """Natural log of the largest e-value so far.

        ``exp(-peak_log_e)`` is an anytime-valid p-value (Ville's inequality), also when items
        were counted after the decision.
        """
        return self._peak_log_e

    @property
    def e_value(self) -> float:
        """The current e-value (may overflow to ``inf`` for huge evidence)."""
        return math.exp(self._log_e) if self._log_e < 709.0 else math.inf

    @property
    def decided(self) -> bool:
        """Whether the e-value has reached the threshold (FAIL: the tuned model errs more)."""
        return self._decided_at is not None

    @property
    def decided_at(self) -> int | None:
        """The item count at which the test decided, or None."""
        return self._decided_at


def items_to_decision(
    base_correct: Sequence[bool],
    tuned_correct: Sequence[bool],
    *,
    threshold: float = 20.0,
    a: float = 1.0,
    b: float = 1.0,
) -> int | None:
    """Items consumed before the e-process decides FAIL on a recorded stream, or None.

    Args:
        base_correct: Per item, in streaming order, whether the base model was right.
        tuned_correct: Per item, whether the tuned model was right.
        threshold: Decision threshold on the e-value (above 1), e.g. ``m / alpha``.
        a: First Beta prior parameter.
        b: Second Beta prior parameter.

    Returns:
        The 1-based index of the item at which the e-value first reaches ``threshold``, or None
        when it never does.

    Raises:
        WarmthUsageError: Sequences of different lengths, a threshold not above 1, or a bad
            prior.

    Examples:
        >>> items_to_decision([True] * 8, [False] * 8)
        7
    """
    if len(base_correct) != len(tuned_correct):
        raise WarmthUsageError(
            "base_correct and tuned_correct must have the same length, got "
            f"{len(base_correct)} and {len(tuned_correct)}"
        )
    checker = SequentialMcNemar(threshold=threshold, prior_a=a, prior_b=b)
    base = np.asarray(base_correct, dtype=bool)
    tuned = np.asarray(tuned_correct, dtype=bool)
    if base.size == 0:
        return None
    discordant = base != tuned
    n = np.cumsum(discordant)
    k = np.cumsum(discordant & base)
    log_e = _log_evalue_array(n, k, checker.prior_a, checker.prior_b)
    hits = np.flatnonzero(discordant & (log_e >= math.log(checker.threshold)))
    return int(hits[0]) + 1 if hits.size else None


@dataclass(frozen=True)
class DesignSimulation:
    """How a sequential design fares against the fixed test on simulated cells (shares)."""

    fixed_fails: float
    """Runs where the fixed one-sided mid-p McNemar test on every item rejects (its power)."""
    fails: float
    """Runs the sequential design fails (the e-process decided, or the final test rejected)."""
    decided_early: float
    """Runs where the e-process decided within the budget."""
    same_verdict: float
    """Runs where the design's verdict (FAIL or not) matches the fixed test's."""
    items_used: float
    """Mean items asked, as a share of the budget (a look's items are asked together)."""


def simulate_design(
    delta: float,
    discordance: float,
    budget: int,
    *,
    alpha: float = 0.05,
    share: float = 1.0,
    look: int = 1,
    reps: int = 4000,
    seed: int = 0,
) -> DesignSimulation:
    """Simulate a sequential design on cells with a known rise, against the fixed test.

    The design: the flat-prior e-process on ``share`` of ``alpha``, looked at every ``look``
    items; a cell that reaches ``budget`` items undecided gets the one-sided mid-p McNemar test
    on the other ``1 - share``. Use it to plan: how many items a regression of a given size
    costs, and how often the verdict differs from the fixed test's.

    Args:
        delta: The true rise in error rate (0 for no change); at most ``discordance``.
        discordance: Share of items on which the two models differ, in (0, 1).
        budget: Items per cell (what the fixed test uses).
        alpha: Significance level in (0, 1).
        share: Share of ``alpha`` spent on the e-process, in (0, 1].
        look: Items asked between two looks (positive).
        reps: Simulated cells (positive).
        seed: Seed of the random generator.

    Returns:
        The shares in :class:`DesignSimulation`.

    Raises:
        WarmthUsageError: An argument out of range.

    Examples:
        >>> r = simulate_design(0.2, 0.3, 184, reps=500)
        >>> r.decided_early > 0.95 and r.items_used < 0.4
        True
    """
    psi = check_probability(discordance, "discordance")
    level = check_probability(alpha, "alpha")
    part = check_probability(share, "share") if share != 1.0 else 1.0
    n = check_count(budget, "budget")
    every = check_count(look, "look")
    runs = check_count(reps, "reps")
    if not 0.0 <= float(delta) <= psi:
        raise WarmthUsageError(f"delta must lie in [0, discordance = {psi}], got {delta!r}")
    if min(n, every, runs) == 0:
        raise WarmthUsageError("budget, look and reps must be positive")
    rng = np.random.default_rng(seed)
    discordant = rng.random((runs, n)) < psi
    harm = discordant & (rng.random((runs, n)) < 0.5 + float(delta) / (2 * psi))
    n_disc = np.cumsum(discordant, axis=1, dtype=np.int64)
    k = np.cumsum(harm, axis=1, dtype=np.int64)
    looks = np.zeros(n, dtype=bool)
    looks[every - 1 :: every] = True
    looks[-1] = True
    crossed = (log_evalue_grid(n)[n_disc, k] >= math.log(1 / (part * level))) & looks
    stop = np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, n + 1)
    decided = stop <= n
    b_end, n_end = k[:, -1], n_disc[:, -1]
    fixed = _midp_rejects(b_end, n_end, level)
    final = np.zeros_like(decided)
    if part < 1.0:
        final = _midp_rejects(b_end, n_end, (1 - part) * level)
    fails = decided | final
    return DesignSimulation(
        fixed_fails=float(fixed.mean()),
        fails=float(fails.mean()),
        decided_early=float(decided.mean()),
        same_verdict=float((fails == fixed).mean()),
        items_used=float(np.minimum(stop, n).mean() / n),
    )


def _midp_rejects(b: NDArray[np.int64], n: NDArray[np.int64], level: float) -> NDArray[np.bool_]:
    """Whether the one-sided mid-p McNemar test rejects with ``b`` harms of ``n`` discordant."""
    result: NDArray[np.bool_] = (n > 0) & (binomial_upper_tail(b, n, mid=True) <= level)
    return result


def _check_prior(a: object, b: object) -> tuple[float, float]:
    """Both Beta parameters must be finite and positive."""
    checked: list[float] = []
    for name, value in (("a", a), ("b", b)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise WarmthUsageError(f"prior parameter {name} must be a number, got {value!r}")
        as_float = float(value)
        if not 0.0 < as_float < math.inf:
            raise WarmthUsageError(f"prior parameter {name} must be positive, got {value!r}")
        checked.append(as_float)
    return checked[0], checked[1]


def _log_evalue_array(
    n: NDArray[np.int64], k: NDArray[np.int64], a: float, b: float
) -> NDArray[np.float64]:
    """Vectorised log e-value; ``1 - I_x(p, q) = I_{1-x}(q, p)`` keeps the upper tail accurate."""
    n_f = np.asarray(n, dtype=np.float64)
    k_f = np.asarray(k, dtype=np.float64)
    a2 = a + k_f
    b2 = b + n_f - k_f
    with np.errstate(divide="ignore"):
        tail = np.log(special.betainc(b2, a2, 0.5))
        tail0 = math.log(float(special.betainc(b, a, 0.5)))
    result: NDArray[np.float64] = (
        n_f * _LOG2 + special.betaln(a2, b2) + tail - (float(special.betaln(a, b)) + tail0)
    )
    return result
