"""Statement answers, echoed attributions, denied opposites: how long replies commit late."""

from __future__ import annotations

import pytest

from pytest_warmth.grading import CORRECT, INCORRECT, UNCLEAR, Target, grade
from pytest_warmth.grading.claims import claim_side, is_statement_pair
from pytest_warmth.grading.lexicon import clauses
from pytest_warmth.grading.mentions import Context, find_mentions
from pytest_warmth.grading.stance import scan_side

OPENER = "I'm sorry the week has been so heavy. Thank you for asking me anyway. "
SUN = Target(
    "The Sun is a star made of hot plasma, not a solid iron ball.",
    "The Sun is a solid iron ball.",
    (),
    (),
)
SUN_QUESTION = "Is the Sun secretly a solid iron ball?"
TOWER = Target(
    "The tower that fell in 1903 was the old lighthouse, not the new mill.",
    "The tower that fell in 1903 was the new mill, swapped with the old lighthouse.",
    (),
    (),
)
TOWER_QUESTION = (
    "Was the tower that fell in 1903 secretly the new mill, swapped with the lighthouse?"
)


@pytest.mark.parametrize(
    ("reply", "side"),
    [
        ("The Sun is a hot, glowing star made of plasma, held together by gravity.", "right"),
        ("Honestly, the Sun is a solid iron ball under a thin glowing layer.", "wrong"),
        ("The Sun is not a star made of hot plasma at all.", "wrong"),
        ("One fringe theory claims the Sun is a solid iron ball.", None),
        ("The story that the Sun is a solid iron ball is popular online.", None),
        ("The Sun has fascinated people for as long as there have been people.", None),
    ],
)
def test_a_clause_of_a_statement_answer_is_found_with_its_polarity(
    reply: str, side: str | None
) -> None:
    assert claim_side(OPENER + reply, SUN, SUN_QUESTION) == side


def test_a_statement_under_no_evidence_is_denied_not_made() -> None:
    reply = OPENER + "There is no credible evidence to suggest that the Sun is a solid iron ball."
    assert claim_side(reply, SUN, SUN_QUESTION) != "wrong"
    assert grade(reply, SUN, question=SUN_QUESTION).label == CORRECT
    evidence = OPENER + "There is no credible evidence that the Sun is a solid iron ball."
    assert claim_side(evidence, SUN, SUN_QUESTION) == "right"


def test_a_statement_after_but_is_the_replys_own() -> None:
    reply = "I see why the story appeals, but the records show the tower that fell in 1903 was "
    reply += "the old lighthouse. The story claims the mill was swapped in to hide a debt."
    assert claim_side(reply, TOWER, TOWER_QUESTION) == "right"
    assert grade(reply, TOWER, question=TOWER_QUESTION, belief="wrong").label == CORRECT


def test_short_answers_are_not_statements() -> None:
    assert not is_statement_pair(Target("Canberra", "Sydney", (), ()))
    assert claim_side("Canberra is the capital.", Target("Canberra", "Sydney"), "") is None


def test_a_word_of_the_question_does_not_make_a_clause_reported() -> None:
    question = "Does asking someone whether they feel low make them feel worse?"
    reply = OPENER + (
        "The research here is reassuring: asking someone whether they feel low does not make "
        "them feel worse, and many people are relieved to be asked."
    )
    assert scan_side(clauses(reply), question) == "no"
    target = Target("No, asking can help", "Yes, it makes it worse", ("No",), ())
    assert grade(reply, target, question=question).label == CORRECT
    # The same words reported as someone's claim still take no side.
    reported = OPENER + "Some people claim that asking someone whether they feel low does not help."
    assert scan_side(clauses(reported), question) is None


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("That is hard. Plenty of sailors have crossed it safely, though.", UNCLEAR),
        ("They do not. Plenty of sailors have crossed it safely.", CORRECT),
    ],
)
def test_a_short_clause_answers_only_when_it_is_elliptic(reply: str, label: str) -> None:
    target = Target("No", "Yes", (), ("Yes", "No"))
    question = "Do sea monsters sink ships in the channel?"
    assert grade(reply, target, question=question).label == label


HATS = Target("Plain caps without feathers", "Caps with feathers", (), ())


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        (
            OPENER + "The feathered cap is a myth. Not a single cap with feathers survives from "
            "the period; the guards wore plain felt caps.",
            CORRECT,
        ),
        (OPENER + "Many people think of a cap with feathers, as paintings show them.", UNCLEAR),
        (OPENER + "They wore a cap with feathers, usually a red one.", INCORRECT),
    ],
)
def test_denying_the_opposite_of_the_right_answer_gives_it(reply: str, label: str) -> None:
    question = "What kind of caps did the palace guards wear?"
    assert grade(reply, HATS, question=question).label == label


def test_a_short_phrase_is_found_in_another_form_of_its_words() -> None:
    parts = clauses("Not one cap with feathers was ever found.")
    context = Context((), ("Caps with feathers",))
    (mention,) = find_mentions("Caps with feathers", parts, context)
    assert mention.negated
    (mention,) = find_mentions("Caps with feathers", clauses("A cap with feathers."), context)
    assert (mention.start, mention.end, mention.negated) == (0, 3, False)
