"""Grader accuracy: the rule-based grader (and optionally a judge model) against human labels.

The labelled set lives in ``tests/data/grader/`` (``dev.jsonl`` was used while writing the
rules, ``holdout.jsonl`` was kept aside for measurement). Every record holds a question, the
probe's answers, the prompt's belief condition, a reply (real SmolLM2-135M-Instruct output or
written in the style of larger chat models) and the label a careful human gave it.

    python benchmarks/grader_accuracy.py                 # rules only (a second)
    python benchmarks/grader_accuracy.py --judge smollm2 # also the judge (about a minute)
    python benchmarks/grader_accuracy.py --judge smollm2 --json OUT  # also write the figures

Prints Markdown: agreement per file, per source and overall, four-label confusion matrices, the
binary agreement that the gate's statistics depend on (is the reply counted right or not), and
for the judge the binary confusion matrix on the replies that are not refusals.
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

from pytest_warmth.grading import LABELS, REFUSAL, Target, grade

os.environ.setdefault("TQDM_DISABLE", "1")
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "grader"
FILES = ("dev", "holdout")


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


def report_rules(records: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Print the rule-based grader's agreement and confusion matrices; return the figures."""
    figures: dict[str, Any] = {}
    print("## Rule-based grader\n")
    print("| set | all | real SmolLM2 replies | written replies | right / not right |")
    print("|---|---|---|---|---|")
    everything: list[tuple[str, str]] = []
    for name, recs in records.items():
        pairs = [(r["label"], rules(r)) for r in recs]
        everything += pairs
        by_source = {
            source: [(h, g) for (h, g), r in zip(pairs, recs, strict=True) if r["source"] == source]
            for source in ("smollm2", "written")
        }
        two = [(binary(h), binary(g)) for h, g in pairs if REFUSAL not in (h, g)]
        print(
            f"| {name} | {share(pairs)} | {share(by_source['smollm2'])} | "
            f"{share(by_source['written'])} | {share(two)} |"
        )
        figures[name] = {
            "all": counts(pairs),
            **{source: counts(found) for source, found in by_source.items()},
            "right_or_not": counts(two),
        }
    two = [(binary(h), binary(g)) for h, g in everything if REFUSAL not in (h, g)]
    print(f"| all | {share(everything)} | | | {share(two)} |\n")
    figures["all"] = {"all": counts(everything), "right_or_not": counts(two)}
    figures["confusion_all"] = confusion(everything)
    for name, recs in records.items():
        print(f"### {name}\n")
        print("\n".join(matrix([(r["label"], rules(r)) for r in recs], LABELS)) + "\n")
    return figures


def report_judge(
    records: dict[str, list[dict[str, Any]]], spec: str, batch_size: int
) -> dict[str, Any]:
    """Print the judge's binary agreement on the replies a human did not label refusals."""
    figures: dict[str, Any] = {"spec": spec}
    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair
    from pytest_warmth.judge import Judge

    start = time.perf_counter()
    pair = load_pair(spec, options=LoadOptions(device="cpu", batch_size=batch_size))
    judge = Judge(pair.base, "the base model")
    loaded = time.perf_counter() - start
    print(f"## Judge: {spec} (label log-probabilities; loaded in {loaded:.0f}s)\n")
    print("| set | right / not right (human) | rules on the same replies |")
    print("|---|---|---|")
    for name, recs in records.items():
        kept = [r for r in recs if r["label"] != REFUSAL]
        start = time.perf_counter()
        says = judge.correct(
            [r["question"] for r in kept],
            [r["response"] for r in kept],
            [target(r) for r in kept],
        )
        elapsed = time.perf_counter() - start
        pairs = [
            (binary(r["label"]), "correct" if ok else "not correct")
            for r, ok in zip(kept, says, strict=True)
        ]
        baseline = [(binary(r["label"]), binary(rules(r))) for r in kept]
        print(f"| {name} | {share(pairs)} | {share(baseline)} |")
        print(f"\n{name}: {len(kept)} replies judged in {elapsed:.1f}s\n")
        print("\n".join(matrix(pairs, ("correct", "not correct"))) + "\n")
        figures[name] = {
            "judge_right_or_not": counts(pairs),
            "rules_right_or_not": counts(baseline),
            "judge_says_correct": sum(says),
            "confusion": confusion(pairs),
            "seconds": round(elapsed, 1),
        }
    figures["load_seconds"] = round(loaded, 1)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", help="also measure this judge model spec, e.g. smollm2")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    args = parser.parse_args(argv)
    records = {name: load(name) for name in FILES}
    figures: dict[str, Any] = {"command": "python benchmarks/grader_accuracy.py"}
    figures["rules"] = report_rules(records)
    if args.judge:
        figures["command"] += f" --judge {args.judge}"
        figures["judge"] = report_judge(records, args.judge, args.batch_size)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
