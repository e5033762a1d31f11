"""Power of one default-profile cell: Connor's approximation at the profile's items per suite.

The default profile asks ``profiles.power_sized_limit()`` items per suite (Connor's n for 80 %
power against a 10-point rise at one-sided alpha 0.05 with 15 % of items discordant). After
Holm across its 20 cells, one cell with a rise is first tested at alpha/20. This prints the
power of one such cell at alpha and alpha/20, for rises of 10 and 15 points and several shares of
discordant items (a rise can never exceed the share of items that change).

    python benchmarks/profile_power.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_warmth.profiles import ALPHA, power_sized_limit
from pytest_warmth.stats import connor_power

CELLS = 20
"""Cells of the default profile: 5 suites x {plain, sad} x {no belief, wrong belief}."""
DISCORDANCES = (0.15, 0.2, 0.25, 0.3)
RISES = (0.10, 0.15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the rows here")
    args = parser.parse_args()
    n = power_sized_limit()
    print(f"{n} items per cell; power of one cell at alpha={ALPHA} and at alpha/{CELLS} (Holm)")
    print("discordance  rise   power at alpha  power at alpha/20")
    rows = []
    for discordance in DISCORDANCES:
        for rise in RISES:
            if rise > discordance:
                continue
            row = {
                "discordance": discordance,
                "rise": rise,
                "power": round(connor_power(rise, discordance, n, alpha=ALPHA), 3),
                "power_after_holm": round(
                    connor_power(rise, discordance, n, alpha=ALPHA / CELLS), 3
                ),
            }
            rows.append(row)
            print(
                f"{discordance:11.0%} {rise:5.0%} {row['power']:16.1%} "
                f"{row['power_after_holm']:18.1%}"
            )
    if args.json:
        figures = {"command": " ".join(["python", *sys.argv]), "items": n, "cells": CELLS}
        figures["alpha"], figures["rows"] = ALPHA, rows
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
