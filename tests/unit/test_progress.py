"""Progress lines: rate, time left, throttling on and off a TTY, quiet under -q, the last line."""

from __future__ import annotations

import itertools

import pytest

from pytest_warmth.progress import Lines, ProgressTracker, duration
from pytest_warmth.run import GateRun


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeTerminal:
    """Records what a tracker writes: ``("line", text)``, ``("rewrite", text)``, ``("end",)``."""

    def __init__(self, *, tty: bool = False, quiet: bool = False) -> None:
        self.tty, self.quiet = tty, quiet
        self.calls: list[tuple[str, ...]] = []

    def line(self, text: str) -> None:
        self.calls.append(("line", text))

    def rewrite(self, text: str) -> None:
        self.calls.append(("rewrite", text))

    def end_line(self) -> None:
        self.calls.append(("end",))


def tracker(terminal: FakeTerminal, clock: Clock) -> ProgressTracker:
    return ProgressTracker("factual[sad] tuned", terminal, clock=clock)


def test_rate_and_time_left_from_the_first_report_on() -> None:
    terminal, clock = FakeTerminal(), Clock()
    report = tracker(terminal, clock)
    clock.now += 10
    report(20, 400)  # the first report only sets where the rate is measured from
    assert terminal.calls == [("line", "warmth: factual[sad] tuned: 20/400 items")]
    clock.now += 10
    report(50, 400)  # 30 items in 10 s: 3.0 items/s, 350 left: about 1m57s
    assert terminal.calls[-1] == (
        "line",
        "warmth: factual[sad] tuned: 50/400 items, 3.0 items/s, about 1m57s left",
    )
    clock.now += 40
    report(120, 400)  # 100 items in 50 s since the first report: 2.0 items/s, 280 left
    assert terminal.calls[-1] == (
        "line",
        "warmth: factual[sad] tuned: 120/400 items, 2.0 items/s, about 2m20s left",
    )


def test_answers_given_back_at_once_do_not_inflate_the_rate() -> None:
    terminal, clock = FakeTerminal(), Clock()
    report = tracker(terminal, clock)
    report(300, 400)  # the cache gave 300 answers back before any was computed
    clock.now += 50
    report(400, 400)  # 100 computed in 50 s
    assert terminal.calls[-1] == ("line", "warmth: factual[sad] tuned: 400/400 items, 2.0 items/s")


def test_the_final_line_has_no_time_left_and_no_rate_without_a_second_report() -> None:
    terminal, clock = FakeTerminal(), Clock()
    report = tracker(terminal, clock)
    clock.now += 3
    report(80, 80)
    report(80, 80)  # told again: said once
    assert terminal.calls == [("line", "warmth: factual[sad] tuned: 80/80 items")]


def test_not_a_tty_one_line_every_ten_seconds_then_the_final_one() -> None:
    terminal, clock = FakeTerminal(), Clock()
    report = tracker(terminal, clock)
    for done in range(1, 100):  # one item a second for 99 s
        clock.now += 1
        report(done, 100)
    clock.now += 1
    report(100, 100)
    dones = [int(call[1].split(": ")[2].split("/")[0]) for call in terminal.calls]
    assert dones == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert {call[0] for call in terminal.calls} == {"line"}
    assert terminal.calls[-1] == ("line", "warmth: factual[sad] tuned: 100/100 items, 1.0 items/s")


def test_on_a_tty_one_line_rewritten_at_most_four_times_a_second_then_finished() -> None:
    terminal, clock = FakeTerminal(tty=True), Clock()
    report = tracker(terminal, clock)
    times = []
    for done in range(1, 80):  # eight items a second (one every 0.125 s) for 10 s
        clock.now += 0.125
        before = len(terminal.calls)
        report(done, 80)
        if len(terminal.calls) > before:
            times.append(clock.now)
    clock.now += 0.125
    report(80, 80)
    # at most four a second
    assert min(later - earlier for earlier, later in itertools.pairwise(times)) >= 0.25
    assert len(times) == 39  # no fewer than four a second: every other report, before the last one
    assert {call[0] for call in terminal.calls[:-2]} == {"rewrite"}
    assert terminal.calls[-2:] == [
        ("rewrite", "warmth: factual[sad] tuned: 80/80 items, 8.0 items/s"),
        ("end",),
    ]
    middle = terminal.calls[20][1]  # 2 + 2*20 = 42 items done after 5.25 s
    assert middle == "warmth: factual[sad] tuned: 42/80 items, 8.0 items/s, about 5s left"


def test_quiet_writes_nothing_at_all() -> None:
    for tty in (False, True):
        terminal, clock = FakeTerminal(tty=tty, quiet=True), Clock()
        report = tracker(terminal, clock)
        for done in range(0, 101, 10):
            clock.now += 30
            report(done, 100)
        assert terminal.calls == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "0s"), (44.6, "45s"), (59.4, "59s"), (90, "1m30s"), (3599, "59m59s"),
     (3600, "1h00m"), (2 * 3600 + 5 * 60 + 9, "2h05m"), (-3, "0s")],
)  # fmt: skip
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_a_slow_rate_keeps_its_digits() -> None:
    terminal, clock = FakeTerminal(), Clock()
    report = tracker(terminal, clock)
    report(0, 10)
    clock.now += 50
    report(2, 10)  # 0.04 items/s: 8 left take 200 s
    assert terminal.calls[-1][1].endswith("2/10 items, 0.04 items/s, about 3m20s left")


def test_a_run_without_a_terminal_says_each_line() -> None:
    said: list[str] = []
    lines = Lines(said.append)
    report = ProgressTracker("all cells, base", lines, clock=Clock())
    report(80, 80)
    assert said == ["warmth: all cells, base: 80/80 items"]
    # GateRun's default terminal goes through ``say``, also when ``say`` is replaced later
    run = GateRun(None, None, None)  # type: ignore[arg-type]  # progress needs none of them
    run.say = said.append
    run.progress("all cells, tuned")(8, 8)
    assert said[-1] == "warmth: all cells, tuned: 8/8 items"
