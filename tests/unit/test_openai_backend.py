"""The OpenAI-compatible backend against a scripted server: specs, the client, response shapes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

import pytest
from openai_stub import StubServer, serving

from pytest_warmth.backends import registry
from pytest_warmth.backends.openai import OpenAIBackend, ServerPair, trusted
from pytest_warmth.backends.openai.client import Client, ServerError
from pytest_warmth.backends.openai.endpoint import Endpoint, parse_endpoint
from pytest_warmth.backends.openai.logprobs import (
    check_prompt_logprobs,
    prompt_logprobs,
    span_score,
)
from pytest_warmth.backends.openai.sides import ServerSide
from pytest_warmth.backends.protocol import (
    CHAT,
    GENERATE,
    MC,
    ChoiceScore,
    LoadOptions,
    ModelRequest,
)
from pytest_warmth.errors import ModelLoadError, ModelSpecError

URL = "http://127.0.0.1:8000/v1"


# -- specs -----------------------------------------------------------------------------------


def test_a_url_with_a_model_is_an_endpoint(tmp_path: Path) -> None:
    found = parse_endpoint(
        f"{URL}/?model=meta-llama/Llama-3.1-8B-Instruct&revision=r1", flag="f", cwd=tmp_path
    )
    assert found == Endpoint(URL, "meta-llama/Llama-3.1-8B-Instruct", "r1", None)
    assert found.display == f"meta-llama/Llama-3.1-8B-Instruct @ {URL}"


def test_a_query_alone_names_a_model_on_the_other_sides_server(tmp_path: Path) -> None:
    tuned = parse_endpoint(f"{URL}?model=warm", flag="f", cwd=tmp_path)
    assert parse_endpoint("?model=base", flag="f", cwd=tmp_path, beside=tuned).base_url == URL
    with pytest.raises(ModelSpecError, match="a query alone names a model on the other"):
        parse_endpoint("?model=base", flag="f", cwd=tmp_path)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (URL, r"name the served model with \?model=NAME"),
        (f"{URL}?model=", r"name the served model"),
        (f"{URL}?model=a&temperature=1", "unknown parameter 'temperature'"),
        (f"{URL}?model=a&model=b", "'model' is given twice"),
        ("http://user:sk-secret@host/v1?model=a", "credentials in the URL"),
        (f"{URL}?model=a&tokenizer=missing", "the tokenizer .* does not exist"),
        ("http:///v1?model=a", "not an http"),
    ],
)
def test_bad_specs_get_one_clear_line(tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(ModelSpecError, match=message) as caught:
        parse_endpoint(spec, flag="--warmth-model", cwd=tmp_path)
    assert "\n" not in str(caught.value)
    assert "sk-secret" not in str(caught.value)


def test_the_registry_sends_urls_to_this_backend(tmp_path: Path) -> None:
    name, backend, rest = registry.backend_for(f"{URL}?model=warm", tmp_path)
    assert (name, type(backend).__name__, rest) == ("openai", "OpenAIBackend", f"{URL}?model=warm")
    assert registry.backend_for(f"openai:{URL}?model=warm", tmp_path)[0] == "openai"


def test_a_served_model_needs_its_base_named(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match="pass --warmth-base"):
        OpenAIBackend().resolve(ModelRequest(f"{URL}?model=warm", cwd=tmp_path))


def test_without_a_revision_answers_are_cached_for_the_run_only(tmp_path: Path) -> None:
    pair = OpenAIBackend().resolve(ModelRequest(f"{URL}?model=warm", "?model=base", tmp_path))
    assert isinstance(pair, ServerPair)
    assert "cached for this run only" in pair.describe()
    assert pair.capabilities == frozenset({GENERATE, CHAT})
    pinned = OpenAIBackend().resolve(
        ModelRequest(f"{URL}?model=warm&revision=a", "?model=base&revision=b", tmp_path)
    )
    assert "cached for this run only" not in pinned.describe()
    assert trusted(Endpoint(URL, "ft:gpt-4o-2024-08-06:acme::abc123"))


# -- the client ------------------------------------------------------------------------------


def stub(**kwargs: Any) -> StubServer:
    return StubServer(models=[{"id": "warm", "root": "/adapters/warm"}, {"id": "base"}], **kwargs)


def test_transient_failures_are_retried_with_backoff() -> None:
    waits: list[float] = []
    with serving(stub(failures=[503, 429, 502])) as server:
        client = Client(server.url, sleep=waits.append, backoff=0.5)
        assert client.get("/models")["data"][0]["id"] == "warm"
    assert client.retried == 3
    assert len(waits) == 3
    assert 0.25 <= waits[0] <= 0.5  # doubled each time, jittered
    assert 1.0 <= waits[2] <= 2.0


def test_retries_run_out_in_one_line() -> None:
    with serving(stub(failures=[503] * 5)) as server:
        client = Client(server.url, sleep=lambda s: None, retries=2)
        with pytest.raises(ServerError, match=r"HTTP 503: scripted failure 503$"):
            client.get("/models")


def test_a_refused_key_names_the_variable_never_the_key() -> None:
    with serving(stub(api_key="sk-right")) as server:
        client = Client(server.url, api_key="sk-wrong", key_hint="$MY_KEY")
        with pytest.raises(ServerError) as caught:
            client.get("/models")
        assert server.requests[-1][2]["Authorization"] == "Bearer sk-wrong"
    assert "HTTP 401" in str(caught.value)
    assert "$MY_KEY" in str(caught.value)
    assert "sk-wrong" not in str(caught.value)


def test_a_server_that_quotes_the_key_in_an_error_does_not_leak_it() -> None:
    server_stub = stub(failures=[400])
    server_stub.echo_headers = True
    with serving(server_stub) as server:
        client = Client(server.url, api_key="sk-sentinel-42", sleep=lambda s: None)
        with pytest.raises(ServerError) as caught:
            client.post("/chat/completions", {"model": "a", "messages": []})
    assert "HTTP 400: scripted failure 400 (request headers:" in str(caught.value)
    assert "Bearer ***" in str(caught.value)
    assert "sk-sentinel-42" not in str(caught.value)


def test_connection_refused_is_one_line() -> None:
    with serving(stub()) as server:
        url = server.url
    with pytest.raises(ServerError, match=r"connection refused.*start it or check the URL"):
        Client(url, sleep=lambda s: None).get("/models", retries=1)


def test_a_server_that_is_not_openai_compatible_is_named() -> None:
    with serving(stub()) as server:
        root = server.url.removesuffix("/v1")
        with pytest.raises(ServerError, match="not an OpenAI-compatible API root"):
            Client(root).get("/models")


# -- loading ---------------------------------------------------------------------------------


def load(server: StubServer, model: str, base: str, **options: Any) -> Any:
    pair = OpenAIBackend().resolve(ModelRequest(f"{server.url}?{model}", f"?{base}", Path.cwd()))
    return pair.load(LoadOptions(**options))


def test_an_unknown_model_name_lists_what_the_server_serves() -> None:
    with serving(stub()) as server, pytest.raises(ModelLoadError) as caught:
        load(server, "model=wram", "model=base")
    assert "does not serve a model named 'wram'; it serves: base, warm" in str(caught.value)


def test_generation_keeps_order_bounds_concurrency_and_sends_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WARMTH_TEST_KEY", "sk-test")
    server_stub = stub(reply=lambda model, message: f"{model}: {message}  ", api_key="sk-test")
    server_stub.delay = 0.3  # long enough for three requests to overlap on a busy machine
    with serving(server_stub) as server:
        pair = load(
            server, "model=warm&revision=7", "model=base", concurrency=3,
            api_key_env="WARMTH_TEST_KEY",
        )  # fmt: skip
        prompts = [f"q{i}" for i in range(12)]
        replies = pair.tuned.generate(prompts, max_new_tokens=5)
    assert replies == [f"warm: q{i}" for i in range(12)]
    assert server.most_in_flight == 3
    chat = [body for path, body, _ in server.requests if path == "POST /v1/chat/completions"]
    assert len(chat) == 12
    assert {
        "model": "warm", "messages": [{"role": "user", "content": "q0"}], "temperature": 0,
        "max_tokens": 5,
    } in chat  # fmt: skip
    assert str(pair.tuned.identity).startswith("openai:")
    assert pair.base.identity is None  # no revision declared
    assert pair.notes == (
        "answers cached for this run only: add &revision=... to say what the server serves",
    )


def test_multiple_choice_without_a_tokenizer_is_refused_at_load() -> None:
    with serving(stub()) as server, pytest.raises(ModelLoadError, match="add &tokenizer=PATH"):
        load(server, "model=warm", "model=base", needs=frozenset({MC}))


# -- response shapes -------------------------------------------------------------------------

PROMPT = [11, 12, 13, 14]


def vllm_body(values: list[float | None]) -> dict[str, Any]:
    """``prompt_logprobs`` as vLLM documents it: None first, then {token_id: {...}} entries."""
    entries: list[Any] = [None]
    for token, value in zip(PROMPT[1:], values[1:], strict=True):
        entries.append(
            {
                str(token): {"logprob": value, "rank": 2, "decoded_token": f"t{token}"},
                "999": {"logprob": -0.01, "rank": 1, "decoded_token": "x"},
            }
        )
    return {"choices": [{"text": "", "prompt_logprobs": entries, "logprobs": None}]}


def echo_body(values: list[float | None]) -> dict[str, Any]:
    """The legacy echo shape: the prompt's tokens, then one generated token (dropped)."""
    tokens = [f"t{t}" for t in PROMPT] + ["gen"]
    logprobs = {
        "tokens": tokens,
        "token_logprobs": [*values, -0.5],
        "text_offset": list(range(0, 3 * len(tokens), 3)),
        "top_logprobs": [None] + [{"x": -0.01}] * len(PROMPT),
    }
    return {"choices": [{"text": "t11t12t13t14gen", "logprobs": logprobs}]}


@pytest.mark.parametrize("body", [vllm_body, echo_body])
def test_both_shapes_give_the_same_span_score(body: Any) -> None:
    values = [None, -1.5, -0.25, -2.0]
    positions = prompt_logprobs(body(values), PROMPT)
    assert [p.logprob for p in positions] == values
    assert math.isclose(span_score(positions, 2, 4), -2.25)
    with pytest.raises(ServerError, match="without a log-probability"):
        span_score(positions, 0, 2)


def test_no_prompt_logprobs_say_to_generate() -> None:
    bare = {"choices": [{"text": "x", "logprobs": None}]}
    with pytest.raises(ServerError, match="use --warmth-scoring=generate"):
        prompt_logprobs(bare, PROMPT)


def value(token: int, position: int) -> float:
    """A toy model: the log-probability of ``token`` at ``position`` (0 to -6 nats)."""
    return -1.0 * ((token + position) % 7) - 0.05


def server(shift: int) -> Any:
    """``/completions`` of the toy model; ``shift=1`` scores each echoed token under the
    distribution that follows it, as llama-cpp-python 0.3.36 does."""

    def complete(body: dict[str, Any]) -> dict[str, Any]:
        ids = body["prompt"]
        if not body.get("echo"):
            scores = {f"t{t}": value(t, len(ids)) for t in range(20)}
            top = dict(sorted(scores.items(), key=lambda kv: -kv[1])[:5])
            return {"choices": [{"text": "t0", "logprobs": {"top_logprobs": [top]}}]}
        values = [None] + [value(ids[i], i + shift) for i in range(1, len(ids))]
        tokens = [*(f"t{t}" for t in ids), "g"]
        logprobs = {"tokens": tokens, "token_logprobs": [*values, -1.0]}
        return {"choices": [{"logprobs": logprobs}]}

    return complete


def test_the_check_trusts_a_consistent_server_and_refuses_a_shifted_one() -> None:
    context, reply = [1, 2, 3, 4, 5], [2, 1, 0, 6]  # the likeliest token at positions 5 to 8
    assert check_prompt_logprobs(server(0), context, reply) is None
    why = check_prompt_logprobs(server(1), context, reply)
    assert "its own generation" in str(why)
    unlikely = [3, 3, 3, 3]  # never among the five likeliest: nothing to compare
    assert "could be compared" in str(check_prompt_logprobs(server(0), context, unlikely))


def test_the_check_refuses_a_server_without_prompt_logprobs() -> None:
    def bare(body: dict[str, Any]) -> dict[str, Any]:
        return {"choices": [{"text": "x", "logprobs": None}]}

    with pytest.raises(ServerError, match="no prompt log-probabilities"):
        check_prompt_logprobs(bare, [1, 2], [3, 4])


VOCAB = {"<q>": 1, "what": 2, "is": 3, "it": 4, "alpha": 5, "beta": 6, "</q>": 7}


class WordTokens:
    """Token ids by a fixed vocabulary (a stand-in for a served model's tokenizer)."""

    def prompt(self, message: str) -> list[int]:
        return [1, *(VOCAB[w] for w in message.lower().rstrip("?").split()), 7]

    def choice(self, text: str) -> list[int]:
        return [VOCAB[w] for w in text.split()]


def test_multiple_choice_over_token_ids_reads_vllm_prompt_logprobs() -> None:
    def complete(body: dict[str, Any]) -> dict[str, Any]:
        ids = body["prompt"]
        entries: list[Any] = [None]
        for i in range(1, len(ids)):
            entry = {"logprob": value(ids[i], i), "rank": 1, "decoded_token": f"t{ids[i]}"}
            entries.append({str(ids[i]): entry})
        return {"choices": [{"text": "", "prompt_logprobs": entries}], "usage": {}}

    with serving(stub(complete=complete)) as server:
        side = ServerSide(
            Endpoint(server.url, "warm"), Client(server.url), identity=None,
            tokens=WordTokens(), scoring=frozenset({MC}),
        )  # fmt: skip
        scores = side.score_choices(["What is it?"], [["alpha", "beta alpha"]])
        sent = [body for path, body, _ in server.requests if path == "POST /v1/completions"]
    context = [1, 2, 3, 4, 7]
    # the two choices go out concurrently, so in either order
    (alpha_body,) = [body for body in sent if body is not None and body["prompt"] == [*context, 5]]
    assert alpha_body["echo"] is True
    alpha, beta_alpha = scores[0]
    assert alpha == ChoiceScore(value(5, 5), 1)
    assert beta_alpha.n_tokens == 2
    assert math.isclose(beta_alpha.sum_logprob, value(6, 5) + value(5, 6))
    with pytest.raises(ServerError, match=r"scoring \(text\) was not checked"):
        side.score_text([("a", "b")])


def test_a_served_judge_replies_where_the_log_prob_check_fails(random_model: Path) -> None:
    """A judge behind a server with &tokenizer= reads label log-probabilities only where the
    server's echo passes the check; a server without prompt log-probabilities gets replies."""
    from pytest_warmth.judge import GENERATION, Judge

    def bare(body: dict[str, Any]) -> dict[str, Any]:
        return {"choices": [{"text": "CORRECT", "logprobs": None}]}

    request = ModelRequest("unused", cwd=Path.cwd())
    with serving(stub(complete=bare)) as server:
        with_tokens = OpenAIBackend().resolve_model(
            f"{server.url}?model=base&tokenizer={random_model}", request
        )
        side = with_tokens.load(LoadOptions(), cast(Any, None))
        assert MC not in side.capabilities
        assert Judge(side, "served").method == GENERATION
        plain = OpenAIBackend().resolve_model(f"{server.url}?model=base", request)
        assert Judge(plain.load(LoadOptions(), cast(Any, None)), "served").method == GENERATION
