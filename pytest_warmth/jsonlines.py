"""JSON lines: one object per non-blank line, with the line number for messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


class JsonLineError(ValueError):
    """A line that is not a JSON object.

    Attributes:
        line: Its 1-based number.
        problem: What is wrong, in a few words.
    """

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


def json_objects(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of ``text``.

    Raises:
        JsonLineError: A line is not valid JSON, or not an object.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise JsonLineError(number, f"invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise JsonLineError(number, "expected a JSON object")
        yield number, record
