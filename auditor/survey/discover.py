"""Find the devices of a network: TCP connect to the management ports, nothing more.

Every address of the given networks (and only those: each attempt passes
:func:`networks.inside`) gets one plain TCP connect per management port
(``MANAGEMENT_PORTS``), at most ``rate`` attempts per second and
``concurrency`` at once (an address's ports together, addresses in order),
each within ``timeout_s``. No packet is crafted, no
service is logged into here: an open SSH port is asked nothing but its
banner (the server speaks first), which says what kind of SSH it is.

A host's name comes from a reverse lookup of its address through the
machine's own resolver (``/etc/hosts`` first), only for hosts that answered,
and only when ``names`` is on (``--no-names`` turns it off, so no packet at
all leaves for an address outside the networks).

Interrupted (Ctrl-C), discovery returns what it found so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from auditor.survey.networks import IPNetwork, addresses, inside

MANAGEMENT_PORTS = (22, 5985, 5986, 443)
BANNER_BYTES = 255  # an SSH identification line is at most 255 bytes (RFC 4253)
NAME_TIMEOUT_S = 2.0


@dataclass(slots=True)
class Found:
    """One address that answered on a management port: which, what SSH said, its name."""

    address: str
    open_ports: list[int] = field(default_factory=list)
    ssh_banner: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    """How hard a survey may knock: attempts per second, at once, and how long each waits."""

    rate: float = 200.0
    concurrency: int = 128
    timeout_s: float = 1.5
    names: bool = True
    ports: tuple[int, ...] = MANAGEMENT_PORTS


@dataclass(slots=True)
class Progress:
    """Counts for the live line: addresses tried, devices found."""

    total: int = 0
    tried: int = 0
    found: int = 0


class _Pacer:
    """Spaces attempts ``1/rate`` seconds apart (asyncio is single-threaded: no lock needed)."""

    def __init__(self, rate: float) -> None:
        self._gap = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self._gap
        if slot > now:
            await asyncio.sleep(slot - now)


async def discover(
    networks: Sequence[IPNetwork],
    settings: DiscoverySettings = DiscoverySettings(),
    on_progress: Callable[[Progress], None] | None = None,
    found_sink: list[Found] | None = None,
) -> list[Found]:
    """Every address of ``networks`` with an open management port, in address order.

    ``found_sink`` receives each find as it happens, so a caller that is
    interrupted still has what was found.
    """
    targets = [str(a) for a in addresses(networks)]
    progress = Progress(total=len(targets))
    pacer = _Pacer(settings.rate)
    # whole addresses at a time (their ports at once), so each is done soon after it starts
    gate = asyncio.Semaphore(max(1, settings.concurrency // max(1, len(settings.ports))))
    found: list[Found] = found_sink if found_sink is not None else []

    async def knock(address: str, port: int) -> str | None:
        await pacer.wait()
        return await _knock(address, port, settings.timeout_s)

    async def one(address: str) -> None:
        if not inside(address, networks):  # the guard: never a connection outside
            return
        result = Found(address)
        async with gate:
            answers = await asyncio.gather(*(knock(address, port) for port in settings.ports))
        for port, banner in zip(settings.ports, answers, strict=True):
            if banner is not None:
                result.open_ports.append(port)
                if port == 22 and banner:
                    result.ssh_banner = banner
        progress.tried += 1
        if result.open_ports:
            if settings.names:
                result.name = await _name_of(address)
            found.append(result)
            progress.found += 1
        if on_progress is not None:
            on_progress(progress)

    await asyncio.gather(*(one(address) for address in targets))
    found.sort(key=lambda f: address_order(f.address))
    return found


async def _knock(address: str, port: int, timeout_s: float) -> str | None:
    """None when nothing accepts on ``port``; else the SSH banner ("" when none came or not SSH)."""
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(address, port)
    except (TimeoutError, OSError):
        return None
    try:
        if port != 22:
            return ""
        try:
            async with asyncio.timeout(timeout_s):
                line = await reader.readline()
        except (TimeoutError, OSError, ValueError):
            return ""
        text = line[:BANNER_BYTES].decode("ascii", "replace").strip()
        return text if text.startswith("SSH-") else ""
    finally:
        writer.close()
        with contextlib.suppress(OSError):  # a reset on close says nothing about the port
            await writer.wait_closed()


async def _name_of(address: str) -> str | None:
    """The host's name by reverse lookup (``/etc/hosts`` first), or None."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(NAME_TIMEOUT_S):
            name, _, _ = await loop.run_in_executor(None, socket.gethostbyaddr, address)
    except (TimeoutError, OSError):
        return None
    return name or None


def address_order(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)
