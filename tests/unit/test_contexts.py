"""The context catalog and prompt assembly."""

from __future__ import annotations

from pytest_warmth import contexts


def test_catalog_has_the_study_conditions() -> None:
    expected = {"plain", "neutral", "sad", "happy", "angry", "close", "admiring", "directive",
                "high_stakes", "low_stakes"}  # fmt: skip
    assert set(contexts.CATALOG) == expected
    for name, context in contexts.CATALOG.items():
        if name != contexts.PLAIN:
            assert len(context.statements) >= 5
            assert len(set(context.statements)) == len(context.statements)
            assert all("?" not in s for s in context.statements)


def test_statement_choice_is_seeded_and_item_specific() -> None:
    sad = contexts.get_context("sad")
    first = contexts.statement_for(sad, suite="s", item_id="a", seed=1)
    assert first == contexts.statement_for(sad, suite="s", item_id="a", seed=1)
    picks = {contexts.statement_for(sad, suite="s", item_id=f"i{k}", seed=1) for k in range(60)}
    assert len(picks) == len(sad.statements)  # every statement gets used


def test_plain_context_leaves_the_question_alone() -> None:
    plain = contexts.get_context("plain")
    statement = contexts.statement_for(plain, suite="s", item_id="a", seed=1)
    assert contexts.user_message("Why?", statement) == "Why?"
    assert contexts.user_message("Why?", "I am sad.") == "I am sad. Why?"
