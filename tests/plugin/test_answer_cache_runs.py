"""The answer cache through real pytest runs: a re-run reuses every answer, a retrained
adapter reuses the base side's, and a corrupt cache file is reported and rebuilt."""

from __future__ import annotations

from pathlib import Path

import pytest


def gate(pytester: pytest.Pytester, adapter: Path, suite: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:randomly", f"--warmth-model={adapter}", f"--warmth-probes={suite}",
        "--warmth-suite=tiny", *args,
    )  # fmt: skip


def test_rerun_reuses_everything_and_a_new_adapter_reuses_the_base_side(
    pytester: pytest.Pytester,
    tiny_suite: Path,
    zero_adapter: Path,
    beta_adapter: Path,
    private_answer_cache: Path,
) -> None:
    # 4 cells x 20 items: 80 prompts per side.
    first = gate(pytester, zero_adapter, tiny_suite)
    first.assert_outcomes(passed=4)
    # Each side is asked every cell's prompts at once, the base before the tuned model.
    first.stdout.fnmatch_lines(
        [
            "warmth: all cells, base: 80/80 items",
            "warmth: all cells, tuned: 80/80 items",
            f"warmth: answer cache {private_answer_cache}*: 0 answers reused, 160 computed",
        ]
    )
    again = gate(pytester, zero_adapter, tiny_suite)
    again.assert_outcomes(passed=4)
    again.stdout.fnmatch_lines(["warmth: answer cache *: 160 answers reused, 0 computed"])
    # Another adapter on the same base: only the tuned side is computed, and the verdicts are
    # those of a fresh run (the beta adapter is a planted regression).
    retrained = gate(pytester, beta_adapter, tiny_suite)
    retrained.assert_outcomes(failed=4)
    retrained.stdout.fnmatch_lines(["warmth: answer cache *: 80 answers reused, 80 computed"])


def test_no_cache_computes_everything_and_writes_nothing(
    pytester: pytest.Pytester, tiny_suite: Path, zero_adapter: Path, private_answer_cache: Path
) -> None:
    result = gate(pytester, zero_adapter, tiny_suite, "--warmth-no-cache")
    result.assert_outcomes(passed=4)
    assert "answer cache" not in result.stdout.str()
    assert [p.name for p in private_answer_cache.iterdir()] == ["gguf"]  # the fixture's link


def test_explicit_cache_directory_and_a_corrupt_file(
    pytester: pytest.Pytester, tiny_suite: Path, zero_adapter: Path
) -> None:
    directory = pytester.path / "answers"
    directory.mkdir()
    (directory / "answers.sqlite").write_text("garbage, not a database")
    result = gate(pytester, zero_adapter, tiny_suite, f"--warmth-cache={directory}")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "warmth: answer cache: *answers.sqlite was unreadable (*); moved to "
            "answers.sqlite.corrupt-* and rebuilt",
            f"warmth: answer cache {directory}*: 0 answers reused, 160 computed",
        ]
    )


def test_unwritable_cache_directory_is_a_usage_error(
    pytester: pytest.Pytester, tiny_suite: Path, zero_adapter: Path
) -> None:
    blocker = pytester.path / "file"
    blocker.write_text("x")
    result = gate(pytester, zero_adapter, tiny_suite, f"--warmth-cache={blocker}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --warmth-cache=*file is a file; pass a directory (the answer cache lives in it)"]
    )
