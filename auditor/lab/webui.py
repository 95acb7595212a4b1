"""A web-managed appliance for the lab: HTTPS on 443 and nothing else.

``python -m auditor.lab.webui ADDRESS CERT KEY`` answers every request with a
login page, as a printer, a UPS card or a small NAS would. The survey must
find it, say what it is, and not pretend it audited it. Runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl

IO_TIMEOUT_S = 10.0
PAGE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52\r\n"
    b"Connection: close\r\n\r\n<html><title>Device login</title>Login</html>\r\n\r\n\r\n"
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(TimeoutError, OSError, ssl.SSLError):
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IO_TIMEOUT_S)
        writer.write(PAGE)
        await writer.drain()
    writer.close()


async def serve(address: str, cert: str, key: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = await asyncio.start_server(_answer, address, 443, ssl=context)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m auditor.lab.webui")
    parser.add_argument("address")
    parser.add_argument("cert")
    parser.add_argument("key")
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.cert, args.key))


if __name__ == "__main__":
    main()
