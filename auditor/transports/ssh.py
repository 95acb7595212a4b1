"""SSH transport over asyncssh, configured as the MSP's OpenSSH would be, each failure a stage.

Settings: ``ssh -G`` with Ansible's arguments for the host
(:mod:`auditor.transports.openssh`): host name, port, user, identity files,
agent, certificates, jump host or proxy command, algorithms (only those
OpenSSH would accept: legacy ones only where the inventory or ssh_config
allows them), timeouts, known_hosts files. Credentials:
:mod:`auditor.transports.ssh_auth`.

The connection is opened in explicit steps so that the report can say which
one failed and who must act: resolve the management address (``resolve``),
open TCP to the SSH port (``connect``; through a jump host or a proxy command
when configured), the key exchange (``connect``: a server offering only
outdated algorithms is said to be so, it is not "unreachable"), the host key
(``hostkey``), authentication (``auth``). Only then is the payload run
(``probe``). :attr:`SshTransport.access` records how the host was reached.

Host keys follow OpenSSH and Ansible: keys recorded in the known_hosts files
OpenSSH uses for the host and in the auditor's own file are trusted. The
policy decides what happens to a host with no recorded key: ``strict``
refuses it, ``accept-new`` records its key in the auditor's own file,
``ignore`` trusts anything; a host whose settings say
``StrictHostKeyChecking no`` or ``accept-new`` (as Ansible inventories for
appliances often do) is treated as ``accept-new``. A key that differs from a
recorded one is never accepted, whatever the policy, except ``ignore``: that
is a security finding, not a retry.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from auditor.errors import (
    AuthError,
    ConnectError,
    CredentialsMissing,
    HostKeyChanged,
    HostKeyUnknown,
    LoginTimeout,
    PayloadError,
    PayloadNotStarted,
    PayloadTimeout,
    SshAlgorithmsOutdated,
    SshConfigInvalid,
    SshHandshakeFailed,
)
from auditor.model import Secret, Target
from auditor.transports.base import StartSignal, TransportResult
from auditor.transports.jump import JumpGates, parse_jump
from auditor.transports.openssh import OpenSsh, OpenSshConfig, home_path
from auditor.transports.reach import open_tcp, resolve
from auditor.transports.ssh_algs import Algorithms, algorithms
from auditor.transports.ssh_auth import AuditClient, Credentials, gather
from auditor.transports.ssh_offer import (
    CATEGORIES,
    Offer,
    OfferUnreadable,
    negotiated,
    outdated,
    read_offer,
)

MAX_OUTPUT_BYTES = 2_000_000  # a hostile host cannot make us buffer more than this
Facts = dict[str, str | int | float | None]


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
    ssh_config: str | None = field(
        default=None, metadata={"doc": "--ssh-config: OpenSSH's -F (default ~/.ssh/config)"}
    )
    connect_timeout_s: float = field(default=10.0, metadata={"doc": "TCP connect to port 22"})
    login_timeout_s: float = field(default=15.0, metadata={"doc": "SSH handshake + auth"})


def _known_files(config: OpenSshConfig, settings: SshSettings) -> list[Path]:
    """OpenSSH's user and global known_hosts files for this host, then the auditor's own."""
    named = [p for k in ("userknownhostsfile", "globalknownhostsfile") for v in config.all(k)
             for p in v.split()]  # fmt: skip
    return [*(home_path(p) for p in named), settings.own_known_hosts]


def _recorded_keys(files: list[Path], names: list[str], port: int) -> list[asyncssh.SSHKey]:
    """Keys any of ``files`` records for this host under any of ``names``."""
    keys: list[asyncssh.SSHKey] = []
    for path in files:
        if not path.is_file():
            continue
        known = _parsed(path)
        for name in names:
            trusted = known.match(name, name, port)[0]
            keys.extend(k for k in trusted if k not in keys)
    return keys


def _parsed(path: Path) -> asyncssh.SSHKnownHosts:
    """``path`` parsed once per version of the file, not once per host.

    A fleet's known_hosts has a line or two per host; parsing it again for
    every host made the controller's cost grow with the square of the fleet.
    A file that changes (accept-new appends) is read again.
    """
    st = path.stat()
    return _parsed_version(str(path), st.st_ino, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=32)
def _parsed_version(path: str, inode: int, mtime_ns: int, size: int) -> asyncssh.SSHKnownHosts:
    del inode, mtime_ns, size  # the cache key: which version of the file
    return asyncssh.read_known_hosts(path)


def _record_key(settings: SshSettings, host: str, port: int, key: asyncssh.SSHKey) -> None:
    """Append ``key`` to the auditor's own file in OpenSSH's format (accept-new)."""
    entry = host if port == 22 else f"[{host}]:{port}"
    line = f"{entry} {key.export_public_key('openssh').decode().strip()}\n"
    settings.own_known_hosts.parent.mkdir(parents=True, exist_ok=True)
    with settings.own_known_hosts.open("a", encoding="ascii") as handle:
        handle.write(line)


def _expand_proxy_command(command: str, host: str, port: int, user: str, original: str) -> str:
    """OpenSSH's ``%h %p %r %n %%`` tokens in a ProxyCommand."""
    tokens = {"h": host, "p": str(port), "r": user, "n": original, "%": "%"}
    out, i = [], 0
    while i < len(command):
        if command[i] == "%" and i + 1 < len(command) and command[i + 1] in tokens:
            out.append(tokens[command[i + 1]])
            i += 2
        else:
            out.append(command[i])
            i += 1
    return "".join(out)


@dataclass(slots=True)
class _Hop:
    """One SSH connection on the way: its settings, credentials and what it became."""

    config: OpenSshConfig
    algs: Algorithms
    creds: Credentials
    client: AuditClient
    conn: asyncssh.SSHClientConnection | None = None


class SshTransport:
    """One SSH connection to one host; see the module docstring for the stages."""

    def __init__(
        self,
        target: Target,
        settings: SshSettings,
        openssh: OpenSsh,
        login_suffix: str = "",
        jump_gates: JumpGates | None = None,
    ) -> None:
        self._target = target
        self._settings = settings
        self._openssh = openssh
        self._jump_gates = jump_gates or JumpGates()  # shared per run by transports/registry.py
        # Appended to the login name only (RouterOS reads console options from it).
        self._login_suffix = login_suffix
        self._hops: list[_Hop] = []
        self._tunnel: asyncssh.SSHClientConnection | None = None  # the last jump host, if any
        self._conn: asyncssh.SSHClientConnection | None = None
        self.access: dict[str, Any] = {"transport": "ssh"}

    async def connect(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        t = self._target
        config = await self._openssh.effective(t.ssh_args, t.address)
        host = config.get("hostname") or t.address
        port = config.number("port") or 22
        user = config.get("user") or "root"
        self.access.update(address=host, port=port, user=user)
        remaining = max(0.1, deadline - loop.time())
        connect_s = min(self._settings.connect_timeout_s, remaining)
        if (limit := config.number("connecttimeout")) is not None:
            connect_s = min(connect_s, float(limit))
        options: dict[str, Any] = {
            "host": host, "port": port, "username": user + self._login_suffix,
        }  # fmt: skip
        names = [host, t.address]
        if (jump := config.proxy_jump()) is not None:
            self.access["via"] = jump
            options["tunnel"] = self._tunnel = await self._open_jumps(jump, connect_s)
        elif (command := config.proxy_command()) is not None:
            options["proxy_command"] = _expand_proxy_command(command, host, port, user, t.address)
            self.access["via"] = options["proxy_command"]
        else:
            family, ip = await resolve(host, port)
            names.append(ip)
            self.access["address"] = ip
            options["sock"] = await open_tcp(family, ip, port, connect_s, "ssh")
        options["login_timeout"] = min(self._settings.login_timeout_s, remaining)
        hop = await self._hop(config, t.password, t.private_key, t.key_passphrase)
        self._conn = await self._handshake(hop, options, names)
        self._describe(hop, self._conn)
        await self._note_outdated(hop, host, port, connect_s)

    async def _hop(
        self,
        config: OpenSshConfig,
        password: Secret | None = None,
        inline_key: Secret | None = None,
        passphrase: Secret | None = None,
    ) -> _Hop:
        modern = await self._openssh.defaults()
        algs = algorithms(config, modern)
        creds = await gather(config, password, inline_key, passphrase)
        hop = _Hop(config, algs, creds, AuditClient(creds.offered, password))
        self._hops.append(hop)
        return hop

    async def _open_jumps(self, spec: str, timeout_s: float) -> asyncssh.SSHClientConnection:
        """Each hop of ``ProxyJump`` in turn, as OpenSSH does: its own settings (ssh -G)."""
        tunnel: asyncssh.SSHClientConnection | None = None
        for text in spec.split(","):
            jump = parse_jump(text)
            args = [*(("-l", jump.user) if jump.user else ()), "-p", str(jump.port)]
            config = await self._openssh.effective(args, jump.host)
            host = config.get("hostname") or jump.host
            port = config.number("port") or jump.port
            hop = await self._hop(config)
            options: dict[str, Any] = {
                "host": host, "port": port, "username": config.get("user") or "root",
                "login_timeout": self._settings.login_timeout_s,
            }  # fmt: skip
            names = [host, jump.host]
            async with self._jump_gates.gate(host, port):  # the jump host's MaxStartups
                if tunnel is not None:
                    options["tunnel"] = tunnel
                else:
                    family, ip = await resolve(host, port, via=jump.host)
                    names.append(ip)
                    options["sock"] = await open_tcp(family, ip, port, timeout_s, "ssh",
                                                     via=jump.host)  # fmt: skip
                tunnel = await self._handshake(hop, options, names, jump=jump.host)
        assert tunnel is not None
        return tunnel

    def _policy(self, config: OpenSshConfig) -> HostKeyPolicy:
        """The run's policy, widened to accept-new where the host's settings ask for it."""
        policy = self._settings.host_key_policy
        checking = (config.get("stricthostkeychecking") or "ask").lower()
        if policy is HostKeyPolicy.STRICT and checking in ("no", "off", "false", "accept-new"):
            return HostKeyPolicy.ACCEPT_NEW
        return policy

    async def _handshake(
        self, hop: _Hop, options: dict[str, Any], names: list[str], *, jump: str | None = None
    ) -> asyncssh.SSHClientConnection:
        via = "jump host " if jump else ""
        facts: Facts = {"address": str(options["host"]), "via": jump}
        port = int(options["port"])
        policy = self._policy(hop.config)
        recorded = policy is not HostKeyPolicy.IGNORE and bool(
            keys := _recorded_keys(_known_files(hop.config, self._settings), names, port)
        )
        if policy is HostKeyPolicy.IGNORE:
            known: object = None
        elif recorded:
            known = (keys, [], [])
        else:
            known = None if policy is HostKeyPolicy.ACCEPT_NEW else ([], [], [])
        alive = hop.config.number("serveraliveinterval") or 0
        keepalive = {"keepalive_interval": alive, "keepalive_count_max":
                     hop.config.number("serveralivecountmax") or 3} if alive else {}  # fmt: skip
        try:
            conn = await asyncssh.connect(
                **options, config=None, known_hosts=known, client_factory=lambda: hop.client,
                client_keys=None, agent_path=None, password=None, **hop.algs.options(),
                **keepalive,
            )  # fmt: skip
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
            user = str(options["username"]).removesuffix(self._login_suffix)
            raise self._refused(hop, user, via, jump) from None
        except TimeoutError:
            raise LoginTimeout(
                f"{via}SSH handshake/login did not finish in time", **facts
            ) from None
        except (asyncssh.Error, OSError) as exc:
            # A server that finds no common algorithm may close before the client has
            # said so (KeyExchangeFailed or ConnectionLost, by timing): its offer decides.
            raise await self._handshake_failed(hop, options, exc, via, facts) from None
        except ValueError as exc:  # asyncssh refuses an option value
            raise SshConfigInvalid(f"{via}SSH settings refused: {exc}", error=str(exc)) from None
        if known is None and policy is HostKeyPolicy.ACCEPT_NEW:
            key = conn.get_server_host_key()
            if key is not None:
                _record_key(self._settings, str(options["host"]), port, key)
        hop.conn = conn
        return conn

    def _refused(self, hop: _Hop, user: str, via: str, jump: str | None) -> AuthError:
        """Refused login: missing credentials when nothing usable was there to offer."""
        locked = f"; unusable key files: {', '.join(hop.creds.locked)}" if hop.creds.locked else ""
        if not hop.creds.offered:
            return CredentialsMissing(
                f"{via}authentication refused for user {user!r}: no password, no key in the "
                f"agent and no readable key file{locked}",
                user=user,
                via=jump,
            )
        tried = ", ".join(c.fingerprint or c.kind for c in hop.creds.offered)
        return AuthError(
            f"{via}authentication refused for user {user!r} (tried {tried}){locked}",
            user=user,
            via=jump,
        )

    async def _handshake_failed(
        self, hop: _Hop, options: dict[str, Any], exc: Exception, via: str, facts: Facts
    ) -> ConnectError:
        """Why the handshake failed: no algorithm in common with an outdated server (said
        so, with its offer), no algorithm in common otherwise, or the error as it came."""
        offer = await self._offer(options)
        if offer is None:
            return SshHandshakeFailed(f"{via}SSH handshake failed: {exc}", **facts)
        apart = {c: offer.of(c) for c in CATEGORIES if not set(offer.of(c)) & set(hop.algs.of(c))}
        old = {c: v for c, v in outdated(offer, hop.algs.modern).items() if c in apart}
        if old:
            offered = "; ".join(f"{k}: {','.join(v) or '-'}" for k, v in old.items())
            return SshAlgorithmsOutdated(
                f"{via}the SSH server offers only outdated algorithms ({offered})",
                offered=offered, server=offer.banner, **facts,
            )  # fmt: skip
        if apart:
            offered = "; ".join(f"{k}: {','.join(v) or '-'}" for k, v in apart.items())
            return SshHandshakeFailed(
                f"{via}no algorithm in common with the SSH server ({offered})", **facts
            )
        return SshHandshakeFailed(f"{via}SSH handshake failed: {exc}", **facts)

    async def _offer(self, options: Mapping[str, Any]) -> Offer | None:
        """The server's algorithms on a connection of their own (never authenticated)."""
        host, port = str(options["host"]), int(options["port"])
        try:
            if "tunnel" in options:
                reader, writer = await options["tunnel"].open_connection(host, port)
                return await read_offer(host, port, self._settings.connect_timeout_s,
                                        streams=(reader, writer))  # fmt: skip
            if "proxy_command" in options:
                return None  # the command is the user's: no second run of it
            return await read_offer(host, port, self._settings.connect_timeout_s)
        except (OfferUnreadable, asyncssh.Error, OSError):
            return None

    def _describe(self, hop: _Hop, conn: asyncssh.SSHClientConnection) -> None:
        """How the host was reached: the evidence behind 'the auditor could log in'."""
        used = hop.client.accepted
        key = conn.get_server_host_key()
        self.access.update(
            server=conn.get_extra_info("server_version"),
            host_key=f"{key.get_algorithm()} {key.get_fingerprint()}" if key else None,
            cipher=conn.get_extra_info("send_cipher"),
            mac=conn.get_extra_info("send_mac"),
            auth=used.kind if used else None,
            key=used.label if used and used.kind != "password" else None,
            fingerprint=used.fingerprint if used else None,
            certificate=used.certificate if used else None,
        )
        if hop.creds.locked:
            self.access["unusable_keys"] = list(hop.creds.locked)
        self.access = {k: v for k, v in self.access.items() if v is not None}

    async def _note_outdated(self, hop: _Hop, host: str, port: int, timeout_s: float) -> None:
        """When the settings allowed outdated algorithms: were they needed? (evidence for a note)"""
        if not hop.algs.widened or self._conn is None:
            return
        options: dict[str, Any] = {"host": host, "port": port}
        if self._tunnel is not None:
            options["tunnel"] = self._tunnel
        offer = await self._offer(options)
        if offer is None:
            return
        cipher, mac = self.access.get("cipher"), self.access.get("mac")
        used = {
            "kex": negotiated(hop.algs.kex, offer.kex),
            "host_key": negotiated(hop.algs.host_key, offer.host_key),
            "cipher": cipher,
            "mac": None if mac == cipher else mac,  # an AEAD cipher is its own MAC
        }
        old = {k: v for k, v in used.items() if v and v not in hop.algs.modern.get(k, ())}
        if old:
            self.access["kex"] = used["kex"]
            self.access["outdated"] = old

    @property
    def connection(self) -> asyncssh.SSHClientConnection:
        """The authenticated connection (for a device CLI session on it); connect() first."""
        assert self._conn is not None, "connect() first"
        return self._conn

    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: StartSignal | None = None
    ) -> TransportResult:
        assert self._conn is not None, "connect() first"
        begun = time.monotonic()
        process = await self._conn.create_process(command, encoding=None)
        process.stdin.write(stdin)
        process.stdin.write_eof()
        stdout = bytearray()
        stderr = bytearray()
        announced = asyncio.Event()

        async def pump(stream: asyncssh.SSHReader[bytes], sink: bytearray) -> None:
            while chunk := await stream.read(65536):
                sink.extend(chunk)
                if started and sink is stderr and not announced.is_set() and started.marker in sink:
                    announced.set()
                if len(sink) >= MAX_OUTPUT_BYTES:
                    process.close()  # hostile or broken host: stop reading, judge what we have
                    return

        pumps = asyncio.gather(pump(process.stdout, stdout), pump(process.stderr, stderr))
        pumps.add_done_callback(_retrieved)  # a cancelled gather must not log "never retrieved"
        try:
            async with asyncio.timeout(timeout_s):
                if started is not None:
                    await self._await_start(pumps, announced, started, process)
                await pumps
                await process.wait_closed()
        except TimeoutError:
            process.close()
            pumps.cancel()
            raise PayloadTimeout(
                f"payload did not finish within {timeout_s:.1f}s", bytes(stdout)
            ) from None
        except asyncssh.DisconnectError as exc:  # the host (or the path) dropped us mid-stream
            pumps.cancel()
            raise PayloadError(
                f"the connection was lost while the payload ran ({_printable(exc.reason)}); "
                f"{len(stdout)} bytes of output had arrived"
            ) from None
        if started is not None:  # the marker is ours, not the host's words
            stderr = bytearray(bytes(stderr).replace(started.marker + b"\n", b"", 1))
        return TransportResult(
            exit_status=process.exit_status,
            stdout=bytes(stdout[:MAX_OUTPUT_BYTES]),
            stderr=bytes(stderr[:MAX_OUTPUT_BYTES]),
            duration_s=time.monotonic() - begun,
        )

    @staticmethod
    async def _await_start(
        pumps: asyncio.Future[Any],
        announced: asyncio.Event,
        started: StartSignal,
        process: asyncssh.SSHClientProcess[bytes],
    ) -> None:
        """The marker, or the command's end, within ``started.within_s``; else PayloadNotStarted."""
        waiter: asyncio.Future[Any] = asyncio.ensure_future(announced.wait())
        try:
            done, _ = await asyncio.wait(
                {waiter, pumps}, timeout=started.within_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()
        if not done:
            process.close()
            pumps.cancel()
            raise PayloadNotStarted(
                f"the host took the login but did not start the payload within "
                f"{started.within_s:g}s (a forced command, or a login script that waits)",
                timeout_s=started.within_s,
            )

    async def close(self) -> None:
        for hop in reversed(self._hops):
            if hop.conn is not None:
                hop.conn.close()
                try:
                    async with asyncio.timeout(2):
                        await hop.conn.wait_closed()
                except (TimeoutError, OSError, asyncssh.Error):
                    pass  # closing is best effort; the result is already recorded
            hop.creds.close()


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark ``future``'s outcome as seen; whoever awaits it still gets the exception."""
    if not future.cancelled():
        future.exception()


def _printable(text: str, limit: int = 120) -> str:
    """A host's or library's words for one line: control characters out, length capped."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()[:limit]
