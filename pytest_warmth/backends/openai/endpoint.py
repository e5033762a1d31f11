"""Model specs that name a model behind an OpenAI-compatible server.

``http://127.0.0.1:8000/v1?model=warm`` names the server by its base URL (the part that
``/chat/completions`` and ``/models`` are appended to) and the served model by the ``model``
query parameter. Optional parameters:

- ``revision=R``: what the server serves, declared by the user (a commit, a training run id);
  it makes the side's answers cacheable across runs.
- ``tokenizer=PATH``: a local tokenizer of the served model (a model or tokenizer directory,
  or a ``.gguf`` file), needed for multiple-choice scoring so that choice boundaries are exact
  token positions.

A base on the same server may be given by its query alone: ``--warmth-base='?model=NAME'``.
Parsing is offline; nothing here talks to a server.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from pytest_warmth.errors import ModelSpecError

SCHEMES = ("http", "https")
PARAMETERS = ("model", "revision", "tokenizer")


@dataclass(frozen=True)
class Endpoint:
    """One served model.

    Attributes:
        base_url: The server's API root, e.g. ``http://127.0.0.1:8000/v1`` (no trailing slash).
        model: The served model's name, as the server's ``/models`` lists it.
        revision: What the user declares the server serves, or ``None``.
        tokenizer: A local tokenizer of the served model (absolute), or ``None``.
    """

    base_url: str
    model: str
    revision: str | None = None
    tokenizer: Path | None = None

    @property
    def display(self) -> str:
        """``NAME @ URL``, without credentials or other query parameters."""
        return f"{self.model} @ {self.base_url}"


def is_server_spec(spec: str) -> bool:
    """Whether ``spec`` is an ``http(s)://`` URL (or a ``?model=`` query for the same server)."""
    text = spec.strip()
    return text.startswith("?") or urllib.parse.urlsplit(text).scheme in SCHEMES


def parse_endpoint(spec: str, *, flag: str, cwd: Path, beside: Endpoint | None = None) -> Endpoint:
    """The :class:`Endpoint` a spec names.

    Args:
        spec: ``URL?model=NAME[&revision=R][&tokenizer=PATH]``, or ``?model=NAME...`` for the
            server of ``beside``.
        flag: The option the spec came from, for messages.
        cwd: The directory a relative tokenizer path is taken from.
        beside: The other side's endpoint (a query alone means its server).

    Raises:
        ModelSpecError: The spec is not a usable URL, names no model, or has unknown or
            repeated parameters.
    """
    text = spec.strip()
    parts = urllib.parse.urlsplit(text)
    if text.startswith("?"):
        if beside is None:
            raise ModelSpecError(
                f"{flag}={spec}: a query alone names a model on the other side's server; give "
                "the whole URL, e.g. http://127.0.0.1:8000/v1?model=NAME"
            )
        base_url = beside.base_url
    else:
        if parts.scheme not in SCHEMES or not parts.netloc:
            raise ModelSpecError(f"{flag}={spec}: not an http(s) URL such as {_EXAMPLE}")
        if parts.username or parts.password:
            raise ModelSpecError(
                f"{flag}: credentials in the URL would be printed and reported; put the API key "
                "in an environment variable (--warmth-api-key-env names it) instead"
            )
        if parts.fragment:
            raise ModelSpecError(f"{flag}={spec}: a URL fragment (#...) means nothing here")
        base_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        base_url = base_url.rstrip("/")
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(PARAMETERS))
    if unknown:
        raise ModelSpecError(
            f"{flag}={spec}: unknown parameter {unknown[0]!r}; use {', '.join(PARAMETERS)}"
        )
    repeated = sorted(key for key, values in query.items() if len(values) > 1)
    if repeated:
        raise ModelSpecError(f"{flag}={spec}: the parameter {repeated[0]!r} is given twice")
    values = {key: vals[0].strip() for key, vals in query.items()}
    model = values.get("model", "")
    if not model:
        raise ModelSpecError(
            f"{flag}={spec}: name the served model with ?model=NAME (the server's /models "
            f"lists them), e.g. {_EXAMPLE}"
        )
    tokenizer = None
    if values.get("tokenizer"):
        tokenizer = (cwd / Path(values["tokenizer"]).expanduser()).absolute()
        if not tokenizer.exists():
            raise ModelSpecError(
                f"{flag}: the tokenizer {tokenizer} does not exist; give a local model or "
                "tokenizer directory, or a .gguf file, of the served model"
            )
    return Endpoint(base_url, model, values.get("revision") or None, tokenizer)


_EXAMPLE = "http://127.0.0.1:8000/v1?model=NAME"
