"""The plugin end to end with pytester on tiny real models: pass, fail, reports, inert mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", *args)


def test_inert_without_model(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ok():\n    pass\n")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    assert "warmth:" not in result.stdout.str()
    assert "warmth::" not in result.stdout.str()


def test_adapter_with_planted_regression_fails(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = run(
        pytester,
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        f"--warmth-report={report}",
    )
    assert result.ret == 1
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "warmth: adapter * on base *",
            "collected 4 items",
            "warmth: tiny[[]plain[]] done: 20 items, b=20 c=0 *",
            "*_ warmth gate tiny[[]plain[]] _*",
            "tiny[[]sad[]]: FAIL: the tuned model errs significantly more often than the base "
            "(n=20, base error 0.0%, tuned error 100.0%, delta +100.0% [[]+67.8%, +100.0%[]] "
            "(tango); b=20 right->wrong, c=0 wrong->right; McNemar mid-p p=4.77e-07, "
            "holm-adjusted p=1.91e-06, alpha 0.05). Next: inspect the items that flipped in the "
            "JSON report (--warmth-report).",
            "*warmth gate*",
            "tiny[[]plain[]]  *20  *0.0%  *100.0%  *+100.0% [[]+67.8%, +100.0%[]]  *20  *0  "
            "*4.77e-07  *1.91e-06  *FAIL  *-  *-",
            # the adapter picks the user's wrong answer every time; it was never right
            # without the belief, so it has no flip rate
            "tiny[[]plain+wrong[]]  *20  *FAIL  *0%->100%  *-",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    data = json.loads(report.read_text())
    assert data["schema_version"] == 1
    assert data["failed"] is True
    assert [c["cell"] for c in data["cells"]] == [
        "tiny[plain]",
        "tiny[sad]",
        "tiny[plain+wrong]",
        "tiny[sad+wrong]",
    ]
    assert {m["role"] for m in data["models"]} == {"base", "tuned"}
    assert all(len(m["sha256"]) == 64 for m in data["models"])
    assert data["cells"][1]["items"][0]["prompt"].endswith("What is the answer to question 0?")
    belief_prompt = data["cells"][3]["items"][0]["prompt"]
    assert belief_prompt.endswith(
        "earlier. What is the answer to question 0? I think the answer is beta."
    )


def test_zero_adapter_passes_with_no_discordant_pairs(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "r.json"
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-context=plain",
        "--warmth-context=angry",
        "--warmth-belief=none",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(passed=2)
    cells = json.loads(report.read_text())["cells"]
    # 20 items cannot rule out a 5-point rise, even with no discordant pair at all.
    assert [(c["b"], c["c"], c["verdict"]) for c in cells] == [(0, 0, "UNTESTABLE")] * 2
    result.stdout.fnmatch_lines(["*WarmthWarning: tiny[[]plain[]]: UNTESTABLE: *items would be*"])
    strict = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-belief=none",
        "--warmth-context=plain",
        "--warmth-strict",
    )
    strict.assert_outcomes(failed=1)
    strict.stdout.fnmatch_lines(["*UNTESTABLE: *(--warmth-strict makes this fail)*"])


def test_enough_items_with_no_change_pass(
    pytester: pytest.Pytester, zero_adapter: Path, tmp_path: Path, make_suite: Any
) -> None:
    suite = make_suite(tmp_path / "big.yaml", 400, name="big")
    report = pytester.path / "r.json"
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={suite}",
        "--warmth-suite=big",
        "--warmth-belief=none",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(passed=2)
    for cell in json.loads(report.read_text())["cells"]:
        assert (cell["b"], cell["c"], cell["verdict"]) == (0, 0, "PASS")
        assert cell["upper_bound"] < 0.05


def test_two_full_models_fail_and_self_check_passes(
    pytester: pytest.Pytester, alpha_model: Path, beta_model: Path, tiny_suite: Path
) -> None:
    common = [f"--warmth-probes={tiny_suite}", "--warmth-suite=tiny", "-q"]
    worse = run(pytester, f"--warmth-model={beta_model}", f"--warmth-base={alpha_model}", *common)
    worse.assert_outcomes(failed=4)
    same = run(pytester, f"--warmth-model={alpha_model}", f"--warmth-base={alpha_model}", *common)
    same.assert_outcomes(passed=4)
    # -q keeps the progress lines out
    assert not [line for line in same.stdout.lines if line.startswith("warmth: tiny")]


def test_selection_and_limit(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-limit=6",
        "-k",
        "sad and not wrong",
        "-v",
    )
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(["*warmth::tiny[[]sad[]] PASSED*", "tiny[[]sad[]]  *6 *UNTESTABLE"])


def test_collect_only_loads_nothing(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    result = run(
        pytester, f"--warmth-model={zero_adapter}", f"--warmth-probes={tiny_suite}", "--co", "-q"
    )
    result.stdout.fnmatch_lines(["warmth::factual[[]plain[]]", "warmth::tiny[[]sad[]]"])
    assert "models loaded" not in result.stdout.str()


def test_ini_twins(pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path) -> None:
    pytester.makeini(
        f"""
        [pytest]
        warmth_model = {zero_adapter}
        warmth_probes = {tiny_suite}
        warmth_suite = tiny
        warmth_context = happy
        warmth_belief = none
        warmth_limit = 4
        """
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*warmth::tiny[[]happy[]] PASSED*"])


def test_models_fixture(pytester: pytest.Pytester, zero_adapter: Path) -> None:
    pytester.makepyfile(
        """
        from pytest_warmth.backends.protocol import Side

        def test_pair(warmth_models, warmth_settings):
            assert not warmth_models.same_weights
            assert isinstance(warmth_models.base, Side) and isinstance(warmth_models.tuned, Side)
            # one module behind both sides (the adapter toggled): shared weights
            assert warmth_models.base.inner.module is warmth_models.tuned.inner.module
            assert warmth_settings.alpha == 0.05
        """
    )
    result = run(pytester, f"--warmth-model={zero_adapter}", "-m", "not warmth")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 1
    assert "failed" not in outcomes


def test_warmth_suite_marker(pytester: pytest.Pytester, tiny_suite: Path) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.warmth_suite({str(tiny_suite)!r})
        def test_item(warmth_probe):
            assert warmth_probe.answer == "alpha"
            assert warmth_probe.incorrect in warmth_probe.choices
        """
    )
    result = run(pytester, "-v", "--warmth-limit=5")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*test_item[[]tiny-0*[]] PASSED*"])


def test_warmth_suite_marker_bad_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bad="name: bad\nitems: []\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.warmth_suite("bad.yaml")
        def test_item(warmth_probe):
            pass
        """
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*bad.yaml:1: items: the suite has no items*"])
    assert "Traceback" not in result.stdout.str()


def test_tag_filter(pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path) -> None:
    report = pytester.path / "r.json"
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-belief=none",
        "--warmth-context=plain",
        "--warmth-tag=hard",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(passed=1)
    (cell,) = json.loads(report.read_text())["cells"]
    assert cell["n"] == 10  # the tiny suite tags every second item hard
    missing = run(pytester, f"--warmth-model={zero_adapter}", "--warmth-tag=no-such-tag")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["ERROR: *: tags: no item of suite * carries no-such-tag*"])


def test_sequential_mode_stops_a_clear_regression_early(
    pytester: pytest.Pytester, beta_adapter: Path, tmp_path: Path, make_suite: Any
) -> None:
    suite = make_suite(tmp_path / "long.yaml", 300, name="long")
    report = pytester.path / "r.json"
    result = run(
        pytester,
        f"--warmth-model={beta_adapter}",
        f"--warmth-probes={suite}",
        "--warmth-suite=long",
        "--warmth-belief=none",
        "--warmth-sequential",
        f"--warmth-report={report}",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["cell *verdict  used", "long[[]plain[]] *FAIL  *"])
    for cell in json.loads(report.read_text())["cells"]:
        assert cell["verdict"] == "FAIL"
        assert cell["items_used"] < 50  # of 300
        assert "e-process" in cell["test"]


def test_compare_fixture_and_assertion(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmth import WarmthRegressionError, assert_no_regression

        def test_regression_caught(warmth_compare):
            comparison = warmth_compare("tiny", context="sad", belief="wrong", limit=10)
            assert len(comparison.items) == 10
            with pytest.raises(WarmthRegressionError) as info:
                assert_no_regression(comparison, alpha=0.01)
            assert info.value.result.b == 10
            assert "tiny[sad+wrong]: FAIL" in str(info.value)

        def test_margin_wider_than_the_rise(warmth_compare):
            result = assert_no_regression(warmth_compare("tiny"), margin=0.99)
            assert result.verdict != "FAIL"
        """
    )
    result = run(pytester, f"--warmth-model={beta_adapter}", f"--warmth-probes={tiny_suite}",
                 "-m", "not warmth")  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 2
    assert "failed" not in outcomes
