"""The hunt's findings as probe suites: minimal failing variants the gate then runs as they are."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pytest_warmth import atomic
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
    the gate asks exactly what failed. Items already in an existing file are kept (findings
    accumulate across runs). Files are written atomically.

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
        by_suite.setdefault(finding.variant.suite, []).append(finding)
    directory.mkdir(parents=True, exist_ok=True)
    for source, found in by_suite.items():
        origin = suites[source]
        name = f"hunted-{source}"
        path = directory / f"{name}.yaml"
        items: dict[str, dict[str, Any]] = {}
        if path.exists():
            for probe in load_suite(path).probes:
                cluster = probe.cluster or probe.id
                items[probe.id] = _item(probe.id, probe.question, probe, list(probe.tags), cluster)
        for finding in found:
            probe = finding.variant.probe
            digest = hashlib.sha256(finding.variant.message.encode()).hexdigest()[:8]
            difficulty = [probe.difficulty] if probe.difficulty else []
            tags = [*difficulty, "hunted", finding.prop.replace("_", "-")]
            item_id = f"{name}-{probe.id}-{digest}"
            # Variants of one item share a cluster: the gate's clustered test counts them once.
            items[item_id] = _item(item_id, finding.variant.message, probe, tags, probe.id)
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
            "beliefs": ["none"],
            "items": list(items.values()),
        }
        atomic.write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        written.append(path)
    return written


def _item(item_id: str, question: str, probe: Any, tags: list[str], cluster: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "question": question,
        "answer": probe.answer,
        "aliases": list(probe.aliases),
        "incorrect": probe.incorrect,
        "choices": list(probe.choices),
        "tags": tags,
        "cluster": cluster,
    }
