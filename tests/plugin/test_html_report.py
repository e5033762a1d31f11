"""The HTML report (--warmth-html) from real runs, opened in headless Chromium.

Each browser test has ``browser`` in its name (select them with ``-k browser``); without a
Chromium on PATH they skip, except under CI where they fail (see tests/browser.py). Pixel
checks use the report's verdict colours: FAIL red, all-PASS green.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser import chromium, dump_dom, screenshot

# Pillow reads the screenshots (tox -e tests installs it); numpy comes with torch. An
# environment without them (tox -e demo collects this folder too) skips the module.
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")
import numpy.typing as npt  # noqa: E402

RGB = tuple[int, int, int]
RED: RGB = (0xC6, 0x28, 0x28)
GREEN: RGB = (0x2E, 0x7D, 0x32)
AMBER: RGB = (0xE0, 0x8A, 0x00)
WIDTH = 1200
HOSTILE = (
    '<script>document.title="pwned";window.pwned=1</script></html><img src=x onerror=alert(1)>'
)
QUESTION = '</pre></article><script>document.title="pwned"</script>'
"""A hostile question: the prompt must render as text too."""
HIDE_ROWS = "<style>svg.forest g.row{visibility:hidden}</style></head>"
"""Injected into a copy of the page: the forest plot without its rows, the layout unchanged."""


# --- the DOM after scripts ran -------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(tag)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Builder(HTMLParser):
    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    return builder.root


def items(dom: Element) -> list[Element]:
    """The discordant items (``<article class="item">``)."""
    return [a for a in dom.iter("article") if "item" in a.classes()]


def shown_text(dom: Element) -> str:
    (output,) = [o for o in dom.iter("output") if o.attrs.get("id") == "shown"]
    return output.text()


def title(dom: Element) -> str:
    """The page's title (the SVG figures' ``<title>`` elements are not in ``<head>``)."""
    (head,) = dom.iter("head")
    (element,) = head.iter("title")
    return element.text()


# --- pixels -----------------------------------------------------------------------------------


Pixels = npt.NDArray[np.uint8]
"""A screenshot as an array of shape (height, width, 3)."""


def shoot(html: Path, png: Path) -> Pixels:
    """Screenshot ``html`` (its console must stay clean) and return its pixels."""
    assert screenshot(html, png, size=(WIDTH, 1600)) == []
    return np.asarray(Image.open(png).convert("RGB"))


def mask(image: Pixels, colour: RGB, tolerance: int = 10) -> npt.NDArray[np.bool_]:
    """Where ``image`` has ``colour`` (give or take antialiasing)."""
    difference = np.abs(image.astype(np.int16) - np.array(colour, dtype=np.int16))
    return np.asarray((difference <= tolerance).all(axis=2))


def banner_box(image: Pixels, colour: RGB) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the banner: the first block of rows mostly ``colour``.

    The banner is a full-width coloured block; its rows, text and all, hold far more than a
    third of the page's width in its colour, which nothing else on the page does.
    """
    of_colour = mask(image, colour)
    rows = np.flatnonzero(of_colour.sum(axis=1) > image.shape[1] // 3)
    assert rows.size, f"no banner of colour {colour} in the screenshot"
    top = bottom = int(rows[0])
    for y in rows[1:]:
        if y - bottom > 12:  # the banner is one block; a later wide band is something else
            break
        bottom = int(y)
    xs = np.flatnonzero(of_colour[top : bottom + 1].any(axis=0))
    return int(xs[0]), top, int(xs[-1]), bottom


def with_and_without_forest_rows(html: Path, tmp_path: Path) -> tuple[Pixels, Pixels]:
    """Screenshots of the page as written and of a copy with the forest plot's rows hidden.

    Hiding keeps the layout, so the pixels that differ are the rows' points and whiskers.
    """
    source = html.read_text()
    assert source.count("</head>") == 1
    control = tmp_path / "no-rows.html"
    control.write_text(source.replace("</head>", HIDE_ROWS))
    page, hidden = shoot(html, tmp_path / "page.png"), shoot(control, tmp_path / "no-rows.png")
    assert page.shape == hidden.shape
    return page, hidden


def drawn_by_rows(page: Pixels, hidden: Pixels, colour: RGB) -> tuple[npt.NDArray[np.intp], ...]:
    """``(ys, xs)`` of the pixels of ``colour`` that only the forest plot's rows draw."""
    return tuple(np.nonzero(mask(page, colour) & ~mask(hidden, colour)))


def bands(ys: npt.NDArray[np.intp]) -> int:
    """How many separate horizontal bands the rows ``ys`` form (gaps of over 4 pixels)."""
    unique = np.unique(ys)
    return int(unique.size and 1 + np.count_nonzero(np.diff(unique) > 4))


def not_blank(image: Pixels) -> None:
    white = mask(image, (255, 255, 255), tolerance=0)
    assert white.mean() < 0.97, "the screenshot is almost all white"
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 50, f"only {len(colours)} colours: a blank page?"


# --- runs -------------------------------------------------------------------------------------


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", *args)


def gate(pytester: pytest.Pytester, model: Path, suite: Path, *args: str) -> Path:
    """Run the gate with ``--warmth-html``; the page's path (no browser: skip before the run)."""
    chromium()
    html = pytester.path / "report.html"
    result = run(
        pytester,
        f"--warmth-model={model}",
        f"--warmth-probes={suite}",
        "--warmth-suite=tiny",
        f"--warmth-html={html}",
        *args,
    )
    result.stdout.fnmatch_lines([f"warmth: HTML report written to {html}"])
    assert html.is_file()
    return html


@pytest.fixture
def failing_report(pytester: pytest.Pytester, beta_adapter: Path, tiny_suite: Path) -> Path:
    """The planted regression: every item of every cell flips right -> wrong."""
    return gate(pytester, beta_adapter, tiny_suite)


@pytest.mark.browser
def test_failing_run_in_the_browser(failing_report: Path, tmp_path: Path) -> None:
    source = failing_report.read_text()
    # nothing external: the SVG namespace is the page's only URL, and no element loads anything
    assert set(re.findall(r"https?://[^\s\"'<>)]*", source)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(?:src|href|srcset|action)\s*=", source)
    assert "@import" not in source
    assert "url(" not in source

    dom_text, console = dump_dom(failing_report)
    assert console == []
    dom = parse(dom_text)
    assert title(dom) == "pytest-warmth: FAIL"
    (banner,) = [s for s in dom.iter("section") if s.attrs.get("id") == "verdict"]
    assert banner.classes() == {"banner", "fail"}
    rows = {
        g.attrs["data-cell"]: g.attrs["data-verdict"] for g in dom.iter("g") if "row" in g.classes()
    }
    assert rows == {
        "tiny[plain]": "FAIL",
        "tiny[sad]": "FAIL",
        "tiny[plain+wrong]": "FAIL",
        "tiny[sad+wrong]": "FAIL",
    }
    # the script ran: the count is written with nothing filtered
    assert shown_text(dom) == f"showing {len(items(dom))} of {len(items(dom))}"
    assert len(items(dom)) == 80

    page, hidden = with_and_without_forest_rows(failing_report, tmp_path)
    not_blank(page)
    left, top, right, bottom = banner_box(page, RED)
    assert top < 600, "the banner is not at the top of the page"
    assert bottom - top > 40
    assert right - left > 600
    assert mask(page[top : bottom + 1, left : right + 1], RED).mean() > 0.5
    # red points (r=6) with their whiskers, one per row, all below the banner
    ys, _ = drawn_by_rows(page, hidden, RED)
    assert ys.size > 4 * 100
    assert ys.min() > bottom
    assert bands(ys) == 4


@pytest.mark.browser
def test_passing_run_in_the_browser(
    pytester: pytest.Pytester, zero_adapter: Path, tiny_suite: Path, tmp_path: Path
) -> None:
    # 20 items rule out a 30-point rise: with no discordant pair every cell passes
    html = gate(pytester, zero_adapter, tiny_suite, "--warmth-min-effect=0.3")
    dom_text, console = dump_dom(html)
    assert console == []
    dom = parse(dom_text)
    (banner,) = [s for s in dom.iter("section") if s.attrs.get("id") == "verdict"]
    assert banner.classes() == {"banner", "pass"}
    verdicts = [g.attrs["data-verdict"] for g in dom.iter("g") if "row" in g.classes()]
    assert verdicts == ["PASS"] * 4
    assert items(dom) == []
    assert shown_text(dom) == "showing 0 of 0"

    page, hidden = with_and_without_forest_rows(html, tmp_path)
    not_blank(page)
    left, top, right, bottom = banner_box(page, GREEN)
    assert bottom - top > 30
    assert right - left > 600
    banner_area = page[top : bottom + 1, left : right + 1]
    assert not mask(banner_area, RED).any()
    assert not mask(banner_area, AMBER).any()
    assert mask(banner_area, GREEN).mean() > 0.5
    # green points below the banner, none red
    ys, _ = drawn_by_rows(page, hidden, GREEN)
    assert ys.size > 4 * 100
    assert ys.min() > bottom
    assert bands(ys) == 4
    assert drawn_by_rows(page, hidden, RED)[0].size == 0


@pytest.mark.browser
def test_item_filter_from_the_url_hash_in_the_browser(failing_report: Path) -> None:
    everything = len(items(parse(failing_report.read_text())))
    assert everything == 80

    dom_text, console = dump_dom(failing_report, hash="direction=right-to-wrong")
    assert console == []
    dom = parse(dom_text)
    shown = [a for a in items(dom) if "hidden" not in a.attrs]
    assert len(shown) == everything  # every item of the planted regression is right -> wrong
    assert {a.attrs["data-direction"] for a in shown} == {"right-to-wrong"}
    assert shown_text(dom) == f"showing {len(shown)} of {everything}"

    # two filters at once: only the sad cell's items (a quarter of them) stay visible
    dom_text, console = dump_dom(failing_report, hash="condition=sad&direction=right-to-wrong")
    assert console == []
    dom = parse(dom_text)
    shown = [a for a in items(dom) if "hidden" not in a.attrs]
    assert {(a.attrs["data-condition"], a.attrs["data-direction"]) for a in shown} == {
        ("sad", "right-to-wrong")
    }
    assert len(shown) == 20
    assert all(a.attrs["data-condition"] != "sad" for a in items(dom) if "hidden" in a.attrs)
    assert shown_text(dom) == f"showing 20 of {everything}"

    # the planted adapter never goes wrong -> right
    dom_text, console = dump_dom(failing_report, hash="direction=wrong-to-right")
    assert console == []
    dom = parse(dom_text)
    assert len(items(dom)) == everything
    assert all("hidden" in a.attrs for a in items(dom))
    assert shown_text(dom) == f"showing 0 of {everything}"

    # a mangled link (a bad percent escape) falls back to showing everything, without errors
    dom_text, console = dump_dom(failing_report, hash="direction=%E0")
    assert console == []
    assert shown_text(parse(dom_text)) == f"showing {everything} of {everything}"


@pytest.mark.browser
def test_hostile_reply_renders_as_text_in_the_browser(
    pytester: pytest.Pytester, make_suite: Any
) -> None:
    chromium()
    suite: Path = make_suite(pytester.path / "tiny.yaml", 4)
    data = yaml.safe_load(suite.read_text())
    data["scoring"] = "generate"
    data["items"][0]["question"] = f"Is {QUESTION} the answer?"
    suite.write_text(yaml.safe_dump(data))
    plan = [
        f"--warmth-probes={suite}", "--warmth-suite=tiny", "--warmth-context=plain",
        "--warmth-belief=none",
    ]  # fmt: skip
    target = pytester.path / "prompts.jsonl"
    # in subprocesses, as in test_recorded.py: without a model fixture, the first in-process run
    # imports numpy's extensions (numpy.fft), which the next one cannot import again
    exported = pytester.runpytest_subprocess(f"--warmth-export-prompts={target}", *plan)
    assert exported.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    prompts = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(prompts) == 4
    base = pytester.path / "base.jsonl"
    base.write_text(
        "".join(json.dumps({**p, "reply": "The answer is alpha."}) + "\n" for p in prompts)
    )
    warm = pytester.path / "warm.jsonl"
    warm.write_text("".join(json.dumps({**p, "reply": HOSTILE}) + "\n" for p in prompts))
    html = pytester.path / "report.html"
    result = pytester.runpytest_subprocess(
        f"--warmth-model={warm}", f"--warmth-base={base}", f"--warmth-html={html}",
        "--warmth-scoring=generate", "--warmth-no-cache", *plan,
    )  # fmt: skip
    result.stdout.fnmatch_lines([f"warmth: HTML report written to {html}"])
    dom_text, console = dump_dom(html)
    dom = parse(dom_text)
    # the page's own filter script is its only script, and no image came out of a reply
    assert len(list(dom.iter("script"))) == 1
    assert list(dom.iter("img")) == []
    found = items(dom)
    assert len(found) == 4
    for item in found:
        replies = [pre.text() for pre in item.iter("pre") if "prompt" not in pre.classes()]
        assert replies == ["The answer is alpha.", HOSTILE]
        assert "<script>" in item.text()
    prompts_shown = [pre.text() for pre in dom.iter("pre") if "prompt" in pre.classes()]
    assert len(prompts_shown) == 4
    assert sum(1 for text in prompts_shown if f"Is {QUESTION} the answer?" in text) == 1
    # nothing ran: the title is the one written, and no script was refused or failed
    source = html.read_text()
    written_title = title(parse(source))
    assert written_title.startswith("pytest-warmth: ")
    assert title(dom) == written_title
    assert console == []
    assert source.count("<script") == 1
    assert "<img" not in source


@pytest.mark.parametrize("where", ["directory", "under-a-file", "read-only-directory"])
def test_unwritable_report_path_is_refused_before_any_work(
    pytester: pytest.Pytester,
    zero_adapter: Path,
    tiny_suite: Path,
    where: str,
    request: pytest.FixtureRequest,
) -> None:
    if where == "directory":
        path = pytester.mkdir("out")
    elif where == "under-a-file":
        path = pytester.path / "notes.txt" / "report.html"
        (pytester.path / "notes.txt").write_text("a file, not a directory\n")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        locked = pytester.mkdir("locked")
        locked.chmod(0o555)
        request.addfinalizer(lambda: locked.chmod(0o755))  # so the tmp folder can be removed
        path = locked / "report.html"
    result = run(
        pytester,
        f"--warmth-model={zero_adapter}",
        f"--warmth-probes={tiny_suite}",
        "--warmth-suite=tiny",
        f"--warmth-html={path}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.lines
    assert errors[0].startswith(f"ERROR: --warmth-html={path}")
    assert "models loaded" not in result.stdout.str()
    assert "warmth: adapter" not in result.stdout.str()
    assert not path.is_file()
