"""Security defaults: a model repository's own code never runs unless asked for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest


def test_a_model_that_asks_to_run_its_own_code_is_refused_and_its_code_never_runs(
    pytester: pytest.Pytester, alpha_model: Path
) -> None:
    remote = pytester.path / "remote-model"
    shutil.copytree(alpha_model, remote)
    marker = pytester.path / "EXECUTED"
    config = json.loads((remote / "config.json").read_text())
    config.update(
        model_type="warmth-remote-test",
        auto_map={"AutoConfig": "configuration_remote.RemoteConfig",
                  "AutoModelForCausalLM": "modeling_remote.RemoteModel"},
    )  # fmt: skip
    (remote / "config.json").write_text(json.dumps(config))
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    for module in ("configuration_remote.py", "modeling_remote.py"):
        (remote / module).write_text(code)
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", f"--warmth-model={remote}", f"--warmth-base={alpha_model}",
        "--warmth-limit=2",
    )  # fmt: skip
    output = result.stdout.str() + "\n" + result.stderr.str()
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert not marker.exists()  # the repository's code did not run
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert len(errors) == 1, errors
    assert "remote-model" in errors[0]
    assert "--warmth-trust-remote-code" in errors[0]
    assert "Traceback" not in output
