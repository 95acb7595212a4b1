"""Which transport serves which ``ansible_connection``, and the per-run things they share.

Each transport module brings its own settings dataclass; :class:`TransportSettings`
bundles them, so the command line builds each bundle once and nothing between
the command line and the transports needs to know what is inside. Adding a
transport is one module, one settings field and one
line in :meth:`Transports.__call__`.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from auditor.errors import ConnectError, UnsupportedConnection
from auditor.model import Connection, Target
from auditor.profile.schema import Timeouts
from auditor.transports.base import StartSignal, Transport, TransportResult
from auditor.transports.device_cli import DeviceCliTransport
from auditor.transports.jump import JumpGates
from auditor.transports.local import LocalTransport
from auditor.transports.openssh import OpenSsh
from auditor.transports.ssh import HostKeyPolicy, SshSettings, SshTransport
from auditor.transports.winrm import WinrmSettings, WinrmTransport


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """Every transport's settings for one run."""

    ssh: SshSettings = field(default_factory=SshSettings)
    winrm: WinrmSettings = field(default_factory=WinrmSettings)


def settings_for(
    timeouts: Timeouts,
    host_key_policy: HostKeyPolicy = HostKeyPolicy.STRICT,
    ssh_config: str | None = None,
    known_hosts: Path | None = None,
) -> TransportSettings:
    """One run's settings: the command line's SSH choices, the profile's connect and
    login timeouts (``auditor run``, and each job of ``auditor worker``)."""
    ssh = SshSettings(host_key_policy=host_key_policy, ssh_config=ssh_config,
                      connect_timeout_s=timeouts.connect_s, login_timeout_s=timeouts.login_s)  # fmt: skip
    if known_hosts is not None:
        ssh = dataclasses.replace(ssh, own_known_hosts=known_hosts)
    winrm = WinrmSettings(connect_timeout_s=timeouts.connect_s, login_timeout_s=timeouts.login_s)
    return TransportSettings(ssh, winrm)


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

    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: StartSignal | None = None
    ) -> TransportResult:
        raise ConnectError("not connected")

    async def close(self) -> None:
        return None


class Transports:
    """The per-host transport constructor of one run (``with Transports(...) as make``).

    Shared per run: the ``ssh -G`` cache, the gates that keep the logins
    through one jump host below its sshd's ``MaxStartups``, and one thread
    pool for pywinrm, sized by ``forks``, so at most that many WinRM calls
    block at once.
    """

    def __init__(self, settings: TransportSettings, forks: int = 50) -> None:
        self._settings = settings
        self._openssh = OpenSsh(settings.ssh.ssh_config)  # asks ssh -G once per question
        self._jump_gates = JumpGates()  # logins through one jump host: below its MaxStartups
        self._pool = ThreadPoolExecutor(max_workers=max(1, forks), thread_name_prefix="winrm")

    def __call__(self, target: Target) -> Transport:
        if target.connection is Connection.SSH:
            return SshTransport(target, self._settings.ssh, self._openssh,
                                jump_gates=self._jump_gates)  # fmt: skip
        if target.connection is Connection.WINRM:
            return WinrmTransport(target, self._settings.winrm, self._pool)
        if target.connection is Connection.NETWORK_CLI and target.device is not None:
            return DeviceCliTransport(target, self._settings.ssh, self._openssh, self._jump_gates)
        if target.connection is Connection.LOCAL:
            return LocalTransport()
        return UnsupportedTransport(target.connection)

    def close(self) -> None:
        """Stop taking work; calls still running end by their own deadlines."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Transports:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
