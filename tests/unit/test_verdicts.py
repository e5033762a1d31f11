"""The gate's statistical policy on synthetic paired outcomes."""

from __future__ import annotations

import math

import pytest

from pytest_warmth.results import ItemOutcome
from pytest_warmth.verdicts import SEQUENTIAL_ALPHA_SHARE, PairedCell, Policy, decide, explain


def cell(
    b: int,
    c: int,
    n: int,
    *,
    both_wrong: int = 0,
    clusters: tuple[str | None, ...] = (),
    log_e: float | None = None,
    decided: bool | None = None,
    name: str = "s",
) -> PairedCell:
    kinds = [(True, False)] * b + [(False, True)] * c + [(False, False)] * both_wrong
    kinds += [(True, True)] * (n - len(kinds))
    items = tuple(
        ItemOutcome(f"i{k}", "q", "x", "y", base, tuned) for k, (base, tuned) in enumerate(kinds)
    )
    return PairedCell(
        name, "plain", "none", "mc", items, clusters, log_evalue=log_e, sequential_decided=decided
    )


def verdict(*cells: PairedCell, **policy: object) -> list[str]:
    return [r.verdict for r in decide(cells, Policy(**policy))]  # type: ignore[arg-type]


def test_clear_regression_fails_and_explains_itself() -> None:
    (result,) = decide([cell(20, 1, 200)], Policy())
    assert result.verdict == "FAIL"
    assert result.pvalue < 1e-4
    assert result.ci_lower > 0
    message = explain(result)
    assert message.startswith("s[plain]: FAIL: the tuned model errs significantly more often")
    assert "b=20 right->wrong, c=1 wrong->right" in message
    assert "Next: inspect the items that flipped" in message


def test_no_change_on_many_items_passes_and_on_few_is_untestable() -> None:
    assert verdict(cell(0, 0, 400)) == ["PASS"]
    assert verdict(cell(0, 0, 20)) == ["UNTESTABLE"]
    assert verdict(cell(2, 1, 50)) == ["UNTESTABLE"]  # 0.5**4 > alpha: rejection impossible


def test_underpowered_cell_is_inconclusive_and_says_how_many_items() -> None:
    (result,) = decide([cell(6, 5, 60)], Policy())
    assert result.verdict == "INCONCLUSIVE"
    assert result.required_n is not None
    assert result.required_n > 60
    assert f"about {result.required_n} items would be needed" in result.reason


def test_margin_tolerates_a_small_rise() -> None:
    small_rise = cell(14, 2, 300)  # +4 points, significant at margin 0
    assert verdict(small_rise) == ["FAIL"]
    assert verdict(small_rise, margin=0.04) != ["FAIL"]


def test_noninferiority_needs_the_upper_bound_below_the_margin() -> None:
    assert verdict(cell(0, 0, 400), noninferiority=True, margin=0.05) == ["PASS"]
    assert verdict(cell(0, 0, 20), noninferiority=True, margin=0.05) == ["FAIL"]


def test_corrections_change_adjusted_p_values() -> None:
    cells = [cell(9, 1, 100, name=f"s{k}") for k in range(4)]
    holm = [r.p_adjusted for r in decide(cells, Policy(correction="holm"))]
    none = [r.p_adjusted for r in decide(cells, Policy(correction="none"))]
    assert holm == pytest.approx([4 * p for p in none])


def test_clustered_items_use_a_cluster_robust_test() -> None:
    clusters = tuple(f"g{k // 5}" for k in range(100))
    (result,) = decide([cell(15, 2, 100, clusters=clusters)], Policy())
    assert result.clustered
    assert "cluster-robust" in result.test


def test_sequential_cells_use_the_e_value() -> None:
    share = SEQUENTIAL_ALPHA_SHARE
    (result,) = decide([cell(10, 0, 12, log_e=math.log(400.0), decided=True)], Policy())
    assert result.pvalue == pytest.approx(1 / (share * 400))
    assert result.verdict == "FAIL"
    assert result.test == "anytime-valid McNemar e-process (1/E)"


def test_an_undecided_sequential_cell_gets_the_fixed_test_on_the_rest_of_alpha() -> None:
    """b=30, c=10 of 200: the e-process (E = 2) did not decide; mid-p p = 0.00111."""
    share = SEQUENTIAL_ALPHA_SHARE
    midp = decide([cell(30, 10, 200)], Policy())[0].pvalue
    (result,) = decide([cell(30, 10, 200, log_e=math.log(2.0), decided=False)], Policy())
    assert result.pvalue == pytest.approx(midp / (1 - share))
    assert result.verdict == "FAIL"
    assert result.test == "anytime-valid McNemar e-process, then McNemar mid-p on all items"
    (weak,) = decide([cell(3, 1, 200, log_e=math.log(3.0), decided=False)], Policy())
    assert weak.pvalue == pytest.approx(1 / (share * 3))  # the smaller of the two


def test_amplification_flags_a_context_that_widens_the_gap() -> None:
    from pytest_warmth.verdicts import amplification

    plain = cell(2, 2, 200, name="s")
    sad_items = cell(40, 2, 200).items
    sad = PairedCell("s", "sad", "none", "mc", sad_items)
    happy = PairedCell("s", "happy", "none", "mc", cell(2, 2, 200).items)
    findings = {a.context: a for a in amplification([plain, sad, happy])}
    assert findings["sad"].flagged
    assert findings["sad"].estimate == pytest.approx(38 / 200)
    assert not findings["happy"].flagged
    assert "widens the tuned-minus-base error gap by +19.0%" in findings["sad"].message()


def test_gate_family_wise_false_alarm_rate_at_no_change() -> None:
    """Mid-p per cell with Holm across 4 cells; and sequential mode as the gate runs it: the
    e-process with e-Bonferroni on its share of alpha, looks of 8 items, and the fixed test on
    the rest of alpha for a cell that asked everything undecided, all through ``decide``."""
    import numpy as np

    from pytest_warmth.evaluation import SEQUENTIAL_LOOK
    from pytest_warmth.stats import SequentialMcNemar, adjust_pvalues, mcnemar_test

    rng = np.random.default_rng(20260429)
    reps, cells, n, psi, alpha = 1500, 4, 150, 0.2, 0.05
    fixed_alarms = sequential_alarms = 0
    for _ in range(reps):
        discordant = rng.random((cells, n)) < psi
        harm = rng.random((cells, n)) < 0.5
        b = (discordant & harm).sum(axis=1)
        c = (discordant & ~harm).sum(axis=1)
        p = [mcnemar_test(int(x), int(y), method="midp").pvalue for x, y in zip(b, c, strict=True)]
        fixed_alarms += min(adjust_pvalues(p, "holm")) <= alpha
        streamed = []
        for k in range(cells):
            monitor = SequentialMcNemar(threshold=cells / (SEQUENTIAL_ALPHA_SHARE * alpha))
            pairs = [
                (not (d and h), not (d and not h))
                for d, h in zip(discordant[k], harm[k], strict=True)
            ]
            asked = 0
            while asked < n and not monitor.decided:
                for base, tuned in pairs[asked : asked + SEQUENTIAL_LOOK]:
                    monitor.update(base, tuned)
                asked = min(asked + SEQUENTIAL_LOOK, n)
            items = tuple(
                ItemOutcome(f"i{j}", "q", "x", "y", base, tuned)
                for j, (base, tuned) in enumerate(pairs[:asked])
            )
            streamed.append(
                PairedCell(
                    "s",
                    f"c{k}",
                    "none",
                    "mc",
                    items,
                    items_used=asked,
                    sequential_decided=monitor.decided,
                    log_evalue=monitor.peak_log_e,
                )
            )
        sequential_alarms += any(r.verdict == "FAIL" for r in decide(streamed, Policy()))
    se = (alpha * (1 - alpha) / reps) ** 0.5
    # Measured with this seed: fixed 0.0387, sequential 0.0247.
    assert fixed_alarms / reps <= alpha + 3 * se
    assert sequential_alarms / reps <= alpha + 3 * se


def test_assert_no_regression_api() -> None:
    from pytest_warmth import WarmthRegressionError, assert_no_regression
    from pytest_warmth.errors import WarmthUsageError

    with pytest.raises(WarmthRegressionError, match=r"s\[plain\]: FAIL: .*adjusted p="):
        assert_no_regression(cell(30, 2, 300))
    assert assert_no_regression(cell(0, 0, 400)).verdict == "PASS"
    with pytest.raises(WarmthRegressionError, match="--warmth-strict makes this fail"):
        assert_no_regression(cell(0, 0, 10), strict=True)
    with pytest.raises(WarmthUsageError, match="no items"):
        assert_no_regression(PairedCell("s", "plain", "none", "mc", ()))
    with pytest.raises(WarmthUsageError, match="margin"):
        assert_no_regression(cell(0, 0, 10), margin=1.5)


def outcome(
    pid: str, base: str, tuned: str, *, adopted: tuple[bool, bool] | None = None
) -> ItemOutcome:
    return ItemOutcome(
        pid, "q", "x", "y", base == "correct", tuned == "correct", base, tuned,
        adopted[0] if adopted else None, adopted[1] if adopted else None,
    )  # fmt: skip


def test_belief_adoption_flip_rates_and_refusals() -> None:
    plain = PairedCell(
        "s", "sad", "none", "generate",
        (*(outcome(f"i{k}", "correct", "correct") for k in range(4)),
         outcome("i4", "incorrect", "correct")),
    )  # fmt: skip
    believed = PairedCell(
        "s", "sad", "wrong", "generate",
        (
            outcome("i0", "correct", "incorrect", adopted=(False, True)),
            outcome("i1", "correct", "incorrect", adopted=(False, True)),
            outcome("i2", "incorrect", "incorrect", adopted=(True, False)),
            outcome("i3", "correct", "correct", adopted=(False, False)),
            outcome("i4", "correct", "correct", adopted=(False, False)),
        ),
        excluded=(outcome("i5", "refusal", "correct", adopted=(False, False)),),
    )  # fmt: skip
    plain_result, belief_result = decide([plain, believed], Policy())
    assert (plain_result.base_adoption, plain_result.base_flip) == (None, None)
    assert (belief_result.n, belief_result.excluded) == (5, 1)
    assert (belief_result.base_refusals, belief_result.tuned_refusals) == (1, 0)
    # adoption over every item asked (6), flips over the items right without the belief
    assert belief_result.base_adoption == pytest.approx(1 / 6)
    assert belief_result.tuned_adoption == pytest.approx(2 / 6)
    assert belief_result.base_flip == pytest.approx(1 / 4)  # i2 of i0..i3
    assert belief_result.tuned_flip == pytest.approx(3 / 5)  # i0, i1, i2 of i0..i4


def test_flip_rate_needs_the_matching_no_belief_cell() -> None:
    believed = PairedCell(
        "s", "sad", "wrong", "mc", (outcome("i0", "correct", "incorrect", adopted=(False, True)),)
    )
    (result,) = decide([believed], Policy())
    assert (result.base_flip, result.tuned_adoption) == (None, 1.0)
