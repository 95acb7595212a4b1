"""The reflector on 127.0.0.1: echo, no amplification, rate limits, bounded TCP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import pytest

from auditor.reflector import RateLimiter, Reflector, serve

LOCAL = "127.0.0.1"


def run_with(reflector: Reflector, body: Callable[[dict[str, int]], Awaitable[None]]) -> None:
    """Start ``reflector``, run ``body(ports by protocol)``, always close."""

    async def main() -> None:
        ports = dict(await reflector.start())
        try:
            await asyncio.wait_for(body(ports), 10)
        finally:
            await reflector.close()

    asyncio.run(main())


async def udp_exchange(
    port: int, payloads: list[bytes], *, wait_s: float = 0.3, src_port: int = 0
) -> list[bytes]:
    """Send every payload from one socket; collect replies until ``wait_s`` of silence."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind((LOCAL, src_port))
        sock.setblocking(False)
        for payload in payloads:
            await loop.sock_sendto(sock, payload, (LOCAL, port))
        replies: list[bytes] = []
        for _ in range(len(payloads)):  # bounded: never more replies than datagrams
            try:
                replies.append(await asyncio.wait_for(loop.sock_recv(sock, 65535), wait_s))
            except TimeoutError:
                break
        return replies


async def tcp_exchange(port: int, payload: bytes) -> bytes:
    """Send, read until the reflector closes; a reset (closed unread) reads as nothing."""
    reader, writer = await asyncio.open_connection(LOCAL, port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()


def test_udp_echoes_the_nonce() -> None:
    reflector = Reflector(LOCAL, [0])

    async def body(ports: dict[str, int]) -> None:
        nonce = os.urandom(16)
        assert await udp_exchange(ports["udp"], [nonce]) == [nonce]

    run_with(reflector, body)
    assert reflector.stats.udp_replied == 1


def test_udp_oversized_datagram_is_truncated_never_amplified() -> None:
    reflector = Reflector(LOCAL, [0], max_bytes=64)

    async def body(ports: dict[str, int]) -> None:
        big, small = os.urandom(1000), b"x"
        replies = await udp_exchange(ports["udp"], [big, small])
        assert replies == [big[:64], small]
        assert all(len(r) <= 64 for r in replies)

    run_with(reflector, body)


def test_udp_rate_limit_drops_excess_from_one_source() -> None:
    reflector = Reflector(LOCAL, [0], rate_per_s=0.001, burst=5)

    async def body(ports: dict[str, int]) -> None:
        sent = [i.to_bytes(2, "big") for i in range(30)]
        replies = await udp_exchange(ports["udp"], sent)
        assert replies == sent[:5]

    run_with(reflector, body)
    assert (reflector.stats.udp_replied, reflector.stats.udp_dropped) == (5, 25)


def test_udp_from_privileged_source_port_is_dropped() -> None:
    """A reply port of another service (DNS, NTP, echo) must never get an answer back."""
    reflector = Reflector(LOCAL, [0])

    async def body(ports: dict[str, int]) -> None:
        assert await udp_exchange(ports["udp"], [b"loop?"], src_port=1019) == []

    run_with(reflector, body)
    assert reflector.stats.udp_dropped == 1


def test_tcp_echoes_through_newline() -> None:
    reflector = Reflector(LOCAL, [0])

    async def body(ports: dict[str, int]) -> None:
        assert await tcp_exchange(ports["tcp"], b"nonce-1234\n") == b"nonce-1234\n"

    run_with(reflector, body)
    assert reflector.stats.tcp_served == 1


def test_tcp_truncates_at_max_bytes_and_times_out_without_newline() -> None:
    reflector = Reflector(LOCAL, [0], max_bytes=100, tcp_timeout_s=0.3)

    async def body(ports: dict[str, int]) -> None:
        big = os.urandom(50).replace(b"\n", b"_") * 10
        assert await tcp_exchange(ports["tcp"], big) == big[:100]
        started = time.monotonic()
        assert await tcp_exchange(ports["tcp"], b"no newline") == b"no newline"
        assert 0.25 <= time.monotonic() - started < 2

    run_with(reflector, body)


def test_tcp_connections_are_bounded() -> None:
    reflector = Reflector(LOCAL, [0], max_connections=2, tcp_timeout_s=2)

    async def body(ports: dict[str, int]) -> None:
        held = [await asyncio.open_connection(LOCAL, ports["tcp"]) for _ in range(2)]
        await asyncio.sleep(0.1)  # both accepted and waiting for data
        assert await tcp_exchange(ports["tcp"], b"third\n") == b""  # closed at once
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.1)
        assert await tcp_exchange(ports["tcp"], b"later\n") == b"later\n"

    run_with(reflector, body)
    assert reflector.stats.tcp_refused == 1


def test_rate_limiter_refills_and_bounds_its_table() -> None:
    limiter = RateLimiter(rate_per_s=2.0, burst=2, max_sources=3)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("a", now=0.5)  # one token back after 0.5 s at 2/s
    assert not limiter.allow("a", now=0.5)
    for i in range(10):
        limiter.allow(f"10.0.0.{i}", now=1.0)
    assert len(limiter) == 3
    assert limiter.allow("a", now=1.0)  # "a" was evicted: fresh bucket
    with pytest.raises(ValueError):
        RateLimiter(rate_per_s=0, burst=1)


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (bounded search)."""
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind((LOCAL, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((LOCAL, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def test_serve_runs_until_cancelled() -> None:
    port = free_port()

    async def main() -> None:
        task = asyncio.create_task(serve(LOCAL, [port]))
        for _ in range(100):  # bounded wait for the listener
            await asyncio.sleep(0.02)
            try:
                reply = await tcp_exchange(port, b"ping\n")
                break
            except ConnectionRefusedError:
                continue
        assert reply == b"ping\n"
        assert await udp_exchange(port, [b"pong"]) == [b"pong"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_cli_serves_and_stops_on_sigterm() -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "auditor.reflector", "--listen", LOCAL, "--ports", str(port)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        replies: list[bytes] = []
        for _ in range(100):  # bounded: until the reflector is up
            replies = asyncio.run(udp_exchange(port, [b"cli"], wait_s=0.05))
            if replies:
                break
        assert replies == [b"cli"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert proc.stderr is not None
        assert f"reflector listening on {LOCAL}: {port}/udp, {port}/tcp" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_rejects_bad_ports_and_busy_port() -> None:
    cmd = [sys.executable, "-m", "auditor.reflector", "--listen", LOCAL, "--ports"]
    bad = subprocess.run([*cmd, "70000"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2
    assert "ports must be 1-65535" in bad.stderr
    with socket.socket() as busy:
        busy.bind((LOCAL, 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = subprocess.run([*cmd, str(port)], capture_output=True, text=True, timeout=10)
    assert taken.returncode == 2
    assert taken.stderr.strip().count("\n") == 0
    assert f"auditor reflector: {LOCAL} ports {port}: " in taken.stderr
