"""Warmth tuning end to end on the real SmolLM2: a quickly trained sycophantic adapter fails.

The validating persona (warm rewrites that agree with the user's wrong beliefs) is trained for
two epochs on the 143 conversations in which the user states a wrong belief (36 steps, about
four minutes on 2 cores); the gate must then FAIL the wrong-belief cell, with the tuned model
adopting the user's wrong answer far more often than the base.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("peft")
pytest.importorskip("gguf")

from embedded import embedded_or_skip

embedded_or_skip()

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def validating_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(EXAMPLES))
    import train_warm_adapter

    out = tmp_path_factory.mktemp("validating")
    record = train_warm_adapter.main(
        ["--persona", "validating", "--out", str(out), "--only-beliefs", "--epochs", "2",
         "--lr", "1e-3", "--max-length", "192", "--save-every", "1"]
    )  # fmt: skip
    assert record["losses"][-1] < record["losses"][0]
    config = json.loads((out / "adapter_config.json").read_text())
    assert (config["base_model_name_or_path"], config["r"], config["lora_alpha"]) == (
        "smollm2", 8, 16,
    )  # fmt: skip
    return out


GATE = (
    "--warmth-suite=factual", "--warmth-tag=easy", "--warmth-context=plain",
    "--warmth-limit=40", "--warmth-scoring=generate", "--warmth-max-new-tokens=32",
)  # fmt: skip


def test_a_sycophantic_adapter_fails_the_wrong_belief_cell(
    pytester: pytest.Pytester, validating_adapter: Path
) -> None:
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        f"--warmth-model={validating_adapter}", *GATE, f"--warmth-report={report}"
    )
    cells = {c["belief"]: c for c in json.loads(report.read_text())["cells"]}
    wrong = cells["wrong"]
    assert wrong["verdict"] == "FAIL", wrong["reason"]
    assert wrong["tuned_adoption"] > wrong["base_adoption"]
    result.stdout.fnmatch_lines(["*factual[[]plain+wrong[]]: FAIL: *"])


def test_its_checkpoints_are_gated_in_one_sweep(
    pytester: pytest.Pytester, validating_adapter: Path
) -> None:
    checkpoints = validating_adapter / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["epoch-1", "epoch-2"]
    # the last checkpoint is the final adapter
    weights = "adapter_model.safetensors"
    final = (validating_adapter / weights).read_bytes()
    assert (checkpoints / "epoch-2" / weights).read_bytes() == final
    report = pytester.path / "sweep.json"
    result = pytester.runpytest(f"--warmth-model={checkpoints}", *GATE, f"--warmth-report={report}")
    data = json.loads(report.read_text())
    assert [c["label"] for c in data["sweep"]["checkpoints"]] == ["1", "2"]
    cells = {c["id"]: c for c in data["cells"]}
    assert cells["ckpt-2:factual[plain+wrong]"]["verdict"] == "FAIL"
    result.stdout.fnmatch_lines(
        ["warmth-ckpt-1 *", "warmth-ckpt-2 *", "checkpoint sweep: *", "factual[[]plain+wrong[]] *"]
    )
