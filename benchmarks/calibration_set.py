"""Rebuild the shipped judge calibration set from the labelled dev sets (seeded, stratified).

    python benchmarks/calibration_set.py      # writes pytest_warmth/calibration.jsonl

It takes replies from ``tests/data/grader/dev.jsonl`` (short replies: real SmolLM2 output and
written) and ``long_dev.jsonl`` (long replies in the register of 8B-70B chat models), leaving
refusals out (the rules find those for every grader) and the holdout files untouched, so the
holdout figures stay clean.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "grader"
TARGET = ROOT / "pytest_warmth" / "calibration.jsonl"
TAKE = {"dev": 60, "long_dev": 100}
FIELDS = ("id", "suite", "question", "answer", "aliases", "incorrect", "choices", "belief",
          "response", "label", "source")  # fmt: skip


def sample(name: str, count: int, seed: int) -> list[dict[str, object]]:
    """``count`` non-refusal replies of one file, in proportion to their labels."""
    rows = [json.loads(line) for line in (DATA / f"{name}.jsonl").open(encoding="utf-8")]
    by_label: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        if row["label"] != "refusal":
            by_label[str(row["label"])].append(row)
    total = sum(len(group) for group in by_label.values())
    chosen = []
    for label, group in sorted(by_label.items()):
        random.Random(f"{seed}:{name}:{label}").shuffle(group)
        chosen += group[: round(count * len(group) / total)]
    return sorted(chosen, key=lambda row: str(row["id"]))


def main() -> None:
    """Write the calibration set."""
    rows = [row for name, count in TAKE.items() for row in sample(name, count, seed=7)]
    with TARGET.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({k: row[k] for k in FIELDS}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} labelled replies written to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
