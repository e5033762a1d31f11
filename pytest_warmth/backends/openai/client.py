"""A small JSON-over-HTTP client for OpenAI-compatible servers (standard library only).

Retries with exponential backoff (and the server's ``Retry-After``) on 408/409/425/429/5xx
responses, timeouts and broken or refused connections; everything else is one
:class:`ServerError` whose message is one line that says what to do. The API key is sent as a
bearer token and never appears in a message.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from pytest_warmth.errors import WarmthError

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
TRANSIENT = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
)


class ServerError(WarmthError):
    """A server could not be used; the message is one line that says what to do."""


class Client:
    """Sends JSON requests to one server and returns decoded JSON bodies.

    Args:
        base_url: The API root (``http://host:port/v1``).
        api_key: Sent as ``Authorization: Bearer ...`` when given.
        key_hint: Where the key comes from, for 401/403 messages (e.g. ``$OPENAI_API_KEY``).
        timeout: Seconds to wait for one response.
        retries: Retries of a failing request before it is an error.
        backoff: Seconds before the first retry; doubled (with jitter) each time, at most
            ``max_backoff``.
        sleep: Waits between retries (replaced in tests).
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        key_hint: str = "$OPENAI_API_KEY",
        timeout: float = 300.0,
        retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._secret = api_key or None
        self.key_hint = key_hint
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self.retried = 0
        """Requests sent again after a transient failure (for messages and tests)."""

    def get(self, path: str, *, retries: int | None = None) -> Any:
        """``GET base_url + path``, decoded.

        Raises:
            ServerError: The server cannot be reached or does not answer usefully.
        """
        return self._send("GET", path, None, self.retries if retries is None else retries)

    def post(self, path: str, body: dict[str, Any], *, retries: int | None = None) -> Any:
        """``POST`` a JSON body to ``base_url + path``, decoded.

        Raises:
            ServerError: The server cannot be reached, rejects the request, or does not answer
                with JSON.
        """
        data = json.dumps(body).encode("utf-8")
        return self._send("POST", path, data, self.retries if retries is None else retries)

    def _send(self, method: str, path: str, data: bytes | None, retries: int) -> Any:
        url = f"{self.base_url}{path}"
        for attempt in range(retries + 1):
            request = urllib.request.Request(url, data, self._headers, method=method)
            wait: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                return self._decode(raw, method, path)
            except urllib.error.HTTPError as exc:
                body = _read_error(exc)
                if exc.code not in RETRY_STATUSES or attempt == retries:
                    raise self._http_error(exc.code, body, method, path) from None
                wait = _retry_after(exc)
            except urllib.error.URLError as exc:
                reason = exc.reason
                if not isinstance(reason, TRANSIENT) or attempt == retries:
                    raise ServerError(
                        f"cannot reach the server at {self.base_url} ({_describe(reason)}); "
                        "start it or check the URL"
                    ) from None
            except TRANSIENT as exc:
                if attempt == retries:
                    raise ServerError(
                        f"the server at {self.base_url} stopped answering {method} {path} "
                        f"({_describe(exc)}) after {retries + 1} tries; start it again and re-run "
                        "(answers the answer cache stored are reused)"
                    ) from None
            self.retried += 1
            delay = min(self.max_backoff, self.backoff * 2**attempt)
            self._sleep(wait if wait is not None else delay * (0.5 + random.random() / 2))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _decode(self, raw: bytes, method: str, path: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise ServerError(
                f"{self.base_url}{path} did not answer {method} with JSON: not an "
                "OpenAI-compatible API root (the URL should be where /chat/completions is "
                "appended, often ending in /v1)"
            ) from None

    def _http_error(self, status: int, body: str, method: str, path: str) -> ServerError:
        where = f"{method} {self.base_url}{path}"
        if status in (401, 403):
            return ServerError(
                f"{where}: the server refused the request (HTTP {status}); put a valid API key "
                f"in {self.key_hint} (--warmth-api-key-env names the variable)"
            )
        if status in (404, 405) and not _mentions_model(body):
            return ServerError(
                f"{where}: HTTP {status}: not an OpenAI-compatible API root (the URL should be "
                "where /chat/completions is appended, often ending in /v1)"
            )
        detail = f": {self._redact(body)}" if body else ""
        return ServerError(f"{where}: HTTP {status}{detail}")

    def _redact(self, text: str) -> str:
        """``text`` with the API key replaced (a server may quote the request's headers)."""
        return text.replace(self._secret, "***") if self._secret else text


def _read_error(exc: urllib.error.HTTPError) -> str:
    """The server's error message in one short line."""
    try:
        raw = exc.read()
    except OSError:
        return ""
    try:
        parsed = json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace")
    else:
        error = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
        message = error.get("message", error) if isinstance(error, dict) else error
        text = str(message if message else parsed)
    return " ".join(text.split())[:300]


def _mentions_model(body: str) -> bool:
    return "model" in body.lower()


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return min(60.0, max(0.0, float(value))) if value else None
    except ValueError:
        return None


def _describe(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "closed the connection without a response"
    return str(reason) or type(reason).__name__
