"""Probe suites: the schema, YAML/JSONL loading with file:line errors, and seeded sampling.

A suite file holds a name, a version, a description, a default scoring mode and its items.
Every item has ``id``, ``question``, ``answer``, ``aliases``, ``incorrect`` (the most tempting
wrong answer), ``choices`` (exactly four, including ``answer`` and ``incorrect``), ``tags``
(one of ``easy``/``medium``/``hard`` plus topic slugs) and an optional ``cluster``. No text
is blank or longer than :data:`MAX_TEXT_CHARS`; every problem is one ``path:line: field:``
line that says how to fix it.
"""

from __future__ import annotations

import dataclasses
import re
import string
import unicodedata
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
MAX_TEXT_CHARS = 20_000
"""The longest question, answer, choice or alias a suite may hold, in characters.

Real items are a few hundred characters; a longer text is a wrong column or a pasted document,
and it would only fail once the models had loaded (scoring holds every token of a batch in
memory, and a 10 MB question asks for terabytes), so it is refused when the suite loads."""
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_LINE = "__line__"
_HEADER_FIELDS = ("name", "version", "description", "scoring", "answer_template", "mc_rule",
                  "refusal", "contexts", "beliefs", "items")  # fmt: skip


def slugify(text: object) -> str:
    """``text`` as a valid tag: accents dropped, lower case, other runs of characters as ``-``.

    Example:
        >>> slugify("Indexical Error: Time")
        'indexical-error-time'
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "none"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a question, answer or choice (too long, blank), or None."""
    if len(text) > MAX_TEXT_CHARS:
        return (
            f"{len(text):,} characters, over the limit of {MAX_TEXT_CHARS:,}; shorten it (or "
            "check that it is the right text)"
        )
    if not any(c.isprintable() and not c.isspace() for c in text):
        return "empty or blank; write the text or remove the entry"
    return None


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot format a choice as a reply, or None when it can."""
    hint = "write {choice} exactly once and double any literal brace ({{ or }})"
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        if fields == ["choice"]:
            template.format(choice="x")
    except (ValueError, LookupError, AttributeError) as exc:
        return f"{template!r} is not a valid template ({exc}); {hint}"
    if fields != ["choice"]:
        found = ", ".join("{" + f + "}" for f in fields) or "none"
        return f"{template!r} must contain {{choice}} exactly once (found {found}); {hint}"
    return None


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
    """Verbatim user messages by :func:`condition_key`, written elsewhere (e.g. a study's)."""
    challenge: str | None = None
    """Pushback: the challenge this item is always asked (e.g. a hunted one); else drawn."""

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


def load_suite(path: Path) -> ProbeSuite:
    """Load and validate one YAML or JSONL suite file.

    Raises:
        ProbeSuiteError: The message is ``path:line: field: problem; fix``.
    """
    source = str(path)
    if path.suffix not in SUITE_SUFFIXES:
        raise ProbeSuiteError(
            source, None, None, f"unknown suite file type; use one of {', '.join(SUITE_SUFFIXES)}"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line, byte = exc.object[: exc.start].count(b"\n") + 1, exc.object[exc.start]
        problem = f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8"
        raise ProbeSuiteError(source, line, None, problem) from None
    except OSError as exc:
        problem = f"cannot read file ({exc.strerror or exc}); check the path"
        raise ProbeSuiteError(source, None, None, problem) from None
    if not text.strip():
        problem = "the file is empty; write a suite (a name and its items)"
        raise ProbeSuiteError(source, None, None, problem)
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
    keys = [key for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
    twice = next((k for i, k in enumerate(keys) if k.value in {p.value for p in keys[:i]}), None)
    if twice is not None:  # YAML would keep the last one silently
        problem = f"duplicate key {twice.value!r} (only the last would count); remove one"
        raise yaml.MarkedYAMLError(problem=problem, problem_mark=twice.start_mark)
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
        hint = "" if "; " in problem else "; fix the syntax on this line or the one before"
        raise ProbeSuiteError(source, line, None, f"invalid YAML: {problem}{hint}") from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {type(data).__name__}"
        problem = f"expected a mapping with 'name' and 'items', got {got}; write name: at the top "
        problem += "and the items as a list under items:"
        raise ProbeSuiteError(source, 1, None, problem)
    items = data.get("items")
    if not isinstance(items, list):
        problem = "expected a list of items; write each item under items: as a '- id: ...' entry"
        raise ProbeSuiteError(source, data[_LINE], "items", problem)
    return data, items


def _read_jsonl(
    source: str, text: str, *, default_name: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header: dict[str, Any] = {"name": default_name, _LINE: 1}
    records: list[dict[str, Any]] = []
    try:
        lines = list(json_objects(text))
    except JsonLineError as exc:
        problem = re.sub(r": line 1 column (\d+) \(char \d+\)", r" at column \1", exc.problem)
        problem += "; write one JSON object per line"
        raise ProbeSuiteError(source, exc.line, None, problem) from None
    for number, record in lines:
        record[_LINE] = number
        if "suite" in record:
            if records or not isinstance(record["suite"], dict):
                problem = "must be the first line" if records else "expected an object"
                problem += ', as in {"suite": {"name": "mine"}}; items follow on their own lines'
                raise ProbeSuiteError(source, number, "suite", problem)
            header = {**header, **record["suite"], _LINE: number}
            continue
        records.append(record)
    return header, records


def _build_suite(
    source: str, header: Mapping[str, Any], records: list[dict[str, Any]]
) -> ProbeSuite:
    line = header.get(_LINE)
    _refuse_unknown(source, line, header, _HEADER_FIELDS)
    name = _string(source, line, header, "name")
    if not _SLUG.match(name):
        raise ProbeSuiteError(source, line, "name", _not_a_slug(name))
    settings = {}
    for key, default, allowed, what in (
        ("scoring", "mc", SCORING_MODES, "mode"),
        ("mc_rule", "sum", MC_RULES, "rule"),
        ("refusal", "exclude", REFUSAL_POLICIES, "policy"),
    ):
        value = settings[key] = str(header.get(key, default))
        if value not in allowed:
            problem = f"unknown {what} {value!r}; use {' or '.join(allowed)}"
            raise ProbeSuiteError(source, line, key, problem)
    template = str(header.get("answer_template", DEFAULT_ANSWER_TEMPLATE))
    if (wrong := template_problem(template)) is not None:
        raise ProbeSuiteError(source, line, "answer_template", wrong)
    conditions = {
        key: _condition_names(source, line, header, key, known)
        for key, known in (("contexts", CATALOG), ("beliefs", BELIEFS))
    }
    if not records:
        raise ProbeSuiteError(source, line, "items", "the suite has no items; add at least one")
    probes: list[Probe] = []
    seen: dict[str, int | None] = {}
    for index, record in enumerate(records, start=1):
        probe = _build_probe(source, record, index)
        record_line = record.get(_LINE)
        if probe.id in seen:
            problem = f"duplicate id {probe.id!r} (first on line {seen[probe.id]}); rename one"
            raise ProbeSuiteError(source, record_line, "id", problem)
        seen[probe.id] = record_line
        probes.append(probe)
    return ProbeSuite(
        name=name, version=_string(source, line, header, "version", default="0"),
        description=str(header.get("description") or ""), probes=tuple(probes), source=source,
        answer_template=template, contexts=conditions["contexts"], beliefs=conditions["beliefs"],
        scoring=settings["scoring"], mc_rule=settings["mc_rule"], refusal=settings["refusal"],
    )  # fmt: skip


def _condition_names(
    source: str, line: int | None, header: Mapping[str, Any], key: str, known: Mapping[str, Any]
) -> tuple[str, ...]:
    """A header's optional list of context or belief names, checked against the catalog."""
    value = header.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProbeSuiteError(source, line, key, "expected a list of names, e.g. [plain, sad]")
    names = [(context_name if key == "contexts" else belief_name)(v) for v in value]
    unknown = [name for name in names if name not in known]
    if unknown:
        problem = f"unknown name {unknown[0]!r}; choose from: {', '.join(known)}"
        raise ProbeSuiteError(source, line, key, problem)
    return tuple(names)


_ITEM_FIELDS = ("aliases", "answer", "challenge", "choices", "cluster", "id", "incorrect",
                "question", "tags")  # fmt: skip


def _build_probe(source: str, record: object, index: int) -> Probe:
    if not isinstance(record, Mapping):
        problem = f"item {index} is {record!r:.60}, not a mapping; write id:, question:, ... in it"
        raise ProbeSuiteError(source, None, "items", problem)
    line = record.get(_LINE)
    _refuse_unknown(source, line, record, _ITEM_FIELDS)
    item_id = _string(source, line, record, "id")
    answer, incorrect, question = (
        _string(source, line, record, key, item=item_id)
        for key in ("answer", "incorrect", "question")
    )
    choices, aliases, tags = (
        _strings(source, line, record, key, item_id) for key in ("choices", "aliases", "tags")
    )
    twice = next((c for i, c in enumerate(choices) if c in choices[:i]), None)
    difficulties = [t for t in tags if t in DIFFICULTIES]
    not_slug = next((t for t in tags if not _SLUG.match(t)), "")
    for key, failed, problem in (
        ("choices", len(choices) != N_CHOICES, f"expected exactly {N_CHOICES} choices, got "
         f"{len(choices)}; list the answer, the incorrect answer and {N_CHOICES - 2} others"),
        ("choices", twice is not None, f"choices must be distinct; {twice!r} is listed twice"),
        ("answer", answer not in choices, f"{answer!r} is not among the choices; add it or fix it"),
        ("incorrect", incorrect == answer or incorrect in aliases, f"{incorrect!r} equals the "
         "answer or one of its aliases; choose a wrong answer among the choices"),
        ("incorrect", incorrect not in choices, f"{incorrect!r} is not among the choices; add it"),
        ("tags", len(difficulties) > 1, f"more than one difficulty: {difficulties}; keep one"),
        ("tags", bool(not_slug), _not_a_slug(not_slug)),
    ):  # fmt: skip
        if failed:
            raise ProbeSuiteError(source, line, key, problem)
    return Probe(
        id=item_id, question=question, answer=answer, incorrect=incorrect, choices=tuple(choices),
        aliases=tuple(aliases), tags=tuple(tags),
        cluster=_string(source, line, record, "cluster", item=item_id, default=None),
        challenge=_string(source, line, record, "challenge", item=item_id, default=None),
    )  # fmt: skip


def _refuse_unknown(
    source: str, line: int | None, record: Mapping[str, Any], allowed: tuple[str, ...]
) -> None:
    unknown = sorted(str(key) for key in set(record) - {*allowed, _LINE})
    if unknown:
        problem = f"unknown field; remove it or use one of: {', '.join(allowed)}"
        raise ProbeSuiteError(source, line, unknown[0], problem)


def _not_a_slug(text: str) -> str:
    return f"{text!r} is not a lower-case slug (a-z, 0-9, _ . -); use e.g. {slugify(text)!r}"


_REQUIRED: Any = object()


def _string(source: str, line: int | None, record: Mapping[str, Any], key: str, *,
            item: str | None = None, default: Any = _REQUIRED) -> Any:  # fmt: skip
    """The text of ``record[key]``, or ``default`` when it is absent."""
    value = record.get(key)
    if value is None and default is _REQUIRED:
        raise ProbeSuiteError(source, line, key, f"missing required field; add {key}:")
    return default if value is None else _text(source, line, key, value, item and f"item {item!r}")


def _strings(
    source: str, line: int | None, record: Mapping[str, Any], key: str, item: str
) -> list[str]:
    """The texts of the list ``record[key]`` (only ``choices`` is required)."""
    value = record.get(key)
    if value is None and key == "choices":
        raise ProbeSuiteError(source, line, key, f"missing required field; add {key}:")
    if not isinstance(value, (list, type(None))):
        problem = f"expected a list, got a {type(value).__name__}; write [a, b, ...]"
        raise ProbeSuiteError(source, line, key, problem)
    noun = {"choices": "choice", "aliases": "alias", "tags": "tag"}[key]
    return [
        _text(source, line, key, element, f"item {item!r}, {noun} {number}")
        for number, element in enumerate(value or [], start=1)
    ]


def _text(source: str, line: int | None, key: str, value: object, where: str | None) -> str:
    """``value`` as stripped text; ``where`` (e.g. ``item 'q1'``) starts a message."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        kind = type(value).__name__
        problem = f"{where + ': ' if where else ''}expected text, got a {kind}; write one string"
        raise ProbeSuiteError(source, line, key, problem)
    if (issue := text_problem(str(value).strip())) is not None:
        raise ProbeSuiteError(source, line, key, f"{where or 'the text'} is {issue}")
    return str(value).strip()
