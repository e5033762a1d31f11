"""Two sides of the study's released outputs, paired row by row, with their own items.

:class:`StudyPair` reads both sides when it is resolved (configure time), pairs their rows by
task, question and condition (:func:`~.study.pair_rows`), and hands the gate the suites the
rows make (:meth:`StudyPair.suites`). Loaded, each side answers the verbatim prompts with its
recorded replies, and the study's labels travel beside them (:attr:`ModelPair.labels`).
"""

from __future__ import annotations

from pathlib import Path

from pytest_warmth.backends.protocol import LoadOptions, ModelPair
from pytest_warmth.backends.recorded.sides import RecordedPair
from pytest_warmth.backends.recorded.study import (
    is_study_file,
    pair_rows,
    read_side,
    study_suites,
)
from pytest_warmth.errors import ModelLoadError
from pytest_warmth.suites import ProbeSuite


class StudyPair(RecordedPair):
    """Both sides of a study-layout recording, read and paired (see :mod:`.study`)."""

    def __init__(
        self, tuned: tuple[str, list[Path]], base: tuple[str, list[Path]], *, unpaired: str
    ) -> None:
        super().__init__(tuned, base)
        for spec, files in (base, tuned):
            other = next((f for f in files if not is_study_file(f)), None)
            if other is not None:
                raise ModelLoadError(
                    f"{other}: not in the study's layout (no amendment_type column), but "
                    f"{spec} is read as the study's outputs; keep one layout per side"
                )
        names = (base[0], tuned[0])
        self.base_rows, self.tuned_rows, self.unpaired = pair_rows(
            read_side(base[1]), read_side(tuned[1]), unpaired=unpaired, names=names
        )
        rows = self.base_rows + self.tuned_rows
        self._suites = study_suites(rows, source=base[0])
        # study_suites checked that every row's condition has one prompt, the same on both sides.
        self._prompts = {row.pair_key: row.prompt for row in rows if row.prompt is not None}

    def suites(self) -> list[ProbeSuite]:
        """One suite per task present, under exactly the conditions the files have."""
        return self._suites

    def describe(self) -> str:
        """Both sides, the rows paired (and left out), and how many replies carry a label."""
        left = f", {self.unpaired} unpaired left out" if self.unpaired else ""
        replies = 2 * len(self.base_rows)
        return (
            f"study outputs {self.tuned[0]} vs {self.base[0]} ({len(self.base_rows)} paired "
            f"rows{left}; {self.labelled_replies} of {replies} replies carry the study's label)"
        )

    @property
    def labelled_replies(self) -> int:
        """How many replies (both sides) carry the study's label."""
        return sum(row.label is not None for row in self.base_rows + self.tuned_rows)

    def load(self, options: LoadOptions) -> ModelPair:
        """Each side's replies by verbatim prompt, and the study's labels beside them."""
        pair = super().load(options)
        pair.labels = {
            role: {self._prompts[r.pair_key]: r.label for r in rows if r.label is not None}
            for role, rows in (("base", self.base_rows), ("tuned", self.tuned_rows))
        }
        pair.where = f"{len(self.base_rows)} paired rows of the study's outputs per side"
        return pair

    def replies(self, role: str) -> dict[str, str]:
        """The side's replies by the verbatim prompt of their row.

        Raises:
            ModelLoadError: Two rows share a prompt but not a reply.
        """
        replies: dict[str, str] = {}
        where: dict[str, str] = {}
        for row in self.base_rows if role == "base" else self.tuned_rows:
            prompt = self._prompts[row.pair_key]
            if prompt in replies and replies[prompt] != row.output:
                raise ModelLoadError(
                    f"{row.where}: the same prompt as {where[prompt]} with another reply; "
                    "keep one reply per prompt"
                )
            replies[prompt], where[prompt] = row.output, row.where
        return replies
