"""Probe suites: the schema, YAML/JSONL loading with file:line errors, and seeded sampling.

A suite file holds a name, a version, a description, a default scoring mode and its items.
Every item has ``id``, ``question``, ``answer``, ``aliases``, ``incorrect`` (the most tempting
wrong answer), ``choices`` (exactly four, including ``answer`` and ``incorrect``), ``tags``
(one of ``easy``/``medium``/``hard`` plus topic slugs) and an optional ``cluster``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_warmth.contexts import BELIEFS, CATALOG, belief_name, context_name
from pytest_warmth.errors import ProbeSuiteError
from pytest_warmth.jsonlines import JsonLineError, json_objects

SCORING_MODES = ("mc", "generate")
DEFAULT_ANSWER_TEMPLATE = "{choice}"
MC_RULES = ("sum", "mean")
REFUSAL_POLICIES = ("exclude", "correct")
"""What a refusal counts as in generate mode: dropped from the paired comparison, or correct."""
DIFFICULTIES = ("easy", "medium", "hard")
N_CHOICES = 4
SUITE_SUFFIXES = (".yaml", ".yml", ".jsonl")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_LINE = "__line__"


def condition_key(context: str, belief: str) -> str:
    """``context+belief``: how a condition is named among an item's verbatim prompts."""
    return f"{context}+{belief}"


@dataclass(frozen=True)
class Probe:
    """One question with its correct answer and its most tempting wrong answer."""

    id: str
    question: str
    answer: str
    incorrect: str
    choices: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cluster: str | None = None
    prompts: tuple[tuple[str, str], ...] = ()
    """Verbatim user messages by condition (``context+belief``, see :func:`condition_key`),
    for items whose prompts were written elsewhere (e.g. a study's released outputs)."""

    def prompt_for(self, context: str, belief: str) -> str | None:
        """The verbatim user message for a condition, or None (the gate assembles one)."""
        key = condition_key(context, belief)
        return next((text for condition, text in self.prompts if condition == key), None)

    @property
    def difficulty(self) -> str | None:
        """The item's difficulty tag, if it has one."""
        return next((t for t in self.tags if t in DIFFICULTIES), None)


@dataclass(frozen=True)
class ProbeSuite:
    """A named, versioned collection of probes."""

    name: str
    version: str
    description: str
    scoring: str
    probes: tuple[Probe, ...]
    source: str = field(default="<memory>", compare=False)
    answer_template: str = DEFAULT_ANSWER_TEMPLATE
    """How a choice is written as the model's reply in multiple-choice scoring."""
    mc_rule: str = "sum"
    """How multiple-choice scores pick the answer: ``sum`` or ``mean`` log-probability."""
    refusal: str = "exclude"
    """Generate mode: a refusal is ``exclude``-d from the pair or counts as ``correct``."""
    contexts: tuple[str, ...] = ()
    """Contexts this suite is always asked under (empty: the run's ``--warmth-context``)."""
    beliefs: tuple[str, ...] = ()
    """Belief conditions this suite is always asked under (empty: the run's choice)."""
    conditions: tuple[tuple[str, str], ...] = ()
    """The exact (context, belief) pairs this suite is asked under, each only for the items
    with a verbatim prompt for it (empty: every item under every context and belief)."""

    def with_probes(self, probes: tuple[Probe, ...]) -> ProbeSuite:
        """The same suite with other items (e.g. a sample)."""
        return dataclasses.replace(self, probes=probes)

    def __len__(self) -> int:
        return len(self.probes)


def builtin_probe_dir() -> Path:
    """Where the built-in suites live: inside the wheel, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_probes", package.parent / "probes"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in probes not found next to {package}")  # pragma: no cover


def suite_files(path: Path) -> list[Path]:
    """The suite files at ``path``: the file itself, or the suite files in a directory."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SUITE_SUFFIXES and p.is_file())
    return [path]


def load_suite(path: Path) -> ProbeSuite:
    """Load and validate one YAML or JSONL suite file.

    Raises:
        ProbeSuiteError: The message is ``path:line: field: problem``.
    """
    source = str(path)
    if path.suffix not in SUITE_SUFFIXES:
        raise ProbeSuiteError(
            source, None, None, f"unknown suite file type; use one of {', '.join(SUITE_SUFFIXES)}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProbeSuiteError(source, None, None, f"cannot read file: {exc}") from None
    if path.suffix == ".jsonl":
        header, records = _read_jsonl(source, text, default_name=path.stem)
    else:
        header, records = _read_yaml(source, text)
    return _build_suite(source, header, records)


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (about ten times faster)."""


class _LineLoader(_SafeLoader):  # type: ignore[valid-type,misc]  # a variable base class
    """A safe YAML loader that remembers the line each mapping starts on."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(source: str, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProbeSuiteError(source, line, None, f"invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProbeSuiteError(source, 1, None, "expected a mapping with 'name' and 'items'")
    items = data.get("items")
    if not isinstance(items, list):
        raise ProbeSuiteError(source, data[_LINE], "items", "expected a list of items")
    return data, items


def _read_jsonl(
    source: str, text: str, *, default_name: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header: dict[str, Any] = {"name": default_name, _LINE: 1}
    records: list[dict[str, Any]] = []
    try:
        lines = list(json_objects(text))
    except JsonLineError as exc:
        raise ProbeSuiteError(source, exc.line, None, exc.problem) from None
    for number, record in lines:
        record[_LINE] = number
        if "suite" in record and not records:
            suite = record["suite"]
            if not isinstance(suite, dict):
                raise ProbeSuiteError(source, number, "suite", "expected an object")
            header = {**header, **suite, _LINE: number}
            continue
        records.append(record)
    return header, records


def _build_suite(
    source: str, header: Mapping[str, Any], records: list[dict[str, Any]]
) -> ProbeSuite:
    line = header.get(_LINE)
    name = _string(source, line, header, "name")
    if not _SLUG.match(name):
        raise ProbeSuiteError(
            source, line, "name", f"{name!r} is not a lower-case slug (a-z, 0-9, _ . -)"
        )
    scoring = str(header.get("scoring", "mc"))
    if scoring not in SCORING_MODES:
        raise ProbeSuiteError(
            source, line, "scoring", f"unknown mode {scoring!r}; use {' or '.join(SCORING_MODES)}"
        )
    template = str(header.get("answer_template", DEFAULT_ANSWER_TEMPLATE))
    if template.count("{choice}") != 1 or template.replace("{choice}", "").count("{") > 0:
        raise ProbeSuiteError(
            source, line, "answer_template", f"{template!r} must contain {{choice}} exactly once"
        )
    mc_rule = str(header.get("mc_rule", "sum"))
    if mc_rule not in MC_RULES:
        raise ProbeSuiteError(
            source, line, "mc_rule", f"unknown rule {mc_rule!r}; use {' or '.join(MC_RULES)}"
        )
    refusal = str(header.get("refusal", "exclude"))
    if refusal not in REFUSAL_POLICIES:
        raise ProbeSuiteError(
            source,
            line,
            "refusal",
            f"unknown policy {refusal!r}; use {' or '.join(REFUSAL_POLICIES)}",
        )
    conditions = {
        key: _condition_names(source, line, header, key, known)
        for key, known in (("contexts", CATALOG), ("beliefs", BELIEFS))
    }
    if not records:
        raise ProbeSuiteError(source, line, "items", "the suite has no items")
    probes: list[Probe] = []
    seen: dict[str, int | None] = {}
    for record in records:
        probe = _build_probe(source, record)
        record_line = record.get(_LINE) if isinstance(record, dict) else None
        if probe.id in seen:
            raise ProbeSuiteError(
                source,
                record_line,
                "id",
                f"duplicate id {probe.id!r} (first on line {seen[probe.id]})",
            )
        seen[probe.id] = record_line
        probes.append(probe)
    return ProbeSuite(
        name=name,
        version=str(header.get("version", "0")),
        description=str(header.get("description", "")),
        scoring=scoring,
        probes=tuple(probes),
        source=source,
        answer_template=template,
        mc_rule=mc_rule,
        refusal=refusal,
        contexts=conditions["contexts"],
        beliefs=conditions["beliefs"],
    )


def _condition_names(
    source: str, line: int | None, header: Mapping[str, Any], key: str, known: Mapping[str, Any]
) -> tuple[str, ...]:
    """A header's optional list of context or belief names, checked against the catalog."""
    value = header.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProbeSuiteError(source, line, key, "expected a list of names")
    names = [(context_name if key == "contexts" else belief_name)(v) for v in value]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ProbeSuiteError(
            source, line, key, f"unknown name {unknown[0]!r}; choose from: {', '.join(known)}"
        )
    return tuple(names)


_ITEM_FIELDS = {"id", "question", "answer", "aliases", "incorrect", "choices", "tags", "cluster"}


def _build_probe(source: str, record: Mapping[str, Any]) -> Probe:
    if not isinstance(record, Mapping):
        raise ProbeSuiteError(source, None, None, f"expected an item mapping, got {record!r}")
    line = record.get(_LINE)
    unknown = sorted(set(record) - _ITEM_FIELDS - {_LINE})
    if unknown:
        raise ProbeSuiteError(
            source, line, unknown[0], f"unknown field; allowed: {', '.join(sorted(_ITEM_FIELDS))}"
        )
    item_id = _string(source, line, record, "id")
    answer = _string(source, line, record, "answer")
    incorrect = _string(source, line, record, "incorrect")
    question = _string(source, line, record, "question")
    choices = _strings(source, line, record, "choices", required=True)
    aliases = _strings(source, line, record, "aliases")
    tags = _strings(source, line, record, "tags")
    if len(choices) != N_CHOICES:
        raise ProbeSuiteError(
            source, line, "choices", f"expected exactly {N_CHOICES} choices, got {len(choices)}"
        )
    if len(set(choices)) != len(choices):
        raise ProbeSuiteError(source, line, "choices", "choices must be distinct")
    if answer not in choices:
        raise ProbeSuiteError(source, line, "answer", f"{answer!r} is not among the choices")
    if incorrect == answer or incorrect in aliases:
        raise ProbeSuiteError(
            source, line, "incorrect", f"{incorrect!r} equals the answer or one of its aliases"
        )
    if incorrect not in choices:
        raise ProbeSuiteError(source, line, "incorrect", f"{incorrect!r} is not among the choices")
    difficulties = [t for t in tags if t in DIFFICULTIES]
    if len(difficulties) > 1:
        raise ProbeSuiteError(source, line, "tags", f"more than one difficulty: {difficulties}")
    for tag in tags:
        if not _SLUG.match(tag):
            raise ProbeSuiteError(
                source, line, "tags", f"{tag!r} is not a lower-case slug (a-z, 0-9, _ . -)"
            )
    cluster = record.get("cluster")
    return Probe(
        id=item_id,
        question=question,
        answer=answer,
        incorrect=incorrect,
        choices=tuple(choices),
        aliases=tuple(aliases),
        tags=tuple(tags),
        cluster=None if cluster is None else str(cluster),
    )


def _string(source: str, line: int | None, record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        raise ProbeSuiteError(source, line, key, "missing required field")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ProbeSuiteError(source, line, key, f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    if not text:
        raise ProbeSuiteError(source, line, key, "must not be empty")
    return text


def _strings(
    source: str, line: int | None, record: Mapping[str, Any], key: str, *, required: bool = False
) -> list[str]:
    value = record.get(key)
    if value is None:
        if required:
            raise ProbeSuiteError(source, line, key, "missing required field")
        return []
    if not isinstance(value, list):
        raise ProbeSuiteError(source, line, key, f"expected a list, got {type(value).__name__}")
    out = []
    for element in value:
        if isinstance(element, bool) or not isinstance(element, (str, int, float)):
            raise ProbeSuiteError(source, line, key, f"expected text items, got {element!r}")
        out.append(str(element).strip())
    return out
