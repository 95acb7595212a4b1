"""A one-line progress display on stderr, only when stderr is a terminal (EngineEvents)."""

from __future__ import annotations

import sys
from typing import TextIO

from auditor.model import HostResult, Target


class ProgressLine:
    """Rewrites one stderr line: hosts done / started / total is unknown until the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._started = 0
        self._done = 0
        self._compliant = 0

    @classmethod
    def if_terminal(cls, stream: TextIO = sys.stderr) -> ProgressLine | None:
        return cls(stream) if stream.isatty() else None

    def host_started(self, target: Target) -> None:
        self._started += 1
        self._draw()

    def host_finished(self, result: HostResult) -> None:
        self._done += 1
        self._compliant += result.compliant
        self._draw()

    def _draw(self) -> None:
        self._stream.write(
            f"\r\x1b[Kaudited {self._done}, running {self._started - self._done}, "
            f"compliant {self._compliant}"
        )
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\r\x1b[K")
        self._stream.flush()
