"""Which transport class serves which ``ansible_connection``; a plain dict, no entry points."""

from __future__ import annotations

from collections.abc import Callable

from auditor.errors import ConnectError, UnsupportedConnection
from auditor.model import Connection, Target
from auditor.transports.base import Transport, TransportResult
from auditor.transports.local import LocalTransport
from auditor.transports.openssh import OpenSsh
from auditor.transports.ssh import SshSettings, SshTransport


class UnsupportedTransport:
    """Stands in for a connection kind this version cannot drive yet; fails at stage connect."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.access: dict[str, object] = {"transport": connection.value}

    async def connect(self, deadline: float) -> None:
        raise UnsupportedConnection(
            f"connection type {self._connection.value!r} is not supported by this version",
            connection=self._connection.value,
        )

    async def run(self, command: str, stdin: bytes, timeout_s: float) -> TransportResult:
        raise ConnectError("not connected")

    async def close(self) -> None:
        return None


def transport_factory(ssh: SshSettings) -> Callable[[Target], Transport]:
    """Build the per-host transport constructor the engine uses."""

    openssh = OpenSsh(ssh.ssh_config)  # one per run: asks ssh -G once per question

    def make(target: Target) -> Transport:
        if target.connection is Connection.SSH:
            return SshTransport(target, ssh, openssh)
        if target.connection is Connection.LOCAL:
            return LocalTransport()
        return UnsupportedTransport(target.connection)

    return make
