"""Backends by name: the built-in ones, those other packages register, and which a spec picks.

A package adds a backend without touching this project by declaring an entry point::

    [project.entry-points."pytest_warmth.backends"]
    toy = "toy_backend:ToyBackend"

The object named there is a :class:`~pytest_warmth.backends.protocol.Backend` class or a
callable without arguments that returns one; it is imported only when a spec asks for it. A
spec picks its backend by a scheme prefix (``toy:anything``, ``hf:./model``); without one, the
first backend that :meth:`~pytest_warmth.backends.protocol.Backend.claims` it, the built-in
transformers backend (``hf``) last.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import cast

from pytest_warmth.backends.protocol import (
    Backend,
    LoadOptions,
    ModelPair,
    ModelRequest,
    ResolvedModel,
    ResolvedPair,
)
from pytest_warmth.errors import ModelSpecError

ENTRY_POINT_GROUP = "pytest_warmth.backends"
DEFAULT = "hf"
"""The backend of a spec that no other backend claims."""
BUILTIN = {
    "hf": "pytest_warmth.backends.hf:HFBackend",
    "openai": "pytest_warmth.backends.openai:OpenAIBackend",
    "recorded": "pytest_warmth.backends.recorded:RecordedBackend",
}
"""Built-in backends as ``module:attribute``, imported on first use."""
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):(?!//)(.*)$", re.DOTALL)
_registered: dict[str, Callable[[], Backend]] = {}
_loaded: dict[str, Backend] = {}


def register(name: str, factory: Callable[[], Backend]) -> None:
    """Register a backend in this process (entry points do it for installed packages)."""
    _registered[name] = factory
    _loaded.pop(name, None)


def _targets() -> dict[str, str | Callable[[], Backend]]:
    """Every known backend name and how to make it, later sources overriding none."""
    found: dict[str, str | Callable[[], Backend]] = dict(BUILTIN)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point.value)
    for name, factory in _registered.items():
        found.setdefault(name, factory)
    return found


def names() -> list[str]:
    """The names of every backend that can be used, built-in first."""
    return list(_targets())


def get(name: str) -> Backend:
    """The backend registered as ``name``.

    Raises:
        ModelSpecError: No backend has that name, or it cannot be imported.
    """
    if name in _loaded:
        return _loaded[name]
    targets = _targets()
    if name not in targets:
        raise ModelSpecError(
            f"no model backend named {name!r}; installed: {', '.join(targets)} (a package adds "
            f"one through the {ENTRY_POINT_GROUP!r} entry-point group)"
        )
    target = targets[name]
    try:
        if isinstance(target, str):
            module, _, attribute = target.partition(":")
            factory = getattr(importlib.import_module(module), attribute)
        else:
            factory = target
        backend = cast(Backend, factory())
    except Exception as exc:  # noqa: BLE001 - a third-party import can fail in any way
        raise ModelSpecError(
            f"the model backend {name!r} ({target}) cannot be loaded: {type(exc).__name__}: {exc}"
        ) from None
    _loaded[name] = backend
    return backend


def split_scheme(spec: str) -> tuple[str | None, str]:
    """``("toy", "rest")`` for ``toy:rest`` when a backend is called ``toy``, else ``(None, spec)``.

    A URL (``http://...``) and a Windows drive letter are not schemes unless a backend
    has that name.
    """
    match = _SCHEME.match(spec.strip())
    if match and match.group(1) in _targets():
        return match.group(1), match.group(2)
    return None, spec


def backend_for(spec: str, cwd: Path) -> tuple[str, Backend, str]:
    """The backend a spec picks, its name, and the spec without the scheme prefix.

    Raises:
        ModelSpecError: The named backend is unknown or cannot be loaded.
    """
    name, rest = split_scheme(spec)
    if name is not None:
        return name, get(name), rest
    for other in names():
        if other == DEFAULT:
            continue
        backend = get(other)
        if backend.claims(spec, cwd):
            return other, backend, spec
    return DEFAULT, get(DEFAULT), spec


def resolve_pair(request: ModelRequest) -> tuple[str, ResolvedPair]:
    """Pick the backend of ``request.model`` and let it resolve both sides.

    Returns:
        The backend's name and the resolved pair.

    Raises:
        ModelSpecError: A spec is unusable, or the two sides name different backends.
    """
    name, backend, model = backend_for(request.model, request.cwd)
    base = request.base
    if base is not None:
        base_name, base = split_scheme(base)
        if base_name not in (None, name):
            raise ModelSpecError(
                f"--warmth-base={request.base} uses the backend {base_name!r} but "
                f"--warmth-model={request.model} uses {name!r}; both sides come from one backend"
            )
    resolved = backend.resolve(dataclasses.replace(request, model=model, base=base))
    return name, resolved


def resolve_model(spec: str, request: ModelRequest) -> ResolvedModel:
    """Resolve one more model of the run (e.g. a judge) through the backend it picks.

    Raises:
        ModelSpecError: The spec is unusable.
    """
    _, backend, rest = backend_for(spec, request.cwd)
    return backend.resolve_model(rest, request)


def load_pair(
    model: str, base: str | None = None, *, options: LoadOptions | None = None
) -> ModelPair:
    """Resolve and load a pair outside pytest (scripts, notebooks, benchmarks).

    Args:
        model: A ``--warmth-model`` spec.
        base: A ``--warmth-base`` spec, or ``None``.
        options: How to load and run the models (default: :class:`LoadOptions`).

    Raises:
        WarmthError: A spec is unusable or a model cannot be loaded.
    """
    _, resolved = resolve_pair(ModelRequest(model, base))
    return resolved.load(options or LoadOptions())
