"""Which checkpoints a sweep gates, in what order, and what its trajectory says."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_warmth.errors import ModelSpecError
from pytest_warmth.reporting.trajectory import conclusion, trajectory_lines, trajectory_rows
from pytest_warmth.results import CellResult, ModelInfo, RunResult
from pytest_warmth.sweep import Checkpoint, check_one_base, expand, last_all_pass


def folders(root: Path, *names: str, model: str = "adapter_config.json") -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / model).write_text("{}")
    return root


def test_a_trainers_folder_is_read_in_training_order(tmp_path: Path) -> None:
    run = folders(tmp_path / "out", "checkpoint-1000", "checkpoint-200", "checkpoint-50")
    (run / "runs").mkdir()  # logs, not a checkpoint
    (run / "trainer_state.json").write_text("{}")
    found = expand([str(run)], tmp_path)
    assert [(c.label, c.step) for c in found] == [("50", 50.0), ("200", 200.0), ("1000", 1000.0)]
    assert found[0].spec == str(run / "checkpoint-50")
    assert found[0].collector == "warmth-ckpt-50"


def test_epochs_and_steps_with_fractions(tmp_path: Path) -> None:
    folders(tmp_path / "out", "epoch-2", "epoch-0.5", "epoch-1", "epoch-1.5")
    assert [c.label for c in expand(["out"], tmp_path)] == ["0.5", "1", "1.5", "2"]


def test_a_model_folder_is_one_model_whatever_it_holds(tmp_path: Path) -> None:
    model = folders(tmp_path / "adapter", "checkpoint-1")
    (model / "adapter_config.json").write_text("{}")
    assert expand([str(model)], tmp_path) == [Checkpoint("", str(model), 0.0)]
    assert expand(["smollm2"], tmp_path) == [Checkpoint("", "smollm2", 0.0)]


def test_models_named_one_by_one(tmp_path: Path) -> None:
    assert [c.label for c in expand(["a/checkpoint-300", "b/step_7"], tmp_path)] == ["300", "7"]
    # a name without a number (or the same number twice): by position, in the order given
    assert [c.label for c in expand(["warm", "a/checkpoint-3"], tmp_path)] == ["1", "2"]
    assert [c.label for c in expand(["x/epoch-1", "y/epoch-1"], tmp_path)] == ["1", "2"]
    assert [c.step for c in expand(["late", "early"], tmp_path)] == [1.0, 2.0]


def test_what_a_sweep_refuses(tmp_path: Path) -> None:
    run = folders(tmp_path / "out", "checkpoint-1")
    with pytest.raises(ModelSpecError, match="is a folder of checkpoints; pass it alone"):
        expand([str(run), "other"], tmp_path)
    with pytest.raises(ModelSpecError, match="is given twice"):
        expand(["a", "a"], tmp_path)


class Pair:
    def __init__(self, base_sha: str, spec: str = "base") -> None:
        self.infos = (
            ModelInfo("base", spec, "dir", spec, base_sha),
            ModelInfo("tuned", "t", "adapter", "t", "1" * 64),
        )

    def model_infos(self) -> tuple[ModelInfo, ModelInfo]:
        return self.infos


def test_one_base_for_every_checkpoint() -> None:
    same = [
        (Checkpoint("1", "a", 1.0), Pair("a" * 64)),
        (Checkpoint("2", "b", 2.0), Pair("a" * 64, "elsewhere")),
    ]
    check_one_base(same)  # type: ignore[arg-type]  # the same files under another name
    other = [
        (Checkpoint("1", "a", 1.0), Pair("a" * 64)),
        (Checkpoint("2", "b", 2.0), Pair("b" * 64)),
    ]
    with pytest.raises(ModelSpecError, match="checkpoint b is compared with base base"):
        check_one_base(other)  # type: ignore[arg-type]


def cell(checkpoint: str, context: str, verdict: str, b: int = 0) -> CellResult:
    return CellResult(
        suite="s", context=context, belief="none", scoring="mc", n=20, base_errors=2,
        tuned_errors=2 + b, b=b, c=0, test="", pvalue=0.5, p_adjusted=0.5, alpha=0.05,
        verdict=verdict, checkpoint=checkpoint,
    )  # fmt: skip


CELLS = [
    cell("1", "plain", "PASS"), cell("1", "sad", "PASS"),
    cell("2", "plain", "PASS"), cell("2", "sad", "INCONCLUSIVE", 2),
    cell("3", "plain", "PASS"), cell("3", "sad", "PASS"),
    cell("4", "plain", "FAIL", 10), cell("4", "sad", "FAIL", 12),
]  # fmt: skip


def test_the_last_checkpoint_whose_cells_all_pass() -> None:
    assert last_all_pass(["1", "2", "3", "4"], CELLS) == "3"  # not 2: it is inconclusive
    assert last_all_pass(["1", "2"], CELLS[:4]) == "1"
    assert last_all_pass(["4"], CELLS[6:]) is None
    assert last_all_pass(["9"], CELLS) is None  # no cells: nothing passed


def run_of(cells: list[CellResult], **sweep: object) -> RunResult:
    checkpoints = [{"label": label} for label in dict.fromkeys(c.checkpoint for c in cells)]
    return RunResult(
        settings={}, models=(), cells=tuple(cells),
        sweep={"checkpoints": checkpoints, "last_all_pass": "3", "correction": "holm (one family)",
               **sweep},
    )  # fmt: skip


def test_the_trajectory_in_text() -> None:
    rows = trajectory_rows(run_of(CELLS))
    assert rows[0] == ("cell", "base err", "ckpt-1", "ckpt-2", "ckpt-3", "ckpt-4")
    assert rows[1] == ("s[plain]", "10.0%", "10.0% +0.0% P", "10.0% +0.0% P", "10.0% +0.0% P",
                       "60.0% +50.0% F")  # fmt: skip
    assert rows[2][3] == "20.0% +10.0% I"
    assert len(rows) == 3  # no warmth row without scores
    lines = list(trajectory_lines(run_of(CELLS)))
    assert lines[-1] == (
        "the last checkpoint in training order whose cells all PASS: ckpt-3; holm (one family)"
    )
    assert trajectory_rows(RunResult(settings={}, models=(), cells=tuple(CELLS))) == []
    assert conclusion(run_of(CELLS, last_all_pass=None)).startswith("no checkpoint has all")


def test_warmth_beside_the_errors() -> None:
    checkpoints = [{"label": str(i), "warmth": {"mean": 0.01 * i}} for i in range(1, 5)]
    run = run_of(CELLS, checkpoints=checkpoints, base_warmth={"mean": -0.002})
    assert trajectory_rows(run)[-1] == (
        "warmth (SocioT-style)",
        "-0.0020",
        "+0.0100",
        "+0.0200",
        "+0.0300",
        "+0.0400",
    )
