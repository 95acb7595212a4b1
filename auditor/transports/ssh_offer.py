"""What an SSH server offers, read from its first packet, and whether that is outdated.

When a handshake fails on algorithms, "unreachable" would send the customer
hunting for a firewall. The server's identification line and its KEXINIT
packet (RFC 4253 7.1: sent unencrypted right after the version exchange)
name every algorithm it accepts; this module reads just those, on a
connection of its own that never authenticates, and compares them with what
OpenSSH accepts by default. Also used after a connection that the inventory
had to widen, to record which outdated algorithms were really negotiated
(RFC 4253: the first of the client's algorithms that the server also has).
Bounded: one banner of at most 255 bytes per line, 32 lines, one packet of
at most 35,000 bytes, one deadline.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_MAX_PACKET = 35_000
_KEXINIT = 20
CATEGORIES = ("kex", "host_key", "cipher", "mac")


@dataclass(frozen=True, slots=True)
class Offer:
    """The server's identification and its algorithms, per category, in its order."""

    banner: str
    kex: tuple[str, ...]
    host_key: tuple[str, ...]
    cipher: tuple[str, ...]
    mac: tuple[str, ...]

    def of(self, category: str) -> tuple[str, ...]:
        result: tuple[str, ...] = getattr(self, category)
        return result


class OfferUnreadable(Exception):
    """The server's first packet could not be read (not SSH, closed, too slow)."""


async def read_offer(
    host: str, port: int, timeout_s: float, streams: tuple[Any, Any] | None = None
) -> Offer:
    """Connect to ``host:port`` (or use ``streams``, e.g. through a jump host), send our
    identification, read the server's KEXINIT."""
    try:
        async with asyncio.timeout(timeout_s):
            if streams is not None:
                reader, writer = streams
            else:
                reader, writer = await asyncio.open_connection(host, port)
            try:
                return await _exchange(reader, writer)
            finally:
                writer.close()
    except (TimeoutError, OSError, ValueError, struct.error, UnicodeDecodeError,
            asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:  # fmt: skip
        raise OfferUnreadable(f"{type(exc).__name__}: {exc}") from None


async def _exchange(reader: Any, writer: Any) -> Offer:
    writer.write(b"SSH-2.0-auditor_offer\r\n")
    banner = ""
    for _ in range(32):
        line = await reader.readuntil(b"\n")
        if len(line) > 255:
            raise ValueError("identification line too long")
        if line.startswith(b"SSH-"):
            banner = line.decode("ascii", "replace").strip()
            break
    else:
        raise ValueError("no SSH identification line")
    length = struct.unpack(">I", await reader.readexactly(4))[0]
    if not 12 <= length <= _MAX_PACKET:
        raise ValueError(f"first packet of {length} bytes")
    packet = await reader.readexactly(length)
    padding, payload = packet[0], packet[1 : length - packet[0]]
    if padding >= length or not payload or payload[0] != _KEXINIT:
        raise ValueError("the first packet is not a KEXINIT")
    lists, offset = [], 17  # message number and 16-byte cookie
    for _ in range(6):  # kex, host key, cipher c->s, cipher s->c, mac c->s, mac s->c
        size = struct.unpack_from(">I", payload, offset)[0]
        offset += 4
        text = payload[offset : offset + size].decode("ascii")
        offset += size
        lists.append(tuple(a for a in text.split(",") if a))
    return Offer(banner, lists[0], lists[1], lists[2], lists[4])


def negotiated(ours: Sequence[str], theirs: Sequence[str]) -> str | None:
    """RFC 4253 7.1: the first of the client's algorithms the server also offers."""
    return next((alg for alg in ours if alg in theirs), None)


def outdated(offer: Offer, modern: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Per category where the server offers nothing OpenSSH accepts by default: its offer.

    ``modern`` maps a category to OpenSSH's default list (``ssh -G -F none``).
    Empty when every category has at least one modern algorithm in common.
    """
    return {
        category: offer.of(category)
        for category in CATEGORIES
        if not set(offer.of(category)) & set(modern.get(category, ()))
    }
