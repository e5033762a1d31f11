"""The plan's prompts as a file, for models the gate cannot run (a batch job, an API, a team).

``--warmth-export-prompts=FILE`` writes one JSON line per (cell, item): the suite, the cell,
its context and belief, the item id, the scoring mode, and the user message both as text and as
chat ``messages``. Whatever produces the replies keeps ``prompt`` (or ``messages``) beside each
``reply``; the recorded backend (:mod:`pytest_warmth.backends.recorded`) then gates the two
files with the same grading and statistics. Needs no model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_warmth import atomic
from pytest_warmth.gate import GatePlan, cell_messages


def prompt_records(plan: GatePlan) -> list[dict[str, Any]]:
    """One record per (cell, item) of ``plan``, in cell order.

    Cells asked in a second turn (pushback) are left out: their second prompt holds the
    model's own first answer, so it cannot be written before the model has answered.
    """
    records = []
    for cell in plan.cells:
        if cell.second_turn:
            continue
        probes = plan.cell_suite(cell).probes
        for probe, message in zip(probes, cell_messages(plan, cell), strict=True):
            records.append(
                {
                    "suite": cell.suite,
                    "cell": cell.cell_id,
                    "context": cell.context,
                    "belief": cell.belief,
                    "item": probe.id,
                    "scoring": plan.scoring[cell.suite],
                    "prompt": message,
                    "messages": [{"role": "user", "content": message}],
                }
            )
    return records


def export_prompts(plan: GatePlan, path: Path) -> int:
    """Write the plan's prompts to ``path`` (JSON lines, atomically); return how many."""
    records = prompt_records(plan)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    atomic.write_text(path, text)
    return len(records)
