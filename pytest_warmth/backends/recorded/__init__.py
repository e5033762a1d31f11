"""Replies produced elsewhere: a recorded file (or folder of files) as one side of the gate.

``--warmth-base=base.jsonl --warmth-model=warm.jsonl`` gates two recorded sides with the same
grading and statistics as live models. A recorded side answers generate-mode prompts by looking
the prompt up; it cannot score multiple choice, so runs need ``--warmth-scoring=generate``.

Files are JSON lines or CSV, one reply per row: the prompt as ``prompt`` (or as chat
``messages``, whose last user turn is the prompt) and the reply as ``reply`` (or ``output``,
``response``). ``--warmth-export-prompts`` writes exactly the prompts the gate will ask
(:mod:`pytest_warmth.export`); extra columns are ignored. A folder is every ``.jsonl``/``.csv``
file in it. The side's identity is the content hash of its files, so answers are cached and a
changed file is read afresh. Records load when the run starts: a bad row, a prompt recorded
twice with different replies, or a prompt of the run without a reply is one line naming the
file and row.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pytest_warmth.backends.protocol import (
    GENERATE,
    ChoiceScore,
    LoadOptions,
    ModelPair,
    ModelRequest,
    Progress,
    ResolvedModel,
)
from pytest_warmth.errors import ModelLoadError, ModelSpecError
from pytest_warmth.jsonlines import JsonLineError, json_objects
from pytest_warmth.results import ModelInfo

SUFFIXES = (".jsonl", ".csv")
PROMPT_KEYS = ("prompt",)
REPLY_KEYS = ("reply", "output", "response")
MODEL_FILES = ("config.json", "adapter_config.json")
"""A folder holding one of these is a model, not recordings."""


def files_digest(files: Sequence[Path]) -> str:
    """SHA-256 over the files' names and contents, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def recording_files(path: Path) -> list[Path]:
    """The recorded files a path names (a file, or a folder's files), or ``[]``."""
    if path.is_file():
        return [path] if path.suffix.lower() in SUFFIXES else []
    if path.is_dir() and not any((path / name).exists() for name in MODEL_FILES):
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    return []


class Recording:
    """The replies of one recorded side, by prompt."""

    def __init__(self, spec: str, files: list[Path], sha256: str) -> None:
        self.spec = spec
        self.files = files
        self.replies: dict[str, str] = {}
        self.where: dict[str, str] = {}
        self.sha256 = sha256
        for path in files:
            for where, record in _records(path):
                self._add(where, record)

    def _add(self, where: str, record: dict[str, Any]) -> None:
        prompt = _prompt(record)
        reply = next((record[k] for k in REPLY_KEYS if isinstance(record.get(k), str)), None)
        if prompt is None or reply is None:
            raise ModelLoadError(
                f"{where}: a recorded reply needs the prompt ('prompt', or chat 'messages') and "
                f"the reply ('{REPLY_KEYS[0]}', '{REPLY_KEYS[1]}' or '{REPLY_KEYS[2]}')"
            )
        known = self.replies.get(prompt)
        if known is not None and known != reply:
            raise ModelLoadError(
                f"{where}: the same prompt was recorded with another reply at "
                f"{self.where[prompt]}; keep one reply per prompt"
            )
        self.replies[prompt] = reply
        self.where.setdefault(prompt, where)


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(file:row, record)`` for every row of a recorded file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    if path.suffix.lower() == ".csv":
        for row, record in enumerate(csv.DictReader(text.splitlines()), start=2):
            yield f"{path}:{row}", dict(record)
        return
    try:
        for number, record in json_objects(text):
            yield f"{path}:{number}", record
    except JsonLineError as exc:
        raise ModelLoadError(f"{path}:{exc.line}: {exc.problem}") from None


def _prompt(record: dict[str, Any]) -> str | None:
    if isinstance(record.get("prompt"), str):
        return str(record["prompt"])
    messages = record.get("messages")
    if isinstance(messages, list):
        users = [
            m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"
        ]
        if users and isinstance(users[-1], str):
            return str(users[-1])
    return None


def _user(message: dict[str, Any]) -> bool:
    return message.get("role") == "user"


class RecordedSide:
    """A recorded side: replies looked up by prompt (generation only)."""

    capabilities = frozenset({GENERATE})

    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    @property
    def identity(self) -> str:
        """The content hash of the recorded files."""
        return f"recorded:{self.recording.sha256}"

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to switch."""
        return contextlib.nullcontext()

    def generate(
        self, prompts: Sequence[str], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        """The recorded reply to each prompt.

        Raises:
            ModelLoadError: Some prompts have no recorded reply (says how many, and one).
        """
        missing = [p for p in prompts if p not in self.recording.replies]
        if missing:
            raise ModelLoadError(
                f"{self.recording.spec}: {len(missing)} of {len(prompts)} prompts of this run "
                f"have no recorded reply, e.g. {missing[0][:80]!r}; write the run's prompts "
                "with --warmth-export-prompts=FILE and record a reply for each"
            )
        if progress is not None:
            progress(len(prompts), len(prompts))
        return [self.recording.replies[p] for p in prompts]

    def score_choices(
        self, prompts: Sequence[str], choices: Sequence[Sequence[str]], *,
        progress: Progress | None = None,
    ) -> list[list[ChoiceScore]]:  # fmt: skip
        """Recorded replies cannot be scored (not in :attr:`capabilities`)."""
        raise NotImplementedError("recorded replies cannot score multiple choice")

    def score_text(
        self, requests: Sequence[tuple[str, str]], *, progress: Progress | None = None
    ) -> list[ChoiceScore]:
        """Recorded replies cannot be scored (not in :attr:`capabilities`)."""
        raise NotImplementedError("recorded replies cannot score text")


class RecordedPair:
    """Two recorded sides, located (read when loaded)."""

    capabilities = RecordedSide.capabilities

    def __init__(self, tuned: tuple[str, list[Path]], base: tuple[str, list[Path]]) -> None:
        self.tuned, self.base = tuned, base
        self._digests: dict[tuple[Path, ...], str] = {}

    def digest(self, files: list[Path]) -> str:
        """The content hash of ``files``, read once per run (the load and the report share it)."""
        key = tuple(files)
        if key not in self._digests:
            self._digests[key] = files_digest(files)
        return self._digests[key]

    @property
    def same_model(self) -> bool:
        """The same files on both sides."""
        return self.tuned[1] == self.base[1]

    def describe(self) -> str:
        """``recorded WARM vs recorded BASE``."""
        return f"recorded {self.tuned[0]} vs recorded {self.base[0]}"

    def model_infos(self) -> tuple[ModelInfo, ModelInfo]:
        """Both recordings, named by the content hash of their files."""
        return (self._info("base", *self.base), self._info("tuned", *self.tuned))

    def _info(self, role: str, spec: str, files: list[Path]) -> ModelInfo:
        location = str(files[0].parent if len(files) > 1 else files[0])
        return ModelInfo(role, spec, "recorded", location, self.digest(files))

    def load(self, options: LoadOptions) -> ModelPair:
        """Read both recordings.

        Raises:
            ModelLoadError: A row is unusable or a prompt has two replies.
        """
        base = RecordedSide(Recording(*self.base, self.digest(self.base[1])))
        tuned = base
        if not self.same_model:
            tuned = RecordedSide(Recording(*self.tuned, self.digest(self.tuned[1])))
        where = f"{len(base.recording.replies)} + {len(tuned.recording.replies)} recorded replies"
        return ModelPair(base, tuned, self.same_model, where)


class RecordedBackend:
    """Recorded replies in ``.jsonl``/``.csv`` files (registered as ``recorded``)."""

    def claims(self, spec: str, cwd: Path) -> bool:
        """An existing ``.jsonl``/``.csv`` file, or a folder of them that is not a model."""
        return bool(recording_files(cwd / Path(spec).expanduser()))

    def resolve(self, request: ModelRequest) -> RecordedPair:
        """Locate both recordings (offline).

        Raises:
            ModelSpecError: A spec names no recorded files, or the base is missing.
        """
        tuned = self._locate(request.model, "--warmth-model", request.cwd)
        if request.base is None:
            raise ModelSpecError(
                f"--warmth-model={request.model} is a recording, so the gate cannot find its "
                "base by itself: pass --warmth-base=FILE-or-DIR with the base model's replies"
            )
        return RecordedPair(tuned, self._locate(request.base, "--warmth-base", request.cwd))

    def resolve_model(self, spec: str, request: ModelRequest) -> ResolvedModel:
        """Recordings cannot judge.

        Raises:
            ModelSpecError: Always.
        """
        raise ModelSpecError("a recording cannot judge replies; use the rules or a model")

    @staticmethod
    def _locate(spec: str, flag: str, cwd: Path) -> tuple[str, list[Path]]:
        path = (cwd / Path(spec).expanduser()).absolute()
        files = recording_files(path)
        if not files:
            raise ModelSpecError(
                f"{flag}={spec}: no .jsonl or .csv recordings there; pass a recorded file or a "
                "folder of them"
            )
        return spec, files
