"""Where models go: the device decision, the memory budget, and how placement is described."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_warmth.backends.hf.placement import (
    Placement,
    describe_placement,
    input_device,
    plan_placement,
)
from pytest_warmth.errors import ModelLoadError
from pytest_warmth.option_values import parse_max_memory


def gpus(count: int) -> Any:
    """What the decision reads from torch: whether CUDA is there and how many GPUs it sees."""
    cuda = SimpleNamespace(is_available=lambda: count > 0, device_count=lambda: count)
    mps = SimpleNamespace(is_available=lambda: False)
    return SimpleNamespace(cuda=cuda, backends=SimpleNamespace(mps=mps))


@pytest.mark.parametrize(
    ("name", "count", "device", "shard"),
    [("auto", 0, "cpu", False), ("auto", 1, "cuda", False), ("auto", 4, "cuda:0", True),
     ("shard", 1, "cuda:0", True), ("cuda", 2, "cuda", False), ("cpu", 8, "cpu", False)],
)  # fmt: skip
def test_device_decision(name: str, count: int, device: str, shard: bool) -> None:
    placement = plan_placement(name, (), gpus(count))
    assert (placement.device, placement.shard) == (device, shard)
    assert ("device_map" in placement.load_kwargs()) is shard


def test_memory_budget_goes_to_accelerate() -> None:
    placement = plan_placement("shard", parse_max_memory("0=70GiB, 1=70GiB,cpu=100GB"), gpus(2))
    assert placement.load_kwargs() == {
        "device_map": "auto", "max_memory": {0: "70GiB", 1: "70GiB", "cpu": "100GB"}
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "count", "memory", "message"),
    [("shard", 0, "", "splits a model across CUDA GPUs, but none is visible"),
     ("cuda", 0, "", "no CUDA device is visible; use cpu"),
     ("mps", 0, "", "--warmth-device=mps but no Apple GPU (MPS) is available"),
     ("shard", 2, "0=10GiB,2=10GiB", "names GPU 2, but 2 GPU(s) are visible")],
)  # fmt: skip
def test_impossible_placements_are_one_line(
    name: str, count: int, memory: str, message: str
) -> None:
    budget = parse_max_memory(memory) if memory else ()
    with pytest.raises(ModelLoadError, match=re.escape(message)):
        plan_placement(name, budget, gpus(count))


@pytest.mark.parametrize("text", ["0=70", "gpu0=70GiB", "0=70GiB,0=60GiB", "0:70GiB", "=1GB"])
def test_bad_memory_budgets_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_max_memory(text)


def sharded(device_map: dict[str, Any]) -> Any:
    return SimpleNamespace(hf_device_map=device_map)


def test_a_sharded_model_says_where_its_layers_sit() -> None:
    module = sharded(
        {"model.embed_tokens": 0, "model.layers.0": 0, "model.layers.1": 1,
         "model.norm": 1, "lm_head": 1}
    )  # fmt: skip
    assert input_device(module, "cpu") == "cuda:0"
    assert describe_placement("base", module, "cuda:0") == [
        "base sharded over 2 devices (cuda:0: model.embed_tokens .. model.layers.0; "
        "cuda:1: model.layers.1 .. lm_head)"
    ]


def test_spilling_to_cpu_or_disk_is_said() -> None:
    module = sharded({"model.embed_tokens": 0, "model.layers.0": "cpu", "lm_head": "disk"})
    lines = describe_placement("tuned", module, "cuda:0")
    assert lines[1].startswith("tuned: part of the model did not fit the GPUs and runs from cpu")
    assert "raise --warmth-max-memory" in lines[1]


def test_an_unsharded_model_sits_on_its_device() -> None:
    assert describe_placement("base", object(), "cuda") == ["base on cuda"]
    assert input_device(object(), "mps") == "mps"
    assert Placement("cpu").load_kwargs() == {}


def test_a_bad_budget_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--warmth-model=smollm2", "--warmth-max-memory=0=lots")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --warmth-max-memory=0=lots: expected DEVICE=SIZE pairs*"])


def test_accelerate_places_a_real_model(alpha_model: Path, beta_adapter: Path) -> None:
    """The sharded load path (device map and memory budget through transformers, an adapter on
    the placed model) on the one device here, the CPU: the same numbers as a plain load."""
    from pytest_warmth.backends.hf import engine
    from pytest_warmth.backends.hf.loading import load_adapter, load_model, load_tokenizer
    from pytest_warmth.backends.hf.spec import ModelSpec, SpecKind

    spec = ModelSpec(str(alpha_model), SpecKind.DIRECTORY, path=alpha_model)
    placed = load_model(spec, placement=Placement("cpu", shard=True, max_memory={"cpu": "2GiB"}))
    assert describe_placement("base", placed, "cpu") == ["base on cpu"]
    tokenizer = load_tokenizer(spec)
    prompts, choices = ["what is the answer"], [["alpha", "beta"]]

    def picks(module: Any) -> list[float]:
        rows = engine.score_choices(module, tokenizer, prompts, choices, batch_size=1)
        return [s.sum_logprob for s in rows[0]]

    plain = picks(load_model(spec))
    assert picks(placed) == pytest.approx(plain)
    adapter = ModelSpec(str(beta_adapter), SpecKind.ADAPTER, path=beta_adapter)
    tuned = picks(load_adapter(placed, adapter))
    assert plain[0] > plain[1]  # alpha answers alpha
    assert tuned[1] > tuned[0]  # the planted adapter answers beta
