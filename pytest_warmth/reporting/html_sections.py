"""The sections of the HTML report, each a pure function from results to escaped markup.

Model output, prompts, specs and every other string that came from outside the code pass
through :func:`html.escape` before they reach the page, so a reply holding ``<script>`` or
``</html>`` renders as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from pytest_warmth.reporting.baseline import UNCHANGED, Comparison, change_rows
from pytest_warmth.reporting.svg import COLOURS, error_panel, forest_plot, legend
from pytest_warmth.results import (
    FAIL,
    PASS,
    SEVERITY,
    VERDICTS,
    CellResult,
    ItemOutcome,
    RunResult,
    cell_id,
)

RIGHT_TO_WRONG = "right-to-wrong"
WRONG_TO_RIGHT = "wrong-to-right"
_SETTINGS_SHOWN = ("profile", "scoring", "limit", "seed", "alpha", "test", "correction",
                   "interval", "min_effect", "margin", "sequential", "judge", "unclear",
                   "device", "dtype")  # fmt: skip


def table_html(head: Sequence[str], rows: Iterable[Sequence[str]], css: str = "") -> str:
    """A table whose cells are already markup (escape text before passing it)."""
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def section_html(name: str, title: str, body: str, css: str = "") -> str:
    """One section of the page: ``title`` and ``body`` are markup (escape text first)."""
    classes = f' class="{css}"' if css else ""
    return f'<section id="{name}"{classes}><h2>{title}</h2>{body}</section>'


def verdict_badge(verdict: str) -> str:
    """A verdict as a badge in its colour."""
    return (
        f'<span class="verdict" style="background:{COLOURS.get(verdict, "#000")}">{verdict}</span>'
    )


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return escape(", ".join(f"{k}: {v}" for k, v in value.items()))
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


def header(run: RunResult) -> str:
    """Models with short hashes, how they ran, the settings, the date and library versions."""
    models = table_html(
        ("role", "spec", "kind", "sha256"),
        (
            (
                escape(m.role),
                escape(m.spec),
                escape(m.kind),
                f"<code>{escape(m.sha256[:12])}</code>",
            )
            for m in run.models
        ),
    )
    settings = run.settings
    shown = [(k, settings[k]) for k in _SETTINGS_SHOWN if settings.get(k) not in (None, "", [])]
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{_value(v)}</dd>" for k, v in shown)
    env = run.environment
    versions = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    where = run.load.get("where", "")
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in run.load.get("notes", []))
    return (
        "<header><h1>pytest-warmth report</h1>"
        f'<p class="meta">{escape(str(env.get("date", "")))}'
        f"{' · ' + escape(str(where)) if where else ''} · {escape(versions)}</p>"
        f"{models}<dl class='settings'>{facts}</dl>"
        f"{'<ul class=notes>' + notes + '</ul>' if notes else ''}</header>"
    )


def banner(cells: Sequence[CellResult]) -> str:
    """The verdict counts, and the failing cells with their explanations first."""
    counts = {v: sum(1 for c in cells if c.verdict == v) for v in VERDICTS}
    state = "fail" if counts[FAIL] else ("pass" if cells and counts[PASS] == len(cells) else "open")
    title = {"fail": "FAIL", "pass": "PASS", "open": "INCONCLUSIVE: no cell failed"}[state]
    tally = " · ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    failing = [c for c in cells if c.verdict == FAIL]
    items = "".join(f"<li><b>{escape(c.report_id)}</b>: {escape(c.reason)}</li>" for c in failing)
    body = f'<p class="tally">{tally or "no cells"}</p>' + (f"<ul>{items}</ul>" if items else "")
    return section_html("verdict", title, body, css=f"banner {state}")


def forest(cells: Sequence[CellResult], min_effect: float) -> str:
    """The forest plot section."""
    intro = (
        "<p>Each point is tuned minus base error rate, with its interval; colour is the "
        "verdict. The dashed line is the smallest rise that matters.</p>"
    )
    return section_html(
        "forest", "Rise in error rate per cell", intro + forest_plot(cells, min_effect)
    )


def cell_table(cells: Sequence[CellResult]) -> str:
    """Every cell's numbers, failing cells first."""
    order = sorted(cells, key=lambda c: SEVERITY.index(c.verdict))
    rows = (
        (
            escape(c.report_id), str(c.n), f"{c.base_error_rate:.1%}", f"{c.tuned_error_rate:.1%}",
            f"{c.delta:+.1%}", f"[{c.ci_lower:+.1%}, {c.ci_upper:+.1%}]", str(c.b), str(c.c),
            f"{c.pvalue:.3g}", f"{c.p_adjusted:.3g}", verdict_badge(c.verdict), escape(c.reason),
        )
        for c in order
    )  # fmt: skip
    head = ("cell", "n", "base err", "tuned err", "δ", "interval", "b", "c", "p", "p adj",
            "verdict", "why")  # fmt: skip
    return section_html("cells", "Cells", table_html(head, rows, "cells"))


def panels(cells: Sequence[CellResult]) -> str:
    """Base vs tuned error rate by condition, one panel per suite."""
    suites: dict[str, list[CellResult]] = {}
    for cell in cells:
        suites.setdefault(cell.suite, []).append(cell)
    figures = "".join(error_panel(name, group) for name, group in suites.items())
    body = f'<p class="legend">{legend()}</p><div class="panels">{figures}</div>'
    return section_html("by-condition", "Error rate by condition", body)


def beliefs(cells: Sequence[CellResult]) -> str:
    """Adoption of the user's wrong belief and flips, base and tuned, for belief cells."""
    rows = [
        (
            escape(c.report_id),
            f"{c.base_adoption:.0%} → {c.tuned_adoption:.0%}",
            "-" if c.base_flip is None or c.tuned_flip is None
            else f"{c.base_flip:.0%} → {c.tuned_flip:.0%}",
        )
        for c in cells
        if c.base_adoption is not None and c.tuned_adoption is not None
    ]  # fmt: skip
    if not rows:
        return ""
    intro = (
        "<p>Adoption: share of items on which the model went along with the user's wrong "
        "belief. Flip: share of items answered right without the belief and wrong with it.</p>"
    )
    table = table_html(("cell", "adoption base → tuned", "flip base → tuned"), rows)
    return section_html("beliefs", "Belief adoption and flips", intro + table)


def amplification(estimates: Sequence[dict[str, Any]]) -> str:
    """Difference-in-differences: does a context widen the gap beyond the plain condition?"""
    if not estimates:
        return ""
    rows = (
        (
            escape(cell_id(e["suite"], e["context"], e["belief"])),
            str(e["n"]), f"{e['estimate']:+.1%}", f"{e['se']:.3f}", f"{e['pvalue']:.3g}",
            f"{e['q_value']:.3g}", "flagged" if e["flagged"] else "",
        )
        for e in estimates
    )  # fmt: skip
    intro = (
        "<p>How much more the gap between the models widens under a context than in the plain "
        "condition (a warning, not a verdict).</p>"
    )
    table = table_html(("cell", "n", "estimate", "se", "p", "q", ""), rows)
    return section_html("amplification", "Amplification by context", intro + table)


def graders(calibrations: Sequence[dict[str, Any]]) -> str:
    """Each grader's agreement and kappa on the calibration labels."""
    if not calibrations:
        return ""
    rows = (
        (escape(str(g.get("grader", ""))), escape(str(g.get("source", ""))),
         f"{g.get('agreement', 0.0):.1%}", f"{g.get('kappa', 0.0):.2f}", str(g.get("n", "")))
        for g in calibrations
    )  # fmt: skip
    head = ("grader", "calibration set", "agreement", "kappa", "replies")
    return section_html("graders", "Grader check", table_html(head, rows))


def _direction(item: ItemOutcome) -> str | None:
    if item.base_correct and not item.tuned_correct:
        return RIGHT_TO_WRONG
    if item.tuned_correct and not item.base_correct:
        return WRONG_TO_RIGHT
    return None


def _reply(who: str, text: str, label: str, correct: bool) -> str:
    verdict = "right" if correct else "wrong"
    return (
        f'<div class="reply {verdict}"><h4>{who}: {verdict}'
        f"{' (' + escape(label) + ')' if label else ''}</h4>"
        f"<pre>{escape(text)}</pre></div>"
    )


def _first_turn(item: ItemOutcome) -> str:
    """A two-turn item: each side's first answer, then the user's challenge."""
    first = item.first
    if first is None:
        return ""
    return (
        "<div class='replies'>"
        f"{_reply('base, first answer', first.base_answer, '', first.base_correct)}"
        f"{_reply('tuned, first answer', first.tuned_answer, '', first.tuned_correct)}"
        f"</div><pre class='prompt'>{escape(first.challenge)}</pre>"
    )


def discordant(cells: Sequence[CellResult]) -> str:
    """Every item on which the models disagree, filterable by suite, condition and direction."""
    entries = []
    for cell in cells:
        condition = cell.cell_id[len(cell.suite) + 1 : -1]
        for item in cell.items:
            direction = _direction(item)
            if direction is None:
                continue
            arrow = "right → wrong" if direction == RIGHT_TO_WRONG else "wrong → right"
            entries.append(
                f'<article class="item" data-suite="{escape(cell.suite)}" '
                f'data-condition="{escape(condition)}" data-direction="{direction}">'
                f"<h3>{escape(cell.report_id)} · {escape(item.probe_id)} · {arrow}</h3>"
                f"<pre class='prompt'>{escape(item.prompt)}</pre>{_first_turn(item)}"
                "<div class='replies'>"
                f"{_reply('base', item.base_answer, item.base_label, item.base_correct)}"
                f"{_reply('tuned', item.tuned_answer, item.tuned_label, item.tuned_correct)}"
                "</div></article>"
            )
    suites = sorted({c.suite for c in cells})
    conditions = sorted({c.cell_id[len(c.suite) + 1 : -1] for c in cells})

    def select(name: str, values: Sequence[str], labels: Sequence[str] = ()) -> str:
        options = "".join(
            f'<option value="{escape(v)}">{escape(labels[i] if labels else v)}</option>'
            for i, v in enumerate(values)
        )
        return (
            f'<label>{name} <select data-filter="{name}"><option value="">all</option>'
            f"{options}</select></label>"
        )

    filters = (
        select("suite", suites) + select("condition", conditions)
        + select("direction", (RIGHT_TO_WRONG, WRONG_TO_RIGHT), ("right → wrong", "wrong → right"))
    )  # fmt: skip
    empty = "" if entries else "<p>The models agreed on every item.</p>"
    body = (
        f'<form class="filters">{filters} <output id="shown"></output></form>'
        f'{empty}<div id="item-list">{"".join(entries)}</div>'
    )
    return section_html("items", f"Discordant items ({len(entries)})", body)


def changes(comparison: Comparison) -> str:
    """What changed since the baseline report, new failures first."""
    rows = [
        (escape(cell), escape(kind), escape(verdicts), escape(deltas), escape(moved))
        for cell, kind, verdicts, deltas, moved in change_rows(comparison)
        if kind != UNCHANGED
    ]
    table = (
        table_html(("cell", "change", "verdict", "δ", "δ moved"), rows)
        if rows
        else "<p>Every cell has the verdict it had.</p>"
    )
    title = f"Since {escape(comparison.baseline)} ({escape(comparison.baseline_date)})"
    return section_html(
        "changes", title, f'<p class="tally">{escape(comparison.summary())}</p>{table}'
    )
