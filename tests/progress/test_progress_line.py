"""The live progress line: done/total, hosts per stage, the slowest host; nothing when quiet."""

from __future__ import annotations

import io
from dataclasses import replace

from auditor.model import Check, HostResult, Role, Stage, Target, Verdict
from auditor.progress import ProgressLine


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def target(name: str) -> Target:
    return Target(name, "198.51.100.10", "Kunde")


def result(name: str, compliant: bool) -> HostResult:
    done = HostResult(name, "Kunde", Role.SERVER, "198.51.100.10", target(name).connection,
                      Stage.JUDGED, "audit complete", (Check("admin", Verdict.PASS, "ok"),),
                      "2026-12-01T02:05:00+00:00", 1.0)  # fmt: skip
    return done if compliant else replace(done, stage=Stage.PROBE)


def test_the_line_says_how_far_the_run_is_and_who_holds_it_up() -> None:
    clock, stream = Clock(), io.StringIO()
    line = ProgressLine(stream, clock)
    line.run_started(3)
    for name in ("web1", "db\x1b[2J1", "fw1"):
        line.host_started(target(name))
        clock.now += 1
    line.host_stage(target("web1"), Stage.PROBE)
    line.host_stage(target("db\x1b[2J1"), Stage.CONNECT)
    line.host_stage(target("fw1"), Stage.CONNECT)
    clock.now += 10
    assert line.line() == (
        "audited 0/3 · probe 1 · connect 2 · compliant 0 · slowest web1 (probe, 13 s)"
    )
    line.host_finished(result("web1", True))
    assert line.line() == (
        "audited 1/3 · connect 2 · compliant 1 · slowest db\\x1b[2J1 (connect, 12 s)"
    )  # a hostile host name cannot move the cursor
    line.host_finished(result("db\x1b[2J1", False))
    line.host_finished(result("fw1", False))
    assert line.line() == "audited 3/3 · compliant 1"
    assert stream.getvalue().startswith("\r\x1b[Kaudited 0/3")


def test_redraws_are_limited_and_quiet_or_a_pipe_draws_nothing() -> None:
    clock, stream = Clock(), io.StringIO()
    line = ProgressLine(stream, clock)
    line.run_started(100)
    for n in range(50):  # fifty events within the same instant: no redraw for any
        line.host_started(target(f"h{n}"))
    assert stream.getvalue().count("\r") == 1  # only the start
    clock.now += 0.2
    line.host_started(target("late"))
    assert stream.getvalue().count("\r") == 2
    assert ProgressLine.if_terminal(io.StringIO()) is None  # not a terminal
    assert ProgressLine.if_terminal(Tty(), quiet=True) is None
    assert isinstance(ProgressLine.if_terminal(Tty()), ProgressLine)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True
