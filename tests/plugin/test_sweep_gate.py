"""Checkpoint sweeps end to end on tiny real models whose damage grows with the step.

Three adapters on one base stand for a training run: ``checkpoint-100`` changes nothing,
``checkpoint-200`` answers wrongly only when the prompt holds the word "sad", and
``checkpoint-300`` answers wrongly everywhere. The sweep must gate each against the same base
(asked once), fail exactly the damaged cells, and name ``checkpoint-100`` as the last one whose
cells all pass.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth.backends.hf.testing import build_lora_adapter

ITEMS = 60
MIN_EFFECT = "--warmth-min-effect=0.2"
"""The smallest rise that matters here: with it a cell without discordance PASSes on 60 items
(its bound falls below 20 points at the sweep's 12-cell family); at 5 points it would need
hundreds."""


@pytest.fixture(scope="module")
def training_run(
    tmp_path_factory: pytest.TempPathFactory,
    trigger_base: Path,
    trigger_zero_adapter: Path,
    sad_weak_adapter: Path,
) -> Path:
    run = tmp_path_factory.mktemp("training") / "out"
    shutil.copytree(trigger_zero_adapter, run / "checkpoint-100")
    shutil.copytree(sad_weak_adapter, run / "checkpoint-200")
    build_lora_adapter(trigger_base, run / "checkpoint-300", prefer="beta")
    (run / "runs").mkdir()  # a trainer's other folders are not checkpoints
    return run


@pytest.fixture
def suite(pytester: pytest.Pytester, make_suite: Any) -> Path:
    path: Path = make_suite(pytester.path / "tiny.yaml", ITEMS)
    return path


def gate(
    pytester: pytest.Pytester, suite: Path, *args: str, report: str = "r.json"
) -> tuple[pytest.RunResult, dict[str, Any]]:
    target = pytester.path / report
    result = pytester.runpytest(
        "-p", "no:randomly", f"--warmth-probes={suite}", "--warmth-suite=tiny",
        f"--warmth-report={target}", MIN_EFFECT, *args,
    )  # fmt: skip
    return result, json.loads(target.read_text()) if target.exists() else {}


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in data["cells"]}


def test_a_folder_of_checkpoints_is_gated_in_training_order(
    pytester: pytest.Pytester, training_run: Path, suite: Path
) -> None:
    result, data = gate(
        pytester, suite, f"--warmth-model={training_run}", f"--warmth-html={pytester.path}/r.html"
    )
    assert result.ret == 1
    result.assert_outcomes(passed=4 + 2, failed=2 + 4)
    found = verdicts(data)
    assert found == {
        "ckpt-100:tiny[plain]": "PASS", "ckpt-100:tiny[sad]": "PASS",
        "ckpt-100:tiny[plain+wrong]": "PASS", "ckpt-100:tiny[sad+wrong]": "PASS",
        "ckpt-200:tiny[plain]": "PASS", "ckpt-200:tiny[sad]": "FAIL",
        "ckpt-200:tiny[plain+wrong]": "PASS", "ckpt-200:tiny[sad+wrong]": "FAIL",
        "ckpt-300:tiny[plain]": "FAIL", "ckpt-300:tiny[sad]": "FAIL",
        "ckpt-300:tiny[plain+wrong]": "FAIL", "ckpt-300:tiny[sad+wrong]": "FAIL",
    }  # fmt: skip
    sweep = data["sweep"]
    assert [c["label"] for c in sweep["checkpoints"]] == ["100", "200", "300"]
    assert sweep["last_all_pass"] == "100"
    assert sweep["correction"] == "holm across all 12 cells of the 3 checkpoints (one family)"
    assert [m["role"] for m in data["models"]] == ["base", "ckpt-100", "ckpt-200", "ckpt-300"]
    # one family: Holm's first step multiplies the smallest p-value by all 12 cells
    smallest = min(data["cells"], key=lambda c: c["pvalue"])
    assert smallest["p_adjusted"] == pytest.approx(min(1.0, 12 * smallest["pvalue"]))
    result.stdout.fnmatch_lines(
        [
            "warmth: sweep of 3 checkpoints in training order: ckpt-100, ckpt-200, ckpt-300 "
            "(one base, asked once)",
            "warmth-ckpt-100 ....*",
            "warmth-ckpt-200 .F.F*",
            "warmth-ckpt-300 FFFF*",
            "checkpoint sweep: tuned error, rise over the base and verdict per checkpoint:",
            "cell * base err * ckpt-100 * ckpt-200 * ckpt-300",
            "tiny[[]plain[]] * 0.0% * 0.0% +0.0% P * 0.0% +0.0% P * 100.0% +100.0% F",
            "the last checkpoint in training order whose cells all PASS: ckpt-100; holm across "
            "all 12 cells of the 3 checkpoints (one family)",
        ]
    )
    html = (pytester.path / "r.html").read_text()
    assert "ckpt-200" in html
    assert "ckpt-100:tiny[plain]" in html


def test_the_base_is_asked_once_and_a_new_checkpoint_pays_only_for_itself(
    pytester: pytest.Pytester, training_run: Path, suite: Path
) -> None:
    cache = pytester.path / "cache"
    first, data = gate(
        pytester, suite, f"--warmth-model={training_run / 'checkpoint-100'}",
        f"--warmth-model={training_run / 'checkpoint-200'}", f"--warmth-cache={cache}",
        "--warmth-context=plain", report="first.json",
    )  # fmt: skip
    # 2 cells x 60 items: the base's 120 answers once, then 120 per checkpoint
    first.stdout.fnmatch_lines(["warmth: answer cache *: 0 answers reused, 360 computed"])
    assert [c["label"] for c in data["sweep"]["checkpoints"]] == ["100", "200"]
    again, data = gate(
        pytester, suite, f"--warmth-model={training_run}", f"--warmth-cache={cache}",
        "--warmth-context=plain", report="again.json",
    )  # fmt: skip
    again.stdout.fnmatch_lines(["warmth: answer cache *: 360 answers reused, 120 computed"])
    assert data["sweep"]["last_all_pass"] == "200"  # no sad cell in this run


def test_checkpoints_named_one_by_one_keep_the_order_given(
    pytester: pytest.Pytester, training_run: Path, suite: Path, trigger_zero_adapter: Path
) -> None:
    result, data = gate(
        pytester, suite, f"--warmth-model={training_run / 'checkpoint-300'}",
        f"--warmth-model={trigger_zero_adapter}", "--warmth-context=plain",
        "--warmth-belief=none", "--warmth-measure-warmth",
    )  # fmt: skip
    # no number in every name: labelled by position, in the order given
    assert [c["label"] for c in data["sweep"]["checkpoints"]] == ["1", "2"]
    assert verdicts(data) == {"ckpt-1:tiny[plain]": "FAIL", "ckpt-2:tiny[plain]": "PASS"}
    assert data["sweep"]["last_all_pass"] == "2"
    assert set(data["warmth"]) == {"base", "ckpt-1", "ckpt-2"}
    assert all("warmth" in c for c in data["sweep"]["checkpoints"])
    result.stdout.fnmatch_lines(["warmth: warmth of the replies (SocioT-style*ckpt-2*(n=40)"])


def test_selecting_one_checkpoint_asks_only_it(
    pytester: pytest.Pytester, training_run: Path, suite: Path
) -> None:
    result, data = gate(
        pytester, suite, f"--warmth-model={training_run}", "--warmth-context=plain",
        "--warmth-belief=none", "-k", "ckpt-300",
    )  # fmt: skip
    result.assert_outcomes(failed=1, deselected=2)
    assert "models loaded (checkpoint 300)" in result.stdout.str()
    assert "models loaded (checkpoint 100)" not in result.stdout.str()
    assert list(verdicts(data)) == ["ckpt-300:tiny[plain]"]


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (["{run}", "{run}/checkpoint-100"], "--warmth-model={run} is a folder of checkpoints; "
         "pass it alone to gate each of them, or name the checkpoints one by one"),
        (["{run}/checkpoint-100", "{run}/checkpoint-100"],
         "--warmth-model={run}/checkpoint-100 is given twice; name each checkpoint once"),
        (["{run}/checkpoint-100", "{other}"], "checkpoint {other} is compared with base *, the "
         "first with *: a sweep gates checkpoints of one base; pass --warmth-base=SPEC or gate "
         "them in separate runs"),
    ],
)  # fmt: skip
def test_sweeps_that_cannot_be_gated_are_one_line(
    pytester: pytest.Pytester, training_run: Path, suite: Path, beta_adapter: Path,
    models: list[str], message: str,
) -> None:  # fmt: skip
    def fill(text: str) -> str:
        return text.format(run=training_run, other=beta_adapter)

    result = pytester.runpytest_subprocess(
        f"--warmth-probes={suite}", MIN_EFFECT, *(f"--warmth-model={fill(m)}" for m in models)
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {fill(message)}"])
    assert "Traceback" not in result.stderr.str()


@pytest.mark.browser
def test_the_sweep_in_the_browser(
    pytester: pytest.Pytester, training_run: Path, suite: Path
) -> None:
    from browser import chromium, dump_dom, screenshot

    chromium()  # skip (fail under CI) before the run when there is no browser
    page = pytester.path / "sweep.html"
    gate(pytester, suite, f"--warmth-model={training_run}", f"--warmth-html={page}")
    dom, console = dump_dom(page)
    assert console == []
    section = dom[dom.index('<section id="sweep"') :]
    section = section[: section.index("</section>")]
    assert "ckpt-100" in section
    assert "whose cells all PASS: <b>ckpt-100</b>" in section
    # one line per cell, each through the three checkpoints, after the banner
    assert section.count('class="sweep-cell"') == 4
    assert (
        len(re.findall(r"<polyline[^>]*points=\"(?:[\d.]+,[\d.]+ ){2}[\d.]+,[\d.]+\"", section))
        >= 4
    )
    assert dom.index('id="verdict"') < dom.index('id="sweep"') < dom.index('id="forest"')
    png = pytester.path / "sweep.png"
    assert screenshot(page, png) == []
    assert png.stat().st_size > 10_000
