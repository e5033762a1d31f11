"""JUnit XML: each gate item carries flat, typed properties; the failure text is the verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest


def _cases(xml: Path) -> dict[str, ET.Element]:
    root = ET.parse(xml).getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


def _properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


def test_gate_items_carry_typed_properties(
    pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path
) -> None:
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={beta_adapter}", f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny", f"--junitxml={xml}",
    )  # fmt: skip
    assert result.ret == 1
    cases = _cases(xml)
    assert set(cases) == {"tiny[plain]", "tiny[sad]", "tiny[plain+wrong]", "tiny[sad+wrong]"}
    props = _properties(cases["tiny[sad]"])
    assert props["warmth.suite"] == "tiny"
    assert props["warmth.context"] == "sad"
    assert props["warmth.belief"] == "none"
    assert int(props["warmth.n"]) == 20
    assert (int(props["warmth.b"]), int(props["warmth.c"])) == (20, 0)
    assert float(props["warmth.base_error"]) == 0.0
    assert float(props["warmth.tuned_error"]) == 1.0
    assert float(props["warmth.delta"]) == 1.0
    assert 0.5 < float(props["warmth.ci_lower"]) < float(props["warmth.ci_upper"]) <= 1.0
    assert float(props["warmth.p"]) < float(props["warmth.p_adjusted"]) < 0.05
    assert props["warmth.verdict"] == "FAIL"
    assert int(props["warmth.items_used"]) == 20
    assert not any(value.startswith("{") for value in props.values())  # no stringified dicts
    assert _properties(cases["tiny[sad+wrong]"])["warmth.belief"] == "wrong"
    failure = cases["tiny[sad]"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("tiny[sad]: FAIL: the tuned model errs")
    assert "Traceback" not in (failure.text or "")
    assert "McNemar" in (failure.text or "")


def test_a_passing_cell_has_no_failure(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path
) -> None:
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={zero_adapter}", f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny", "--warmth-context=plain", "--warmth-belief=none",
        f"--junitxml={xml}",
    )  # fmt: skip
    assert result.ret == 0
    (case,) = _cases(xml).values()
    assert case.find("failure") is None
    props = _properties(case)
    assert props["warmth.verdict"] in ("PASS", "UNTESTABLE", "INCONCLUSIVE")
    assert (props["warmth.b"], props["warmth.c"]) == ("0", "0")
