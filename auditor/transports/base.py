"""The one interface every transport implements.

A transport gets a program onto a host and its output back; it knows nothing
of what is measured (that is ``payload/``) or judged (``judge/``). The engine
drives every transport the same way::

    await transport.connect(deadline)            # raises a TransportError subclass
    result = await transport.run(command, stdin, timeout_s, started)
    await transport.close()                      # never raises

Failures are our own exceptions from :mod:`auditor.errors`, each carrying the
Stage it failed at, so unreachable, untrusted, refused and hung stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TransportResult:
    """What came back from one command; ``exit_status`` None means no status was reported."""

    exit_status: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float


@dataclass(frozen=True, slots=True)
class StartSignal:
    """The command writes ``marker`` to stderr as it starts; no marker within ``within_s``
    (and the command still running) means the host never started it."""

    marker: bytes
    within_s: float


class Transport(Protocol):
    """Connect with a deadline, run one command with input, close.

    ``access`` says how the host was reached (address, port, user, the key's
    fingerprint, the server's algorithms): plain JSON facts, never a secret;
    filled as far as the connection got.
    """

    @property
    def access(self) -> Mapping[str, Any]:
        """How the host was reached, as far as the connection got."""
        ...

    async def connect(self, deadline: float) -> None:
        """Reach and authenticate by ``deadline`` (``loop.time()`` based)."""

    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: StartSignal | None = None
    ) -> TransportResult:
        """Run ``command`` with ``stdin``; raise PayloadTimeout (with partial output) on timeout.

        With ``started``, a transport that can watch stderr raises PayloadNotStarted
        when the marker does not come in time, so a host that hangs after the login
        costs seconds, not the payload's whole deadline.
        """
        ...

    async def close(self) -> None:
        """Release the connection; must not raise."""
