"""The checkpoint sweep's section of the HTML report: each cell along training.

A sweep gates several checkpoints of one training run against the same base. The section
names the last checkpoint whose cells all PASS, draws each cell's tuned error rate per
checkpoint (one line per cell, points coloured by that checkpoint's verdict) against the
base's (a dashed line: the base is one model for every checkpoint), draws the warmth score
per checkpoint when every checkpoint has one, and gives the same numbers as a table.

Pure: a run in, markup out. Labels, specs and cell ids came from outside and are escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from pytest_warmth.reporting.html_sections import section_html, table_html, verdict_badge
from pytest_warmth.reporting.svg import BASE_COLOUR, COLOURS, FONT, TUNED_COLOUR
from pytest_warmth.reporting.trajectory import cells_by_checkpoint
from pytest_warmth.results import CellResult, RunResult

LINE_COLOURS = (TUNED_COLOUR, "#1565c0", "#00838f", "#ad1457", "#4e342e", "#283593")
"""One colour per cell's line, none of them a verdict's (points carry the verdict)."""
_LEFT, _RIGHT, _TOP, _STEP = 56, 40, 30, 110
"""Chart margins and the distance between two checkpoints on the x axis."""


def _svg(css: str, width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{escape(title)}</title>"
    )


def _x(index: int) -> float:
    return float(_LEFT + 30 + _STEP * index)


def _x_axis(labels: Sequence[str], y: float) -> str:
    return "".join(
        f'<text x="{_x(i)}" y="{y + 18}" text-anchor="middle">ckpt-{escape(label)}</text>'
        for i, label in enumerate(labels)
    )


def error_chart(labels: Sequence[str], by_cell: Mapping[str, Mapping[str, CellResult]]) -> str:
    """Tuned error rate per checkpoint, one line per cell, the base's dashed, 0 to 100 %."""
    plot_height = 200
    width = int(_x(max(len(labels) - 1, 0))) + 30 + _RIGHT
    height = _TOP + plot_height + 36

    def y(rate: float) -> float:
        return round(_TOP + (1 - rate) * plot_height, 1)

    parts = [
        _svg("sweep-errors", width, height, "Error rate per checkpoint, tuned and base"),
        f'<text x="{_LEFT}" y="16" font-weight="600">error rate</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{_LEFT}" y1="{y(tick)}" x2="{width - _RIGHT}" y2="{y(tick)}" '
            f'stroke="#eceff1"/><text x="{_LEFT - 6}" y="{y(tick) + 4}" '
            f'text-anchor="end">{tick:.0%}</text>'
        )
    for index, (name, per) in enumerate(by_cell.items()):
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        shown = [(i, per[label]) for i, label in enumerate(labels) if label in per]
        base = shown[0][1].base_error_rate if shown else 0.0
        points = " ".join(f"{_x(i)},{y(cell.tuned_error_rate)}" for i, cell in shown)
        parts.append(
            f'<g class="sweep-cell" data-cell="{escape(name)}">'
            f'<line class="base" x1="{_LEFT}" y1="{y(base)}" x2="{width - _RIGHT}" '
            f'y2="{y(base)}" stroke="{colour}" stroke-opacity="0.6" stroke-dasharray="6 4">'
            f"<title>{escape(name)}: base {base:.1%}</title></line>"
            f'<polyline class="tuned" points="{points}" fill="none" stroke="{colour}" '
            'stroke-width="2"/>'
        )
        for i, cell in shown:
            tip = (
                f"ckpt-{labels[i]} {name}: tuned {cell.tuned_error_rate:.1%}, base "
                f"{cell.base_error_rate:.1%}, delta {cell.delta:+.1%}, {cell.verdict}"
            )
            parts.append(
                f'<circle cx="{_x(i)}" cy="{y(cell.tuned_error_rate)}" r="5" '
                f'fill="{COLOURS.get(cell.verdict, "#000")}" stroke="{colour}" '
                f'data-verdict="{escape(cell.verdict)}"><title>{escape(tip)}</title></circle>'
            )
        parts.append("</g>")
    parts.append(_x_axis(labels, y(0)) + "</svg>")
    return "".join(parts)


def warmth_chart(labels: Sequence[str], scores: Sequence[Mapping[str, Any]],
                 base: Mapping[str, Any] | None) -> str:  # fmt: skip
    """The warmth score (± its standard error) per checkpoint, the base's as a dashed line."""
    plot_height = 110
    width = int(_x(max(len(labels) - 1, 0))) + 30 + _RIGHT
    height = _TOP + plot_height + 36
    means = [float(s["mean"]) for s in scores]
    ses = [float(s.get("se", 0.0)) for s in scores]
    ends = [m + sign * e for m, e in zip(means, ses, strict=True) for sign in (1, -1)]
    if base:
        ends.append(float(base["mean"]))
    low, high = min(ends), max(ends)
    pad = 0.1 * (high - low or 1.0)
    low, high = low - pad, high + pad

    def y(value: float) -> float:
        return round(_TOP + (high - value) / (high - low) * plot_height, 1)

    parts = [
        _svg("sweep-warmth", width, height, "Warmth score per checkpoint"),
        f'<text x="{_LEFT}" y="16" font-weight="600">warmth, nats/token (dashed: base)</text>',
    ]
    for tick in (low + pad, high - pad):
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y(tick) + 4}" text-anchor="end">{tick:+.3f}</text>'
        )
    if base:
        b = float(base["mean"])
        parts.append(
            f'<line class="base" x1="{_LEFT}" y1="{y(b)}" x2="{width - _RIGHT}" y2="{y(b)}" '
            f'stroke="{BASE_COLOUR}" stroke-dasharray="6 4"><title>base warmth {b:+.4f}'
            "</title></line>"
        )
    points = " ".join(f"{_x(i)},{y(m)}" for i, m in enumerate(means))
    parts.append(
        f'<polyline class="warmth" points="{points}" fill="none" stroke="{TUNED_COLOUR}" '
        'stroke-width="2"/>'
    )
    for i, (mean, se) in enumerate(zip(means, ses, strict=True)):
        tip = f"ckpt-{labels[i]}: warmth {mean:+.4f} ± {se:.4f}"
        parts.append(
            f'<line x1="{_x(i)}" y1="{y(mean - se)}" x2="{_x(i)}" y2="{y(mean + se)}" '
            f'stroke="{TUNED_COLOUR}"/><circle cx="{_x(i)}" cy="{y(mean)}" r="4" '
            f'fill="{TUNED_COLOUR}"><title>{escape(tip)}</title></circle>'
        )
    parts.append(_x_axis(labels, y(low)) + "</svg>")
    return "".join(parts)


def _warmth(score: Mapping[str, Any] | None) -> str:
    return f"{float(score['mean']):+.4f} ± {float(score.get('se', 0.0)):.4f}" if score else "-"


def trajectory(run: RunResult) -> str:
    """The sweep's section: its conclusion, charts and table ("" when the run is no sweep)."""
    sweep = run.sweep
    if not sweep:
        return ""
    checkpoints: list[dict[str, Any]] = list(sweep.get("checkpoints", []))
    labels = [str(c["label"]) for c in checkpoints]
    by_cell = cells_by_checkpoint(run)
    last = sweep.get("last_all_pass")
    found = "No checkpoint has all its cells PASS."
    if last is not None:
        found = (
            "The last checkpoint in training order whose cells all PASS: "
            f"<b>ckpt-{escape(str(last))}</b>."
        )
    intro = (
        f'<p class="tally">{found}</p><p>Correction: {escape(str(sweep.get("correction", "")))}'
        ". Lines: each cell's tuned error rate; dashed: the base's (one model for every "
        "checkpoint); points: that checkpoint's verdict.</p>"
    )
    keys = "".join(
        f'<span class="key"><i style="background:{LINE_COLOURS[i % len(LINE_COLOURS)]}"></i>'
        f"{escape(name)}</span>"
        for i, name in enumerate(by_cell)
    )
    charts = f'<p class="legend">{keys}</p>{error_chart(labels, by_cell)}'
    warmth = [c.get("warmth") for c in checkpoints]
    has_warmth = bool(warmth) and all(warmth)
    if has_warmth:
        scores = [w for w in warmth if w]
        chart = warmth_chart(labels, scores, sweep.get("base_warmth"))
        charts += f"<h3>Warmth score per checkpoint</h3>{chart}"
    head = ["cell"] + [
        f'<span title="{escape(str(c.get("spec", "")))}">ckpt-{escape(label)}</span>'
        for c, label in zip(checkpoints, labels, strict=True)
    ]
    rows = [
        [escape(name)] + [
            "-" if label not in per else
            f"{per[label].tuned_error_rate:.1%} / {per[label].delta:+.1%} "
            f"{verdict_badge(per[label].verdict)}"
            for label in labels
        ]
        for name, per in by_cell.items()
    ]  # fmt: skip
    if has_warmth:
        rows.append([f"warmth (base {_warmth(sweep.get('base_warmth'))})", *map(_warmth, warmth)])
    return section_html(
        "sweep", "Checkpoint sweep", intro + charts + table_html(head, rows, "sweep")
    )
