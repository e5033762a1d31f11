"""Installing the plugin must not make anyone's pytest run import heavy packages."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "peft", "datasets", "hypothesis", "gguf", "scipy")


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, json, pytest_warmth, pytest_warmth.plugin, pytest_warmth.options, "
        "pytest_warmth.settings, pytest_warmth.backends.hf.spec; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_inert_pytest_run_imports_nothing_heavy(tmp_path: object) -> None:
    code = (
        "import sys, json, pytest; "
        # Hypothesis's own pytest plugin imports hypothesis; switch it off to measure ours.
        "rc = pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'no:hypothesispytest', "
        "'--co', '-s', sys.argv[1]]); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    test_file = f"{tmp_path}/test_x.py"
    with open(test_file, "w") as handle:
        handle.write("def test_x():\n    pass\n")
    out = subprocess.run(
        [sys.executable, "-c", code, test_file], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
