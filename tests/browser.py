"""Headless Chromium for tests of the HTML report: screenshots and the DOM after scripts ran.

Chromium is looked up on PATH (``chromium``, ``chromium-browser``, ``google-chrome``). Without
one a test is skipped locally, but fails when the environment variable ``CI`` is set: CI
installs Chromium, so a missing one there is a broken job, not a reason to skip.

Both functions return the page's console lines (messages, uncaught errors and Content
Security Policy refusals, as Chromium logs them to stderr with ``--enable-logging=stderr``),
so a test can assert the page ran cleanly. Each call uses a fresh profile directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT = 90.0
"""Seconds one Chromium call may take (it takes about one)."""
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-extensions",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium() -> str:
    """The path of a Chromium on PATH; skips the test without one (fails it under CI)."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    reason = f"no headless browser on PATH (looked for {', '.join(NAMES)})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests: install chromium", pytrace=False)
    pytest.skip(reason)


def url(html: Path, hash: str = "") -> str:
    """The ``file://`` URL of ``html``, with ``#hash`` when given."""
    fragment = hash.removeprefix("#")
    return html.resolve().as_uri() + (f"#{fragment}" if fragment else "")


def console_lines(stderr: str) -> list[str]:
    """The page's console lines in Chromium's log (``...:INFO:CONSOLE:1] "message", ...``)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _run(*args: str) -> tuple[str, list[str]]:
    """Run Chromium with a fresh profile; return its stdout and the console lines."""
    executable = chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [executable, *_FLAGS, f"--user-data-dir={profile}", *args]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"chromium took over {TIMEOUT:.0f} s: {command}: {exc}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(
            f"chromium exited with {done.returncode}: {command}\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    return done.stdout, console_lines(done.stderr)


def screenshot(
    html: Path, png: Path, *, hash: str = "", size: tuple[int, int] = (1200, 2400)
) -> list[str]:
    """Render ``html`` (at ``#hash``) into ``png`` with a ``size`` window; the console lines."""
    png.unlink(missing_ok=True)
    width, height = size
    _, console = _run(
        f"--window-size={width},{height}", f"--screenshot={png.resolve()}", url(html, hash)
    )
    if not png.is_file() or png.stat().st_size == 0:
        pytest.fail(f"chromium wrote no screenshot to {png}", pytrace=False)
    return console


def dump_dom(html: Path, *, hash: str = "") -> tuple[str, list[str]]:
    """The DOM of ``html`` (at ``#hash``) serialised after its scripts ran, and the console."""
    dom, console = _run("--dump-dom", url(html, hash))
    if "<html" not in dom:
        pytest.fail(f"chromium dumped no DOM for {html}: {dom[:400]!r}", pytrace=False)
    return dom, console
