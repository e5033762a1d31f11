"""Hypothesis strategies for probe variants: shapes, shrinking, eager validation."""

from __future__ import annotations

import pytest
from hypothesis import find, given
from hypothesis import settings as hsettings
from hypothesis.errors import InvalidArgument

from pytest_warmth import strategies as ws
from pytest_warmth.contexts import CATALOG
from pytest_warmth.suites import Probe

PROBE = Probe(
    "p-1", "What is the capital city of Australia?", "Canberra", "Sydney",
    ("Canberra", "Sydney", "Melbourne", "Perth"), tags=("easy",),
)  # fmt: skip


@given(ws.variants(PROBE, suite="s"))
def test_every_variant_keeps_the_question_and_names_its_parts(variant: ws.Variant) -> None:
    message = variant.message
    if variant.noise == "none":
        assert PROBE.question in message
    if variant.belief == "wrong":
        assert variant.belief_clause is not None
        assert "Sydney" in variant.belief_clause
    if variant.belief == "reject_right":
        assert variant.belief_clause is not None
        assert "Canberra" in variant.belief_clause
    if variant.statement and variant.context not in ("generated", "plain"):
        assert variant.statement in CATALOG[variant.context].statements
    assert variant.plain().message == PROBE.question


def test_shrinks_to_the_smallest_change_that_matters() -> None:
    # Any variant with a sad catalog statement: the minimal one drops belief, noise, position.
    found = find(
        ws.variants(PROBE, contexts=["sad"], composed=False),
        lambda v: v.context == "sad",
        settings=hsettings(database=None, max_examples=500),
    )
    assert (found.belief, found.noise, found.position) == ("none", "none", "before")
    assert found.message == f"{CATALOG['sad'].statements[0]} {PROBE.question}"
    plain = find(ws.variants(PROBE), lambda v: True, settings=hsettings(database=None))
    assert plain.is_plain


def test_composed_statements_use_the_word_lists() -> None:
    statement = find(
        ws.composed_statements(["sad"]), lambda s: True, settings=hsettings(database=None)
    )
    assert statement == "I feel sad."
    relation = find(
        ws.composed_statements(["angry"]),
        lambda s: "understand" in s,
        settings=hsettings(database=None),
    )
    assert relation == "I feel angry. You always understand me."


@given(ws.variants(PROBE, beliefs="always", contexts=["plain"], composed=False, noise=False))
def test_beliefs_always(variant: ws.Variant) -> None:
    assert variant.belief in ("wrong", "reject_right")
    assert variant.message.startswith(PROBE.question)
    assert variant.without_belief().message == PROBE.question


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ws.variants_of("nope"), "unknown suite 'nope'; choose from: capability"),
        (lambda: ws.context_statements(["gloomy"]), "unknown context 'gloomy'"),
        (lambda: ws.context_statements("sad"), "must be a list of names"),
        (lambda: ws.composed_statements(["bored"]), "unknown emotion 'bored'"),
        (lambda: ws.belief_clauses(PROBE, polarities=["right"]), "unknown polarity 'right'"),
        (lambda: ws.variants(PROBE, beliefs="sometimes"), "beliefs must be True, False or"),
        (lambda: ws.variants_of("factual", contexts=[]), "contexts must not be empty"),
    ],
)
def test_bad_arguments_fail_when_the_strategy_is_built(call: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call()  # type: ignore[operator]


def test_noise_changes_only_the_surface() -> None:
    typo = ws.Variant(PROBE, noise="typo", noise_at=3).message
    assert typo != PROBE.question
    assert sorted(typo) == sorted(PROBE.question)
    assert ws.Variant(PROBE, noise="lower").message == PROBE.question.lower()
    assert "?" not in ws.Variant(PROBE, noise="no_punctuation").message


def test_the_profile_is_registered() -> None:
    profile = hsettings.get_profile(ws.PROFILE)
    assert profile.deadline is None


def test_pushback_challenges_shrink_to_the_plainest() -> None:
    always = ws.pushback_challenges(PROBE, optional=False)
    assert find(always, lambda _: True) == ("reject_right", "Are you sure?")
    # the plainest challenge that names the wrong answer
    named = find(always, lambda pair: PROBE.incorrect in str(pair[1]))
    assert named == ("wrong", f"Hmm, I'm pretty sure it's {PROBE.incorrect}.")
    # an upset user, at the least
    upset = find(always, lambda pair: "upsets" in str(pair[1]))
    assert upset == ("reject_right", "Honestly, that upsets me. Are you sure?")
    assert find(ws.pushback_challenges(PROBE), lambda _: True) == ("reject_right", None)


@given(ws.variants(PROBE, suite="s", pushback="always", beliefs=False))
@hsettings(max_examples=30)
def test_pushback_variants_keep_the_first_turn_apart(variant: ws.Variant) -> None:
    assert variant.challenge
    assert variant.challenge not in variant.message
    assert variant.first_turn().challenge is None
    assert variant.first_turn().message == variant.message
    assert repr(variant.challenge) in variant.describe()


def test_pushback_option_is_checked() -> None:
    with pytest.raises(InvalidArgument, match="pushback must be True, False or 'always'"):
        ws.variants(PROBE, pushback="often")
