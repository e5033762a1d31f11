"""Progress lines for long work: items done of the total, the rate and the time left.

Pure logic, no pytest: a :class:`ProgressTracker` is the ``progress(done, total)`` callback a
side calls while it answers; it decides when to write and what, and hands the text to a
:class:`Terminal` (pytest's terminal reporter in a run, a fake in the tests). On a TTY one
line is rewritten in place a few times a second and finished with a newline; elsewhere (CI
logs) a line is written every :data:`PROGRESS_EVERY_S` seconds, then the final one; under
``-q`` nothing at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

PROGRESS_EVERY_S = 10.0
"""Seconds between two progress lines when the output is not a TTY (a CI log)."""
TTY_EVERY_S = 0.25
"""Seconds between two rewrites of the line in place on a TTY."""


class Terminal(Protocol):
    """Where progress lines go, and how."""

    @property
    def tty(self) -> bool:
        """Whether one line can be rewritten in place."""

    @property
    def quiet(self) -> bool:
        """Whether nothing should be written (``-q``)."""

    def line(self, text: str) -> None:
        """Write ``text`` as a whole line."""

    def rewrite(self, text: str) -> None:
        """Replace the line in place with ``text`` (left open)."""

    def end_line(self) -> None:
        """Finish the line left open by :meth:`rewrite`, if any, with a newline."""


class Lines:
    """A :class:`Terminal` that is no TTY and writes each line through ``say``."""

    tty = False
    quiet = False

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def line(self, text: str) -> None:
        """Say ``text``."""
        self.say(text)

    def rewrite(self, text: str) -> None:
        """Say ``text`` (no line to rewrite)."""
        self.say(text)

    def end_line(self) -> None:
        """Nothing to finish."""


def duration(seconds: float) -> str:
    """``seconds`` rounded, as ``45s``, ``1m30s`` or ``2h05m``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


class ProgressTracker:
    """A ``progress(done, total)`` callback that writes throttled lines with rate and time left.

    The rate is measured from the first report on, so answers the cache gives back at once
    (reported before any is computed) do not inflate it; until a second report, no rate.

    Args:
        label: What is counted, e.g. ``factual[sad] tuned``.
        terminal: Where the lines go; its ``tty`` and ``quiet`` decide how and whether.
        clock: Seconds from any origin, never going back.
        every_s: Seconds between two lines when not a TTY.
        tty_every_s: Seconds between two rewrites in place on a TTY.
    """

    def __init__(
        self, label: str, terminal: Terminal, *, clock: Callable[[], float] = time.monotonic,
        every_s: float = PROGRESS_EVERY_S, tty_every_s: float = TTY_EVERY_S,
    ) -> None:  # fmt: skip
        self.label, self.terminal, self.clock = label, terminal, clock
        self.every_s, self.tty_every_s = every_s, tty_every_s
        self.last_written = clock()
        self.first: tuple[int, float] | None = None
        self.rate: float | None = None
        self.finished = False

    def __call__(self, done: int, total: int) -> None:
        """Note ``done`` of ``total`` items; write a line when one is due, and the last one."""
        if self.terminal.quiet:
            return
        now = self.clock()
        if self.first is None:
            self.first = (done, now)
        elif now > self.first[1] and done > self.first[0]:
            self.rate = (done - self.first[0]) / (now - self.first[1])
        final = done >= total
        if final and self.finished:
            return
        tty = self.terminal.tty
        if not final and now - self.last_written < (self.tty_every_s if tty else self.every_s):
            return
        self.last_written = now
        text = self.text(done, total)
        if tty:
            self.terminal.rewrite(text)
            if final:
                self.terminal.end_line()
        else:
            self.terminal.line(text)
        self.finished = final

    def text(self, done: int, total: int) -> str:
        """``warmth: LABEL: done/total items[, rate items/s[, about T left]]``."""
        text = f"warmth: {self.label}: {done}/{total} items"
        if self.rate is None:
            return text
        rate = f"{self.rate:.1f}" if self.rate >= 0.1 else f"{self.rate:.2g}"
        text += f", {rate} items/s"
        if done < total:
            text += f", about {duration((total - done) / self.rate)} left"
        return text
