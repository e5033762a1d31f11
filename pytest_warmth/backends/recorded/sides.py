"""A recorded side (replies looked up by prompt) and a pair of them, located and loaded."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_warmth.backends.protocol import (
    GENERATE,
    ChoiceScore,
    LoadOptions,
    ModelPair,
    Progress,
    Prompt,
)
from pytest_warmth.backends.recorded.recording import Recording, files_digest
from pytest_warmth.errors import ModelLoadError
from pytest_warmth.results import ModelInfo


class RecordedSide:
    """A recorded side: replies looked up by prompt (generation only)."""

    capabilities = frozenset({GENERATE})

    def __init__(self, spec: str, replies: Mapping[str, str], sha256: str) -> None:
        self.spec, self.replies, self.sha256 = spec, replies, sha256

    @property
    def identity(self) -> str:
        """The content hash of the recorded files."""
        return f"recorded:{self.sha256}"

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to switch."""
        return contextlib.nullcontext()

    def generate(
        self, prompts: Sequence[Prompt], *, max_new_tokens: int, progress: Progress | None = None
    ) -> list[str]:
        """The recorded reply to each prompt.

        Raises:
            ModelLoadError: Some prompts have no recorded reply (says how many, and one).
        """
        self.check(prompts)
        if progress is not None:
            progress(len(prompts), len(prompts))
        return [self.replies[p] for p in prompts if isinstance(p, str)]

    def check(self, prompts: Sequence[Prompt]) -> None:
        """Fail unless every prompt has a recorded reply (a conversation never has one).

        Raises:
            ModelLoadError: Says how many prompts have none, and shows one.
        """
        missing = [str(p) for p in prompts if not isinstance(p, str) or p not in self.replies]
        if missing:
            raise ModelLoadError(
                f"{self.spec}: {len(missing)} of {len(prompts)} prompts of this run "
                f"have no recorded reply, e.g. {missing[0][:80]!r}; write the run's prompts "
                "with --warmth-export-prompts=FILE and record a reply for each"
            )

    def score_choices(
        self, prompts: Sequence[Prompt], choices: Sequence[Sequence[str]], *,
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
        self._sides: dict[str, RecordedSide] = {}

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
        """Read both recordings (once per run).

        Raises:
            ModelLoadError: A row is unusable or a prompt has two replies.
        """
        base, tuned = self.side("base"), self.side("tuned")
        where = f"{len(base.replies)} + {len(tuned.replies)} recorded replies"
        return ModelPair(base, tuned, self.same_model, where)

    def check_prompts(self, prompts: Sequence[str]) -> None:
        """Fail before any work unless both recordings answer every prompt of the run.

        Raises:
            ModelLoadError: A row is unusable, or prompts have no recorded reply.
        """
        for role in ("base", "tuned"):
            self.side(role).check(prompts)

    def side(self, role: str) -> RecordedSide:
        """The side called ``role``, read on first use."""
        if role == "tuned" and self.same_model:
            role = "base"
        if role not in self._sides:
            located = self.base if role == "base" else self.tuned
            replies = self.replies(role)
            self._sides[role] = RecordedSide(located[0], replies, self.digest(located[1]))
        return self._sides[role]

    def replies(self, role: str) -> Mapping[str, str]:
        """The recorded replies of ``role`` by prompt."""
        located = self.base if role == "base" else self.tuned
        return Recording(*located, self.digest(located[1])).replies
