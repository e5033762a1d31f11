"""The OpenAI-compatible backend against a real server nobody here wrote: llama-cpp-python's.

The server runs the embedded SmolLM2 GGUF under two names (``base`` and ``warm``: the same
weights, so every paired comparison must come out even) on a free port of 127.0.0.1, started
by a fixture that waits for it and always stops it. ``tox -e tests`` installs
``llama-cpp-python[server]``; where it is missing the module is skipped with the reason, unless
``WARMTH_REQUIRE_SERVER`` is set (CI), where that is an error.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_warmth.answer_cache import AnswerCache
from pytest_warmth.backends.openai import OpenAIBackend
from pytest_warmth.backends.openai.client import ServerError
from pytest_warmth.backends.openai.testing import LlamaServer
from pytest_warmth.backends.protocol import MC, TEXT, LoadOptions, ModelRequest, pick
from pytest_warmth.cached_side import CachedSide, CacheStats
from pytest_warmth.errors import ModelLoadError

if importlib.util.find_spec("llama_cpp") is None:
    if os.environ.get("WARMTH_REQUIRE_SERVER"):
        raise RuntimeError("WARMTH_REQUIRE_SERVER is set but llama-cpp-python is not installed")
    pytest.skip(
        "llama-cpp-python[server] is not installed (tox -e tests installs it)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.slow


def embedded_gguf() -> Path:
    from pytest_warmth.backends.hf.spec import embedded_model_path

    return embedded_model_path()


def two_names(workdir: Path) -> LlamaServer:
    """The embedded GGUF served as ``base`` and as ``warm``."""
    return LlamaServer({"base": embedded_gguf(), "warm": embedded_gguf()}, workdir)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    running = two_names(tmp_path_factory.mktemp("llama")).start()
    try:
        yield running
    finally:
        running.stop()


def spec(server: LlamaServer, model: str, **params: str) -> str:
    query = "&".join([f"model={model}", *(f"{k}={v}" for k, v in params.items())])
    return f"{server.url}?{query}"


def gate(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--warmth-no-cache", "--warmth-suite=factual",
        "--warmth-context=plain", "--warmth-belief=none", *args,
    )  # fmt: skip


def test_the_gate_runs_end_to_end_in_generate_mode(
    server: LlamaServer, pytester: pytest.Pytester
) -> None:
    report = pytester.path / "report.json"
    result = gate(
        pytester, f"--warmth-model={spec(server, 'warm')}", "--warmth-base=?model=base",
        "--warmth-scoring=generate", "--warmth-limit=6", "--warmth-max-new-tokens=24",
        "--warmth-concurrency=2", f"--warmth-report={report}",
    )  # fmt: skip
    result.assert_outcomes(passed=1, warnings=1)  # UNTESTABLE with no discordant pairs: a warning
    result.stdout.fnmatch_lines(["*tuned warm @ * vs base base @ *cached for this run only*"])
    (cell,) = json.loads(report.read_text())["cells"]
    assert (cell["n"], cell["b"], cell["c"]) == (6, 0, 0)
    replies = [item["tuned_answer"] for item in cell["items"]]
    assert all(replies)
    assert replies == [item["base_answer"] for item in cell["items"]]


def test_an_unknown_model_name_is_one_line(server: LlamaServer, pytester: pytest.Pytester) -> None:
    result = gate(
        pytester, f"--warmth-model={spec(server, 'wram')}", "--warmth-base=?model=base",
        "--warmth-scoring=generate",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: *does not serve a model named 'wram'; it serves: base, warm*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_multiple_choice_is_checked_and_agrees_with_transformers(server: LlamaServer) -> None:
    gguf = str(embedded_gguf())
    resolved = OpenAIBackend().resolve(
        ModelRequest(spec(server, "base", tokenizer=gguf), f"?model=warm&tokenizer={gguf}")
    )
    pair = resolved.load(LoadOptions(needs=frozenset({MC})))
    assert MC in pair.base.capabilities
    prompts = ["What is the capital of France?", "How many legs does a spider have?"]
    choices = [["Paris", "Lyon", "Rome", "Berlin"], ["eight", "six", "four", "ten"]]
    served = pair.base.score_choices(prompts, choices)
    from pytest_warmth.backends.registry import load_pair

    local = load_pair("smollm2", options=LoadOptions(device="cpu")).base
    reference = local.score_choices(prompts, choices)
    assert [pick(row) for row in served] == [pick(row) for row in reference]
    for row, ref in zip(served, reference, strict=True):
        for got, want in zip(row, ref, strict=True):
            assert got.n_tokens == want.n_tokens
            # llama.cpp computes on the Q4_1 weights, transformers on their de-quantised copy
            assert abs(got.sum_logprob - want.sum_logprob) < 0.5 * want.n_tokens + 0.5


def test_plain_text_scoring_is_refused_where_the_echo_is_shifted(server: LlamaServer) -> None:
    """llama-cpp-python 0.3.36 echoes plain text one position late (" Paris" after "The capital
    of France is": -8.45, where its own generation says -0.26); after a chat-formatted prompt
    it does not, which the multiple-choice test above relies on."""
    gguf = str(embedded_gguf())
    resolved = OpenAIBackend().resolve(
        ModelRequest(spec(server, "base", tokenizer=gguf), f"?model=warm&tokenizer={gguf}")
    )
    with pytest.raises(ModelLoadError) as caught:
        resolved.load(LoadOptions(needs=frozenset({TEXT})))
    message = str(caught.value)
    assert "cannot be trusted for plain-text scoring" in message
    assert "its own generation at the same position" in message
    assert "\n" not in message


def test_concurrent_requests_give_the_same_replies(server: LlamaServer) -> None:
    resolved = OpenAIBackend().resolve(ModelRequest(spec(server, "warm"), "?model=base"))
    prompts = [f"Name a colour that starts with the letter {c}." for c in "BGRYPO"]
    one = resolved.load(LoadOptions(concurrency=1)).tuned.generate(prompts, max_new_tokens=12)
    four = resolved.load(LoadOptions(concurrency=4)).tuned.generate(prompts, max_new_tokens=12)
    assert one == four
    assert all(one)


def test_a_server_killed_mid_run_is_one_error_and_finished_answers_are_kept(
    tmp_path: Path,
) -> None:
    own = two_names(tmp_path).start()
    try:
        resolved = OpenAIBackend().resolve(
            ModelRequest(spec(own, "warm", revision="test-1"), "?model=base&revision=test-1")
        )
        side = resolved.load(LoadOptions(concurrency=1, request_timeout=30)).tuned
        side.client.retries, side.client.backoff = 2, 0.1
        stats = CacheStats()
        prompts = [f"Count from {i} to {i + 3}." for i in range(40)]
        failure: list[BaseException] = []

        def ask() -> None:  # SQLite connections stay in the thread that opened them
            cache = AnswerCache.in_directory(tmp_path / "cache")
            try:
                CachedSide(side, cache, stats, chunk=2).generate(prompts, max_new_tokens=16)
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                failure.append(exc)
            finally:
                cache.close()

        worker = threading.Thread(target=ask)
        worker.start()
        deadline = time.monotonic() + 120
        while stats.computed < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        own.stop()
        worker.join(timeout=120)
        assert failure, "the run should fail once the server is gone"
        assert isinstance(failure[0], ServerError)
        message = str(failure[0])
        assert "\n" not in message
        assert "cannot reach the server" in message or "stopped answering" in message
        kept = stats.computed
        assert kept >= 4
        # a fresh run against a restarted server reuses every finished answer
        own.start()
        again = CachedSide(
            resolved.load(LoadOptions()).tuned, AnswerCache.in_directory(tmp_path / "cache"),
            CacheStats(), chunk=2,
        )  # fmt: skip
        again.generate(prompts[:kept], max_new_tokens=16)
        assert again.stats.reused == kept
        assert again.stats.computed == 0
    finally:
        own.stop()


def test_a_real_judge_on_a_server_is_calibrated_and_refused(
    server: LlamaServer, pytester: pytest.Pytester
) -> None:
    """SmolLM2-135M as a judge behind the server (no tokenizer: it replies with one word): it
    is checked against labelled replies before it grades anything, and refused."""
    from pytest_warmth.calibration import SHIPPED

    shipped = (Path(__file__).resolve().parents[2] / "pytest_warmth" / SHIPPED).read_text()
    rows = [json.loads(line) for line in shipped.splitlines()]
    chosen = [r for r in rows if r["label"] == "correct"][:8]
    chosen += [r for r in rows if r["label"] != "correct"][:8]
    calibration = pytester.path / "calibration.jsonl"
    calibration.write_text("".join(json.dumps(r) + "\n" for r in chosen))
    result = gate(
        pytester, f"--warmth-model={spec(server, 'warm')}", "--warmth-base=?model=base",
        "--warmth-scoring=generate", f"--warmth-judge={spec(server, 'base')}",
        f"--warmth-judge-calibration={calibration}",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: --warmth-judge refused: judge base @ * (a one-word reply): *% agreement, kappa "
        f"* on 16 labelled replies ({calibration}*); kappa * is below "
        "--warmth-judge-min-kappa=0.6. *"
    ])  # fmt: skip
    assert "Traceback" not in result.stderr.str()
