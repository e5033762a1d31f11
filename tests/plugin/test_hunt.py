"""--warmth-hunt end to end: hunt items, saved findings re-run by the gate, bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# Imported here, in the outer process: pytester's in-process runs drop the modules they import
# first, and a strategy module re-imported against a dropped Hypothesis would mix two copies
# of Hypothesis's classes.
pytest.importorskip("hypothesis")
import pytest_warmth.strategies  # noqa: F401


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", *args)


@pytest.fixture(autouse=True)
def derandomised(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hunts run as on CI: derandomised, the same examples every run."""
    monkeypatch.setenv("CI", "1")


def test_hunt_finds_saves_and_replays_the_planted_weakness(
    pytester: pytest.Pytester, sad_weak_adapter: Path, tiny_suite: Path
) -> None:
    found = pytester.path / "found"
    report = pytester.path / "report.json"
    common = [
        f"--warmth-model={sad_weak_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-context=sad",
        "--warmth-belief=none",
    ]
    result = run(
        pytester,
        *common,
        "--warmth-hunt",
        "--warmth-max-examples=100",
        f"--warmth-save-failures={found}",
        f"--warmth-report={report}",
        f"--junitxml={pytester.path / 'junit.xml'}",
    )
    result.assert_outcomes(failed=3)  # the gate cell and both hunts
    result.stdout.fnmatch_lines(
        [
            "warmth: hunt tiny[[]keeps_answer[]]: 3 found in * examples, * model calls *",
            "warmth: hunt tiny[[]resists_belief[]]: 3 found in * examples, * model calls *",
            "*warmth: 6 minimal failing variant(s) saved to *found (hunted-tiny.yaml)*",
            "*_ warmth hunt tiny[[]keeps_answer[]] _*",
            "tiny[[]keeps_answer[]]: 3 minimal failing variant(s) after * examples *",
            "keeps_answer: right when asked plainly, wrong when asked this way",
            "*variant: tiny-0* (context=*, belief=none): *sad*",
        ]
    )
    # JUnit: each hunt item carries its figures as flat properties, its findings as failure.
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    hunt = cases["tiny[keeps_answer]"]
    props = {p.get("name"): p.get("value") for p in hunt.iter("property")}
    assert props["warmth.suite"] == "tiny"
    assert props["warmth.property"] == "keeps_answer"
    assert props["warmth.findings"] == "3"
    assert int(props["warmth.examples"] or 0) > 0
    failure = hunt.find("failure")
    assert failure is not None
    assert "3 minimal failing variant(s)" in (failure.text or "")
    # The hunt's findings are not gate cells: the report holds the one gate cell only.
    assert [c["cell"] for c in json.loads(report.read_text())["cells"]] == ["tiny[sad]"]
    # Saved, they run as a fixed suite, asked exactly as they failed (plain, no belief).
    replay = pytester.path / "replay.json"
    again = run(
        pytester,
        f"--warmth-model={sad_weak_adapter}",
        f"--warmth-probes={found}",
        "--warmth-suite=hunted-tiny",
        f"--warmth-report={replay}",
    )
    again.stdout.fnmatch_lines(["*warmth::hunted-tiny[[]plain[]]*"])
    (cell,) = json.loads(replay.read_text())["cells"]
    # Every saved variant still breaks the tuned model and not the base.
    assert (cell["n"], cell["b"], cell["c"]) == (6, 6, 0)


def test_hunt_finds_nothing_without_a_weakness(
    pytester: pytest.Pytester, trigger_zero_adapter: Path, tiny_suite: Path
) -> None:
    found = pytester.path / "found"
    result = run(
        pytester,
        f"--warmth-model={trigger_zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        "--warmth-context=sad",
        "--warmth-belief=none",
        "--warmth-hunt",
        "--warmth-max-examples=30",
        f"--warmth-save-failures={found}",
        "-m",
        "warmth",
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*warmth: the hunt found nothing; * not written*"])
    assert not found.exists()


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--warmth-max-examples=0"], "*max examples must be a positive integer, got 0*"),
        (["--warmth-save-failures=afile.txt"], "*--warmth-save-failures=*afile.txt is a file*"),
        (
            ["--warmth-save-failures=afile.txt/found"],
            "*--warmth-save-failures=*afile.txt/found: cannot write there (*afile.txt is not a "
            "writable directory)*",
        ),
    ],
)
def test_bad_hunt_options(
    pytester: pytest.Pytester, zero_adapter: Path, args: list[str], pattern: str
) -> None:
    pytester.path.joinpath("afile.txt").write_text("x")
    result = pytester.runpytest(f"--warmth-model={zero_adapter}", "--warmth-hunt", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    result.stderr.fnmatch_lines([pattern])


def test_the_hypothesis_example_runs_against_the_loaded_pair(
    pytester: pytest.Pytester, zero_adapter: Path
) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "test_hunt_my_model.py"
    pytester.makepyfile(test_hunt_my_model=example.read_text())
    result = run(pytester, f"--warmth-model={zero_adapter}", "-m", "not warmth")
    # B = 0: both models answer alike, so neither property can fail.
    result.assert_outcomes(passed=2, deselected=20)  # the gate's 5 suites x 4 cells
    skipped = run(pytester, "-m", "not warmth")
    skipped.assert_outcomes(skipped=2)
