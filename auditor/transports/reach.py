"""The first two stages of every network transport: resolve the address, open TCP.

Both run on the event loop with their own timeout, so that "does not
resolve", "refused", "filtered" and "unreachable" are told apart the same
way for SSH and WinRM, before any protocol library gets the socket.
"""

from __future__ import annotations

import asyncio
import errno
import socket

from auditor.errors import (
    ConnectError,
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable,
    ResolveError,
)

UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


async def resolve(address: str, port: int, via: str | None = None) -> tuple[int, str]:
    """(family, first address) of ``address``, or :class:`ResolveError`."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveError(
            f"management address {address!r} does not resolve: {exc}", address=address, via=via
        ) from None
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0])


async def open_tcp(
    family: int, ip: str, port: int, timeout_s: float, connection: str, via: str | None = None
) -> socket.socket:
    """A connected non-blocking socket, or the connect-stage error that says why not."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    facts: dict[str, str | int | None] = {
        "address": ip, "port": port, "connection": connection, "via": via,
    }  # fmt: skip
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
            kind = ConnectUnreachable if exc.errno in UNREACHABLE else ConnectError
            what = exc.strerror or "failed"
        raise kind(f"TCP {ip}:{port} {what} [{name}]", errno=name, **facts) from None
    return sock
