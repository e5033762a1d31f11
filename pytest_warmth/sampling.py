"""Choosing a run's items from a suite: by tag, and a seeded sample stratified by difficulty."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping

from pytest_warmth.errors import ProbeSuiteError
from pytest_warmth.suites import ProbeSuite, slugify


def filter_tags(suite: ProbeSuite, tags: Iterable[str]) -> ProbeSuite:
    """The items that carry any of ``tags`` (all items when ``tags`` is empty).

    A tag also matches as its slug, so a source's own category name (``"Indexical Error:
    Time"``) finds the items tagged ``indexical-error-time``.

    Raises:
        ProbeSuiteError: No item of the suite carries any of the tags.
    """
    asked = set(tags)
    if not asked:
        return suite
    wanted = asked | {slugify(tag) for tag in asked}
    kept = tuple(p for p in suite.probes if wanted.intersection(p.tags))
    if not kept:
        known = sorted({tag for probe in suite.probes for tag in probe.tags})
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        raise ProbeSuiteError(
            suite.source,
            None,
            "tags",
            f"no item of suite {suite.name!r} carries {' or '.join(sorted(asked))}; "
            f"check --warmth-tag (its tags: {shown or 'none'})",
        )
    return suite.with_probes(kept)


def sample(suite: ProbeSuite, limit: int | None, seed: int) -> ProbeSuite:
    """A seeded sample of ``limit`` items, stratified by difficulty, in the suite's order.

    The sample depends only on the suite's items, the limit and the seed, so it is the same
    for base and tuned and stable across runs. A limit at or above the suite size keeps all.
    """
    if limit is None or limit >= len(suite.probes):
        return suite
    strata: dict[str, list[int]] = defaultdict(list)
    for index, probe in enumerate(suite.probes):
        strata[probe.difficulty or "untagged"].append(index)
    quotas = _allocate(limit, {k: len(v) for k, v in strata.items()})
    chosen: set[int] = set()
    for stratum, indices in sorted(strata.items()):
        rng = random.Random(f"{seed}:{suite.name}:{stratum}")
        chosen.update(rng.sample(indices, quotas[stratum]))
    probes = tuple(p for i, p in enumerate(suite.probes) if i in chosen)
    return suite.with_probes(probes)


def _allocate(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """Proportional allocation with largest remainders (ties broken by name)."""
    population = sum(sizes.values())
    exact = {k: total * n / population for k, n in sizes.items()}
    quotas = {k: int(v) for k, v in exact.items()}
    leftovers = sorted(sizes, key=lambda k: (-(exact[k] - quotas[k]), k))
    for key in leftovers[: total - sum(quotas.values())]:
        quotas[key] += 1
    return quotas
