"""Where probe suites come from: suite files, public datasets, and sources other packages add.

A ``--warmth-probes`` entry is a path (a YAML/JSONL suite file or a folder of them) or
``KIND:LOCATION`` for a registered source (``truthfulqa:data/tqa.parquet``). Sources register
by name: the built-in public-dataset loaders (:mod:`pytest_warmth.public_datasets`), and any
package's through the ``pytest_warmth.suite_sources`` entry-point group, whose object is a
:class:`SuiteSource` or a callable without arguments that returns one. Nothing here is
imported before a source is used. Every suite a source returns passes :func:`check_suite`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from pytest_warmth.errors import ProbeSuiteError, WarmthError

if TYPE_CHECKING:
    from pytest_warmth.suites import ProbeSuite

ENTRY_POINT_GROUP = "pytest_warmth.suite_sources"


class SuiteSource(Protocol):
    """Loads the suites a ``KIND:LOCATION`` entry names."""

    def load(self, location: str, *, seed: int) -> list[ProbeSuite]:
        """The suites at ``location`` (a path or a source-specific name).

        Raises:
            WarmthError: The location cannot be read or does not fit the source's layout.
        """
        ...


@dataclass(frozen=True)
class PublicDatasetSource:
    """A built-in loader: :func:`pytest_warmth.public_datasets.load_public_suite` of one kind."""

    kind: str
    """The dataset's layout: ``truthfulqa``, ``triviaqa``, ``medqa`` or ``mask``."""

    def load(self, location: str, *, seed: int) -> list[ProbeSuite]:
        """The dataset's rows as one suite named after its kind."""
        from pytest_warmth.public_datasets import load_public_suite

        return [load_public_suite(self.kind, location, seed=seed)]


@dataclass(frozen=True)
class StudyOutputsSource:
    """The study's released outputs of one side, to ask live models the very same prompts.

    A folder of ``<task>_<side>_outputs.csv`` files, or one such file: its items, their
    conditions and verbatim prompts (see :mod:`pytest_warmth.backends.recorded.study`).
    """

    def load(self, location: str, *, seed: int) -> list[ProbeSuite]:
        """One suite per task in the files."""
        from pytest_warmth.backends.recorded.study import read_side, study_suites

        root = Path(location).expanduser()
        files = sorted(root.glob("*_outputs.csv")) if root.is_dir() else [root]
        if not files or not all(f.is_file() for f in files):
            raise WarmthError(f"study:{location}: no <task>_<side>_outputs.csv files there")
        return study_suites(read_side(files), source=f"study:{location}")


BUILTIN: dict[str, SuiteSource] = {
    **{kind: PublicDatasetSource(kind) for kind in ("truthfulqa", "triviaqa", "medqa", "mask")},
    "study": StudyOutputsSource(),
}
"""The built-in sources by kind."""


def sources() -> dict[str, SuiteSource | str]:
    """Every source by kind: built-in first, then entry points (``module:attribute``)."""
    found: dict[str, SuiteSource | str] = dict(BUILTIN)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point.value)
    return found


def get(kind: str) -> SuiteSource:
    """The source registered as ``kind``.

    Raises:
        WarmthError: No such source, or it cannot be imported.
    """
    known = sources()
    if kind not in known:
        raise WarmthError(f"unknown suite source {kind!r}; known: {', '.join(known)}")
    target = known[kind]
    if not isinstance(target, str):
        return target
    try:
        module, _, attribute = target.partition(":")
        made = getattr(importlib.import_module(module), attribute)
        ready = hasattr(made, "load") and not isinstance(made, type)
        return cast(SuiteSource, made if ready else made())
    except Exception as exc:  # noqa: BLE001 - a third-party import can fail in any way
        raise WarmthError(
            f"the suite source {kind!r} ({target}) cannot be loaded: {type(exc).__name__}: {exc}"
        ) from None


def split_spec(text: str) -> tuple[str, str] | None:
    """``("truthfulqa", "data.jsonl")`` for ``truthfulqa:data.jsonl``; None for a plain path."""
    kind, sep, location = text.partition(":")
    if sep and location and kind in sources():
        return kind, location
    return None


def load_suites(entries: Iterable[Path | str], *, seed: int = 0) -> dict[str, ProbeSuite]:
    """Load every suite the entries name, keyed by suite name.

    An entry is a suite file, a directory of them, or ``KIND:LOCATION`` for a registered
    source.

    Raises:
        ProbeSuiteError: A file is invalid or missing, a directory holds no suite file, a
            suite fails :func:`check_suite`, or one reuses another file's suite name.
        WarmthError: A source cannot load its location.
    """
    from pytest_warmth.suites import load_suite

    suites: dict[str, ProbeSuite] = {}
    for entry in entries:
        spec = split_spec(entry) if isinstance(entry, str) else None
        if spec is not None:
            kind, location = spec
            loaded = get(kind).load(location, seed=seed)
        else:
            root = Path(entry)
            if not root.exists():
                raise ProbeSuiteError(
                    str(root), None, None, "no such file or directory; check --warmth-probes"
                )
            loaded = [load_suite(file) for file in suite_files(root)]
        for suite in loaded:
            check_suite(suite)
            if suite.name in suites:
                raise ProbeSuiteError(
                    suite.source,
                    None,
                    "name",
                    f"suite {suite.name!r} is already defined in {suites[suite.name].source}; "
                    "rename one of them",
                )
            suites[suite.name] = suite
    return suites


def builtin_suites() -> dict[str, ProbeSuite]:
    """The suites shipped with the plugin."""
    return load_suites([builtin_probe_dir()])


def builtin_probe_dir() -> Path:
    """Where the built-in suites live: inside the wheel, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_probes", package.parent / "probes"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in probes not found next to {package}")  # pragma: no cover


def suite_files(path: Path) -> list[Path]:
    """The suite files at ``path``: the file itself, or the suite files in a directory.

    Raises:
        ProbeSuiteError: A directory holds no suite file.
    """
    from pytest_warmth.suites import SUITE_SUFFIXES

    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file())
    suites = [p for p in files if p.suffix in SUITE_SUFFIXES]
    if not suites:
        held = ", ".join(p.name for p in files[:3]) + (", ..." if len(files) > 3 else "")
        problem = f"no suite files ({', '.join('*' + s for s in SUITE_SUFFIXES)}) in this "
        problem += f"directory ({f'it holds {held}' if files else 'it is empty'}); add one or "
        raise ProbeSuiteError(str(path), None, None, problem + "pass a suite file")
    return suites


def check_suite(suite: ProbeSuite) -> None:
    """Refuse a suite that would fail, or be scored wrongly, only once the models answer.

    Every source's suites pass here (a suite file was already checked line by line): unique
    ids; no text over :data:`~pytest_warmth.suites.MAX_TEXT_CHARS`; no blank question, choice
    or alias; an answer template that formats a choice.

    Raises:
        ProbeSuiteError: Names the suite's file or source, the field and the item.
    """
    from pytest_warmth.suites import template_problem, text_problem

    if (wrong := template_problem(suite.answer_template)) is not None:
        raise ProbeSuiteError(suite.source, None, "answer_template", wrong)
    seen: set[str] = set()
    for probe in suite.probes:
        if probe.id in seen or not probe.id.strip():
            problem = f"item id {probe.id!r} is blank or used twice; give each item its own id"
            raise ProbeSuiteError(suite.source, None, "id", problem)
        seen.add(probe.id)
        texts = [
            ("question", "", probe.question, False),
            ("answer", "", probe.answer, True),
            ("incorrect", "", probe.incorrect, True),
            *(("choices", f", choice {n}", c, False) for n, c in enumerate(probe.choices, 1)),
            *(("aliases", f", alias {n}", a, False) for n, a in enumerate(probe.aliases, 1)),
            *(("prompts", f" ({condition})", text, True) for condition, text in probe.prompts),
        ]
        for field, where, text, may_be_blank in texts:
            issue = text_problem(text) if text.strip() or not may_be_blank else None
            if issue is not None:
                raise ProbeSuiteError(
                    suite.source, None, field, f"item {probe.id!r}{where} is {issue}"
                )
