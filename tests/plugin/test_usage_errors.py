"""Bad input: one line that says what is wrong and how to fix it, exit code 4, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_warmth.backends.hf.testing import build_tiny_model


def assert_usage_error(result: pytest.RunResult, *patterns: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    error_text = result.stderr.str()
    assert "Traceback" not in error_text + result.stdout.str()
    result.stderr.fnmatch_lines(list(patterns))


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--warmth-alpha=1.5"], "ERROR: --warmth-alpha=1.5: alpha must be in (0, 1), got 1.5*"),
        (["--warmth-alpha=x"], "*alpha must be a number in (0, 1), got 'x'*"),
        (["--warmth-limit=ten"], "ERROR: --warmth-limit=ten: limit must be a positive integer*"),
        (["--warmth-limit=0"], "*limit must be a positive integer, got 0*"),
        (["--warmth-dtype=int8"], "*unknown dtype 'int8'; choose one of*"),
        (
            ["--warmth-margin=1.2"],
            "ERROR: --warmth-margin=1.2: margin must be in [[]0, 1), got 1.2*",
        ),
        (["--warmth-min-effect=0"], "*min effect must be in (0, 1), got 0*"),
        (["--warmth-test=fisher"], "*unknown test 'fisher'; choose one of: midp, exact, *"),
        (["--warmth-correction=sidak"], "*unknown correction 'sidak'; choose one of: holm*"),
        (["--warmth-interval=wald"], "*unknown interval 'wald'; choose one of: tango, newcombe*"),
        (["--warmth-scoring=judge"], "*unknown scoring mode 'judge'; choose one of: mc, generate*"),
        (["--warmth-max-new-tokens=0"], "*max new tokens must be a positive integer, got 0*"),
        (["--warmth-max-new-tokens=-3"], "*max new tokens must be a positive integer, got -3*"),
    ],
)
def test_bad_option_values(pytester: pytest.Pytester, args: list[str], pattern: str) -> None:
    assert_usage_error(pytester.runpytest("--warmth-model=smollm2", *args), pattern)


def test_noninferiority_needs_a_margin(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--warmth-model=smollm2", "--warmth-noninferiority")
    assert_usage_error(result, "ERROR: --warmth-noninferiority needs a positive --warmth-margin*")


def test_sequential_takes_no_margin(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--warmth-model=smollm2", "--warmth-sequential", "--warmth-margin=0.02"
    )
    assert_usage_error(result, "ERROR: --warmth-sequential tests for any rise*--warmth-margin*")


def test_option_without_model(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--warmth-suite=factual")
    assert_usage_error(result, "ERROR: --warmth-suite needs --warmth-model*")


def test_bad_ini_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwarmth_alpha = 2\n")
    assert_usage_error(pytester.runpytest(), "ERROR: ini option warmth_alpha = '2': alpha must*")


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--warmth-suite=nope"], "ERROR: unknown suite 'nope'; available: *factual*"),
        (["--warmth-context=gloomy"], "ERROR: unknown context 'gloomy'; choose from: plain, *"),
        (["--warmth-belief=maybe"], "ERROR: unknown belief 'maybe'; choose from: none, wrong, *"),
    ],
)
def test_unknown_names(
    pytester: pytest.Pytester, zero_adapter: Path, args: list[str], pattern: str
) -> None:
    assert_usage_error(pytester.runpytest(f"--warmth-model={zero_adapter}", *args), pattern)


def test_missing_path(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--warmth-model=./no/such/model")
    assert_usage_error(result, "ERROR: --warmth-model=./no/such/model: no such file or directory*")


def test_judge_path_missing(pytester: pytest.Pytester, zero_adapter: Path) -> None:
    result = pytester.runpytest(
        f"--warmth-model={zero_adapter}", "--warmth-scoring=generate", "--warmth-judge=./nojudge"
    )
    assert_usage_error(result, "ERROR: --warmth-judge=./nojudge: no such file or directory*")


def test_judge_that_cannot_be_loaded(pytester: pytest.Pytester, zero_adapter: Path) -> None:
    broken = pytester.mkdir("broken-judge")
    (broken / "config.json").write_text('{"model_type": "llama", "vocab_size": "many"}')
    # whole weights (the files are checked before loading), a config that cannot load
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch = pytest.importorskip("torch")
    safetensors_torch.save_file({"w": torch.zeros(2, 2)}, str(broken / "model.safetensors"))
    result = pytester.runpytest(
        f"--warmth-model={zero_adapter}",
        "--warmth-scoring=generate",
        "--warmth-judge=broken-judge",
        "--warmth-limit=2",
    )
    assert_usage_error(
        result,
        "ERROR: --warmth-judge=broken-judge: cannot load the tokenizer from *broken-judge: "
        "*vocab_size*; check that it is a complete transformers model*",
    )


def test_directory_that_is_not_a_model(pytester: pytest.Pytester) -> None:
    pytester.mkdir("stuff")
    result = pytester.runpytest("--warmth-model=stuff")
    assert_usage_error(result, "ERROR: --warmth-model=stuff is neither a model directory*")


def test_adapter_whose_base_is_gone(pytester: pytest.Pytester, zero_adapter: Path) -> None:
    adapter = pytester.mkdir("adapter")
    for file in zero_adapter.iterdir():
        (adapter / file.name).write_bytes(file.read_bytes())
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "/nowhere/base-model"
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    result = pytester.runpytest("--warmth-model=adapter")
    assert_usage_error(
        result,
        "ERROR: the adapter adapter was trained on '/nowhere/base-model'*--warmth-base=SPEC*",
    )


def test_hub_id_offline(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = pytester.runpytest("--warmth-model=acme/warm-model-9b")
    assert_usage_error(result, "ERROR: --warmth-model=acme/warm-model-9b looks like a hub id*")


def test_pickle_weights_need_opt_in(pytester: pytest.Pytester) -> None:
    model = pytester.mkdir("pickled")
    (model / "config.json").write_text("{}")
    (model / "pytorch_model.bin").write_bytes(b"\x80\x04")
    result = pytester.runpytest("--warmth-model=pickled", "--warmth-base=pickled")
    assert_usage_error(
        result, "ERROR: --warmth-model=pickled has only pickle weights*--warmth-allow-pickle*"
    )


def test_unsupported_gguf_architecture(pytester: pytest.Pytester) -> None:
    gguf = pytest.importorskip("gguf")
    path = pytester.path / "odd.gguf"
    writer = gguf.GGUFWriter(str(path), arch="notatransformer")
    writer.add_block_count(1)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    result = pytester.runpytest("--warmth-model=odd.gguf", "--warmth-base=odd.gguf")
    assert_usage_error(
        result, "ERROR: *odd.gguf is a GGUF model of architecture 'notatransformer', which*"
    )


def test_different_vocabularies(pytester: pytest.Pytester, alpha_model: Path) -> None:
    other = build_tiny_model(pytester.path / "other", extra_words=["zebra", "quokka"])
    result = pytester.runpytest(f"--warmth-model={other}", f"--warmth-base={alpha_model}")
    assert_usage_error(
        result, "ERROR: base * use different vocabularies*pass the right --warmth-base"
    )


def test_full_model_needs_a_base(pytester: pytest.Pytester, alpha_model: Path) -> None:
    result = pytester.runpytest(f"--warmth-model={alpha_model}")
    assert_usage_error(result, "ERROR: --warmth-model=* is a full model*pass --warmth-base=SPEC*")


ITEM = (
    "  - id: {id}\n    question: Two plus two?\n    answer: '4'\n    incorrect: '5'\n"
    "    choices: ['3', '4', '5', '6']\n    tags: [easy]\n"
)


@pytest.mark.parametrize(
    ("second_item", "pattern"),
    [
        (ITEM.format(id="a"), "*bad.yaml:9: id: duplicate id 'a' (first on line 3)*"),
        (
            ITEM.format(id="b").replace("    question: Two plus two?\n", ""),
            "*bad.yaml:9: question: missing required field*",
        ),
        (
            ITEM.format(id="b").replace("answer: '4'", "answer: '7'"),
            "*bad.yaml:9: answer: '7' is not among the choices*",
        ),
        (
            ITEM.format(id="b").replace("incorrect: '5'", "incorrect: '4'"),
            "*bad.yaml:9: incorrect: '4' equals the answer or one of its aliases*",
        ),
        (
            ITEM.format(id="b").replace("'5', '6'", "'5'"),
            "*bad.yaml:9: choices: expected exactly 4 choices, got 3*",
        ),
        (
            ITEM.format(id="b").replace("[easy]", "[easy, Hard Stuff]"),
            "*bad.yaml:9: tags: 'Hard Stuff' is not a lower-case slug*",
        ),
    ],
)
def test_invalid_probe_file(
    pytester: pytest.Pytester, zero_adapter: Path, second_item: str, pattern: str
) -> None:
    text = "name: bad\nitems:\n" + ITEM.format(id="a") + second_item
    pytester.makefile(".yaml", bad=text)
    result = pytester.runpytest(f"--warmth-model={zero_adapter}", "--warmth-probes=bad.yaml")
    assert_usage_error(result, "ERROR: " + pattern)


def test_empty_suite_file(pytester: pytest.Pytester, zero_adapter: Path) -> None:
    pytester.makefile(".yaml", empty="name: empty\nitems: []\n")
    result = pytester.runpytest(f"--warmth-model={zero_adapter}", "--warmth-probes=empty.yaml")
    assert_usage_error(result, "ERROR: *empty.yaml:1: items: the suite has no items*")


def test_limit_above_suite_size_warns(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    result = pytester.runpytest(
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-belief=none",
        "--warmth-context=plain",
        "--warmth-limit=500",
    )
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes()["passed"] == 1
    result.stdout.fnmatch_lines(
        ["*WarmthWarning: --warmth-limit=500 is larger than suite 'tiny' (20 items); using all*"]
    )
