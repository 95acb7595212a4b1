"""Network devices over their CLI (``ansible_connection: network_cli``): SSH, then a dialog.

Reaching the device is the SSH transport's job, unchanged: the same stages
(``resolve``, ``connect``, ``hostkey``, ``auth``), the same ``ssh -G``
settings, known_hosts policy and findings as any SSH host. Only then does
this transport differ: instead of running a program it opens an interactive
shell with a terminal on the authenticated connection and holds the
auditor's dialog (``devices/dialog.py``) through scrapli's asyncio channel.

scrapli (the "classic" 2025.x line: pure Python over asyncssh) is given our
already authenticated asyncssh connection instead of opening its own, so a
device is logged into once, with the MSP's OpenSSH settings, and every
timeout is ours (scrapli's are switched off).

The dialog's observations come back framed exactly as a payload's
(``payload.parse_output``), so the engine and the judge treat a device as
any other host.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

import asyncssh
from scrapli.driver.base.async_driver import AsyncDriver
from scrapli.transport.plugins.asyncssh.transport import AsyncsshTransport

from auditor.devices.dialog import Account, observe
from auditor.devices.platforms import BY_KEY, Platform
from auditor.devices.session import CliSession
from auditor.errors import PayloadMalformed, PayloadTimeout
from auditor.model import Target
from auditor.payload import BEGIN, END, OBSERVATIONS_VERSION
from auditor.payload.delivery import DEVICE_COMMAND
from auditor.transports.base import StartSignal, TransportResult
from auditor.transports.jump import JumpGates
from auditor.transports.openssh import OpenSsh
from auditor.transports.ssh import SshSettings, SshTransport

PAYLOAD_NAME = "device-cli"
# A terminal wide enough that no command echo wraps, tall enough that devices
# which honour the terminal's height never page.
TERMINAL = (511, 1000)
MIN_COMMAND_TIMEOUT_S = 5.0


class _BorrowedConnection(AsyncsshTransport):
    """scrapli's asyncssh transport on a connection that is already open and authenticated.

    ``open`` starts an interactive session with a terminal on it; ``close``
    ends only that session: the connection belongs to the SSH transport.
    """

    def __init__(self, conn: asyncssh.SSHClientConnection, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._borrowed = conn

    async def open(self) -> None:
        self.session = self._borrowed
        self.stdin, self.stdout, _ = await self._borrowed.open_session(
            term_type="xterm", term_size=TERMINAL, encoding=None
        )

    def close(self) -> None:
        if self.stdin is not None:
            self.stdin.channel.close()
        self.session = self.stdin = self.stdout = None


class _Driver(AsyncDriver):
    """scrapli's base asyncio driver (transport plus channel) on a borrowed connection."""

    def __init__(self, conn: asyncssh.SSHClientConnection, **kwargs: Any) -> None:
        self._borrowed = conn
        super().__init__(**kwargs)

    def _transport_factory(self) -> tuple[Any, object]:
        _, plugin_args = super()._transport_factory()
        return partial(_BorrowedConnection, self._borrowed), plugin_args


class DeviceCliTransport:
    """One network device: SSH login, then the CLI dialog; see the module docstring."""

    def __init__(
        self,
        target: Target,
        settings: SshSettings,
        openssh: OpenSsh,
        jump_gates: JumpGates | None = None,
    ) -> None:
        assert target.device is not None, "network_cli targets carry DeviceOptions"
        self._target = target
        self._platform: Platform = BY_KEY[target.device.platform]
        self._ssh = SshTransport(target, settings, openssh, self._platform.login_suffix, jump_gates)

    @property
    def access(self) -> Mapping[str, Any]:
        return {**self._ssh.access, "transport": "network_cli", "platform": self._platform.key}

    async def connect(self, deadline: float) -> None:
        await self._ssh.connect(deadline)

    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: StartSignal | None = None
    ) -> TransportResult:
        if command != DEVICE_COMMAND:
            raise PayloadMalformed(f"a network device runs no program (asked for {command!r})")
        plan = json.loads(stdin)
        begun = time.monotonic()
        per_command = max(MIN_COMMAND_TIMEOUT_S, 2 * float(plan.get("probe_timeout_s", 0)))
        driver = _Driver(
            self._ssh.connection,
            host=str(self._ssh.access.get("address", self._target.address)),
            auth_username=str(self._ssh.access.get("user", "")),
            auth_strict_key=False,  # the SSH transport already verified the host key
            transport="asyncssh",
            comms_return_char=self._platform.return_char,
            timeout_socket=0,
            timeout_transport=0,
            timeout_ops=0,
        )
        device = self._target.device
        assert device is not None
        account = Account(
            user=str(self._ssh.access.get("user", "")),
            become=device.become,
            secret=self._target.become_password,
        )
        try:
            async with asyncio.timeout(timeout_s):
                await driver.open()
                session = CliSession(driver.channel, self._platform.prompts, per_command)
                sections = await observe(session, self._platform, account, admin="admin" in plan)
        except TimeoutError:
            raise PayloadTimeout(
                f"the device dialog did not finish within {timeout_s:.1f}s"
            ) from None
        finally:
            driver.transport.close()
        doc = {"observations_version": OBSERVATIONS_VERSION, "payload": PAYLOAD_NAME, **sections}
        body = json.dumps(doc, ensure_ascii=True, sort_keys=True).encode("ascii")
        return TransportResult(
            exit_status=0,
            stdout=b"\n".join((BEGIN, body, END)) + b"\n",
            stderr=b"",
            duration_s=time.monotonic() - begun,
        )

    async def close(self) -> None:
        await self._ssh.close()
