"""The lab's "internet": listeners run inside the ``<p>inet`` namespace.

``python -m auditor.lab.internet --cert C --key K --rogue-cert RC --rogue-key RK``

- TeamViewer-like targets (``TV_ADDRS``): TCP 5938 echoes what it gets, TCP 80
  answers a minimal ``HTTP/1.1 200``, TCP 443 does TLS with the lab-CA
  certificate and then the same HTTP answer.
- The rogue box (``ROGUE_TLS``:443): the same, with the rogue-CA certificate.
- The SERVFAIL resolver (``RESOLVER_SERVFAIL``:53, UDP and TCP): answers every
  query with SERVFAIL and the query's id and question (dnsmasq cannot).

Every connection is bounded: ``IO_TIMEOUT_S`` per read, ``MAX_BYTES`` per
connection. Runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import ssl
import struct
from typing import cast

from auditor.lab.spec import RESOLVER_SERVFAIL, ROGUE_TLS, TV_ADDRS

IO_TIMEOUT_S = 10.0
# A fleet connects to every target at once; asyncio's default accept queue (100) overflows
# and the kernel drops SYNs, which a probe would report as a filtered port.
BACKLOG = 4096
MAX_BYTES = 1 << 20
HTTP_OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
    b"Connection: close\r\n\r\nok\n"
)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """TCP 5938: send back every byte until EOF, idle timeout or ``MAX_BYTES``."""
    total = 0
    try:
        while total < MAX_BYTES:
            data = await asyncio.wait_for(reader.read(4096), IO_TIMEOUT_S)
            if not data:
                break
            total += len(data)
            writer.write(data)
            await writer.drain()
    except (TimeoutError, OSError):
        pass  # peer went silent or away: just close
    finally:
        writer.close()


async def _http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """TCP 80 and TLS 443: read a request head (or time out), answer 200, close."""
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IO_TIMEOUT_S)
        writer.write(HTTP_OK)
        await writer.drain()
    except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass  # a bare connect/handshake without a request is fine too
    finally:
        writer.close()


def servfail(query: bytes) -> bytes | None:
    """The SERVFAIL answer to ``query`` (id, opcode, RD and question kept), None if junk."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    end = 12
    if qdcount:
        while end < len(query) and query[end] != 0:
            end += 1 + query[end]
        end += 5  # root label + QTYPE + QCLASS
        if end > len(query):
            return None
    out_flags = 0x8000 | (flags & 0x7900) | 0x0080 | 2  # QR, opcode+RD, RA, rcode SERVFAIL
    return struct.pack("!HHHHHH", qid, out_flags, 1 if qdcount else 0, 0, 0, 0) + query[12:end]


class _ServfailUdp(asyncio.DatagramProtocol):
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        answer = servfail(data)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


async def _servfail_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """DNS over TCP: length-prefixed messages, at most 16 per connection."""
    try:
        for _ in range(16):
            head = await asyncio.wait_for(reader.readexactly(2), IO_TIMEOUT_S)
            query = await asyncio.wait_for(
                reader.readexactly(struct.unpack("!H", head)[0]), IO_TIMEOUT_S
            )
            answer = servfail(query)
            if answer is None:
                break
            writer.write(struct.pack("!H", len(answer)) + answer)
            await writer.drain()
    except (TimeoutError, OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _tls(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def serve(cert: str, key: str, rogue_cert: str, rogue_key: str) -> None:
    """Bind every listener, then run until SIGTERM/SIGINT."""
    good, rogue = _tls(cert, key), _tls(rogue_cert, rogue_key)
    servers = []
    for addr in TV_ADDRS:
        servers.append(await asyncio.start_server(_echo, addr, 5938, backlog=BACKLOG))
        servers.append(await asyncio.start_server(_http, addr, 80, backlog=BACKLOG))
        servers.append(await asyncio.start_server(_http, addr, 8443, backlog=BACKLOG))
        servers.append(
            await asyncio.start_server(
                _http, addr, 443, ssl=good, ssl_handshake_timeout=IO_TIMEOUT_S, backlog=BACKLOG
            )
        )
    servers.append(
        await asyncio.start_server(
            _http, ROGUE_TLS, 443, ssl=rogue, ssl_handshake_timeout=IO_TIMEOUT_S, backlog=BACKLOG
        )
    )
    servers.append(
        await asyncio.start_server(_servfail_tcp, RESOLVER_SERVFAIL, 53, backlog=BACKLOG)
    )
    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(_ServfailUdp, local_addr=(RESOLVER_SERVFAIL, 53))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("internet: listening", flush=True)
    await stop.wait()
    udp.close()
    for server in servers:
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m auditor.lab.internet", description=__doc__)
    for opt in ("--cert", "--key", "--rogue-cert", "--rogue-key"):
        parser.add_argument(opt, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.cert, args.key, args.rogue_cert, args.rogue_key))


if __name__ == "__main__":
    main()
