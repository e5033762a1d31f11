"""Generate mode end to end on tiny real models: greedy replies, the grader, the judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_warmth.backends.hf.testing import build_tiny_model


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def cells_of(report: Path) -> list[dict[str, object]]:
    return list(json.loads(report.read_text())["cells"])


def test_generated_replies_are_graded_and_a_regression_fails(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = run(
        pytester,
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-scoring=generate",
        "--warmth-max-new-tokens=3",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "warmth: scoring tiny=generate (max_new_tokens=3, grader: rules)",
            "*tiny[[]plain+wrong[]]  *20  *0.0%  *100.0%  *FAIL  *0%->100%  *-",
        ]
    )
    data = json.loads(report.read_text())
    assert data["settings"]["scoring"] == {"tiny": "generate"}
    for cell in data["cells"]:
        assert cell["scoring"] == "generate"
        assert (cell["b"], cell["c"], cell["verdict"]) == (20, 0, "FAIL")
        item = cell["items"][0]
        # the planted models repeat their word: three greedy tokens, graded by the rules
        assert (item["base_answer"], item["tuned_answer"]) == (
            "alpha alpha alpha",
            "beta beta beta",
        )
        assert (item["base_label"], item["tuned_label"]) == ("correct", "incorrect")
        wrong_belief = cell["belief"] == "wrong"
        assert cell["tuned_adoption"] == (1.0 if wrong_belief else None)
        assert cell["base_adoption"] == (0.0 if wrong_belief else None)
        assert item["tuned_adopted"] is (True if wrong_belief else None)


def test_zero_adapter_generates_identical_replies(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-scoring=generate",
        "--warmth-max-new-tokens=2",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(passed=4)
    for cell in cells_of(report):
        assert (cell["b"], cell["c"], cell["base_errors"]) == (0, 0, 0)
        assert (
            cell["base_flip"] == cell["tuned_flip"] == (0.0 if cell["belief"] == "wrong" else None)
        )


def test_suite_default_mode_and_override(
    pytester: pytest.Pytester, beta_adapter: Path, tmp_path: Path, make_suite: object
) -> None:
    suite = make_suite(tmp_path / "gen.yaml", 10, name="gen")  # type: ignore[operator]
    suite.write_text(suite.read_text().replace("scoring: mc", "scoring: generate"))
    report = pytester.path / "report.json"
    args = [
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={suite}",
        "--warmth-suite=gen",
        "--warmth-context=plain",
        "--warmth-belief=none",
        "--warmth-max-new-tokens=1",
        f"--warmth-report={report}",
    ]
    # The profiles score by multiple choice; "suite" keeps the suite's own mode.
    run(pytester, *args).stdout.fnmatch_lines(["warmth: scoring gen=mc"])
    assert cells_of(report)[0]["scoring"] == "mc"
    run(pytester, *args, "--warmth-scoring=suite").stdout.fnmatch_lines(
        ["warmth: scoring gen=generate *"]
    )
    assert cells_of(report)[0]["scoring"] == "generate"


@pytest.fixture(scope="module")
def yes_judge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A judge that always says CORRECT (its vocabulary holds both labels)."""
    root = tmp_path_factory.mktemp("judge")
    return build_tiny_model(root / "yes", prefer="correct", extra_words=["incorrect"])


def test_judge_overrides_the_rules(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path, yes_judge: Path
) -> None:
    report = pytester.path / "report.json"
    result = run(
        pytester,
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-context=plain",
        "--warmth-belief=none",
        "--warmth-scoring=generate",
        "--warmth-max-new-tokens=2",
        f"--warmth-judge={yes_judge}",
        "--warmth-judge-min-kappa=-1",  # accept a judge with no skill, to see it decide
        f"--warmth-report={report}",
    )
    result.stdout.fnmatch_lines([f"warmth: scoring tiny=generate (*grader: judge {yes_judge})"])
    # The rules would fail this cell (beta is wrong); the judge calls every reply correct.
    (cell,) = cells_of(report)
    assert (cell["b"], cell["c"], cell["tuned_errors"]) == (0, 0, 0)
    assert json.loads(report.read_text())["settings"]["judge"] == str(yes_judge)


def test_judge_can_be_the_base_model(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = run(
        pytester,
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-context=plain",
        "--warmth-belief=none",
        "--warmth-scoring=generate",
        "--warmth-max-new-tokens=1",
        "--warmth-judge=base",
        "--warmth-judge-min-kappa=-1",
        f"--warmth-report={report}",
    )
    result.stdout.fnmatch_lines(["warmth: scoring tiny=generate (*grader: judge base)"])
    # The base model (adapter disabled) has neither label in its vocabulary: both score as
    # the unknown token, the tie goes to INCORRECT, so the judge marks even the base's right
    # replies wrong where the rules would have marked them right.
    (cell,) = cells_of(report)
    assert (cell["base_errors"], cell["tuned_errors"]) == (20, 20)


def test_judge_without_generate_mode_warns(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-context=plain",
        "--warmth-belief=none",
        "--warmth-judge=base",
    )
    result.stdout.fnmatch_lines(["*--warmth-judge has no effect: every suite is scored by*"])


def test_a_judge_without_skill_is_refused_before_it_grades(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path, yes_judge: Path
) -> None:
    result = run(
        pytester,
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-scoring=generate",
        f"--warmth-judge={yes_judge}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        f"ERROR: --warmth-judge refused: judge {yes_judge} (label log-probabilities): *% "
        "agreement, kappa 0.00 on 160 labelled replies (the shipped calibration set); kappa 0.00 "
        "is below --warmth-judge-min-kappa=0.6. Use a stronger judge, grade with the rules *"
    ])  # fmt: skip
    assert "Traceback" not in result.stderr.str()


def test_the_rules_are_checked_and_reported(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = run(
        pytester, f"--warmth-model={zero_adapter}", f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny", "--warmth-context=plain", "--warmth-belief=none",
        "--warmth-scoring=generate", "--warmth-max-new-tokens=2", f"--warmth-report={report}",
    )  # fmt: skip
    result.stdout.fnmatch_lines([
        "warmth: grader check: rules: *% agreement, kappa * on 160 labelled replies "
        "(the shipped calibration set)"
    ])  # fmt: skip
    (graders,) = json.loads(report.read_text())["graders"]
    assert graders["grader"] == "rules"
    assert graders["n"] == 160
    assert 0 < graders["kappa"] <= 1
