"""The HTML report (``--warmth-html=PATH``): one self-contained file, written atomically.

Why our own SVG rather than a plotting library: the page must open offline from a CI
artifact, render the same everywhere, and escape every string that came from a model; a
forest plot and bar panels are a few dozen lines of markup, while a plotting library would add
a heavy dependency (and, for the interactive ones, a script bundle) for no gain. The only
script is a small filter over the discordant items, which touches no model text.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from pytest_warmth.reporting import html_sections as sections
from pytest_warmth.reporting import html_sweep
from pytest_warmth.reporting.baseline import Comparison
from pytest_warmth.reporting.files import FileReporter
from pytest_warmth.results import RunResult

if TYPE_CHECKING:
    import pytest

    from pytest_warmth.reporting import WarmthReport

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;color:#212121;margin:0 auto;max-width:1100px;
padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:14px;margin:0}
h4{font-size:13px;margin:0 0 4px}.meta{color:#546e7a;margin:0 0 10px}
table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid #e0e0e0;
padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}
dl.settings{display:grid;grid-template-columns:repeat(3,max-content auto);gap:2px 12px;
margin:8px 0}
dt{color:#546e7a}dd{margin:0}
.banner{border-radius:6px;padding:10px 16px;color:#fff}.banner h2{margin:0;font-size:22px}
.banner.fail{background:#c62828}.banner.pass{background:#2e7d32}.banner.open{background:#e08a00}
.banner ul{margin:6px 0 0}.tally{margin:4px 0 0;font-weight:600}
.verdict{color:#fff;border-radius:3px;padding:0 5px;font-size:12px;font-weight:600}
svg{max-width:100%;height:auto}.panels{display:flex;flex-wrap:wrap;gap:12px}
.key{margin-right:14px}.key i{display:inline-block;width:12px;height:12px;margin-right:4px;
vertical-align:-1px}
.filters{margin:8px 0;display:flex;gap:14px;flex-wrap:wrap;align-items:center}
.item{border:1px solid #e0e0e0;border-radius:6px;padding:8px 12px;margin:10px 0}
.item[hidden]{display:none}pre{white-space:pre-wrap;word-wrap:break-word;margin:4px 0;
font:13px/1.4 ui-monospace,monospace;background:#fafafa;padding:6px;border-radius:4px}
.replies{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.reply.right h4{color:#2e7d32}.reply.wrong h4{color:#c62828}
table.sweep td{white-space:nowrap}#sweep h3{margin:12px 0 4px}
"""

SCRIPT = """
(function () {
  var selects = document.querySelectorAll('select[data-filter]');
  var items = document.querySelectorAll('#item-list .item');
  var shown = document.getElementById('shown');
  function apply() {
    var want = {};
    selects.forEach(function (s) { want[s.dataset.filter] = s.value; });
    var count = 0;
    items.forEach(function (item) {
      var keep = Object.keys(want).every(function (k) {
        return !want[k] || item.dataset[k] === want[k];
      });
      item.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = 'showing ' + count + ' of ' + items.length;
    var hash = Object.keys(want).filter(function (k) { return want[k]; })
      .map(function (k) { return k + '=' + encodeURIComponent(want[k]); }).join('&');
    history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
  }
  location.hash.slice(1).split('&').forEach(function (pair) {
    var parts = pair.split('=');
    var select = document.querySelector('select[data-filter="' + parts[0] + '"]');
    if (select && parts.length === 2) {
      try { select.value = decodeURIComponent(parts[1]); } catch (e) { select.value = ''; }
    }
  });
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  apply();
})();
"""


_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()


def render(run: RunResult, comparison: Comparison | None = None) -> str:
    """The whole page for ``run``, with what changed since the baseline when given.

    The page's content policy lets only this module's own script run (by its hash): even a
    reply that slipped past escaping could not execute.
    """
    cells = run.cells
    min_effect = float(run.settings.get("min_effect") or 0.0)
    body = "".join(
        (
            sections.header(run),
            sections.banner(cells),
            html_sweep.trajectory(run),
            sections.changes(comparison) if comparison is not None else "",
            sections.forest(cells, min_effect) if cells else "",
            sections.cell_table(cells),
            sections.panels(cells) if cells else "",
            sections.beliefs(cells),
            sections.amplification(run.amplification),
            sections.graders(run.graders),
            sections.discordant(cells),
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"style-src 'unsafe-inline'; script-src '{_SCRIPT_HASH}'\">"
        f"<title>pytest-warmth: {'FAIL' if run.failed else 'no failure'}</title>"
        f"<style>{STYLE}</style></head><body>{body}<script>{SCRIPT}</script></body></html>\n"
    )


class HtmlReporter(FileReporter):
    """Writes the HTML report where ``--warmth-html`` says."""

    what = "HTML report"

    def render(self, report: WarmthReport) -> str:
        """The page."""
        return render(report.run, report.comparison)


def reporter(config: pytest.Config) -> HtmlReporter | None:
    """The reporter for this run, when ``--warmth-html`` is given."""
    from pytest_warmth.settings import SETTINGS_KEY

    path = config.stash[SETTINGS_KEY].html
    return HtmlReporter(path) if path is not None else None
