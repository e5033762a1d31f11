"""A real OpenAI-compatible server for tests, benchmarks and dry runs: llama-cpp-python's.

:class:`LlamaServer` serves GGUF files under names of your choice (``python -m
llama_cpp.server --config_file ...``) on a free port of 127.0.0.1, waits until ``/v1/models``
answers, and stops it again. It needs ``pip install "llama-cpp-python[server]"``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

START_TIMEOUT_S = 180.0


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    """llama-cpp-python's server, serving each GGUF file under its name.

    Args:
        models: Served name -> GGUF file.
        workdir: Where the config file and the server's log are written.
        n_ctx: Context length of each model.
    """

    def __init__(self, models: Mapping[str, Path], workdir: Path, *, n_ctx: int = 2048) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        config = {
            "host": "127.0.0.1",
            "port": self.port,
            "models": [
                {"model": str(path), "model_alias": name, "n_ctx": n_ctx, "verbose": False}
                for name, path in models.items()
            ],
        }
        self.config = workdir / f"llama-server-{self.port}.json"
        self.config.write_text(json.dumps(config), encoding="utf-8")
        self.log = workdir / f"llama-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT_S) -> LlamaServer:
        """Start the server and wait until it answers.

        Raises:
            RuntimeError: It exited or did not answer within ``timeout`` seconds.
        """
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--config_file", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"the llama-cpp-python server exited: {tail}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the llama-cpp-python server did not answer in {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 20 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
