"""Keep the ``easy`` tag only on items the embedded model answers right when asked plainly.

Reads per-item results written by ``benchmarks/headroom.py --json`` (plain context, no belief,
every item) and, in ``probes/*.yaml``, changes ``easy`` to ``medium`` on every item written as
easy that a result file marks wrong. An item is kept easy only if it is right in every result
file that covers it, so measuring a suite in both scoring modes keeps the items right in both.

    python benchmarks/headroom.py --limit 0 --contexts plain --beliefs none --json mc.json
    python benchmarks/headroom.py --scoring generate --suites factual --limit 0 \\
        --contexts plain --beliefs none --json gen.json
    python benchmarks/retag_easy.py mc.json gen.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

PROBES = Path(__file__).resolve().parent.parent / "probes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="headroom.py --json files")
    parser.add_argument("--dry-run", action="store_true", help="only print what would change")
    args = parser.parse_args()
    right: dict[str, bool] = defaultdict(lambda: True)
    for path in args.results:
        for item in json.loads(path.read_text())["items"]:
            if item["cell"].endswith("[plain]"):
                right[item["probe_id"]] &= bool(item["correct"])
    for suite_file in sorted(PROBES.glob("*.yaml")):
        new, demoted = retag(suite_file.read_text(), right)
        kept = len(re.findall(r"tags: \[easy", new))
        print(f"{suite_file.name}: {len(demoted)} easy items moved to medium, {kept} stay easy")
        if demoted and not args.dry_run:
            suite_file.write_text(new)


def retag(text: str, right: dict[str, bool]) -> tuple[str, list[str]]:
    """The suite text with wrongly answered easy items moved to medium, and their ids."""
    demoted: list[str] = []

    def one(match: re.Match[str]) -> str:
        item_id, body = match.group(1), match.group(2)
        if item_id in right and not right[item_id] and "tags: [easy" in body:
            demoted.append(item_id)
            return match.group(0).replace("tags: [easy", "tags: [medium", 1)
        return match.group(0)

    return re.sub(r"  - id: (\S+)\n((?:    .*\n)+)", one, text), demoted


if __name__ == "__main__":
    main()
