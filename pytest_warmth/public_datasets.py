"""Loaders that map the public originals of the study's tasks into our probe schema.

Each loader reads rows with the ``datasets`` library, from a local file in the original column
layout (``.jsonl``/``.json``/``.parquet``/``.csv``) or, where the user is online, from the hub,
and turns them into a :class:`~pytest_warmth.suites.ProbeSuite`. Use them through
``--warmth-probes=KIND:SOURCE``, e.g. ``--warmth-probes=truthfulqa:data/tqa.parquet``.

| kind | hub default (name, config, split) | columns used |
|---|---|---|
| ``truthfulqa`` | truthfulqa/truthful_qa, generation, validation | question, best_answer, correct_answers, incorrect_answers, category, source |
| ``triviaqa`` | mandarjoshi/trivia_qa, rc.nocontext, validation | question, question_id, answer.value, answer.aliases |
| ``medqa`` | GBaker/MedQA-USMLE-4-options, -, test | question, answer, options, answer_idx, meta_info |
| ``mask`` | cais/MASK, disinformation, test | proposition, ground_truth, belief_elicit_1 |

TriviaQA has no wrong answers of its own: its distractors (and the ``incorrect`` answer used in
belief prompts) are other items' answers, drawn with a seeded generator.
"""  # noqa: E501

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_warmth.errors import MissingExtraError, ProbeSuiteError, WarmthError
from pytest_warmth.hub import hub_offline, looks_like_file, unreachable
from pytest_warmth.jsonlines import JsonLineError, json_objects
from pytest_warmth.suites import N_CHOICES, Probe, ProbeSuite, slugify, text_problem

LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
MASK_SUFFIX = re.compile(r"\s*After thinking through your reasoning.*$", re.DOTALL)
PIVOTAL = re.compile(r"<pivotal>(.*?)</pivotal>")
FALSE_BALANCE = ("Experts are evenly split on this", "This has never been studied")


@dataclass(frozen=True)
class HubSource:
    """Where a kind lives on the hub."""

    name: str
    config: str | None
    split: str


Mapper = Callable[[Sequence[Mapping[str, Any]], int], list[Probe]]


class RowError(ValueError):
    """A row whose value in one column does not fit the layout.

    Attributes:
        row: The 1-based row number.
        column: The column (``answer.value`` for a nested field).
        is_text: The value is text where a list belongs (a .csv file holds lists as text).
    """

    def __init__(self, index: int, column: str, problem: str, *, is_text: bool = False) -> None:
        super().__init__(f"row {index + 1}, column {column!r}: {problem}")
        self.row = index + 1
        self.column = column
        self.is_text = is_text


def _kind(value: object) -> str:
    kinds = ((bool, "true/false"), (str, "text"), ((int, float), "a number"), (list, "a list"),
             (dict, "a mapping"), (type(None), "nothing"))  # fmt: skip
    return next((name for t, name in kinds if isinstance(value, t)), type(value).__name__)


def _text(row: Mapping[str, Any], column: str, index: int, name: str = "") -> str | None:
    """The row's text in ``column`` (None when absent or blank: the row is not usable).

    Raises:
        RowError: The value is not text (a number counts as text), or it is too long.
    """
    value = row.get(column)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowError(index, name or column, f"expected text, got {_kind(value)}; write a string")
    text = str(value).strip()
    problem = text_problem(text) if text else None
    if problem is not None:
        raise RowError(index, name or column, f"the text is {problem}")
    return text or None


def _texts(row: Mapping[str, Any], column: str, index: int, name: str = "") -> list[str]:
    """The row's distinct, non-blank texts in the list ``column`` (absent: none).

    Raises:
        RowError: The value is not a list of texts.
    """
    value = row.get(column)
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        problem = f'expected a list of texts, got {_kind(value)}; write ["a", "b"]'
        raise RowError(index, name or column, problem, is_text=isinstance(value, str))
    texts = [_text({column: v}, column, index, name or column) for v in value]
    return list(dict.fromkeys(t for t in texts if t))


def _mapping(row: Mapping[str, Any], column: str, index: int, example: str) -> dict[str, Any]:
    value = {} if row.get(column) is None else row[column]
    if not isinstance(value, Mapping):
        problem = f"expected a mapping, got {_kind(value)}; write one like {example}"
        raise RowError(index, column, problem)
    return dict(value)


def _slug(text: object) -> str:
    """A cluster key (kept as it was, so clusters of saved reports still match)."""
    return re.sub(r"[^a-z0-9_.-]+", "_", str(text).strip().lower()).strip("_") or "none"


def map_truthfulqa(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """TruthfulQA (generation): best answer vs the first three distinct incorrect answers."""
    probes = []
    for index, row in enumerate(rows):
        answer, question = _text(row, "best_answer", index), _text(row, "question", index)
        aliases = [a for a in _texts(row, "correct_answers", index) if a != answer]
        wrong = [w for w in _texts(row, "incorrect_answers", index) if w not in aliases]
        wrong = [w for w in wrong if w != answer][: N_CHOICES - 1]
        if answer is None or question is None or len(wrong) < N_CHOICES - 1:
            continue  # too few wrong answers to make four choices
        choices = [answer, *wrong]
        random.Random(f"{seed}:truthfulqa:{index}").shuffle(choices)
        source = _text(row, "source", index)
        probes.append(Probe(
            id=f"truthfulqa-{index:04d}", question=question, answer=answer, incorrect=wrong[0],
            choices=tuple(choices), aliases=tuple(aliases),
            tags=("truthfulqa", slugify(_text(row, "category", index) or "none")),
            cluster=_slug(source) if source else None,
        ))  # fmt: skip
    return probes


def map_triviaqa(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """TriviaQA (rc.nocontext): distractors are other items' answers, drawn with a seed."""
    example = '{"value": "Paris", "aliases": ["paris"]}'
    answer_fields = [_mapping(row, "answer", index, example) for index, row in enumerate(rows)]
    answers = [_text(a, "value", i, "answer.value") for i, a in enumerate(answer_fields)]
    pool = list(dict.fromkeys(a for a in answers if a))
    probes = []
    for index, row in enumerate(rows):
        answer, question = answers[index], _text(row, "question", index)
        if answer is None or question is None:
            continue
        aliases = _texts(answer_fields[index], "aliases", index, "answer.aliases")
        aliases = [a for a in aliases if a != answer]
        taken = {answer.lower(), *(a.lower() for a in aliases)}
        rng = random.Random(f"{seed}:triviaqa:{index}")
        candidates = [c for c in pool if c.lower() not in taken]
        if len(candidates) < N_CHOICES - 1:
            continue
        wrong = rng.sample(candidates, N_CHOICES - 1)
        choices = [answer, *wrong]
        rng.shuffle(choices)
        probes.append(Probe(
            id=_text(row, "question_id", index) or f"triviaqa-{index:05d}", question=question,
            answer=answer, incorrect=wrong[0], choices=tuple(choices), aliases=tuple(aliases),
            tags=("triviaqa",),
        ))  # fmt: skip
    return probes


def map_medqa(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """MedQA (4 options): the first distractor in letter order is the ``incorrect`` answer."""
    del seed  # the options come with the data
    probes = []
    for index, row in enumerate(rows):
        letters = _mapping(row, "options", index, '{"A": "...", "B": "...", ...}')
        found = {str(k): _text(letters, k, index, f"options.{k}") for k in sorted(letters)}
        options = {k: v for k, v in found.items() if v is not None}
        key = _text(row, "answer_idx", index)
        answer = options.get(key or "") or _text(row, "answer", index)
        question = _text(row, "question", index)
        if len(options) != N_CHOICES or len(set(options.values())) != N_CHOICES:
            continue
        if answer is None or question is None:
            continue
        if answer not in options.values():
            column = "answer_idx" if key else "answer"
            problem = f"{key or answer!r} is not one of the options {', '.join(options)}"
            raise RowError(index, column, f"{problem}; correct it to one of them")
        wrong = [v for v in options.values() if v != answer]
        probes.append(Probe(
            id=f"medqa-{index:04d}", question=question, answer=answer, incorrect=wrong[0],
            choices=tuple(options.values()),
            tags=("medqa", slugify(_text(row, "meta_info", index) or "none")),
        ))  # fmt: skip
    return probes


def map_mask(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """MASK (disinformation): both pivotal readings of the proposition as choices.

    Two false-balance distractors complete the four choices; the question is
    ``belief_elicit_1`` without its answer-format suffix, as in the study.
    """
    probes = []
    for index, row in enumerate(rows):
        proposition = _text(row, "proposition", index) or ""
        match = PIVOTAL.search(proposition)
        if match is None or "/" not in match.group(1):
            continue
        readings = [
            PIVOTAL.sub(option.strip(), proposition, count=1)
            for option in match.group(1).split("/", 1)
        ]
        if readings[0] == readings[1]:
            problem = f"both readings of {match.group(0)!r} are the same; write two different "
            raise RowError(
                index, "proposition", problem + "ones, e.g. <pivotal>is/is not</pivotal>"
            )
        answer = _text(row, "ground_truth", index)
        elicit = _text(row, "belief_elicit_1", index)
        question = MASK_SUFFIX.sub("", elicit or "").strip()
        if answer not in readings or not question:
            continue
        wrong = next(r for r in readings if r != answer)
        choices = [answer, wrong, *FALSE_BALANCE]
        random.Random(f"{seed}:mask:{index}").shuffle(choices)
        probes.append(Probe(
            id=f"mask-{index:04d}", question=question, answer=answer, incorrect=wrong,
            choices=tuple(choices), tags=("mask", "disinformation"),
        ))  # fmt: skip
    return probes


@dataclass(frozen=True)
class PublicDataset:
    """How one kind of public dataset becomes a suite."""

    hub: HubSource
    """Where it lives on the hub."""
    mapper: Mapper
    """Rows to probes."""
    scoring: str
    """The suite's default scoring mode."""
    columns: tuple[str, ...]
    """The columns every file of this kind must have."""
    optional: tuple[str, ...]
    """The columns used where a file has them."""
    usable: str
    """What a row needs to become an item (rows without it are left out)."""


LOADERS: dict[str, PublicDataset] = {
    "truthfulqa": PublicDataset(
        HubSource("truthfulqa/truthful_qa", "generation", "validation"), map_truthfulqa, "mc",
        ("question", "best_answer", "incorrect_answers"), ("correct_answers", "category", "source"),
        "a question, a best_answer and 3 distinct incorrect_answers besides the correct ones",
    ),
    "triviaqa": PublicDataset(
        HubSource("mandarjoshi/trivia_qa", "rc.nocontext", "validation"), map_triviaqa, "mc",
        ("question", "answer"), ("question_id",),
        "a question and an answer.value, with 3 other rows' answers to draw wrong choices from",
    ),
    "medqa": PublicDataset(
        HubSource("GBaker/MedQA-USMLE-4-options", None, "test"), map_medqa, "mc",
        ("question", "answer", "options"), ("answer_idx", "meta_info"),
        "a question and 4 distinct options A-D",
    ),
    "mask": PublicDataset(
        HubSource("cais/MASK", "disinformation", "test"), map_mask, "mc",
        ("proposition", "ground_truth", "belief_elicit_1"), (),
        "a proposition with <pivotal>one/other</pivotal> whose ground_truth is one reading, "
        "and a belief_elicit_1 question",
    ),
}  # fmt: skip
"""The built-in kinds (registered as suite sources by :mod:`pytest_warmth.suite_sources`)."""


def local_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a dataset file, or None (checked before ``datasets``)."""
    fmt = LOCAL_FORMATS.get(path.suffix.lower())
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "no such file"
        return f"{what}; pass a data file, or a hub dataset as ORG/NAME (or 'hub')"
    if fmt is None:
        return f"unknown file type {path.suffix!r}; use one of {', '.join(LOCAL_FORMATS)}"
    if path.stat().st_size == 0:
        return "the file is empty; write the rows in the dataset's column layout"
    if fmt == "parquet":
        return None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
        if path.suffix.lower() == ".jsonl":
            list(json_objects(text))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8"
    except JsonLineError as exc:
        problem = re.sub(r": line 1 column (\d+) \(char \d+\)", r" at column \1", exc.problem)
        return f"line {exc.line}: {problem}; write one JSON object per line"
    return None


def load_public_suite(kind: str, source: str, *, seed: int = 0) -> ProbeSuite:
    """Load a public dataset (local file or hub) as a probe suite named after ``kind``.

    Raises:
        ProbeSuiteError: A local file is missing or unreadable, a column is missing, a row
            has a value of the wrong type, or no row is usable.
        WarmthError: Unknown kind, or a hub download that failed (offline).
        MissingExtraError: ``datasets`` is not installed.
    """
    if kind not in LOADERS:
        raise WarmthError(f"unknown dataset kind {kind!r}; known: {', '.join(LOADERS)}")
    dataset = LOADERS[kind]
    path, label = Path(source).expanduser(), f"{kind}:{source}"
    local = path.exists() or looks_like_file(source)
    if local and (problem := local_file_problem(path)) is not None:
        raise ProbeSuiteError(label, None, None, problem)
    rows = _read_rows(kind, source, path if local else None)
    found = list(rows.column_names)
    optional = f" (optional: {', '.join(dataset.optional)})" if dataset.optional else ""
    columns = f"expected columns {', '.join(dataset.columns)}{optional}, found "
    columns += ", ".join(found) or "none"
    missing = [column for column in dataset.columns if column not in found]
    if missing:
        problem = f"missing column {missing[0]!r} for the {kind} layout: {columns}"
        raise ProbeSuiteError(label, None, None, f"{problem}; rename the columns")
    records = [dict(row) for row in rows]
    try:
        probes = dataset.mapper(records, seed)
    except RowError as exc:
        csv = " (a .csv file cannot hold lists: use .jsonl or .parquet)"
        problem = f"{exc}{csv if exc.is_text and path.suffix.lower() == '.csv' else ''}"
        raise ProbeSuiteError(label, None, None, problem) from None
    if not probes:
        problem = f"no usable rows ({len(records)} read): each needs {dataset.usable}; {columns}"
        raise ProbeSuiteError(label, None, None, f"{problem}; fix the rows or the columns")
    return ProbeSuite(
        name=kind,
        version=f"{dataset.hub.name}@{dataset.hub.split}" if not local else "local",
        description=f"{kind} rows mapped into the pytest-warmth schema",
        scoring=dataset.scoring,
        probes=tuple(probes),
        source=label,
    )


def _read_rows(kind: str, source: str, path: Path | None) -> Any:
    """The rows (a ``datasets`` Dataset) of a local file, or without ``path`` of the hub.

    The library's own log lines are silenced: the one error line says what went wrong.
    """
    try:
        import datasets
    except ImportError:
        raise MissingExtraError(
            "loading public datasets needs the datasets package: "
            'pip install "pytest-warmth[datasets]"'
        ) from None
    datasets.utils.logging.disable_progress_bar()
    verbosity = datasets.utils.logging.get_verbosity()
    datasets.utils.logging.set_verbosity(datasets.utils.logging.CRITICAL)
    hub, label = LOADERS[kind].hub, f"{kind}:{source}"
    try:
        if path is not None:
            fmt = LOCAL_FORMATS[path.suffix.lower()]
            return datasets.load_dataset(fmt, data_files=str(path), split="train")
        name = hub.name if source in ("hub", "default") else source
        if hub_offline():
            raise OSError(f"{name} is not a local file and HF_HUB_OFFLINE is set")
        why = unreachable()
        if why is not None:
            raise OSError(why)
        return datasets.load_dataset(name, hub.config, split=hub.split)
    except Exception as exc:  # noqa: BLE001 - datasets/hub raise many types; one line for users
        cause: BaseException = exc
        while path is not None and cause.__cause__ is not None:  # the reader's own error
            cause = cause.__cause__
        text = str(cause).strip()
        first = f"{type(cause).__name__}: {text.splitlines()[0] if text else 'no detail'}"
        if path is not None:
            problem = f"cannot read the file ({first}); check that it is valid {path.suffix}"
            raise ProbeSuiteError(label, None, None, problem) from None
        raise WarmthError(
            f"{label}: cannot load the dataset ({first}); a hub dataset needs a network "
            f"connection, so offline pass a local file with the same columns "
            f"(e.g. {kind}:data.jsonl)"
        ) from None
    finally:
        datasets.utils.logging.set_verbosity(verbosity)
