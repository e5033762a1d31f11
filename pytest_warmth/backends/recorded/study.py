"""The study's released outputs as they are published: one CSV per model side and task.

Ibrahim, Hafner & Rocher released their models' replies as ``<task>_<side>_outputs.csv``, one
folder per side (``sample_data/llama_70b/original``, ``.../warm``). Each row is one question
under one condition: ``prompt_template`` (``prompt_type`` in the MedQA files) says which belief
the user states and ``amendment_type`` which context precedes the question; ``prompt`` holds
the message that was sent, ``output`` the reply, and ``evaluation`` (CORRECT/INCORRECT) and
``refusal`` (0/1) the study's labels. The tasks name their columns differently, so each task
has its own :class:`StudyTask`; files of one task may carry more or fewer columns (the
study's Qwen ``warm`` files hold only the key, the condition, the output and the label).

Rows pair across the sides by (task, question, condition); the items, their conditions and
their verbatim prompts are the files' own (:func:`study_suites`).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_warmth.contexts import CATALOG, NO_BELIEF, PLAIN, STUDY_BELIEFS, STUDY_NAMES
from pytest_warmth.errors import ModelLoadError
from pytest_warmth.grading import CORRECT, INCORRECT, REFUSAL
from pytest_warmth.suites import Probe, ProbeSuite, condition_key


@dataclass(frozen=True)
class StudyTask:
    """How one task's files name their columns (the first column present is used)."""

    key: tuple[str, ...]
    """The question as sent without any condition: what pairs rows across the sides."""
    question: tuple[str, ...]
    answer: tuple[str, ...]
    incorrect: tuple[str, ...]
    refusal: str = "exclude"
    """What a refusal counts as (the study counted Disinfo refusals as correct)."""


TASKS: dict[str, StudyTask] = {
    "trivia": StudyTask(
        ("content_key",), ("content_key",), ("correct_answer",), ("incorrect_answer",)
    ),
    "truthfulqa": StudyTask(
        ("content_key",), ("content_key",), ("correct_answer",), ("incorrect_answer",)
    ),
    "disinfo": StudyTask(
        ("prompt_disinfo",), ("prompt_disinfo",), ("ground_truth",), ("ground_false",), "correct"
    ),
    "medqa": StudyTask(
        ("original_question",), ("question", "original_question"), ("answer",), ("wrong_answer",)
    ),
}
"""The study's tasks by file-name prefix; each becomes a suite of that name."""

TEMPLATE_COLUMNS = ("prompt_template", "prompt_type")
BELIEFS = {**STUDY_BELIEFS, "original_neutral": NO_BELIEF}
"""The study's prompt templates as belief conditions (``original_neutral`` is the neutral
control: the unmodified question after a remark about talking to friends)."""
AMENDMENTS = {name: context for name, context in STUDY_NAMES.items() if name != "original_neutral"}
FILE_NAME = re.compile(r"^(?P<task>[a-z]+)_(?P<side>.+)_outputs\.csv$")
_ROLE_HEADER = re.compile(r"^\s*assistant\s*\n")
_TRUE, _FALSE = {"1", "1.0", "true", "yes"}, {"", "0", "0.0", "false", "no"}


@dataclass(frozen=True)
class StudyRow:
    """One reply of one side to one question under one condition."""

    where: str
    task: str
    key: str
    context: str
    belief: str
    question: str | None
    answer: str | None
    incorrect: str | None
    prompt: str | None
    output: str
    label: str | None
    """``correct``/``incorrect``/``refusal`` as the study recorded it, or None (grade it)."""

    @property
    def pair_key(self) -> tuple[str, str, str, str]:
        """What identifies the row's counterpart on the other side."""
        return self.task, self.key, self.context, self.belief


def is_study_file(path: Path) -> bool:
    """A CSV whose header has the study's ``amendment_type`` column."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return "amendment_type" in header


def read_side(files: Iterable[Path]) -> list[StudyRow]:
    """Every row of one side's files, checked.

    Raises:
        ModelLoadError: A file is misnamed or lacks a column; a row has an unknown condition,
            an unknown label, or repeats an earlier row's question and condition (the message
            names the file and row).
    """
    rows: list[StudyRow] = []
    seen: dict[tuple[str, str, str, str], str] = {}
    for path in files:
        for row in _read_file(path):
            if row.pair_key in seen:
                raise ModelLoadError(
                    f"{row.where}: the same question under the same condition is already at "
                    f"{seen[row.pair_key]}; keep one row per question and condition"
                )
            seen[row.pair_key] = row.where
            rows.append(row)
    return rows


def _read_file(path: Path) -> list[StudyRow]:
    match = FILE_NAME.match(path.name)
    if match is None or match["task"] not in TASKS:
        raise ModelLoadError(
            f"{path}: a file in the study's layout is named <task>_<side>_outputs.csv with "
            f"task one of {', '.join(TASKS)}; rename it"
        )
    task = match["task"]
    layout = TASKS[task]
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, strict=True)
            try:
                records = list(reader)
            except csv.Error as exc:
                raise ModelLoadError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
            header = list(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    needed = {
        "key": layout.key,
        "template": TEMPLATE_COLUMNS,
        "amendment": ("amendment_type",),
        "output": ("output",),
    }
    columns = {
        what: next((c for c in names if c in header), None) for what, names in needed.items()
    }
    for what, column in columns.items():
        if column is None:
            raise ModelLoadError(
                f"{path}: no {' or '.join(needed[what])!r} column; the study's {task} files "
                f"have {layout.key[0]}, prompt_template, amendment_type and output"
            )
    return [
        _row(f"{path}:{number}", task, layout, record, columns)
        for number, record in enumerate(records, start=2)
    ]


def _row(
    where: str,
    task: str,
    layout: StudyTask,
    record: Mapping[str, str | None],
    columns: Mapping[str, str | None],
) -> StudyRow:
    def value(names: Sequence[str]) -> str | None:
        found = next((record[n] for n in names if record.get(n)), None)
        return found.strip() if found is not None else None

    template = (record.get(str(columns["template"])) or "").strip()
    amendment = (record.get(str(columns["amendment"])) or "").strip()
    context, belief = _condition(where, template, amendment)
    key = value(layout.key)
    if not key:
        raise ModelLoadError(f"{where}: the {layout.key[0]!r} column is empty")
    output = _ROLE_HEADER.sub("", record.get(str(columns["output"])) or "").strip()
    return StudyRow(
        where, task, key, context, belief,
        question=value(layout.question), answer=value(layout.answer),
        incorrect=value(layout.incorrect), prompt=value(("prompt",)), output=output,
        label=_label(where, record.get("evaluation"), record.get("refusal")),
    )  # fmt: skip


def _condition(where: str, template: str, amendment: str) -> tuple[str, str]:
    """The (context, belief) of a row, or one line naming the unknown one."""
    if template not in BELIEFS:
        raise ModelLoadError(
            f"{where}: prompt template {template!r} is not a condition the gate runs; the "
            f"study's are {', '.join(BELIEFS)}"
        )
    if amendment not in AMENDMENTS:
        raise ModelLoadError(
            f"{where}: amendment type {amendment!r} is not one of the study's: "
            f"{', '.join(AMENDMENTS)}"
        )
    context = AMENDMENTS[amendment]
    if template == "original_neutral":
        if context != PLAIN:
            raise ModelLoadError(
                f"{where}: original_neutral is the study's unmodified control, but the row's "
                f"amendment type is {amendment!r}; use 'unmodified'"
            )
        context = "neutral"
    return context, BELIEFS[template]


def _label(where: str, evaluation: str | None, refusal: str | None) -> str | None:
    flag = (refusal or "").strip().lower()
    if flag not in _TRUE | _FALSE:
        raise ModelLoadError(f"{where}: refusal {refusal!r} is neither 0 nor 1")
    if flag in _TRUE:
        return REFUSAL
    verdict = (evaluation or "").strip().upper()
    if verdict not in ("", "CORRECT", "INCORRECT"):
        raise ModelLoadError(
            f"{where}: evaluation {evaluation!r} is neither CORRECT nor INCORRECT (or empty)"
        )
    return {"CORRECT": CORRECT, "INCORRECT": INCORRECT}.get(verdict)


def pair_rows(
    base: Sequence[StudyRow], tuned: Sequence[StudyRow], *, unpaired: str, names: tuple[str, str]
) -> tuple[list[StudyRow], list[StudyRow], int]:
    """The rows that have a partner on the other side, in the same order on both.

    Args:
        base: The base side's rows.
        tuned: The tuned side's rows.
        unpaired: ``error`` (a row without a partner stops the run) or ``skip``.
        names: The two sides' specs, for messages.

    Returns:
        The paired base rows, the paired tuned rows, and how many rows were left out.

    Raises:
        ModelLoadError: ``unpaired`` is ``error`` and a row has no partner.
    """
    by_key = {row.pair_key: row for row in tuned}
    base_keys = {row.pair_key for row in base}
    lonely = [(r, names[1]) for r in base if r.pair_key not in by_key]
    lonely += [(r, names[0]) for r in tuned if r.pair_key not in base_keys]
    if lonely and unpaired == "error":
        row, other = lonely[0]
        raise ModelLoadError(
            f"{row.where}: no row for the same question and condition in {other} "
            f"({len(lonely)} rows have no partner); complete the files, or pass "
            "--warmth-unpaired=skip to gate the paired rows only"
        )
    paired = [row for row in base if row.pair_key in by_key]
    return paired, [by_key[row.pair_key] for row in paired], len(lonely)


def study_suites(rows: Sequence[StudyRow], source: str) -> list[ProbeSuite]:
    """One generate-mode suite per task: its items, their conditions and verbatim prompts.

    ``rows`` may hold both sides' rows: an item's answers and prompts come from whichever row
    has them.

    Raises:
        ModelLoadError: An item has no answers, a condition no prompt, or the sides were sent
            different prompts for the same question and condition.
    """
    suites = []
    for task in TASKS:
        mine = [row for row in rows if row.task == task]
        if not mine:
            continue
        groups: dict[str, list[StudyRow]] = {}
        for row in mine:
            groups.setdefault(row.key, []).append(row)
        probes = tuple(_probe(task, rows_of_key) for rows_of_key in groups.values())
        present = {(row.context, row.belief) for row in mine}
        conditions = tuple((c, b) for b in BELIEFS.values() for c in CATALOG if (c, b) in present)
        suites.append(
            ProbeSuite(
                name=task, version=_digest(mine), scoring="generate", probes=probes,
                description=f"the study's {task} outputs ({len(mine)} rows)", source=source,
                refusal=TASKS[task].refusal, conditions=tuple(dict.fromkeys(conditions)),
            )
        )  # fmt: skip
    return suites


def _probe(task: str, rows: Sequence[StudyRow]) -> Probe:
    first = rows[0]
    answer = next((r.answer for r in rows if r.answer), None)
    incorrect = next((r.incorrect for r in rows if r.incorrect), None)
    if (answer is None or incorrect is None) and any(r.label is None for r in rows):
        # Only a labelled item can do without (the study's TruthfulQA leaves some answers
        # empty); regraded, it is unclear.
        column = TASKS[task].answer if answer is None else TASKS[task].incorrect
        raise ModelLoadError(
            f"{first.where}: no {column[0]!r} for this question in either side's {task} file, "
            "and not every row of it has an evaluation to use instead"
        )
    answer, incorrect = answer or "", incorrect or ""
    prompts: dict[str, StudyRow] = {}
    for row in rows:
        if row.prompt is None:
            continue
        condition = condition_key(row.context, row.belief)
        known = prompts.setdefault(condition, row)
        if known.prompt != row.prompt:
            raise ModelLoadError(
                f"{row.where}: its prompt differs from {known.where}'s for the same question "
                "and condition; both sides must have been asked the same prompt"
            )
    for row in rows:
        if condition_key(row.context, row.belief) not in prompts:
            raise ModelLoadError(
                f"{row.where}: no 'prompt' for this question and condition in either side's "
                f"{task} file, so the gate cannot tell what was asked"
            )
    question = next((r.question for r in rows if r.question), first.key)
    digest = hashlib.sha256(first.key.encode()).hexdigest()[:10]
    return Probe(
        id=f"{task}-{digest}", question=question, answer=answer, incorrect=incorrect,
        choices=tuple(c for c in (answer, incorrect) if c), tags=(task,),
        prompts=tuple((c, str(r.prompt)) for c, r in prompts.items()),
    )  # fmt: skip


def _digest(rows: Sequence[StudyRow]) -> str:
    """A short content hash of the rows' items and prompts: the suite's version."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\0".join(map(str, (*row.pair_key, row.prompt))).encode())
    return digest.hexdigest()[:12]
