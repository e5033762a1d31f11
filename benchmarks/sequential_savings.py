"""Items saved by the sequential (anytime-valid) mode on a simulated regression.

Simulates cells where the tuned model's error rate is 10 points higher (discordance 0.3, so
q = P(harm | discordant) = 2/3), with the fixed-sample budget set to Connor's sample size for
80 % power, and compares the fixed mid-p McNemar test on every item with sequential designs:

- ``gate``: what ``--warmth-sequential`` runs. The Beta-mixture e-process on its share of
  alpha (``verdicts.SEQUENTIAL_ALPHA_SHARE``), looked at every ``evaluation.SEQUENTIAL_LOOK`` items;
  a cell that reaches its budget undecided gets the mid-p test on the rest of alpha.
- ``e-process, every item``: the e-process alone on all of alpha, looked at after every item
  (the most items any look schedule can save with it, but no final test).

A design's verdict is FAIL or not; "same verdict" is how often it matches the fixed test's.
"Items used" counts every item asked (a look's items are asked together), capped at the budget.
Also runs a 20-point rise and the no-change case (false alarms).

    python benchmarks/sequential_savings.py [--reps 4000] [--seed 7] [--discordance 0.3]
        [--budget N] [--json OUT]

``--budget`` sets the items per cell, as a profile that asks every item would (the full
profile asks about 204 per suite); by default it is Connor's n for 80 % power.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NamedTuple

from pytest_warmth.evaluation import SEQUENTIAL_LOOK
from pytest_warmth.stats import required_sample_size, simulate_design
from pytest_warmth.verdicts import SEQUENTIAL_ALPHA_SHARE


class Design(NamedTuple):
    name: str
    share: float
    """Share of alpha on the e-process; the rest on the fixed test at the budget."""
    look: int
    """Items between two looks."""


DESIGNS = (
    Design("gate", SEQUENTIAL_ALPHA_SHARE, SEQUENTIAL_LOOK),
    Design("e-process, every item", 1.0, 1),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--discordance", type=float, default=0.3)
    parser.add_argument(
        "--budget", type=int, help="items per cell (default: Connor's n for 80%% power)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the rows here")
    args = parser.parse_args()
    psi, delta = args.discordance, 0.10
    connor = required_sample_size(delta, psi, alpha=args.alpha, power=0.8)
    budget = args.budget or connor
    print(
        f"cell: discordance {psi}, {budget} items (Connor's n for a 10% rise: {connor}); "
        f"{args.reps} runs; gate: e-process on {SEQUENTIAL_ALPHA_SHARE:.0%} of alpha, "
        f"a look every {SEQUENTIAL_LOOK} items"
    )
    print(
        "design                  case       fixed FAIL  seq. FAIL  decided early  same verdict"
        "  items used"
    )
    rows = []
    for design in DESIGNS:
        for name, d in (("rise 10%", delta), ("rise 20%", 2 * delta), ("no change", 0.0)):
            if d > psi:
                continue  # a rise cannot exceed the share of items that change
            r = simulate_design(
                d, psi, budget, alpha=args.alpha, share=design.share, look=design.look,
                reps=args.reps, seed=args.seed,
            )  # fmt: skip
            print(
                f"{design.name:23} {name:9} {r.fixed_fails:11.1%} {r.fails:10.1%} "
                f"{r.decided_early:14.1%} {r.same_verdict:13.1%} {r.items_used:11.1%}"
            )
            rows.append(
                {
                    "design": design.name, "case": name, "rise": d,
                    "fixed_fails": r.fixed_fails, "fails": r.fails,
                    "decided_early": r.decided_early, "same_verdict": r.same_verdict,
                    "items_used": r.items_used,
                }
            )  # fmt: skip
    if args.json:
        figures = {
            "command": " ".join(["python", *sys.argv]),
            "discordance": psi, "budget": budget, "connor_n": connor, "reps": args.reps,
            "seed": args.seed, "alpha": args.alpha, "alpha_share": SEQUENTIAL_ALPHA_SHARE,
            "look": SEQUENTIAL_LOOK, "rows": rows,
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
