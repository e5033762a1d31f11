"""Run profiles: the cells, sample sizes and scoring modes a run asks unless told otherwise."""

from __future__ import annotations

import pytest

from pytest_warmth import gate
from pytest_warmth.profiles import ASSUMED_DISCORDANCE, PROFILES, TARGET_RISE, power_sized_limit
from pytest_warmth.settings import WarmthSettings
from pytest_warmth.stats.power import connor_power
from pytest_warmth.suite_sources import builtin_suites


def test_default_profile_is_every_suite_in_four_cells_power_sized_by_multiple_choice() -> None:
    plan = gate.build_plan(WarmthSettings(model="x"))
    n = power_sized_limit()
    assert {(c.context, c.belief) for c in plan.cells} == {
        ("plain", "none"), ("sad", "none"), ("plain", "wrong"), ("sad", "wrong"),
    }  # fmt: skip
    assert len(plan.cells) == 4 * len(builtin_suites())
    sizes = {name: len(suite) for name, suite in builtin_suites().items()}
    assert {name: len(s) for name, s in plan.suites.items()} == {
        name: min(n, size) for name, size in sizes.items()
    }
    assert set(plan.scoring.values()) == {"mc"}


def test_the_power_sized_sample_reaches_80_percent_power_and_one_fewer_does_not() -> None:
    n = power_sized_limit()
    assert connor_power(TARGET_RISE, ASSUMED_DISCORDANCE, n) >= 0.80
    assert connor_power(TARGET_RISE, ASSUMED_DISCORDANCE, n - 1) < 0.80


def test_full_profile_is_the_studys_18_cells_on_every_item() -> None:
    plan = gate.build_plan(WarmthSettings(model="x", profile="full"))
    assert len(plan.cells) == 18 * len(builtin_suites())
    assert {c.context for c in plan.cells} == set(PROFILES["full"].contexts)
    assert {c.context for c in plan.cells} >= {"happy", "angry", "close", "high_stakes"}
    assert {name: len(s) for name, s in plan.suites.items()} == {
        name: len(s) for name, s in builtin_suites().items()
    }


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_explicit_options_override_the_profile(profile: str) -> None:
    settings = WarmthSettings(
        model="x", profile=profile, contexts=("angry",), beliefs=("right",), limit=7,
        scoring="suite",
    )  # fmt: skip
    plan = gate.build_plan(settings)
    assert {(c.context, c.belief) for c in plan.cells} == {("angry", "right")}
    assert {len(s) for s in plan.suites.values()} == {7}
    assert plan.scoring["factual"] == "generate"
    assert plan.scoring["medical"] == "mc"
