"""Inline SVG figures for the HTML report, drawn by our own code (pure: cells in, markup out).

Two figures: the forest plot of each cell's rise in error rate with its interval, and, per
suite, the base's and the tuned model's error rate under each condition (the study's figure
shape). Every label is escaped; the markup needs no script, font or network to render.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from pytest_warmth.results import FAIL, INCONCLUSIVE, PASS, UNTESTABLE, CellResult

COLOURS = {FAIL: "#c62828", PASS: "#2e7d32", INCONCLUSIVE: "#e08a00", UNTESTABLE: "#757575"}
"""One colour per verdict, shared by the plot, the banner and the tables."""
BASE_COLOUR, TUNED_COLOUR = "#90a4ae", "#6a1b9a"
"""Bars of the base model and of the tuned model."""
_MARK = "#37474f"
"""The minimum-effect line: dark grey, so red keeps meaning FAIL."""
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _percent(value: float) -> str:
    text = f"{value * 100:+.0f}%" if value else "0%"
    return text.replace("-", "\u2212")


def _ticks(low: float, high: float) -> list[float]:
    """Round tick values spanning ``[low, high]`` (steps of 5, 10, 20 or 25 points)."""
    span = high - low
    step = next((s for s in (0.05, 0.1, 0.2, 0.25) if span / s <= 8), 0.5)
    first = math.ceil(low / step - 1e-9) * step
    count = math.floor((high - first) / step + 1e-9) + 1
    return [round(first + i * step, 4) for i in range(count)]


def forest_plot(cells: Sequence[CellResult], min_effect: float) -> str:
    """The rise in error rate (tuned minus base) of every cell, with its interval.

    Points and whiskers are coloured by verdict; a solid line marks zero and a dashed one the
    smallest rise that matters (``min_effect``). Each row has a ``<title>`` tooltip.
    """
    label_width, plot_width, row, top, bottom = 250, 470, 24, 34, 40
    low = min([-min_effect, *(c.ci_lower for c in cells)], default=-0.1)
    high = max([min_effect, *(c.ci_upper for c in cells)], default=0.1)
    pad = 0.05 * (high - low or 1.0)
    low, high = max(-1.0, low - pad), min(1.0, high + pad)
    width, height = label_width + plot_width + 60, top + row * len(cells) + bottom

    def x(value: float) -> float:
        return round(label_width + (value - low) / (high - low) * plot_width, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>',
        "<title>Rise in error rate per cell (tuned minus base), with its interval</title>",
        f'<text x="{label_width}" y="14" font-weight="600">rise in error rate, tuned '
        "\u2212 base</text>",
    ]
    axis_y = top + row * len(cells)
    # The label sits under its line, or ends there when the line is near the right edge.
    anchor = "end" if x(min_effect) > label_width + 0.8 * plot_width else "middle"
    for tick in _ticks(low, high):
        parts.append(
            f'<line x1="{x(tick)}" y1="{top - 6}" x2="{x(tick)}" y2="{axis_y}" '
            'stroke="#eceff1"/>'
            f'<text x="{x(tick)}" y="{axis_y + 16}" text-anchor="middle">{_percent(tick)}</text>'
        )
    parts.append(
        f'<line x1="{x(0)}" y1="{top - 8}" x2="{x(0)}" y2="{axis_y}" stroke="#37474f"/>'
        f'<line class="min-effect" x1="{x(min_effect)}" y1="{top - 8}" x2="{x(min_effect)}" '
        f'y2="{axis_y}" stroke="{_MARK}" stroke-dasharray="5 4"/>'
        f'<text x="{x(min_effect)}" y="{axis_y + 32}" text-anchor="{anchor}" fill="{_MARK}">'
        f"min effect {_percent(min_effect)}</text>"
    )
    for index, cell in enumerate(cells):
        y = top + row * index + row / 2
        colour = COLOURS.get(cell.verdict, "#000")
        tip = (
            f"{cell.report_id}: {cell.verdict}, rise {cell.delta:+.1%} "
            f"[{cell.ci_lower:+.1%}, {cell.ci_upper:+.1%}], n={cell.n}, b={cell.b}, c={cell.c}, "
            f"p adj={cell.p_adjusted:.3g}"
        )
        parts.append(
            f'<g class="row" data-cell="{escape(cell.report_id)}" data-verdict="{cell.verdict}">'
            f"<title>{escape(tip)}</title>"
            f'<text x="{label_width - 8}" y="{y + 4}" text-anchor="end">'
            f"{escape(cell.report_id)}</text>"
            f'<line x1="{x(max(low, cell.ci_lower))}" y1="{y}" '
            f'x2="{x(min(high, cell.ci_upper))}" y2="{y}" stroke="{colour}" stroke-width="3"/>'
            f'<circle cx="{x(cell.delta)}" cy="{y}" r="6" fill="{colour}"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def error_panel(suite: str, cells: Sequence[CellResult]) -> str:
    """One suite's error rates, base beside tuned, under each of its conditions."""
    group, bar, left, top, plot_height, label_room = 56, 20, 44, 30, 160, 96
    width = left + group * len(cells) + 20
    height = top + plot_height + label_room

    def y(rate: float) -> float:
        return round(top + (1 - rate) * plot_height, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="panel" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>',
        f"<title>{escape(suite)}: error rate by condition, base and tuned</title>",
        f'<text x="{left}" y="16" font-weight="600">{escape(suite)}</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" y1="{y(tick)}" x2="{width - 20}" y2="{y(tick)}" '
            'stroke="#eceff1"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end">{tick:.0%}</text>'
        )
    for index, cell in enumerate(cells):
        x0 = left + group * index + (group - 2 * bar) / 2
        condition = cell.cell_id[len(cell.suite) + 1 : -1]
        for offset, (who, rate, colour) in enumerate(
            (("base", cell.base_error_rate, BASE_COLOUR), ("tuned", cell.tuned_error_rate,
                                                           TUNED_COLOUR))
        ):  # fmt: skip
            top_y = y(rate)
            parts.append(
                f'<rect x="{x0 + offset * bar}" y="{top_y}" width="{bar - 2}" '
                f'height="{round(y(0) - top_y, 1)}" fill="{colour}">'
                f"<title>{escape(cell.report_id)} {who}: {rate:.1%} wrong of {cell.n}</title>"
                "</rect>"
            )
        label_x, label_y = x0 + bar, y(0) + 12
        parts.append(
            f'<text x="{label_x}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-35 {label_x} {label_y})" fill="{COLOURS.get(cell.verdict)}">'
            f"{escape(condition)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    """The key to the panels' bar colours."""
    return (
        f'<span class="key"><i style="background:{BASE_COLOUR}"></i>base</span>'
        f'<span class="key"><i style="background:{TUNED_COLOUR}"></i>tuned</span>'
    )
