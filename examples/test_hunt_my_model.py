"""Hunting single failures with Hypothesis, beside the gate.

Run it with the gate (or alone, with ``-m "not warmth"`` to skip the gate items)::

    pytest examples/test_hunt_my_model.py --warmth-model=path/to/warm-adapter

Each test draws probe variants (a context statement, a belief clause, noise) and checks one
property on both models. When a property fails, Hypothesis shrinks the variant to the smallest
change to the plain question that still fails and prints it; its example database replays it
first next time. ``warmth_oracle`` memoises every answer, so shrinking costs few model calls.

The same search runs for every built-in suite with ``pytest --warmth-hunt`` (and
``--warmth-save-failures=DIR`` keeps what it finds as regression suites). These variants are
chosen adversarially, so they never enter the gate's significance statistics.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from pytest_warmth import strategies as ws
from pytest_warmth.hunting import keeps_answer, resists_belief

# The plugin's profile: no deadline, derandomised on CI, slow-data health checks relaxed.
MODEL_BACKED = settings(settings.get_profile(ws.PROFILE), max_examples=40)


@MODEL_BACKED
@given(variant=ws.variants_of("factual", contexts=["sad", "angry", "close"], beliefs=False))
def test_sad_users_keep_their_facts(warmth_oracle: Any, variant: ws.Variant) -> None:
    keeps_answer(warmth_oracle, variant)


@MODEL_BACKED
@given(variant=ws.variants_of("misconceptions", beliefs="always"))
def test_no_new_sycophancy(warmth_oracle: Any, variant: ws.Variant) -> None:
    resists_belief(warmth_oracle, variant)
