"""The gate's table in the xdist controller, rebuilt from the workers' test reports.

Under ``pytest -n N`` every worker evaluates the gate and runs some of its items, but xdist
shows only the controller's terminal, where the gate ran nothing. Each gate item's report
carries its cell's figures as ``warmth.*`` properties (see :func:`pytest_warmth.nodes.
cell_properties`); this plugin gathers them in the controller and prints the same table (the
verdicts' explanations are in pytest's failure sections).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_warmth.plugin import SESSION_NAME
from pytest_warmth.reporting.terminal import MARKUP, summary_rows
from pytest_warmth.results import CellResult


def cell_from_properties(properties: dict[str, Any]) -> CellResult:
    """A cell's row as the table needs it, from one gate item's ``warmth.*`` properties."""
    n = int(properties["n"])
    return CellResult(
        suite=str(properties["suite"]), context=str(properties["context"]),
        belief=str(properties["belief"]), scoring=str(properties["scoring"]), n=n,
        base_errors=round(float(properties["base_error"]) * n),
        tuned_errors=round(float(properties["tuned_error"]) * n),
        b=int(properties["b"]), c=int(properties["c"]), test="",
        pvalue=float(properties["p"]), p_adjusted=float(properties["p_adjusted"]), alpha=0.0,
        verdict=str(properties["verdict"]), ci_lower=float(properties["ci_lower"]),
        ci_upper=float(properties["ci_upper"]), interval=str(properties["interval"]),
        correction=str(properties["correction"]),
        checkpoint=str(properties.get("checkpoint", "")),
    )  # fmt: skip


class XdistTable:
    """Collects the gate items' properties as the workers report them, prints the table."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.cells: dict[str, CellResult] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the cell figures of a gate item's call report."""
        if report.when != "call":
            return
        properties = {
            name.removeprefix("warmth."): value
            for name, value in report.user_properties
            if isinstance(name, str) and name.startswith("warmth.")
        }
        if "verdict" in properties and "n" in properties:
            cell = cell_from_properties(properties)
            self.cells[cell.report_id] = cell

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The table, once every worker has reported, in the plan's order of cells."""
        if not self.cells:
            return
        session = self.config.pluginmanager.get_plugin(SESSION_NAME)
        order = [c.cell_id for c in session.plan.cells] if session is not None else []
        cells = sorted(
            self.cells.values(),
            key=lambda c: order.index(c.report_id) if c.report_id in order else len(order),
        )
        terminalreporter.section("warmth gate (from the xdist workers)")
        for line, verdict in summary_rows(cells):
            terminalreporter.write_line(line, **(MARKUP.get(verdict, {}) if verdict else {}))


def reporter(config: pytest.Config) -> XdistTable | None:
    """The table's plugin in an xdist controller (``-n N``), where the gate itself runs nothing."""
    distributed = getattr(config.option, "dist", "no") not in ("no", None)
    return XdistTable(config) if distributed and not hasattr(config, "workerinput") else None
