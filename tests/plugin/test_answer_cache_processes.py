"""The answer cache across real gate processes: Ctrl-C keeps the finished chunks and says so,
two runs on one cache directory decide as one alone, and so does ``pytest -n 2`` (xdist).

Each run is ``python -m pytest`` in a directory of its own, on the tiny models, with 100 items
per cell (4 cells, 400 prompts per side: 4 chunks of 128 answers per side)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_warmth.answer_cache import FILE_NAME

ITEMS = 100
TOTAL = 4 * ITEMS * 2  # answers of a whole run: 4 cells, both sides
# Ctrl-C raises KeyboardInterrupt even where the test run ignores SIGINT (a background job).
MAIN = (
    "import signal, sys, pytest; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.exit(pytest.main(sys.argv[1:]))"
)
# Each process (each xdist worker) writes what its gate did.
PROBE = """
import json, os

def pytest_sessionfinish(session):
    gate = session.config.pluginmanager.get_plugin("warmth-session")
    if gate is not None and gate.run.cache_stats is not None:
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        stats = gate.run.cache_stats
        with open(f"gate-{name}.json", "w") as out:
            json.dump({"reused": stats.reused, "computed": stats.computed,
                       "cells": sorted(c.cell_id for _, c in gate.run.results)}, out)
"""


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory, make_suite: Any) -> Path:
    return make_suite(tmp_path_factory.mktemp("suite") / "tiny.yaml", n=ITEMS)


def start(
    workdir: Path, adapter: Path, suite: Path, cache: Path, *args: str
) -> subprocess.Popen[str]:
    """One gate run in ``workdir`` (its own rootdir) on the answer cache in ``cache``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "conftest.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    command = [
        sys.executable, "-c", MAIN, "-p", "no:randomly", "-p", "no:cacheprovider",
        f"--warmth-model={adapter}", f"--warmth-probes={suite}", "--warmth-suite=tiny",
        f"--warmth-limit={ITEMS}", f"--warmth-cache={cache}",
        f"--warmth-report={workdir / 'report.json'}", *args,
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen[str], timeout: float = 300) -> str:
    output, _ = process.communicate(timeout=timeout)
    return output


def cells(workdir: Path) -> list[tuple[str, str, int, int]]:
    """Each cell's verdict and discordant counts from the run's JSON report."""
    data = json.loads((workdir / "report.json").read_text())
    return [(c["cell"], c["verdict"], c["b"], c["c"]) for c in data["cells"]]


def cache_lines(output: str) -> list[tuple[int, int]]:
    """``(reused, computed)`` of every answer cache line."""
    found = re.findall(r"warmth: answer cache .*: (\d+) answers reused, (\d+) computed", output)
    return [(int(reused), int(computed)) for reused, computed in found]


def stored(cache: Path) -> int:
    """The answers committed to the cache in ``cache`` (0 before it exists)."""
    if not (cache / FILE_NAME).exists():
        return 0
    with contextlib.closing(sqlite3.connect(cache / FILE_NAME, timeout=30)) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
        except sqlite3.OperationalError:  # its tables are not created yet
            return 0


def outcome(output: str) -> str:
    return re.findall(r"=+ (\d+ failed, \d+ passed)", output)[-1]


@pytest.fixture(scope="module")
def solo(
    tmp_path_factory: pytest.TempPathFactory, sad_weak_adapter: Path, suite: Path
) -> tuple[list[tuple[str, str, int, int]], str, float]:
    """One run alone on an empty cache: its cells, its outcome line and its time."""
    workdir = tmp_path_factory.mktemp("solo")
    began = time.perf_counter()
    output = finish(start(workdir, sad_weak_adapter, suite, workdir / "cache"))
    seconds = time.perf_counter() - began
    assert cache_lines(output) == [(0, TOTAL)], output
    return cells(workdir), outcome(output), seconds


def test_the_solo_run_finds_the_planted_weakness(
    solo: tuple[list[tuple[str, str, int, int]], str, float],
) -> None:
    found, summary, _ = solo
    assert summary == "2 failed, 2 passed"
    assert [(cell, verdict) for cell, verdict, _, _ in found] == [
        ("tiny[plain]", "PASS"), ("tiny[sad]", "FAIL"),
        ("tiny[plain+wrong]", "PASS"), ("tiny[sad+wrong]", "FAIL"),
    ]  # fmt: skip
    assert [b for _, _, b, _ in found][1] > 0


def test_ctrl_c_keeps_the_finished_chunks_says_so_and_the_next_run_reuses_them(
    tmp_path: Path, sad_weak_adapter: Path, suite: Path,
    solo: tuple[list[tuple[str, str, int, int]], str, float],
) -> None:  # fmt: skip
    cache = tmp_path / "cache"
    run = start(tmp_path / "first", sad_weak_adapter, suite, cache)
    deadline = time.monotonic() + 240
    while stored(cache) < 2 * 128 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    output = finish(run)
    assert run.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt" in output
    ((reused, computed),) = cache_lines(output)
    kept = stored(cache)
    assert reused == 0
    assert 2 * 128 <= computed <= kept < TOTAL
    again = finish(start(tmp_path / "again", sad_weak_adapter, suite, cache))
    assert cache_lines(again)[-1] == (kept, TOTAL - kept)
    assert cells(tmp_path / "again") == solo[0]
    assert stored(cache) == TOTAL


def test_two_runs_on_one_cache_directory_decide_as_one_alone(
    tmp_path: Path, sad_weak_adapter: Path, suite: Path,
    solo: tuple[list[tuple[str, str, int, int]], str, float],
) -> None:  # fmt: skip
    cache = tmp_path / "shared"
    began = time.perf_counter()
    runs = [start(tmp_path / name, sad_weak_adapter, suite, cache) for name in ("a", "b")]
    outputs = [finish(run) for run in runs]
    seconds = time.perf_counter() - began
    for name, run, output in zip(("a", "b"), runs, outputs, strict=True):
        assert run.returncode == pytest.ExitCode.TESTS_FAILED, output
        assert outcome(output) == solo[1]
        assert cells(tmp_path / name) == solo[0]
        ((reused, computed),) = cache_lines(output)
        assert reused + computed == TOTAL
        assert "answer cache off" not in output
        assert "Traceback" not in output
    assert not list(cache.glob("*.corrupt-*"))
    assert stored(cache) == TOTAL  # no answer lost
    print(f"solo {solo[2]:.1f}s, two runs at once {seconds:.1f}s")


def test_xdist_workers_share_the_cache_and_decide_as_one_process(
    tmp_path: Path, sad_weak_adapter: Path, suite: Path,
    solo: tuple[list[tuple[str, str, int, int]], str, float],
) -> None:  # fmt: skip
    pytest.importorskip("xdist")
    cache = tmp_path / "cache"
    workdir = tmp_path / "xdist"
    began = time.perf_counter()
    output = finish(start(workdir, sad_weak_adapter, suite, cache, "-n", "2"))
    seconds = time.perf_counter() - began
    assert "2 workers [4 items]" in output, output
    assert outcome(output) == solo[1]
    # the controller shows the gate's table, rebuilt from the workers' reports
    table = output.split("warmth gate (from the xdist workers)", 1)[1].splitlines()[1:6]
    assert table[0].split()[:3] == ["cell", "n", "base"], table
    rows = {row.split()[0]: row.split() for row in table[1:]}
    for cell, verdict, b, c in solo[0]:
        assert (rows[cell][-1], rows[cell][-5], rows[cell][-4]) == (verdict, str(b), str(c))
    assert cells(workdir) == solo[0]
    workers = [json.loads((workdir / f"gate-gw{i}.json").read_text()) for i in (0, 1)]
    for worker in workers:  # each worker loads the models and decides every cell...
        assert worker["cells"] == sorted(cell for cell, *_ in solo[0])
        assert worker["reused"] + worker["computed"] == TOTAL
    # ...but neither computes them all: they start on different chunks and each takes what
    # the other committed meanwhile (without that, the first to start computes all 800).
    assert max(worker["computed"] for worker in workers) < TOTAL, workers
    assert stored(cache) == TOTAL
    assert not list(cache.glob("*.corrupt-*"))
    print(f"solo {solo[2]:.1f}s, -n 2 {seconds:.1f}s, workers {workers}")
