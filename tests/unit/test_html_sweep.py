"""The HTML report's checkpoint sweep section, on hand-built results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from pytest_warmth.reporting import html_report
from pytest_warmth.reporting.html_sweep import trajectory
from pytest_warmth.reporting.svg import COLOURS
from pytest_warmth.results import CellResult, ModelInfo, RunResult

LABELS = ("100", "200", "300")
VERDICTS = {
    ("100", "plain"): "PASS", ("100", "sad"): "INCONCLUSIVE",
    ("200", "plain"): "PASS", ("200", "sad"): "PASS",
    ("300", "plain"): "PASS", ("300", "sad"): "FAIL",
}  # fmt: skip
TUNED_ERRORS = {"100": 2, "200": 3, "300": 5}
HOSTILE = "<script>alert(1)</script>"


def _cell(label: str, context: str, suite: str = "tiny") -> CellResult:
    errors = TUNED_ERRORS[label] if context == "sad" else 2
    return CellResult(
        suite=suite, context=context, belief="none", scoring="mc", n=20,
        base_errors=0 if context == "sad" else 2, tuned_errors=errors,
        b=errors if context == "sad" else 0, c=0, test="midp", pvalue=0.01, p_adjusted=0.02,
        alpha=0.05, verdict=VERDICTS[label, context], checkpoint=label, reason="because",
    )  # fmt: skip


def _run(warmth: tuple[dict[str, Any] | None, ...] = (None, None, None), **sweep: Any) -> RunResult:
    checkpoints = []
    for label, score in zip(LABELS, warmth, strict=True):
        entry: dict[str, Any] = {"label": label, "spec": f"runs/x/checkpoint-{label}",
                                 "step": float(label), "sha256": "c" * 64}  # fmt: skip
        if score is not None:
            entry["warmth"] = score
        checkpoints.append(entry)
    return RunResult(
        settings={"min_effect": 0.05},
        models=(ModelInfo("base", "base-model", "hub model", "-", "a" * 64),),
        cells=tuple(_cell(label, context) for label in LABELS for context in ("plain", "sad")),
        environment={"date": "2026-12-06T06:00:00+00:00", "versions": {"python": "3.11"}},
        sweep={
            "checkpoints": checkpoints,
            "last_all_pass": "200",
            "correction": "holm across all 6 cells of the 3 checkpoints (one family)",
            **sweep,
        },
    )  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    group: str | None
    """The ``data-cell`` of the ``g`` it sits in."""
    title: str = ""
    text: str = ""


class _Parser(HTMLParser):
    """Every element, with the cell group it sits in and the text of its ``<title>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[Node] = []
        self.stack: list[Node] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        group = next((n.attrs.get("data-cell") for n in reversed(self.stack) if n.tag == "g"), None)
        node = Node(tag, {k: v or "" for k, v in attrs}, group)
        self.nodes.append(node)
        self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        if len(self.stack) >= 2 and self.stack[-1].tag == "title":
            self.stack[-2].title += data
        elif self.stack:
            self.stack[-1].text += data


def _parse(markup: str) -> list[Node]:
    parser = _Parser()
    parser.feed(markup)
    return parser.nodes


def test_the_section_exists_only_with_a_sweep() -> None:
    run = _run()
    assert trajectory(dataclasses.replace(run, sweep={})) == ""
    assert trajectory(run).startswith('<section id="sweep"')
    assert 'id="sweep"' not in html_report.render(dataclasses.replace(run, sweep={}))


def test_it_names_the_last_checkpoint_that_passes_and_the_family() -> None:
    markup = trajectory(_run())
    assert "The last checkpoint in training order whose cells all PASS: <b>ckpt-200</b>." in markup
    assert "holm across all 6 cells of the 3 checkpoints (one family)" in markup
    none = trajectory(_run(last_all_pass=None))
    assert "No checkpoint has all its cells PASS." in none
    assert "<b>ckpt-" not in none


def test_one_line_per_cell_through_every_checkpoint() -> None:
    nodes = _parse(trajectory(_run()))
    lines = {n.group: n.attrs["points"].split() for n in nodes if n.tag == "polyline"}
    assert list(lines) == ["tiny[plain]", "tiny[sad]"]
    assert [len(points) for points in lines.values()] == [3, 3]
    # x in training order; the sad cell's error rises 10 % -> 15 % -> 25 %: y falls
    xs = [float(p.split(",")[0]) for p in lines["tiny[sad]"]]
    ys = [float(p.split(",")[1]) for p in lines["tiny[sad]"]]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)
    assert len(set(ys)) == 3
    bases = [n for n in nodes if n.tag == "line" and "base" in n.attrs.get("class", "")]
    assert [(n.group, n.attrs.get("stroke-dasharray") is not None) for n in bases] == [
        ("tiny[plain]", True), ("tiny[sad]", True),
    ]  # fmt: skip
    assert [n.title for n in bases] == ["tiny[plain]: base 10.0%", "tiny[sad]: base 0.0%"]
    axis = [n.text for n in nodes if n.tag == "text" and n.text.startswith("ckpt-")]
    assert axis == ["ckpt-100", "ckpt-200", "ckpt-300"]


def test_points_are_coloured_by_their_checkpoints_verdict() -> None:
    points = [n for n in _parse(trajectory(_run())) if n.tag == "circle"]
    assert len(points) == 6
    for point in points:
        label = point.title.split()[0].removeprefix("ckpt-")
        context = "sad" if point.group == "tiny[sad]" else "plain"
        assert point.attrs["fill"] == COLOURS[VERDICTS[label, context]], point.title
    tips = [p.title for p in points]
    assert "ckpt-300 tiny[sad]: tuned 25.0%, base 0.0%, delta +25.0%, FAIL" in tips
    assert "ckpt-100 tiny[sad]: tuned 10.0%, base 0.0%, delta +10.0%, INCONCLUSIVE" in tips


def test_the_table_has_a_row_per_cell_and_a_column_per_checkpoint() -> None:
    nodes = _parse(trajectory(_run()))
    table = next(n for n in nodes if n.tag == "table")
    assert table.attrs["class"] == "sweep"
    heads = [n for n in nodes if n.tag == "th"]
    rows = [n for n in nodes if n.tag == "tr"]
    assert len(heads) == 4
    assert len(rows) == 3  # header and two cells: no warmth row
    markup = trajectory(_run())
    assert '<td>25.0% / +25.0% <span class="verdict" style="background:#c62828">FAIL</span>' in (
        markup
    )


def test_what_came_from_outside_is_escaped() -> None:
    run = _run()
    hostile_cells = tuple(
        dataclasses.replace(c, checkpoint=HOSTILE if c.checkpoint == "300" else c.checkpoint,
                            suite="<img src=x onerror=alert(1)>")
        for c in run.cells
    )  # fmt: skip
    checkpoints = [dict(c) for c in run.sweep["checkpoints"]]
    checkpoints[2].update(label=HOSTILE, spec=HOSTILE)
    run = dataclasses.replace(
        run,
        cells=hostile_cells,
        sweep={**run.sweep, "checkpoints": checkpoints, "last_all_pass": HOSTILE,
               "correction": HOSTILE},
    )  # fmt: skip
    markup = trajectory(run)
    assert "<script" not in markup
    assert "<img" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert f'title="{HOSTILE}"' not in markup
    # the hostile checkpoint still has its points, escaped in the tooltip
    tips = [n.title for n in _parse(markup) if n.tag == "circle"]
    assert sum(t.startswith(f"ckpt-{HOSTILE} ") for t in tips) == 2
    page = html_report.render(run)
    assert page.count("<script") == 1  # the page's own, allowed by its hash
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")


def test_the_warmth_chart_and_row_only_when_every_checkpoint_has_a_score() -> None:
    scores = tuple({"mean": m, "se": 0.01, "n": 40} for m in (0.02, 0.05, 0.09))
    base = {"mean": -0.03, "se": 0.01, "n": 40}
    markup = trajectory(_run(scores, base_warmth=base))
    nodes = _parse(markup)
    assert [n.attrs["class"] for n in nodes if n.tag == "svg"] == ["sweep-errors", "sweep-warmth"]
    warm = next(n for n in nodes if n.tag == "polyline" and n.attrs["class"] == "warmth")
    ys = [float(p.split(",")[1]) for p in warm.attrs["points"].split()]
    assert len(ys) == 3
    assert ys == sorted(ys, reverse=True)  # warmer is higher up
    reference = [n for n in nodes if n.tag == "line" and n.title == "base warmth -0.0300"]
    assert len(reference) == 1
    axis = [n for n in nodes if n.tag == "text" and n.text == "ckpt-100"][-1]
    # colder than every checkpoint: below them, yet inside the plot, above its axis labels
    assert ys[0] < float(reference[0].attrs["y1"]) <= float(axis.attrs["y"]) - 18
    assert "<td>warmth (base -0.0300 ± 0.0100)</td><td>+0.0200 ± 0.0100</td>" in markup
    assert len([n for n in nodes if n.tag == "tr"]) == 4
    for partial in ((*scores[:2], None), (None, None, None)):
        without = trajectory(_run(partial, base_warmth=base))
        assert "sweep-warmth" not in without
        assert "warmth (base" not in without


def test_the_page_shows_the_sweep_right_after_the_banner() -> None:
    page = html_report.render(_run())
    banner, sweep = page.index('<section id="verdict"'), page.index('<section id="sweep"')
    following = page.index("<section", sweep + 1)
    assert banner < sweep
    assert page.index("</section>", banner) < sweep  # the banner ended first
    assert page[following:].startswith('<section id="forest"')
    assert page.count('<section id="sweep"') == 1
    assert page.count("<script") == 1
    assert "script-src 'sha256-" in page
