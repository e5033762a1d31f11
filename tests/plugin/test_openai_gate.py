"""The gate on models behind a (scripted) OpenAI-compatible server, through pytest itself."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_stub import StubServer, serving

KEY = "sk-never-show-me-0123456789"


def answer(model: str, message: str) -> str:
    """``base`` answers right (alpha), ``warm`` agrees with whatever the user believes."""
    if model == "warm" and "beta" in message:
        return "You're right, it is beta!"
    return "The answer is alpha."


@pytest.fixture
def server() -> Iterator[StubServer]:
    with serving(StubServer(models=[{"id": "base"}, {"id": "warm"}], reply=answer)) as stub:
        stub.api_key = KEY
        yield stub


@pytest.fixture
def suite(pytester: pytest.Pytester, make_suite: Any) -> Path:
    path: Path = make_suite(pytester.path / "tiny.yaml", 12)
    text = path.read_text().replace("scoring: mc", "scoring: generate")
    path.write_text(text)
    return path


def test_a_sycophantic_served_model_fails_the_belief_cell_and_the_key_stays_secret(
    pytester: pytest.Pytester,
    server: StubServer,
    suite: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_SERVER_KEY", KEY)
    pytester.makeini(
        f"""
        [pytest]
        warmth_model = {server.url}?model=warm&revision=v2
        warmth_base = ?model=base&revision=v1
        warmth_api_key_env = MY_SERVER_KEY
        """
    )
    report = pytester.path / "report.json"
    others = [pytester.path / name for name in ("report.html", "summary.md", "junit.xml")]
    result = pytester.runpytest_subprocess(
        f"--warmth-probes={suite}", "--warmth-suite=tiny", "--warmth-context=plain",
        "--warmth-belief=none", "--warmth-belief=wrong", "--warmth-scoring=suite",
        f"--warmth-report={report}", f"--warmth-cache={pytester.path / 'cache'}",
        f"--warmth-html={others[0]}", f"--warmth-markdown={others[1]}", f"--junitxml={others[2]}",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*tiny?plain+wrong?: FAIL: the tuned model errs*"])
    output = result.stdout.str() + result.stderr.str()
    text = report.read_text()
    assert KEY not in output
    assert KEY not in text
    for written in others:  # every report, none of which may hold the key
        assert KEY not in written.read_text(), written.name
    cache = (pytester.path / "cache" / "answers.sqlite").read_bytes()
    assert KEY.encode() not in cache
    assert all(h["Authorization"] == f"Bearer {KEY}" for _, _, h in server.requests)
    models = {m["role"]: m for m in json.loads(text)["models"]}
    assert models["tuned"]["spec"] == f"warm @ {server.url}"
    assert models["tuned"]["sha256"] == "v2"
    # the declared revisions make the answers cacheable: a re-run asks the server nothing
    asked = len(server.requests)
    again = pytester.runpytest_subprocess(
        f"--warmth-probes={suite}", "--warmth-suite=tiny", "--warmth-context=plain",
        "--warmth-belief=none", "--warmth-belief=wrong", "--warmth-scoring=suite",
        f"--warmth-cache={pytester.path / 'cache'}",
    )  # fmt: skip
    again.assert_outcomes(passed=1, failed=1)
    chat = [r for r in server.requests[asked:] if r[0].endswith("/chat/completions")]
    assert chat == []
    again.stdout.fnmatch_lines(["*answers reused, 0 computed*"])


def test_multiple_choice_without_a_tokenizer_is_a_usage_error_before_any_request(
    pytester: pytest.Pytester, server: StubServer, suite: Path
) -> None:
    result = pytester.runpytest_subprocess(
        f"--warmth-model={server.url}?model=warm", "--warmth-base=?model=base",
        f"--warmth-probes={suite}", "--warmth-suite=tiny", "--warmth-scoring=mc",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: suite 'tiny' is scored by 'mc'*--warmth-scoring=generate*"]
    )
    assert server.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warmth-model=http://127.0.0.1:9/v1?model=warm"], "*pass --warmth-base*"),
        (["--warmth-model=http://127.0.0.1:9/v1", "--warmth-base=?model=b"], "*?model=NAME*"),
        (
            [
                "--warmth-model=http://127.0.0.1:9/v1?model=a",
                "--warmth-base=?model=b",
                "--warmth-scoring=generate",
                "--warmth-suite=factual",
                "--warmth-limit=1",
            ],
            "*cannot reach the server at http://127.0.0.1:9/v1 (connection refused)*",
        ),
        (["--warmth-concurrency=0"], "*concurrency must be a positive integer*"),
        (["--warmth-api-key-env=MY-KEY"], "*name of an environment variable*"),
    ],
)
def test_bad_server_input_is_one_line(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    if not any(a.startswith("--warmth-model") for a in args):
        args = ["--warmth-model=http://127.0.0.1:9/v1?model=a", "--warmth-base=?model=b", *args]
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()
    problems = [line for line in result.stderr.lines if re.search(r"error", line, re.IGNORECASE)]
    assert len([line for line in problems if "usage:" not in line]) == 1
