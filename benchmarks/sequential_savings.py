"""Items saved by the sequential (anytime-valid) mode on a simulated regression.

Simulates a cell where the tuned model's error rate is 10 points higher (discordance 0.3, so
q = P(harm | discordant) = 2/3), with the fixed-sample budget set to Connor's sample size for
80 % power, and compares the fixed mid-p McNemar test with the Beta-mixture e-process that
checks after every item. Also runs the no-change case to show both keep the false-alarm rate.

    python benchmarks/sequential_savings.py [--reps 2000] [--seed 7] [--discordance 0.3]
        [--budget N]

``--budget`` sets the items per cell, as a profile that asks every item would (the full
profile asks about 204 per suite); by default it is Connor's n for 80 % power.
"""

from __future__ import annotations

import argparse

import numpy as np

from pytest_warmth.stats import log_evalue_grid, mcnemar_test, required_sample_size


def simulate(
    rng: np.random.Generator, delta: float, psi: float, budget: int, reps: int, alpha: float,
    prior: tuple[float, float],
) -> dict[str, float]:  # fmt: skip
    q = 0.5 + delta / (2 * psi)
    horizon = budget * 8
    grid = log_evalue_grid(horizon, a=prior[0], b=prior[1])
    threshold = np.log(1 / alpha)
    fixed = used_capped = decided_in_budget = same = 0.0
    used_when_decided: list[int] = []
    for _ in range(reps):
        discordant = rng.random(horizon) < psi
        harm = discordant & (rng.random(horizon) < q)
        n_disc = np.cumsum(discordant)
        k = np.cumsum(harm)
        crossed = np.nonzero(grid[n_disc, k] >= threshold)[0]
        stop = int(crossed[0]) + 1 if crossed.size else horizon + 1
        b = int(harm[:budget].sum())
        c = int(discordant[:budget].sum()) - b
        rejects = mcnemar_test(b, c, method="midp").pvalue <= alpha
        fixed += rejects
        same += rejects == (stop <= budget)
        used_capped += min(stop, budget)
        if stop <= budget:
            decided_in_budget += 1
            used_when_decided.append(stop)
    return {
        "fixed_power": fixed / reps,
        "sequential_decided_in_budget": decided_in_budget / reps,
        "same_verdict": same / reps,
        "mean_items_capped_share": used_capped / reps / budget,
        "mean_items_when_decided_share": float(np.mean(used_when_decided)) / budget
        if used_when_decided
        else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--discordance", type=float, default=0.3)
    parser.add_argument(
        "--budget", type=int, help="items per cell (default: Connor's n for 80%% power)"
    )
    args = parser.parse_args()
    psi, delta = args.discordance, 0.10
    connor = required_sample_size(delta, psi, alpha=args.alpha, power=0.8)
    budget = args.budget or connor
    print(f"cell: discordance {psi}, rise {delta:.0%}; {budget} items (Connor's n: {connor})")
    print(
        "prior      case      fixed power  seq. decided  same verdict  items used (capped)"
        "  items when decided"
    )
    for prior in ((1.0, 1.0), (10.0, 5.0)):
        for name, d in (("rise 10%", delta), ("rise 20%", 2 * delta), ("no change", 0.0)):
            rng = np.random.default_rng(args.seed)
            r = simulate(rng, d, psi, budget, args.reps, args.alpha, prior)
            print(
                f"Beta{prior!s:9} {name:9} {r['fixed_power']:11.1%}  "
                f"{r['sequential_decided_in_budget']:12.1%}  {r['same_verdict']:12.1%}  "
                f"{r['mean_items_capped_share']:19.1%}  {r['mean_items_when_decided_share']:18.1%}"
            )


if __name__ == "__main__":
    main()
