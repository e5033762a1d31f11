"""A scripted OpenAI-compatible HTTP server for tests (standard library, a thread per request).

It speaks the protocol's documented shapes: ``GET /v1/models`` (``{"data": [{"id": ...}]}``),
``POST /v1/chat/completions`` (``choices[0].message.content``) and ``POST /v1/completions``
(a response body returned by a test-supplied function, e.g. vLLM's ``prompt_logprobs`` shape).
Tests script failures (a status for the next requests) and read what was asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[str, str], str]
"""``reply(model, user_message) -> assistant text``."""
Completion = Callable[[dict[str, Any]], dict[str, Any]]
"""``complete(request_body) -> response body`` for ``/v1/completions``."""


@dataclass
class StubServer:
    """What the stub serves and what it was asked."""

    models: list[dict[str, Any]]
    reply: Reply = lambda model, message: "I am not sure."
    complete: Completion | None = None
    failures: list[int] = field(default_factory=list)
    """HTTP statuses to answer the next requests with, one each, before answering normally."""
    api_key: str | None = None
    """When set, requests without ``Authorization: Bearer <key>`` get 401."""
    echo_headers: bool = False
    """Scripted failures quote the request's headers in their message (as careless servers
    do), to test that a key never reaches the user through an error."""
    requests: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""


def _handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> dict[str, Any] | None:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def _handle(self, method: str) -> None:
            body = self._body() if method == "POST" else None
            with stub.lock:
                stub.requests.append((f"{method} {self.path}", body, dict(self.headers)))
                failure = stub.failures.pop(0) if stub.failures else None
                stub.in_flight += 1
                stub.most_in_flight = max(stub.most_in_flight, stub.in_flight)
            try:
                if stub.delay:
                    threading.Event().wait(stub.delay)
                status, answer = self._answer(method, body, failure)
            finally:
                with stub.lock:  # before the response is sent: the client may ask again at once
                    stub.in_flight -= 1
            self._send(status, answer)

        def _answer(
            self, method: str, body: dict[str, Any] | None, failure: int | None
        ) -> tuple[int, Any]:
            if failure is not None:
                quoted = f" (request headers: {dict(self.headers)})" if stub.echo_headers else ""
                return failure, {"error": {"message": f"scripted failure {failure}{quoted}"}}
            if stub.api_key and self.headers.get("Authorization") != f"Bearer {stub.api_key}":
                return 401, {"error": {"message": "invalid api key"}}
            names = {m["id"] for m in stub.models}
            if method == "GET" and self.path == "/v1/models":
                return 200, {"object": "list", "data": stub.models}
            if method == "POST" and body is not None and body.get("model") not in names:
                return 404, {"error": {"message": f"The model {body.get('model')} does not exist"}}
            if method == "POST" and self.path == "/v1/chat/completions" and body is not None:
                text = stub.reply(body["model"], body["messages"][-1]["content"])
                message = {"role": "assistant", "content": text}
                return 200, {"object": "chat.completion", "choices": [{"message": message}]}
            if method == "POST" and self.path == "/v1/completions" and stub.complete and body:
                return 200, stub.complete(body)
            return 404, {"detail": "Not Found"}

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


@contextmanager
def serving(stub: StubServer) -> Iterator[StubServer]:
    """Serve ``stub`` on a free port of 127.0.0.1; ``stub.url`` is its ``/v1`` root."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
