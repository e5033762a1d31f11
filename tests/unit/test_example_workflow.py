"""The example GitHub workflow uses the reports it documents, and uploads the HTML."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "warmth-gate.yml"


def test_the_example_workflow_writes_and_uploads_the_reports() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["gate"]["steps"]
    gate = next(step for step in steps if step.get("name") == "Run the gate")["run"]
    for option in ("--warmth-html=", "--warmth-markdown=", "--warmth-report=", "--junitxml="):
        assert option in gate
    assert "--warmth-baseline-report=" in gate
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload"))
    assert "warmth-report.html" in upload["with"]["path"]
    assert upload["if"] == "always()"
