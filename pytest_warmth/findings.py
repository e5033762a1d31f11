"""The hunt's findings as probe suites: minimal failing variants the gate then runs as they are."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pytest_warmth import atomic
from pytest_warmth.errors import WarmthError
from pytest_warmth.hunting import Finding
from pytest_warmth.suites import ProbeSuite


def save_findings(
    findings: list[Finding],
    directory: Path,
    suites: dict[str, ProbeSuite],
    scoring: dict[str, str] | None = None,
) -> list[Path]:
    """Write minimal failing variants as probe suites that the gate runs as they are.

    One file per source suite, ``hunted-<suite>.yaml``, with that suite's answer format and
    scoring mode. Each item's question is the variant's whole message (statement, question,
    belief clause, noise), so the suites declare ``contexts: [plain]`` and ``beliefs: [none]``:
    the gate asks exactly what failed. Give-ins under pushback go to
    ``hunted-<suite>-pushback.yaml`` (``beliefs: [pushback]``), each item with its challenge.
    Items already in an existing file are kept (findings accumulate across runs). Files are
    written atomically.

    Returns:
        The files written.

    Raises:
        OSError: A file cannot be written.
        ProbeSuiteError: An existing file is not a valid suite.
    """
    import yaml

    from pytest_warmth.suites import load_suite

    written = []
    by_suite: dict[str, list[Finding]] = {}
    for finding in findings:
        kind = "-pushback" if finding.variant.challenge is not None else ""
        by_suite.setdefault(finding.variant.suite + kind, []).append(finding)
    directory.mkdir(parents=True, exist_ok=True)
    for key, found in by_suite.items():
        source = found[0].variant.suite
        origin = suites[source]
        pushback = key != source
        name = f"hunted-{key}"
        path = directory / f"{name}.yaml"
        items: dict[str, dict[str, Any]] = {}
        if path.exists():
            for probe in load_suite(path).probes:
                cluster = probe.cluster or probe.id
                items[probe.id] = _item(
                    probe.id, probe.question, probe, list(probe.tags), cluster, probe.challenge
                )
        for finding in found:
            variant, probe = finding.variant, finding.variant.probe
            said = f"{variant.message}\0{variant.challenge or ''}"
            digest = hashlib.sha256(said.encode()).hexdigest()[:8]
            difficulty = [probe.difficulty] if probe.difficulty else []
            tags = [*difficulty, "hunted", finding.prop.replace("_", "-")]
            item_id = f"{name}-{probe.id}-{digest}"
            # Variants of one item share a cluster: the gate's clustered test counts them once.
            items[item_id] = _item(
                item_id, variant.message, probe, tags, probe.id, variant.challenge
            )
        data = {
            "name": name,
            "version": "1",
            "description": f"Minimal failing variants of suite {source!r} found by pytest "
            "--warmth-hunt; each question is asked exactly as it failed.",
            "scoring": (scoring or {}).get(source, origin.scoring),
            "answer_template": origin.answer_template,
            "mc_rule": origin.mc_rule,
            "refusal": origin.refusal,
            "contexts": ["plain"],
            "beliefs": ["pushback" if pushback else "none"],
            "items": list(items.values()),
        }
        atomic.write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        written.append(path)
    return written


def save_and_tell(
    findings: list[Finding],
    target: Path,
    suites: dict[str, ProbeSuite],
    scoring: dict[str, str] | None = None,
) -> str:
    """Save the findings under ``target`` (:func:`save_findings`) and say what happened."""
    if not findings:
        return f"warmth: the hunt found nothing; {target} not written"
    try:
        files = save_findings(findings, target, suites, scoring)
    except (OSError, WarmthError) as exc:
        return f"warmth: cannot write the findings to {target}: {exc}"
    names = ", ".join(path.name for path in files)
    return (
        f"warmth: {len(findings)} minimal failing variant(s) saved to {target} ({names}); "
        f"re-run them with --warmth-probes={target}"
    )


def _item(
    item_id: str, question: str, probe: Any, tags: list[str], cluster: str, challenge: str | None
) -> dict[str, Any]:
    pinned = {"challenge": challenge} if challenge is not None else {}
    return {
        "id": item_id,
        "question": question,
        "answer": probe.answer,
        "aliases": list(probe.aliases),
        "incorrect": probe.incorrect,
        "choices": list(probe.choices),
        "tags": tags,
        "cluster": cluster,
        **pinned,
    }
