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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_warmth.errors import MissingExtraError, WarmthError
from pytest_warmth.hub import hub_offline
from pytest_warmth.suites import N_CHOICES, Probe, ProbeSuite

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


def _slug(text: object) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "_", str(text).strip().lower()).strip("_") or "none"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def map_truthfulqa(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """TruthfulQA (generation): best answer vs the first three distinct incorrect answers."""
    probes = []
    for index, row in enumerate(rows):
        answer = str(row["best_answer"]).strip()
        aliases = [a for a in _unique(row.get("correct_answers") or []) if a != answer]
        wrong = [w for w in _unique(row.get("incorrect_answers") or []) if w not in aliases]
        wrong = [w for w in wrong if w != answer][: N_CHOICES - 1]
        if len(wrong) < N_CHOICES - 1:
            continue  # too few wrong answers to make four choices
        choices = [answer, *wrong]
        random.Random(f"{seed}:truthfulqa:{index}").shuffle(choices)
        source = row.get("source")
        probes.append(
            Probe(
                id=f"truthfulqa-{index:04d}",
                question=str(row["question"]).strip(),
                answer=answer,
                incorrect=wrong[0],
                choices=tuple(choices),
                aliases=tuple(aliases),
                tags=("truthfulqa", _slug(row.get("category", "none"))),
                cluster=_slug(source) if source else None,
            )
        )
    return probes


def map_triviaqa(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """TriviaQA (rc.nocontext): distractors are other items' answers, drawn with a seed."""
    answers = [str(row["answer"]["value"]).strip() for row in rows]
    pool = _unique(answers)
    probes = []
    for index, row in enumerate(rows):
        answer = answers[index]
        aliases = [a for a in _unique(row["answer"].get("aliases") or []) if a != answer]
        taken = {answer.lower(), *(a.lower() for a in aliases)}
        rng = random.Random(f"{seed}:triviaqa:{index}")
        candidates = [c for c in pool if c.lower() not in taken]
        if len(candidates) < N_CHOICES - 1:
            continue
        wrong = rng.sample(candidates, N_CHOICES - 1)
        choices = [answer, *wrong]
        rng.shuffle(choices)
        probes.append(
            Probe(
                id=str(row.get("question_id") or f"triviaqa-{index:05d}"),
                question=str(row["question"]).strip(),
                answer=answer,
                incorrect=wrong[0],
                choices=tuple(choices),
                aliases=tuple(aliases),
                tags=("triviaqa",),
            )
        )
    return probes


def map_medqa(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """MedQA (4 options): the first distractor in letter order is the ``incorrect`` answer."""
    del seed  # the options come with the data
    probes = []
    for index, row in enumerate(rows):
        options = {k: str(v).strip() for k, v in dict(row["options"]).items()}
        answer = options.get(str(row.get("answer_idx", "")), str(row["answer"]).strip())
        wrong = [v for k, v in sorted(options.items()) if v != answer]
        if len(options) != N_CHOICES or len(set(options.values())) != N_CHOICES:
            continue
        probes.append(
            Probe(
                id=f"medqa-{index:04d}",
                question=str(row["question"]).strip(),
                answer=answer,
                incorrect=wrong[0],
                choices=tuple(v for _, v in sorted(options.items())),
                tags=("medqa", _slug(row.get("meta_info", "none"))),
            )
        )
    return probes


def map_mask(rows: Sequence[Mapping[str, Any]], seed: int) -> list[Probe]:
    """MASK (disinformation): both pivotal readings of the proposition as choices.

    Two false-balance distractors complete the four choices; the question is
    ``belief_elicit_1`` without its answer-format suffix, as in the study.
    """
    probes = []
    for index, row in enumerate(rows):
        proposition = str(row["proposition"])
        match = PIVOTAL.search(proposition)
        if match is None or "/" not in match.group(1):
            continue
        readings = [
            PIVOTAL.sub(option.strip(), proposition, count=1)
            for option in match.group(1).split("/", 1)
        ]
        answer = str(row["ground_truth"]).strip()
        if answer not in readings:
            continue
        wrong = next(r for r in readings if r != answer)
        choices = [answer, wrong, *FALSE_BALANCE]
        random.Random(f"{seed}:mask:{index}").shuffle(choices)
        question = MASK_SUFFIX.sub("", str(row["belief_elicit_1"])).strip()
        probes.append(
            Probe(
                id=f"mask-{index:04d}",
                question=question,
                answer=answer,
                incorrect=wrong,
                choices=tuple(choices),
                tags=("mask", "disinformation"),
            )
        )
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


LOADERS: dict[str, PublicDataset] = {
    "truthfulqa": PublicDataset(
        HubSource("truthfulqa/truthful_qa", "generation", "validation"), map_truthfulqa, "mc"
    ),
    "triviaqa": PublicDataset(
        HubSource("mandarjoshi/trivia_qa", "rc.nocontext", "validation"), map_triviaqa, "mc"
    ),
    "medqa": PublicDataset(
        HubSource("GBaker/MedQA-USMLE-4-options", None, "test"), map_medqa, "mc"
    ),
    "mask": PublicDataset(HubSource("cais/MASK", "disinformation", "test"), map_mask, "mc"),
}
"""The built-in kinds (registered as suite sources by :mod:`pytest_warmth.suite_sources`)."""


def load_public_suite(kind: str, source: str, *, seed: int = 0) -> ProbeSuite:
    """Load a public dataset (local file or hub) as a probe suite named after ``kind``.

    Raises:
        WarmthError: Unknown kind, unreadable file, missing columns, or a hub download that
            failed (offline).
        MissingExtraError: ``datasets`` is not installed.
    """
    if kind not in LOADERS:
        raise WarmthError(f"unknown dataset kind {kind!r}; known: {', '.join(LOADERS)}")
    dataset = LOADERS[kind]
    hub, mapper, scoring = dataset.hub, dataset.mapper, dataset.scoring
    try:
        import datasets
    except ImportError:
        raise MissingExtraError(
            "loading public datasets needs the datasets package: "
            'pip install "pytest-warmth[datasets]"'
        ) from None
    datasets.utils.logging.disable_progress_bar()
    path = Path(source)
    label = f"{kind}:{source}"
    try:
        if path.exists():
            fmt = LOCAL_FORMATS.get(path.suffix.lower())
            if fmt is None:
                raise WarmthError(
                    f"{label}: unknown file type {path.suffix!r}; use one of "
                    f"{', '.join(LOCAL_FORMATS)}"
                )
            rows = datasets.load_dataset(fmt, data_files=str(path), split="train")
        else:
            name = hub.name if source in ("hub", "default") else source
            if hub_offline():
                raise OSError(f"{name} is not a local file and HF_HUB_OFFLINE is set")
            rows = datasets.load_dataset(name, hub.config, split=hub.split)
    except WarmthError:
        raise
    except Exception as exc:  # noqa: BLE001 - datasets/hub raise many types; one line for users
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarmthError(
            f"{label}: cannot load the dataset ({type(exc).__name__}: {first}); a hub dataset "
            f"needs a network connection, so offline pass a local file with the same columns "
            f"(e.g. {kind}:data.jsonl)"
        ) from None
    records = [dict(row) for row in rows]
    try:
        probes = mapper(records, seed)
    except KeyError as exc:
        raise WarmthError(
            f"{label}: missing column {exc.args[0]!r} for the {kind} layout"
        ) from None
    if not probes:
        raise WarmthError(f"{label}: no usable rows ({len(records)} read)")
    return ProbeSuite(
        name=kind,
        version=f"{hub.name}@{hub.split}" if not path.exists() else "local",
        description=f"{kind} rows mapped into the pytest-warmth schema",
        scoring=scoring,
        probes=tuple(probes),
        source=label,
    )
