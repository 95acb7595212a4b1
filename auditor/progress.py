"""The live progress line of ``auditor run`` on a terminal (stderr), an EngineEvents listener.

``done/total`` hosts, how many are connecting or probing right now, how many
are compliant so far, and the slowest host still running with its stage and
time: what a technician watching a big run wants to know. Only drawn when
stderr is a terminal and ``--quiet`` is off; cron and systemd see nothing.
Host names are untrusted: control characters are shown escaped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from auditor.engine import NoEvents
from auditor.model import HostResult, Stage, Target

MIN_INTERVAL_S = 0.1  # at most ten redraws a second, whatever the event rate


class ProgressLine(NoEvents):
    """Rewrites one stderr line as hosts start, change stage and finish."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._total = 0
        self._done = 0
        self._compliant = 0
        self._running: dict[str, tuple[float, Stage]] = {}  # name -> (started, stage)
        self._drawn = -MIN_INTERVAL_S

    @classmethod
    def if_terminal(cls, stream: TextIO = sys.stderr, quiet: bool = False) -> ProgressLine | None:
        return cls(stream) if stream.isatty() and not quiet else None

    def run_started(self, total: int) -> None:
        self._total = total
        self._draw(force=True)

    def host_started(self, target: Target) -> None:
        self._running[target.name] = (self._clock(), Stage.RESOLVE)
        self._draw()

    def host_stage(self, target: Target, stage: Stage) -> None:
        started, _ = self._running.get(target.name, (self._clock(), stage))
        self._running[target.name] = (started, stage)
        self._draw()

    def host_finished(self, result: HostResult) -> None:
        self._running.pop(result.name, None)
        self._done += 1
        self._compliant += result.compliant
        self._draw(force=True)

    def line(self) -> str:
        """The text of the progress line (without the terminal's control sequences)."""
        parts = [f"audited {self._done}/{self._total}"]
        stages: dict[Stage, int] = {}
        for _, stage in self._running.values():
            stages[stage] = stages.get(stage, 0) + 1
        parts += [f"{stage.value} {count}" for stage, count in stages.items()]
        parts.append(f"compliant {self._compliant}")
        if self._running:
            name, (started, stage) = min(self._running.items(), key=lambda kv: kv[1][0])
            waited = self._clock() - started
            parts.append(f"slowest {_visible(name)} ({stage.value}, {waited:.0f} s)")
        return " · ".join(parts)

    def _draw(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._drawn < MIN_INTERVAL_S:
            return
        self._drawn = now
        self._stream.write(f"\r\x1b[K{self.line()}")
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\r\x1b[K")
        self._stream.flush()


def _visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text[:40])
