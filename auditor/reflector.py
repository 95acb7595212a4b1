"""The provider's reflector: the end-to-end witness for egress probes.

TeamViewer runs no public UDP responder, so a datagram to 5938 that gets no
answer proves nothing. The provider runs this echo service somewhere on the
internet; a probe whose random nonce comes back has proven the path end to
end (no transparent proxy can forge a nonce it never saw).

Because it answers strangers, it must not become an amplifier or a flood
source: a UDP reply is never longer than the datagram it answers (and is cut
to ``max_bytes``); each source IP has a token bucket (``rate_per_s``,
``burst``) in a bounded table (oldest entry evicted); datagrams from
privileged source ports (echo, DNS, NTP, ...) are dropped so two services
cannot be made to ping-pong; TCP connections are bounded in number and
time. Nothing is logged per packet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

log = logging.getLogger(__name__)

DESCRIPTION = "UDP/TCP echo witness that proves egress end to end (no amplification)."

TCP_READ_TIMEOUT_S = 2.0
MAX_SOURCES = 4096
MAX_TCP_CONNECTIONS = 64
_MIN_SOURCE_PORT = 1024  # below: another server's reply port, never a probe's


class RateLimiter:
    """Token bucket per source IP, in a bounded LRU table.

    Each source may send ``burst`` datagrams at once and ``rate_per_s`` per
    second after that. When more than ``max_sources`` sources are tracked, the
    least recently seen is forgotten (it then starts again with a full bucket,
    which is harmless: the bucket only bounds the reply rate per source).
    """

    def __init__(self, rate_per_s: float, burst: int, max_sources: int = MAX_SOURCES) -> None:
        if rate_per_s <= 0 or burst < 1 or max_sources < 1:
            raise ValueError("rate_per_s > 0, burst >= 1 and max_sources >= 1 are required")
        self.rate_per_s, self.burst, self.max_sources = rate_per_s, burst, max_sources
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, source: str, now: float | None = None) -> bool:
        """Take one token for ``source``; False when its budget is spent."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(source, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_s)
        allowed = tokens >= 1.0
        self._buckets[source] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_sources:
            self._buckets.popitem(last=False)
        return allowed

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(slots=True)
class Stats:
    """Counters for tests and for a summary on shutdown (never per packet)."""

    udp_replied: int = 0
    udp_dropped: int = 0
    tcp_served: int = 0
    tcp_refused: int = 0


class _UdpEcho(asyncio.DatagramProtocol):
    def __init__(self, limiter: RateLimiter, max_bytes: int, stats: Stats) -> None:
        self.limiter, self.max_bytes, self.stats = limiter, max_bytes, stats
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # typing.cast: on 3.11 the selector transport does not subclass DatagramTransport
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        host, port = str(addr[0]), int(addr[1])
        ok = bool(data) and port >= _MIN_SOURCE_PORT and self.limiter.allow(host)
        if not ok or self.transport is None:
            self.stats.udp_dropped += 1
            return
        self.transport.sendto(data[: self.max_bytes], addr)  # never more than received
        self.stats.udp_replied += 1

    def error_received(self, exc: Exception) -> None:  # ICMP errors from earlier replies
        pass


class Reflector:
    """UDP and TCP echo on ``listen`` at each of ``ports``; see the module docstring."""

    def __init__(
        self,
        listen: str,
        ports: Sequence[int],
        *,
        rate_per_s: float = 20.0,
        burst: int = 40,
        max_bytes: int = 512,
        max_connections: int = MAX_TCP_CONNECTIONS,
        tcp_timeout_s: float = TCP_READ_TIMEOUT_S,
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.listen, self.ports, self.max_bytes = listen, tuple(ports), max_bytes
        self.limiter = RateLimiter(rate_per_s, burst)
        self.tcp_timeout_s = tcp_timeout_s
        self.stats = Stats()
        self._slots = asyncio.Semaphore(max_connections)
        self._servers: list[asyncio.Server] = []
        self._udp: list[asyncio.DatagramTransport] = []
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> list[tuple[str, int]]:
        """Bind everything; returns ``("udp"|"tcp", port)`` actually bound (port 0 = any)."""
        loop = asyncio.get_running_loop()
        bound: list[tuple[str, int]] = []
        try:
            for port in self.ports:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpEcho(self.limiter, self.max_bytes, self.stats),
                    local_addr=(self.listen, port),
                )
                self._udp.append(transport)
                bound.append(("udp", transport.get_extra_info("sockname")[1]))
                server = await asyncio.start_server(self._serve_tcp, self.listen, port)
                self._servers.append(server)
                bound.append(("tcp", server.sockets[0].getsockname()[1]))
        except BaseException:
            await self.close()
            raise
        return bound

    async def close(self) -> None:
        for transport in self._udp:
            transport.close()
        for server in self._servers:
            server.close()
        for task in list(self._handlers):  # 3.11's wait_closed does not wait for handlers
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._udp, self._servers = [], []

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Echo up to ``max_bytes``, stopping at a newline or after ``tcp_timeout_s``; close."""
        if self._slots.locked():
            self.stats.tcp_refused += 1
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        async with self._slots:
            try:
                data = await _read_line(reader, self.max_bytes, self.tcp_timeout_s)
                if data:
                    writer.write(data)
                    await asyncio.wait_for(writer.drain(), self.tcp_timeout_s)
                self.stats.tcp_served += 1
            except (OSError, TimeoutError):
                pass  # the peer went away; nothing to report per connection
            finally:
                self._handlers.discard(task)
                writer.close()
                with contextlib.suppress(OSError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), self.tcp_timeout_s)


async def _read_line(reader: asyncio.StreamReader, max_bytes: int, timeout_s: float) -> bytes:
    """Up to ``max_bytes``, through the first newline, or whatever came before the deadline."""
    data = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while len(data) < max_bytes and b"\n" not in data:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            chunk = await asyncio.wait_for(reader.read(max_bytes - len(data)), remaining)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


async def serve(
    listen: str,
    ports: Sequence[int],
    *,
    rate_per_s: float = 20.0,
    burst: int = 40,
    max_bytes: int = 512,
) -> None:
    """Run the reflector until cancelled (UDP and TCP echo on every port)."""
    reflector = Reflector(listen, ports, rate_per_s=rate_per_s, burst=burst, max_bytes=max_bytes)
    bound = await reflector.start()
    log.info("reflector listening on %s: %s", listen, ", ".join(f"{p}/{k}" for k, p in bound))
    try:
        await asyncio.Event().wait()
    finally:
        await reflector.close()
        log.info("reflector stopped: %s", reflector.stats)


def _ports(text: str) -> list[int]:
    try:
        ports = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated port list") from None
    if not ports or not all(1 <= p <= 65535 for p in ports):
        raise argparse.ArgumentTypeError(f"{text!r}: ports must be 1-65535")
    return list(dict.fromkeys(ports))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``auditor reflector``."""
    parser.add_argument("--listen", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    parser.add_argument(
        "--ports", type=_ports, default=[5938, 443, 80], help="comma-separated, e.g. 5938,443,80"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="UDP replies/s per source IP")
    parser.add_argument("--burst", type=int, default=40, help="UDP burst per source IP")
    parser.add_argument("--max-bytes", type=int, default=512, help="longest echo, in bytes")


async def _serve_until_signalled(args: argparse.Namespace) -> None:
    """``serve`` that also stops cleanly on SIGTERM (service managers send it)."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await serve(
        args.listen, args.ports, rate_per_s=args.rate, burst=args.burst, max_bytes=args.max_bytes
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM: 0 then; 2 when the options or binding fail (one line)."""
    try:
        asyncio.run(_serve_until_signalled(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0
    except (OSError, ValueError) as exc:
        ports = ",".join(map(str, args.ports))
        print(f"auditor reflector: {args.listen} ports {ports}: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m auditor.reflector`` / ``auditor reflector`` entry point."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="auditor reflector", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
