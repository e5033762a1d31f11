"""A third-party backend, installed as a distribution with an entry point, runs the gate.

The backend is the README's example, taken from the README itself, so the documented code is
the code that runs. The distribution is real metadata on ``sys.path`` (a ``.dist-info``
folder with ``entry_points.txt``), found by ``importlib.metadata`` as pip-installed ones are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import pytest_warmth.stats  # noqa: F401 - numpy and scipy load once, before pytester's runs
from pytest_warmth.backends import registry

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- example: toy_backend.py -->"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    after = text[text.index(MARKER) + len(MARKER) :]
    match = re.match(r"\s*```python\n(.*?)\n```", after, re.DOTALL)
    assert match is not None, "the README's toy backend example is not a python block"
    return match.group(1) + "\n"


@pytest.fixture
def toy_distribution(pytester: pytest.Pytester) -> Path:
    """``toy_backend`` as an installed distribution registering the ``toy`` backend, and a
    variant that only generates as ``toygen``."""
    site = pytester.mkdir("site")
    example = readme_example()
    (site / "toy_backend.py").write_text(example, encoding="utf-8")
    generate_only = example.replace(
        "capabilities = frozenset({MC, GENERATE})", "capabilities = frozenset({GENERATE})"
    )
    assert generate_only != example
    (site / "toy_generate_only.py").write_text(generate_only, encoding="utf-8")
    info = site / "toy_backend-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-backend\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\ntoy = toy_backend:ToyBackend\n"
        "toygen = toy_generate_only:ToyBackend\n"
    )
    pytester.syspathinsert(site)
    return site


def test_the_registry_finds_the_installed_backend(toy_distribution: Path) -> None:
    assert "toy" in registry.names()
    assert registry.split_scheme("toy:alpha") == ("toy", "alpha")
    assert registry.split_scheme("http://host/v1") == (None, "http://host/v1")
    name, backend, rest = registry.backend_for("toy:alpha", toy_distribution)
    assert (name, rest, type(backend).__name__) == ("toy", "alpha", "ToyBackend")


def test_the_gate_runs_end_to_end_on_the_toy_backend(
    pytester: pytest.Pytester, toy_distribution: Path, tiny_suite: Path
) -> None:
    report = pytester.path / "report.json"
    result = pytester.runpytest(
        "-p", "no:randomly", "--warmth-model=toy:beta", "--warmth-base=toy:alpha",
        f"--warmth-probes={tiny_suite}", "--warmth-suite=tiny", f"--warmth-report={report}",
    )  # fmt: skip
    # the tiny suite's answer is alpha and its tempting wrong answer beta: a planted regression
    assert result.ret == 1
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "warmth: toy keyword 'beta' vs 'alpha'",
            "warmth: models loaded in *s on no device",
            "*warmth gate*",
            "tiny[[]plain[]] * 0.0% * 100.0% * FAIL*",
            f"warmth: answer cache *: 0 answers reused, {2 * 4 * 20} computed",
        ]
    )
    data = json.loads(report.read_text())
    assert [m["spec"] for m in data["models"]] == ["alpha", "beta"]
    assert all(cell["b"] == 20 and cell["c"] == 0 for cell in data["cells"])

    again = pytester.runpytest(
        "-p", "no:randomly", "--warmth-model=toy:beta", "--warmth-base=toy:alpha",
        f"--warmth-probes={tiny_suite}", "--warmth-suite=tiny",
    )  # fmt: skip
    again.stdout.fnmatch_lines([f"warmth: answer cache *: {2 * 4 * 20} answers reused, 0 computed"])


def test_a_scoring_mode_the_backend_lacks_is_a_usage_error(
    pytester: pytest.Pytester, toy_distribution: Path, tiny_suite: Path
) -> None:
    result = pytester.runpytest(
        "--warmth-model=toygen:beta", "--warmth-base=toygen:alpha", f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny", "--warmth-scoring=mc",
    )  # fmt: skip
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*suite 'tiny' is scored by 'mc', which the 'toygen' backend cannot answer*generate*"]
    )
