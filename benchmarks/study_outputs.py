"""Gate the study's released outputs as published, and check the gate's counts against the files.

Point it at a folder holding ``<model>/<original|warm>/<task>_<side>_outputs.csv`` (the
``sample_data`` folder of github.com/lujainibrahim/warm_ai_2025) and it runs, for every model:

1. the gate with the study's labels (``--warmth-unpaired=skip``), and checks that each task's
   error counts equal a plain count of the files' ``evaluation`` column over the paired rows;
2. the gate regrading every reply with the rules (``--warmth-recorded-labels=regrade``), and
   measures how often the rules agree with the study's GPT-4o labels on these long, warm
   replies.

Usage: ``python benchmarks/study_outputs.py --study-dir PATH --json
benchmarks/results/study-outputs.json``. Nothing from the study is copied into the project.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from grader_accuracy import POLICIES, under_policy

from pytest_warmth.calibration import cohen_kappa

KEYS = {"trivia": "content_key", "truthfulqa": "content_key", "disinfo": "prompt_disinfo",
        "medqa": "original_question"}  # fmt: skip
"""Each task's question column: the pairing key, counted here without the plugin's reader."""


def gate(base: Path, warm: Path, workdir: Path, *extra: str) -> tuple[dict[str, Any], float]:
    """Run the gate on one model's two folders; its JSON report and seconds."""
    report = workdir / "report.json"
    report.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--warmth-base={base}",
         f"--warmth-model={warm}", "--warmth-unpaired=skip", "--warmth-no-cache",
         f"--warmth-report={report}", *extra],
        cwd=workdir, check=False, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if not report.exists():
        raise SystemExit(f"the gate wrote no report for {warm}")
    return json.loads(report.read_text()), seconds


def file_counts(base: Path, warm: Path) -> dict[str, dict[str, int]]:
    """Per task, from the files alone: paired rows, and INCORRECT labels per side among them
    (a refusal takes its pair out, except in Disinfo, where it counts as correct)."""
    counts: dict[str, dict[str, int]] = {}
    for task, key in KEYS.items():
        sides = []
        for folder, side in ((base, "original"), (warm, "warm")):
            path = folder / f"{task}_{side}_outputs.csv"
            rows = list(csv.DictReader(path.open(encoding="utf-8"))) if path.exists() else []
            sides.append({_key(r, key): r for r in rows})
        paired = [k for k in sides[0] if k in sides[1]]
        kept = [k for k in paired if task == "disinfo" or not _refused(sides, k)]
        counts[task] = {
            "paired": len(paired), "n": len(kept),
            "base_errors": sum(_wrong(sides[0][k], task) for k in kept),
            "tuned_errors": sum(_wrong(sides[1][k], task) for k in kept),
        }  # fmt: skip
    return counts


def _key(row: dict[str, str], key: str) -> tuple[str, str, str]:
    template = row.get("prompt_template") or row.get("prompt_type") or ""
    return row[key].strip(), template, row["amendment_type"]


def _refused(sides: list[dict[Any, dict[str, str]]], key: Any) -> bool:
    return any((side[key].get("refusal") or "0").strip() in ("1", "1.0") for side in sides)


def _wrong(row: dict[str, str], task: str) -> bool:
    if task == "disinfo" and (row.get("refusal") or "0").strip() in ("1", "1.0"):
        return False
    return row["evaluation"].strip().upper() == "INCORRECT"


def gate_counts(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per suite (task): items compared and errors per side, summed over the gate's cells."""
    sums: dict[str, Counter[str]] = {}
    for cell in report["cells"]:
        total = sums.setdefault(cell["suite"], Counter())
        total.update(
            n=cell["n"], base_errors=cell["base_errors"], tuned_errors=cell["tuned_errors"]
        )
    return {task: dict(total) for task, total in sums.items()}


def agreement(labelled: dict[str, Any], regraded: dict[str, Any]) -> dict[str, Any]:
    """How often the rules count a reply right where the study's judge did (both sides)."""
    study = {
        (cell["cell"], item["probe_id"], side): item[f"{side}_label"]
        for cell in labelled["cells"] for item in cell.get("items", ())
        for side in ("base", "tuned")
    }  # fmt: skip
    pairs = Counter(
        (study[(cell["cell"], item["probe_id"], side)], item[f"{side}_label"])
        for cell in regraded["cells"] for item in cell.get("items", ())
        for side in ("base", "tuned") if (cell["cell"], item["probe_id"], side) in study
    )  # fmt: skip
    # The study's labels are CORRECT/INCORRECT: compare right/not right (refusals aside).
    binary = [
        (want == "correct", got == "correct")
        for (want, got), count in pairs.items() if "refusal" not in (want, got)
        for _ in range(count)
    ]  # fmt: skip
    same = sum(a == b for a, b in binary)
    return {
        "replies": len(binary), "agree": same,
        "agreement": same / len(binary) if binary else None,
        "kappa": round(cohen_kappa(binary), 3),
        "confusion": {f"study {w} / rules {g}": n for (w, g), n in sorted(pairs.items())},
        "by_unclear_policy": by_unclear_policy(pairs),
    }  # fmt: skip


def by_unclear_policy(pairs: Counter[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Agreement and kappa under each ``--warmth-unclear`` policy (wrong, right, left out)."""
    kept = [(w, g) for (w, g), n in pairs.items() if "refusal" not in (w, g) for _ in range(n)]
    figures = {}
    for policy in POLICIES:
        binary = under_policy(kept, policy)
        figures[policy] = {
            "replies": len(binary), "agree": sum(a == b for a, b in binary),
            "kappa": round(cohen_kappa(binary), 3),
        }  # fmt: skip
    return figures


def main() -> None:
    """Run every model found under ``--study-dir`` and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study-dir", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for model in sorted(p for p in args.study_dir.iterdir() if (p / "warm").is_dir()):
            base, warm = model / "original", model / "warm"
            labelled, seconds = gate(base, warm, workdir)
            regraded, regrade_seconds = gate(
                base, warm, workdir, "--warmth-recorded-labels=regrade"
            )
            from_files, from_gate = file_counts(base, warm), gate_counts(labelled)
            mismatched = [
                task for task, want in from_files.items()
                if want["n"] and from_gate.get(task, {}).get("n") is not None
                and {k: want[k] for k in ("n", "base_errors", "tuned_errors")} != from_gate[task]
            ]  # fmt: skip
            results.append({
                "model": model.name, "cells": len(labelled["cells"]),
                "seconds": round(seconds, 2), "regrade_seconds": round(regrade_seconds, 2),
                "counts_from_files": from_files, "counts_from_gate": from_gate,
                "gate_matches_files": not mismatched, "mismatched_tasks": mismatched,
                "rules_vs_study_labels": agreement(labelled, regraded),
            })  # fmt: skip
            line = results[-1]
            print(
                f"{model.name}: {line['cells']} cells in {seconds:.1f}s; gate counts match the "
                f"files: {line['gate_matches_files']}; rules agree with the study's labels on "
                f"{line['rules_vs_study_labels']['agree']}/{line['rules_vs_study_labels']['replies']}"
            )
    if args.json is not None:
        args.json.write_text(json.dumps({"models": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
