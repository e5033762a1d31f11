"""Grader accuracy: the rule-based grader (and optionally a judge model) against human labels.

The labelled sets live in ``tests/data/grader/`` under one rubric (``RUBRIC.md``): short replies
(``dev``/``holdout``: real SmolLM2-135M-Instruct output and written ones) and long replies in the
register of 8B-70B chat models (``long_dev``/``long_dev2``/``long_holdout`` to ``long_holdout5``;
the numbered files are later rounds, with users' own words as prompts). ``*dev*`` files are used
while writing the rules; ``*holdout*`` files are kept aside for measurement.

    python benchmarks/grader_accuracy.py                   # rules only (seconds)
    python benchmarks/grader_accuracy.py --files long_holdout
    python benchmarks/grader_accuracy.py --judge SPEC --json OUT   # also a judge; write figures

Prints Markdown: agreement per file, per source and per suite (all four labels, right/not right
with refusals aside, Cohen's kappa), the four-label and right/not-right confusion matrices, and
for a judge its right/not-right agreement and kappa beside the rules' on the same replies, per
file, source and suite.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_warmth.calibration import cohen_kappa
from pytest_warmth.grading import LABELS, REFUSAL, Target, grade

os.environ.setdefault("TQDM_DISABLE", "1")
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "grader"
FILES = (
    "dev",
    "holdout",
    "long_dev",
    "long_dev2",
    "long_holdout",
    "long_holdout2",
    "long_holdout3",
    "long_holdout4",
    "long_holdout5",
    "long_holdout6",
)


def load(name: str) -> list[dict[str, Any]]:
    """The records of one labelled file."""
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def target(record: dict[str, Any]) -> Target:
    """The grading target of one record."""
    return Target(
        record["answer"], record["incorrect"], tuple(record["aliases"]), tuple(record["choices"])
    )


def rules(record: dict[str, Any]) -> str:
    """The rule-based grader's label."""
    return grade(
        record["response"], target(record), question=record["question"], belief=record["belief"]
    ).label


def matrix(pairs: Sequence[tuple[str, str]], labels: Sequence[str]) -> list[str]:
    """A Markdown confusion matrix: rows are the human labels, columns the grader's."""
    counts = Counter(pairs)
    lines = ["| human \\ grader | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for human in labels:
        lines.append(f"| {human} | " + " | ".join(str(counts[(human, g)]) for g in labels) + " |")
    return lines


def share(pairs: Sequence[tuple[str, str]]) -> str:
    """Agreement as ``k/n = p``."""
    agree, n = counts(pairs)
    return f"{agree}/{n} = {agree / n:.1%}" if n else "n/a"


def counts(pairs: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """Agreement as ``(agreeing pairs, pairs)``."""
    return sum(h == g for h, g in pairs), len(pairs)


def confusion(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Counts by human label, then by grader label."""
    tally = Counter(pairs)
    labels = sorted({label for pair in pairs for label in pair})
    return {h: {g: tally[(h, g)] for g in labels} for h in labels}


def binary(label: str) -> str:
    """What the gate counts: a right answer or not (refusals aside)."""
    return "correct" if label == "correct" else "not correct"


def summary(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Four-label agreement, right/not-right agreement (refusals aside) and its kappa."""
    two = [(binary(h), binary(g)) for h, g in pairs if REFUSAL not in (h, g)]
    kappa = cohen_kappa([(h == "correct", g == "correct") for h, g in two])
    return {"all": counts(pairs), "right_or_not": counts(two), "kappa": round(kappa, 3)}


def breakdown(
    records: Sequence[dict[str, Any]], labels: Sequence[str], key: str
) -> dict[str, dict[str, Any]]:
    """:func:`summary` per value of ``key`` (``source`` or ``suite``)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for record, label in zip(records, labels, strict=True):
        groups.setdefault(str(record[key]), []).append((record["label"], label))
    return {name: summary(pairs) for name, pairs in sorted(groups.items())}


def print_summary(title: str, rows: dict[str, dict[str, Any]], *, four: bool = True) -> None:
    """One Markdown table: a row per group (``four``: with the four-label column)."""
    print(f"### {title}\n")
    print("| group |" + (" all four labels |" if four else "") + " right / not right | kappa |")
    print("|---|" + ("---|" if four else "") + "---|---|")
    for name, row in rows.items():
        (a, n), (b, m) = row["all"], row["right_or_not"]
        all_four = (f" {a}/{n} = {a / n:.1%} |" if n else " n/a |") if four else ""
        two = f"{b}/{m} = {b / m:.1%}" if m else "n/a"
        print(f"| {name} |{all_four} {two} | {row['kappa']:.2f} |")
    print()


def report_rules(records: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Print the rule-based grader's agreement per file, source and suite; return the figures."""
    figures: dict[str, Any] = {}
    print("## Rule-based grader\n")
    graded = {name: [rules(r) for r in recs] for name, recs in records.items()}
    per_file = {
        name: summary([(r["label"], g) for r, g in zip(recs, graded[name], strict=True)])
        for name, recs in records.items()
    }
    print_summary("per file", per_file)
    figures["files"] = per_file
    everything = [r for recs in records.values() for r in recs]
    labels = [g for name in records for g in graded[name]]
    figures["by_source"] = breakdown(everything, labels, "source")
    figures["by_suite"] = breakdown(everything, labels, "suite")
    print_summary("per source (all files)", figures["by_source"])
    print_summary("per suite (all files)", figures["by_suite"])
    figures["unclear_policy"] = unclear_policies(records, graded)
    figures["confusion"] = {}
    for name, recs in records.items():
        pairs = [(r["label"], g) for r, g in zip(recs, graded[name], strict=True)]
        print(f"### {name}: four labels\n")
        print("\n".join(matrix(pairs, LABELS)) + "\n")
        two = [(binary(h), binary(g)) for h, g in pairs if REFUSAL not in (h, g)]
        print(f"### {name}: right / not right\n")
        print("\n".join(matrix(two, ("correct", "not correct"))) + "\n")
        figures["confusion"][name] = {"four": confusion(pairs), "right_or_not": confusion(two)}
    return figures


def agreeing(pairs: Sequence[tuple[bool, bool]]) -> tuple[int, int]:
    """``(pairs that agree, pairs)`` for yes/no decisions."""
    return sum(a == b for a, b in pairs), len(pairs)


POLICIES = ("wrong", "right", "exclude")


def under_policy(pairs: Sequence[tuple[str, str]], policy: str) -> list[tuple[bool, bool]]:
    """Right/not-right decisions of ``(human, grader)`` labels under a ``--warmth-unclear``
    policy: an unclear reply counted wrong, counted right, or left out (either reader's)."""
    if policy == "exclude":
        return [(h == "correct", g == "correct") for h, g in pairs if "unclear" not in (h, g)]
    counted = {"correct", "unclear"} if policy == "right" else {"correct"}
    return [(h in counted, g in counted) for h, g in pairs]


def unclear_policies(
    records: dict[str, list[dict[str, Any]]], graded: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """Right/not-right agreement (refusals aside) per file under each ``--warmth-unclear``
    policy: an unclear reply counted wrong, counted right, or left out (either reader's)."""
    table: dict[str, dict[str, Any]] = {}
    print("### --warmth-unclear: right / not right under each policy\n")
    print("| file | wrong | right | exclude (replies left out) |")
    print("|---|---|---|---|")
    for name, recs in records.items():
        pairs = [
            (r["label"], g) for r, g in zip(recs, graded[name], strict=True)
            if REFUSAL not in (r["label"], g)
        ]  # fmt: skip
        row: dict[str, Any] = {policy: agreeing(under_policy(pairs, policy)) for policy in POLICIES}
        row["excluded"] = len(pairs) - row["exclude"][1]
        table[name] = row
        cells = [f"{a}/{n} = {a / n:.1%}" for a, n in (row["wrong"], row["right"], row["exclude"])]
        print(f"| {name} | {cells[0]} | {cells[1]} | {cells[2]} ({row['excluded']}) |")
    print()
    return table


def report_judge(
    records: dict[str, list[dict[str, Any]]], spec: str, batch_size: int
) -> dict[str, Any]:
    """Print a judge's right/not-right agreement on the replies not labelled refusals."""
    figures: dict[str, Any] = {"spec": spec}
    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair
    from pytest_warmth.judge import Judge

    start = time.perf_counter()
    pair = load_pair(spec, options=LoadOptions(device="cpu", batch_size=batch_size))
    judge = Judge(pair.base, spec)
    loaded = time.perf_counter() - start
    print(f"## Judge: {spec} (by {judge.method}; loaded in {loaded:.0f}s)\n")
    print("| set | right / not right (human) | kappa | rules on the same replies | kappa |")
    print("|---|---|---|---|---|")
    judged_all: list[tuple[dict[str, Any], str]] = []
    for name, recs in records.items():
        kept = [r for r in recs if r["label"] != REFUSAL]
        start = time.perf_counter()
        says = judge.correct(
            [r["question"] for r in kept], [r["response"] for r in kept], [target(r) for r in kept]
        )
        elapsed = time.perf_counter() - start
        pairs = [
            (binary(r["label"]), "correct" if ok else "not correct")
            for r, ok in zip(kept, says, strict=True)
        ]
        judged_all += [(r, g) for r, (_, g) in zip(kept, pairs, strict=True)]
        baseline = [(binary(r["label"]), binary(rules(r))) for r in kept]
        kappa = cohen_kappa([(h == "correct", g == "correct") for h, g in pairs])
        base_kappa = cohen_kappa([(h == "correct", g == "correct") for h, g in baseline])
        print(f"| {name} | {share(pairs)} | {kappa:.2f} | {share(baseline)} | {base_kappa:.2f} |")
        figures[name] = {
            "judge_right_or_not": counts(pairs), "judge_kappa": round(kappa, 3),
            "rules_right_or_not": counts(baseline), "rules_kappa": round(base_kappa, 3),
            "judge_says_correct": sum(bool(ok) for ok in says),
            "off_format": sum(ok is None for ok in says),
            "confusion": confusion(pairs), "seconds": round(elapsed, 1),
        }  # fmt: skip
    figures["load_seconds"] = round(loaded, 1)
    print()
    rows = [r for r, _ in judged_all]
    verdicts = [g for _, g in judged_all]
    for key in ("source", "suite"):
        groups = breakdown(rows, verdicts, key)
        figures[f"by_{key}"] = {
            name: {k: v for k, v in row.items() if k != "all"} for name, row in groups.items()
        }
        print_summary(f"judge per {key}", groups, four=False)
    return figures


def rules_commit() -> str | None:
    """The git commit of the ``pytest_warmth`` package graded with (a worktree's, if so)."""
    import subprocess

    import pytest_warmth

    folder = Path(pytest_warmth.__file__).resolve().parent
    found = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "-C", str(folder), "status", "--porcelain", "--", "."],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode:
        return None
    return found.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", help="also measure this judge model spec, e.g. smollm2")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    parser.add_argument(
        "--files", nargs="+", choices=FILES, default=list(FILES), help="labelled files to measure"
    )
    args = parser.parse_args(argv)
    records = {name: load(name) for name in args.files}
    figures: dict[str, Any] = {"command": "python benchmarks/grader_accuracy.py"}
    figures["rules_commit"] = rules_commit()
    if args.files != list(FILES):
        figures["command"] += " --files " + " ".join(args.files)
    figures["rules"] = report_rules(records)
    if args.judge:
        figures["command"] += f" --judge {args.judge}"
        figures["judge"] = report_judge(records, args.judge, args.batch_size)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
