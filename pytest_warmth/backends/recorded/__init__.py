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

from pathlib import Path

from pytest_warmth.backends.protocol import ModelRequest, ResolvedModel
from pytest_warmth.backends.recorded.recording import recording_files
from pytest_warmth.backends.recorded.sides import RecordedPair
from pytest_warmth.backends.recorded.study import is_study_file
from pytest_warmth.backends.recorded.study_pair import StudyPair
from pytest_warmth.errors import ModelSpecError

__all__ = ["RecordedBackend", "RecordedPair", "StudyPair"]


class RecordedBackend:
    """Recorded replies in ``.jsonl``/``.csv`` files (registered as ``recorded``)."""

    def claims(self, spec: str, cwd: Path) -> bool:
        """An existing ``.jsonl``/``.csv`` file, or a folder of them that is not a model."""
        return bool(recording_files(cwd / Path(spec).expanduser()))

    def resolve(self, request: ModelRequest) -> RecordedPair | StudyPair:
        """Locate both recordings (offline).

        Files in the study's layout (``<task>_<side>_outputs.csv``) are read and paired now, so
        a bad row is a usage error before any work.

        Raises:
            ModelSpecError: A spec names no recorded files, or the base is missing.
            ModelLoadError: A file in the study's layout is unusable (names file and row).
        """
        tuned = self._locate(request.model, "--warmth-model", request.cwd)
        if request.base is None:
            raise ModelSpecError(
                f"--warmth-model={request.model} is a recording, so the gate cannot find its "
                "base by itself: pass --warmth-base=FILE-or-DIR with the base model's replies"
            )
        base = self._locate(request.base, "--warmth-base", request.cwd)
        if any(map(is_study_file, base[1] + tuned[1])):
            return StudyPair(tuned, base, unpaired=request.unpaired)
        return RecordedPair(tuned, base)

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
