"""Reading recorded replies: ``.jsonl``/``.csv`` files of prompts and replies, by prompt."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pytest_warmth.errors import ModelLoadError
from pytest_warmth.jsonlines import JsonLineError, json_objects

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
