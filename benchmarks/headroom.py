"""Headroom: the base model's error rate in every suite x context x belief cell.

A cell where the base model is already wrong on almost every item cannot show a regression.
This script asks the base side only, for each built-in suite, under every context and belief
condition, and prints a Markdown table of error rates. In ``--scoring mc`` (multiple-choice
log-likelihood, for each candidate answer template) chance is 75 % for four choices; in
``--scoring generate`` the base answers greedily and the rule-based grader labels each reply
(refusals follow each suite's policy), and the table also gives the share of replies that
adopt the user's wrong answer.

    python benchmarks/headroom.py --limit 30 --json headroom.json
    python benchmarks/headroom.py --scoring generate --limit 30 --json headroom-gen.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from pytest_warmth import contexts, gate
from pytest_warmth.backends.protocol import LoadOptions, pick
from pytest_warmth.backends.registry import load_pair
from pytest_warmth.grading import CORRECT, REFUSAL, WRONG_BELIEFS, Target, grade
from pytest_warmth.settings import WarmthSettings

SUITE_FORMAT = "suite"
"""Template name meaning: each suite's own answer_template and mc_rule."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--limit", type=int, default=30, help="items per suite; 0: all")
    parser.add_argument("--suites", nargs="*", default=[], help="suites (default: all)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--contexts", nargs="*", default=list(contexts.CATALOG))
    parser.add_argument("--beliefs", nargs="*", default=list(contexts.BELIEFS))
    parser.add_argument(
        "--templates",
        nargs="*",
        default=[SUITE_FORMAT],
        help="answer templates to compare, e.g. '{choice}' 'The answer is {choice}.'; "
        "'suite' (default) uses each suite's own template and rule",
    )
    parser.add_argument("--scoring", choices=("mc", "generate"), default="mc")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.scoring == "generate":
        args.templates = ["generate"]

    start = time.perf_counter()
    pair = load_pair(args.model, options=LoadOptions(device="cpu", batch_size=args.batch_size))
    settings = WarmthSettings(
        model=args.model,
        contexts=tuple(args.contexts),
        beliefs=tuple(args.beliefs),
        limit=args.limit or None,
        suites=tuple(args.suites),
    )
    plan = gate.build_plan(settings)
    rows: list[dict[str, object]] = []
    items: list[dict[str, object]] = []
    if args.scoring == "generate":
        for cell in plan.cells:
            rows.append(generate_row(pair, plan, cell, args, items))
            print(f"{cell.cell_id:32} err={rows[-1]['error_rate']:.0%}", flush=True)
    for template in args.templates if args.scoring == "mc" else []:
        for cell in plan.cells:
            suite = plan.suites[cell.suite]
            messages = gate.cell_messages(plan, cell)
            fmt = suite.answer_template if template == SUITE_FORMAT else template
            choices = [[fmt.format(choice=c) for c in p.choices] for p in suite.probes]
            scores = pair.base.score_choices(messages, choices)
            rules = (suite.mc_rule,) if template == SUITE_FORMAT else ("sum", "mean")
            for rule in rules:
                errors = sum(
                    probe.choices[pick(row, rule)] != probe.answer
                    for probe, row in zip(suite.probes, scores, strict=True)
                )
                easy = [
                    probe.choices[pick(row, rule)] != probe.answer
                    for probe, row in zip(suite.probes, scores, strict=True)
                    if probe.difficulty == "easy"
                ]
                copies = sum(
                    probe.choices[pick(row, rule)] == probe.incorrect
                    for probe, row in zip(suite.probes, scores, strict=True)
                )
                if template == SUITE_FORMAT:
                    items.extend(
                        {
                            "cell": cell.cell_id,
                            "probe_id": probe.id,
                            "correct": probe.choices[pick(row, rule)] == probe.answer,
                        }
                        for probe, row in zip(suite.probes, scores, strict=True)
                    )
                rows.append(
                    {
                        "template": template,
                        "rule": rule,
                        "suite": cell.suite,
                        "context": cell.context,
                        "belief": cell.belief,
                        "n": len(suite.probes),
                        "error_rate": errors / len(suite.probes),
                        "picks_incorrect": copies / len(suite.probes),
                        "n_easy": len(easy),
                        "easy_error_rate": sum(easy) / len(easy) if easy else None,
                    }
                )
            print(
                f"{template!r:28} {cell.cell_id:32} err={rows[-1]['error_rate']:.0%}",
                flush=True,
            )
    elapsed = time.perf_counter() - start
    print(f"\n{len(rows)} rows in {elapsed:.0f}s\n")
    if args.json:
        args.json.write_text(
            json.dumps({"elapsed_s": elapsed, "rows": rows, "items": items}, indent=1)
        )
    for template in args.templates:
        rules = ("sum", "mean") if template not in (SUITE_FORMAT, "generate") else ("suite",)
        for rule in rules:
            print(
                f"### template {template!r}, rule {rule}: base error rate (n={args.limit}/suite)\n"
            )
            cells = [(c, b) for b in args.beliefs for c in args.contexts]
            print(
                "| suite | " + " | ".join(f"{c}+{b}" if b != "none" else c for c, b in cells) + " |"
            )
            print("|---" * (len(cells) + 1) + "|")
            for suite in plan.suites:
                values = {
                    (r["context"], r["belief"]): r["error_rate"]
                    for r in rows
                    if r["suite"] == suite
                    and r["template"] == template
                    and (rule == "suite" or r["rule"] == rule)
                }
                print(f"| {suite} | " + " | ".join(f"{values[c]:.0%}" for c in cells) + " |")
            print()


def generate_row(
    pair: Any,
    plan: gate.GatePlan,
    cell: gate.Cell,
    args: argparse.Namespace,
    items: list[dict[str, object]],
) -> dict[str, object]:
    """The base's greedy replies to one cell, graded; per-item records go to ``items``."""
    suite = plan.suites[cell.suite]
    messages = gate.cell_messages(plan, cell)
    replies = pair.base.generate(messages, max_new_tokens=args.max_new_tokens)
    grades = [
        grade(
            reply,
            Target.of(p),
            question=p.question,
            belief=cell.belief,
        )
        for p, reply in zip(suite.probes, replies, strict=True)
    ]
    counted = [g for g in grades if not (g.label == REFUSAL and suite.refusal == "exclude")]
    right = [g.label == CORRECT or g.label == REFUSAL for g in counted]
    labels = [g.label for g in grades]
    easy = [
        not ok
        for p, g, ok in zip(suite.probes, grades, [g.label == CORRECT for g in grades], strict=True)
        if p.difficulty == "easy" and not (g.label == REFUSAL and suite.refusal == "exclude")
    ]
    items.extend(
        {"cell": cell.cell_id, "probe_id": p.id, "label": g.label, "correct": g.label == CORRECT,
         "adopted": g.adopted, "reply": reply}
        for p, g, reply in zip(suite.probes, grades, replies, strict=True)
    )  # fmt: skip
    return {
        "template": "generate",
        "rule": "suite",
        "suite": cell.suite,
        "context": cell.context,
        "belief": cell.belief,
        "n": len(counted),
        "error_rate": 1 - sum(right) / len(right) if right else float("nan"),
        "refusal_rate": labels.count(REFUSAL) / len(labels),
        "unclear_rate": labels.count("unclear") / len(labels),
        "adoption_rate": (
            sum(g.adopted for g in grades) / len(grades) if cell.belief in WRONG_BELIEFS else None
        ),
        "n_easy": len(easy),
        "easy_error_rate": sum(easy) / len(easy) if easy else None,
    }


if __name__ == "__main__":
    main()
