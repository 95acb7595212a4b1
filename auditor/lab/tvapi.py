"""An emulated TeamViewer Web API for the lab: the managed-device list, as the real one pages it.

``GET /api/v1/managed/devices`` with ``Authorization: Bearer TOKEN``; pages of
``page_size`` devices linked by an opaque ``nextPaginationToken``. For the
tests it can refuse tokens (401), rate-limit the first requests (429 with
``Retry-After``), answer slowly, or fail with 500. Only the protocol is
emulated: what the real API returns for a real company is not verified here
(README).

``python -m auditor.lab.tvapi --listen ADDR:PORT --token-file F --devices F.json``
serves in a lab namespace (every lab runs one on ``TV_API``, listing
:func:`lab_devices`); :func:`serve` runs one in a thread (tests, loopback).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from auditor.lab.hostfs import client_id, management_id
from auditor.lab.spec import LabSpec
from auditor.lab.windows_host import client_id as windows_client_id

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
    log: bool = False  # one line per answer on stderr: path and status, never a header
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
            if behaviour.log:
                print(f"tvapi: GET {urlsplit(self.path).path} -> {status}", file=sys.stderr,
                      flush=True)  # fmt: skip
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


def lab_devices(spec: LabSpec) -> list[dict[str, Any]]:
    """The MSP company's managed devices for a lab: every lab host whose TeamViewer is
    assigned to the MSP (hostfs.management_id), plus a few devices of other customers, so
    the list spans several pages and holds more than the lab."""
    found: list[dict[str, Any]] = []
    for host in spec.hosts:
        if host.teamviewer == "absent" or host.teamviewer_managed != "msp":
            continue
        ident = management_id(host)
        client = windows_client_id(host.name) if host.windows else client_id(host)
        found.append({"id": (ident or "").strip("{}"), "name": host.name,
                      "teamviewerId": int(client), "isOnline": host.teamviewer == "running",
                      "teamviewerPolicyId": LAB_POLICY})  # fmt: skip
    for n in range(5):
        found.append({"id": f"0c0ffee0-0000-4000-8000-00000000000{n}", "name": f"elsewhere-{n}",
                      "teamviewerId": 1_900_000_000 + n, "isOnline": False})  # fmt: skip
    return found


LAB_POLICY = "b9f1e5a2-1ab0-4c3b-8a52-0000000000aa"  # the MSP's TeamViewer policy, stand-in


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auditor.lab.tvapi", description=__doc__)
    parser.add_argument("--listen", required=True, metavar="ADDR:PORT")
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--devices", type=Path, required=True, help="JSON list of devices")
    parser.add_argument("--page-size", type=int, default=2)
    parser.add_argument("--throttle-first", type=int, default=0,
                        help="answer the first N requests 429 with Retry-After")  # fmt: skip
    parser.add_argument("--retry-after", type=int, default=1, metavar="S")
    parser.add_argument("--slow", type=float, default=0.0, metavar="S",
                        help="wait S seconds before each answer")  # fmt: skip
    args = parser.parse_args(argv)
    address, port = args.listen.rsplit(":", 1)
    behaviour = Behaviour(token=args.token_file.read_text(encoding="utf-8").strip(),
                          devices=json.loads(args.devices.read_text(encoding="utf-8")),
                          page_size=args.page_size, throttle_first=args.throttle_first,
                          retry_after_s=args.retry_after, slow_s=args.slow, log=True)  # fmt: skip
    server = ThreadingHTTPServer((address, int(port)), _handler(behaviour))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
