"""An emulated TeamViewer Web API for the lab: the managed-device list, as the real one pages it.

``GET /api/v1/managed/devices`` with ``Authorization: Bearer TOKEN``; pages of
``page_size`` devices linked by an opaque ``nextPaginationToken``. For the
tests it can refuse tokens (401), rate-limit the first requests (429 with
``Retry-After``), answer slowly, or fail with 500. Only the protocol is
emulated: what the real API returns for a real company is not verified here
(README).

``python -m auditor.lab.tvapi --listen ADDR:PORT --token-file F --devices F.json``
serves in a lab namespace; :func:`serve` runs it in a thread (tests, loopback).
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATH = "/api/v1/managed/devices"


@dataclass
class Behaviour:
    token: str
    devices: Sequence[dict[str, Any]]
    page_size: int = 2
    throttle_first: int = 0  # this many requests get 429 first
    retry_after_s: int = 1
    slow_s: float = 0.0
    fail_with: int | None = None  # every request answers this status
    requests: list[str] = field(default_factory=list)  # the paths asked, for the tests
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # no access log: it has tokens
            return

        def do_GET(self) -> None:
            with behaviour.lock:
                behaviour.requests.append(self.path)
                throttled = behaviour.throttle_first > 0
                if throttled:
                    behaviour.throttle_first -= 1
            if behaviour.slow_s:
                time.sleep(behaviour.slow_s)
            parts = urlsplit(self.path)
            if parts.path != PATH:
                return self._send(404, {"error": "not_found"})
            if self.headers.get("Authorization") != f"Bearer {behaviour.token}":
                return self._send(401, {"error": "invalid_token"})
            if behaviour.fail_with is not None:
                return self._send(behaviour.fail_with, {"error": "failure"})
            if throttled:
                return self._send(429, {"error": "rate_limited"},
                                  {"Retry-After": str(behaviour.retry_after_s)})  # fmt: skip
            start = _offset(parse_qs(parts.query).get("paginationToken", [""])[0])
            page = list(behaviour.devices[start : start + behaviour.page_size])
            following = start + behaviour.page_size
            token = _token(following) if following < len(behaviour.devices) else None
            return self._send(200, {"resources": page, "nextPaginationToken": token})

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            try:
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (slow answer)
                return

    return Handler


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"page:{offset}".encode()).decode()


def _offset(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("page:"))
    except ValueError:
        return 0


def serve(behaviour: Behaviour, address: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; ``server_address`` says where; ``shutdown()`` stops."""
    server = ThreadingHTTPServer((address, port), _handler(behaviour))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auditor.lab.tvapi", description=__doc__)
    parser.add_argument("--listen", required=True, metavar="ADDR:PORT")
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--devices", type=Path, required=True, help="JSON list of devices")
    parser.add_argument("--page-size", type=int, default=2)
    args = parser.parse_args(argv)
    address, port = args.listen.rsplit(":", 1)
    behaviour = Behaviour(token=args.token_file.read_text(encoding="utf-8").strip(),
                          devices=json.loads(args.devices.read_text(encoding="utf-8")),
                          page_size=args.page_size)  # fmt: skip
    server = ThreadingHTTPServer((address, int(port)), _handler(behaviour))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
