"""SSH transport over asyncssh, with each failure mapped to its stage.

The connection is opened in explicit steps so that the report can say which
one failed and who must act: resolve the management address (``resolve``),
open TCP to the SSH port (``connect``), check the host key (``hostkey``),
authenticate (``auth``). Only then is the payload run (``probe``).

Host keys follow OpenSSH and Ansible: keys recorded in the user's
``~/.ssh/known_hosts`` and in the auditor's own file are trusted. The policy
decides what happens to a host with no recorded key: ``strict`` refuses it,
``accept-new`` records its key in the auditor's own file, ``ignore`` trusts
anything. A key that differs from a recorded one is never accepted, whatever
the policy, except ``ignore``: that is a security finding, not a retry.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from auditor.errors import (
    AuthError,
    ConnectError,
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable,
    CredentialsMissing,
    HostKeyChanged,
    HostKeyUnknown,
    LoginTimeout,
    PayloadTimeout,
    ResolveError,
    SshHandshakeFailed,
)
from auditor.model import Target
from auditor.transports.base import TransportResult
from auditor.transports.jump import parse_jump

MAX_OUTPUT_BYTES = 2_000_000  # a hostile host cannot make us buffer more than this
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


class HostKeyPolicy(enum.StrEnum):
    STRICT = "strict"
    ACCEPT_NEW = "accept-new"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class SshSettings:
    """How every SSH connection of a run behaves; one value per run."""

    host_key_policy: HostKeyPolicy = field(
        default=HostKeyPolicy.STRICT, metadata={"doc": "strict | accept-new | ignore"}
    )
    own_known_hosts: Path = field(
        default=Path("~/.local/state/auditor/known_hosts").expanduser(),
        metadata={"doc": "the auditor's own known_hosts; accept-new records keys here"},
    )
    user_known_hosts: Path = field(
        default=Path("~/.ssh/known_hosts").expanduser(),
        metadata={"doc": "OpenSSH's file, read only, as Ansible and ssh do"},
    )
    connect_timeout_s: float = field(default=10.0, metadata={"doc": "TCP connect to port 22"})
    login_timeout_s: float = field(default=15.0, metadata={"doc": "SSH handshake + auth"})


def _recorded_keys(settings: SshSettings, names: list[str], port: int) -> list[asyncssh.SSHKey]:
    """Keys any known_hosts file records for this host under any of ``names``."""
    keys: list[asyncssh.SSHKey] = []
    for path in (settings.user_known_hosts, settings.own_known_hosts):
        if not path.is_file():
            continue
        known = asyncssh.read_known_hosts(str(path))
        for name in names:
            trusted = known.match(name, name, port)[0]
            keys.extend(k for k in trusted if k not in keys)
    return keys


def _record_key(settings: SshSettings, host: str, port: int, key: asyncssh.SSHKey) -> None:
    """Append ``key`` to the auditor's own file in OpenSSH's format (accept-new)."""
    entry = host if port == 22 else f"[{host}]:{port}"
    line = f"{entry} {key.export_public_key('openssh').decode().strip()}\n"
    settings.own_known_hosts.parent.mkdir(parents=True, exist_ok=True)
    with settings.own_known_hosts.open("a", encoding="ascii") as handle:
        handle.write(line)


async def _resolve(address: str, port: int, via: str | None = None) -> tuple[int, str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveError(
            f"management address {address!r} does not resolve: {exc}", address=address, via=via
        ) from None
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0])


async def _open_tcp(
    family: int, ip: str, port: int, timeout_s: float, via: str | None = None
) -> socket.socket:
    loop = asyncio.get_running_loop()
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    facts: dict[str, str | int | float | None] = {
        "address": ip,
        "port": port,
        "connection": "ssh",
        "via": via,
    }
    try:
        async with asyncio.timeout(timeout_s):
            await loop.sock_connect(sock, (ip, port))
    except TimeoutError:
        sock.close()
        raise ConnectTimeout(
            f"no answer from {ip}:{port} within {timeout_s:g}s (filtered?)",
            timeout_s=timeout_s,
            **facts,
        ) from None
    except OSError as exc:
        sock.close()
        name = errno.errorcode.get(exc.errno or 0, "error")
        if exc.errno == errno.ECONNREFUSED:
            kind: type[ConnectError] = ConnectRefused
            what = "refused (nothing listens?)"
        else:
            kind = ConnectUnreachable if exc.errno in _UNREACHABLE else ConnectError
            what = exc.strerror or "failed"
        raise kind(f"TCP {ip}:{port} {what} [{name}]", errno=name, **facts) from None
    return sock


class SshTransport:
    """One SSH connection to one host; see the module docstring for the stages."""

    def __init__(self, target: Target, settings: SshSettings) -> None:
        self._target = target
        self._settings = settings
        self._port = target.port or 22
        self._conn: asyncssh.SSHClientConnection | None = None
        self._jump: asyncssh.SSHClientConnection | None = None

    def _credentials(self) -> dict[str, object]:
        t = self._target
        creds: dict[str, object] = {"username": t.user or "root"}
        key = Path(t.key_file).expanduser() if t.key_file else None
        if key is not None and os.access(key, os.R_OK):
            creds["client_keys"] = [str(key)]  # unreadable: refused later as credentials_missing
        if t.password:
            creds["password"] = t.password.reveal()
        return creds

    def _missing_credentials(self) -> str | None:
        """Why the inventory offered no usable credential, or None when it offered one.

        asyncssh still tries the default keys (~/.ssh/id_*) and the agent; a
        refusal then means the inventory had nothing that works for this host.
        """
        t = self._target
        if t.password:
            return None
        if t.key_file is None:
            return "no password and no key file in the inventory"
        key = Path(t.key_file).expanduser()
        if not os.access(key, os.R_OK):
            return f"key file {str(key)!r} is missing or unreadable, and no password is set"
        return None

    def _known_hosts(self, names: list[str], port: int) -> tuple[object, bool]:
        """asyncssh's ``known_hosts`` value for this host, and whether a key is recorded."""
        if self._settings.host_key_policy is HostKeyPolicy.IGNORE:
            return None, False
        recorded = _recorded_keys(self._settings, names, port)
        if recorded:
            return (recorded, [], []), True
        if self._settings.host_key_policy is HostKeyPolicy.ACCEPT_NEW:
            return None, False  # recorded after the handshake, see connect()
        return ([], [], []), False

    async def connect(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        remaining = max(0.1, deadline - loop.time())
        connect_s = min(self._settings.connect_timeout_s, remaining)
        options: dict[str, object] = {
            "config": None,
            "login_timeout": min(self._settings.login_timeout_s, remaining),
            **self._credentials(),
        }
        if self._target.jump_host:
            names = [self._target.address]
            options["tunnel"] = await self._open_jump(connect_s)
            options["host"], options["port"] = self._target.address, self._port
        else:
            family, ip = await _resolve(self._target.address, self._port)
            names = [self._target.address, ip]
            options["sock"] = await _open_tcp(family, ip, self._port, connect_s)
            options["host"] = self._target.address
        options["known_hosts"], recorded = self._known_hosts(names, self._port)
        self._conn = await self._handshake(options, recorded=recorded)
        if (
            options["known_hosts"] is None
            and self._settings.host_key_policy is HostKeyPolicy.ACCEPT_NEW
        ):
            key = self._conn.get_server_host_key()
            if key is not None:
                _record_key(self._settings, self._target.address, self._port, key)

    async def _open_jump(self, timeout_s: float) -> asyncssh.SSHClientConnection:
        jump = parse_jump(self._target.jump_host or "")
        family, ip = await _resolve(jump.host, jump.port, via=jump.host)
        sock = await _open_tcp(family, ip, jump.port, timeout_s, via=jump.host)
        options: dict[str, object] = {
            "config": None,
            "sock": sock,
            "host": jump.host,
            "login_timeout": self._settings.login_timeout_s,
            **self._credentials(),
        }
        if jump.user:
            options["username"] = jump.user
        options["known_hosts"], recorded = self._known_hosts([jump.host, ip], jump.port)
        self._jump = await self._handshake(options, recorded=recorded, jump=jump.host)
        return self._jump

    async def _handshake(
        self, options: dict[str, object], *, recorded: bool, jump: str | None = None
    ) -> asyncssh.SSHClientConnection:
        via = "jump host " if jump else ""
        facts: dict[str, str | int | None] = {"address": str(options["host"]), "via": jump}
        try:
            return await asyncssh.connect(**options)
        except asyncssh.HostKeyNotVerifiable as exc:
            if recorded:
                raise HostKeyChanged(
                    f"{via}host key differs from the recorded one: possible interception, "
                    f"not audited ({exc.reason})",
                    **facts,
                ) from None
            raise HostKeyUnknown(
                f"{via}host key not recorded in known_hosts and policy is strict "
                "(use --host-key-policy accept-new to record it)",
                **facts,
            ) from None
        except asyncssh.PermissionDenied:
            user = str(options["username"])
            missing = self._missing_credentials()
            if missing:
                raise CredentialsMissing(
                    f"{via}authentication refused for user {user!r}: {missing}", user=user, via=jump
                ) from None
            raise AuthError(
                f"{via}authentication refused for user {user!r}", user=user, via=jump
            ) from None
        except TimeoutError:
            raise LoginTimeout(
                f"{via}SSH handshake/login did not finish in time", **facts
            ) from None
        except (asyncssh.Error, OSError) as exc:
            raise SshHandshakeFailed(f"{via}SSH handshake failed: {exc}", **facts) from None

    async def run(self, command: str, stdin: bytes, timeout_s: float) -> TransportResult:
        assert self._conn is not None, "connect() first"
        started = time.monotonic()
        process = await self._conn.create_process(command, encoding=None)
        process.stdin.write(stdin)
        process.stdin.write_eof()
        stdout = bytearray()
        stderr = bytearray()

        async def pump(stream: asyncssh.SSHReader[bytes], sink: bytearray) -> None:
            while chunk := await stream.read(65536):
                sink.extend(chunk)
                if len(sink) >= MAX_OUTPUT_BYTES:
                    process.close()  # hostile or broken host: stop reading, judge what we have
                    return

        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.gather(pump(process.stdout, stdout), pump(process.stderr, stderr))
                await process.wait_closed()
        except TimeoutError:
            process.close()
            raise PayloadTimeout(
                f"payload did not finish within {timeout_s:.1f}s", bytes(stdout)
            ) from None
        return TransportResult(
            exit_status=process.exit_status,
            stdout=bytes(stdout[:MAX_OUTPUT_BYTES]),
            stderr=bytes(stderr[:MAX_OUTPUT_BYTES]),
            duration_s=time.monotonic() - started,
        )

    async def close(self) -> None:
        for conn in (self._conn, self._jump):
            if conn is not None:
                conn.close()
                try:
                    async with asyncio.timeout(2):
                        await conn.wait_closed()
                except (TimeoutError, OSError, asyncssh.Error):
                    pass  # closing is best effort; the result is already recorded
