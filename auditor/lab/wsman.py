"""A WS-Management (WinRM) listener for the lab's Windows hosts: ``python -m auditor.lab.wsman CONFIG``.

It speaks the protocol the real pywinrm client speaks to Windows: SOAP over
HTTP or HTTPS at ``/wsman``; the WinRS shell (Create, Command, Send,
Receive, Signal, Delete); authentication by HTTP Basic or NTLM (through
``Negotiate``, pyspnego on the server side) with NTLM message encryption on
plain HTTP, as Windows requires; the operation-timeout fault a Receive gets
while the command still runs; the "Access is denied" fault for an account
WinRM does not admit. What the command prints is :func:`windows_host.answer`.

Behaviours (the host's ``WindowsSpec``): ``slow`` holds every answer back
longer than any client waits, ``drop`` closes the connection without an
answer, ``deny`` refuses the shell to the (authenticated) account.

Each request it gets is appended to ``<state>/wsman.jsonl`` as one JSON line
(the action, and for a finished command whether it was the auditor's
payload), never with a secret, so tests can see what the auditor sent.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import ssl
import struct
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import spnego

from auditor.lab import windows_host

SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
ACTIONS = {
    f"{TRANSFER}/Create": "create",
    f"{TRANSFER}/Delete": "delete",
    f"{SHELL}/Command": "command",
    f"{SHELL}/Send": "send",
    f"{SHELL}/Receive": "receive",
    f"{SHELL}/Signal": "signal",
}
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": SHELL,
}
ENCRYPTED = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
OPERATION_TIMEOUT_FAULT = 2150858793
ACCESS_DENIED = 5
MAX_BODY = 4_000_000
MAX_WAIT_S = 60.0  # the longest a Receive is held, whatever the client asks
SLOW_S = 45.0  # "slow": longer than any read timeout the auditor uses in the lab
ENVELOPE = (
    '<s:Envelope xmlns:s="{s}" xmlns:a="{a}" xmlns:w="{w}" xmlns:rsp="{rsp}" '
    'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xml:lang="en-US">'
    "<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{mid}</a:MessageID>"
    "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
    "<a:RelatesTo>{relates}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
)


@dataclass(slots=True)
class Command:
    """One WinRS command: its line, its stdin so far, and (once done) its reply."""

    line: str
    stdin: bytearray = field(default_factory=bytearray)
    chunks: int = 0
    reply: windows_host.Reply | None = None
    delivered: bool = False
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True, slots=True)
class Config:
    """One listener, from the JSON file ``services.start_wsman`` writes (mode 0600)."""

    host: str
    address: str
    port: int
    scheme: str
    auth: tuple[str, ...]
    user: str
    password: str
    behaviour: str
    admin: str
    teamviewer: str
    state_dir: Path
    management_id: str | None = None  # HKLM\SOFTWARE\TeamViewer\DeviceManagementV2
    unmanaged: bool | None = None
    cert: str | None = None
    key: str | None = None

    @staticmethod
    def load(path: Path) -> Config:
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["auth"] = tuple(raw["auth"])
        raw["state_dir"] = Path(raw["state_dir"])
        return Config(**raw)


class Service:
    """The WinRS shells of one listener; thread-safe (one thread per connection)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._shells: dict[str, dict[str, Command]] = {}
        self._log = config.state_dir / "wsman.jsonl"

    def log(self, entry: dict[str, Any]) -> None:
        with self._lock, self._log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, sort_keys=True) + "\n")

    def handle(self, body: bytes) -> tuple[int, bytes]:
        """(HTTP status, SOAP answer) for one request."""
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return 400, b""
        action = ACTIONS.get(_text(root, "s:Header/a:Action"), "unknown")
        message_id = _text(root, "s:Header/a:MessageID")
        shell_id = _selector(root)
        self.log({"action": action, "shell": bool(shell_id)})
        if action == "create":
            if self.config.behaviour == "deny":
                return 500, _fault(message_id, ACCESS_DENIED, "Access is denied.", "s:Sender")
            new = str(uuid.uuid4()).upper()
            with self._lock:
                self._shells[new] = {}
            created = (
                "<x:ResourceCreated><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/"
                f"role/anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>{SHELL}/cmd"
                '</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">'
                f"{new}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>"
            )
            return 200, _envelope(f"{TRANSFER}/CreateResponse", message_id, created)
        with self._lock:
            commands = self._shells.get(shell_id)
        if commands is None:
            return 500, _fault(message_id, 2150858843, "The shell was not found.", "s:Sender")
        if action == "command":
            return self._command(root, message_id, commands)
        if action == "send":
            return self._send(root, message_id, commands)
        if action == "receive":
            return self._receive(root, message_id, commands)
        if action == "signal":
            return 200, _envelope(f"{SHELL}/SignalResponse", message_id, "<rsp:SignalResponse/>")
        if action == "delete":
            with self._lock:
                self._shells.pop(shell_id, None)
            return 200, _envelope(f"{TRANSFER}/DeleteResponse", message_id, "")
        return 500, _fault(message_id, 2150858817, "The action is not supported.", "s:Sender")

    def _command(
        self, root: ET.Element, message_id: str, commands: dict[str, Command]
    ) -> tuple[int, bytes]:
        line = _text(root, "s:Body/rsp:CommandLine/rsp:Command")
        args = _text(root, "s:Body/rsp:CommandLine/rsp:Arguments")
        new = str(uuid.uuid4()).upper()
        with self._lock:
            commands[new] = Command(f"{line} {args}".strip())
        body = f"<rsp:CommandResponse><rsp:CommandId>{new}</rsp:CommandId></rsp:CommandResponse>"
        return 200, _envelope(f"{SHELL}/CommandResponse", message_id, body)

    def _send(
        self, root: ET.Element, message_id: str, commands: dict[str, Command]
    ) -> tuple[int, bytes]:
        stream = root.find("s:Body/rsp:Send/rsp:Stream", NS)
        command = commands.get(stream.get("CommandId", "") if stream is not None else "")
        if stream is None or command is None:
            return 500, _fault(message_id, 2150858843, "The command was not found.", "s:Sender")
        command.stdin += base64.b64decode(stream.text or "")
        command.chunks += 1
        if stream.get("End", "false").lower() == "true":
            threading.Thread(target=self._run, args=(command,), daemon=True).start()
        return 200, _envelope(f"{SHELL}/SendResponse", message_id, "<rsp:SendResponse/>")

    def _run(self, command: Command) -> None:
        config = self.config
        try:
            reply = windows_host.answer(command.line, bytes(command.stdin), host=config.host,
                                        admin=config.admin, teamviewer=config.teamviewer,
                                        management=(config.management_id, config.unmanaged))  # fmt: skip
        except Exception as exc:  # a lab bug shows as the command's error, not a hung shell
            reply = windows_host.Reply(
                b"", f"lab listener: {type(exc).__name__}: {exc}".encode(), 1, False
            )
        command.reply = reply
        self.log({"action": "finished", "auditor_payload": reply.verified, "exit_code": reply.exit_code,
                  "stdin_bytes": len(command.stdin), "stdin_chunks": command.chunks})  # fmt: skip
        command.done.set()

    def _receive(
        self, root: ET.Element, message_id: str, commands: dict[str, Command]
    ) -> tuple[int, bytes]:
        wanted = root.find("s:Body/rsp:Receive/rsp:DesiredStream", NS)
        command_id = wanted.get("CommandId", "") if wanted is not None else ""
        command = commands.get(command_id)
        if command is None:
            return 500, _fault(message_id, 2150858843, "The command was not found.", "s:Sender")
        wait = min(MAX_WAIT_S, _seconds(_text(root, "s:Header/w:OperationTimeout")))
        if not command.done.wait(wait) or command.reply is None:
            text = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout."
            return 500, _fault(message_id, OPERATION_TIMEOUT_FAULT, text, "s:Receiver")
        reply, streams = command.reply, []
        if not command.delivered:
            command.delivered = True
            for name, data in (("stdout", reply.stdout), ("stderr", reply.stderr)):
                if data:
                    encoded = base64.b64encode(data).decode("ascii")
                    streams.append(
                        f'<rsp:Stream Name="{name}" CommandId="{command_id}">{encoded}</rsp:Stream>'
                    )
        streams += [f'<rsp:Stream Name="{n}" CommandId="{command_id}" End="true"></rsp:Stream>'
                    for n in ("stdout", "stderr")]  # fmt: skip
        state = (
            f'<rsp:CommandState CommandId="{command_id}" State="{SHELL}/CommandState/Done">'
            f"<rsp:ExitCode>{reply.exit_code}</rsp:ExitCode></rsp:CommandState>"
        )
        body = f"<rsp:ReceiveResponse>{''.join(streams)}{state}</rsp:ReceiveResponse>"
        return 200, _envelope(f"{SHELL}/ReceiveResponse", message_id, body)


def _text(root: ET.Element, path: str) -> str:
    found = root.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _selector(root: ET.Element) -> str:
    for node in root.iterfind("s:Header/w:SelectorSet/w:Selector", NS):
        if node.get("Name") == "ShellId":
            return (node.text or "").strip()
    return ""


def _seconds(duration: str) -> float:
    """``PT20S`` / ``PT20.000S`` -> 20.0; anything else: 20."""
    match = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", duration)
    return float(match.group(1)) if match else 20.0


def _envelope(action: str, relates: str, body: str) -> bytes:
    return ENVELOPE.format(action=action, mid=str(uuid.uuid4()), relates=relates, body=body,
                           **NS).encode("utf-8")  # fmt: skip


def _fault(relates: str, code: int, text: str, kind: str) -> bytes:
    body = (
        f"<s:Fault><s:Code><s:Value>{kind}</s:Value></s:Code><s:Reason>"
        f'<s:Text xml:lang="en-US">{text}</s:Text></s:Reason><s:Detail>'
        '<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f'Code="{code}" Machine="lab"><f:Message>{text}</f:Message></f:WSManFault>'
        "</s:Detail></s:Fault>"
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates, body)


class Handler(BaseHTTPRequestHandler):
    """One client connection: NTLM is connection-bound, so its context lives here."""

    protocol_version = "HTTP/1.1"
    server: Listener

    def setup(self) -> None:
        super().setup()
        self.ntlm: spnego.ContextProxy | None = None
        self.authenticated = False

    def log_message(self, format: str, *args: Any) -> None:
        return  # wsman.jsonl says what matters; no per-request noise in the lab log

    def do_POST(self) -> None:
        config = self.server.service.config
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY))
        if config.behaviour == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if config.behaviour == "slow":
            time.sleep(SLOW_S)
        if not self._authenticate():
            return
        encrypted = ENCRYPTED in (self.headers.get("Content-Type") or "")
        if encrypted:
            body = self._unseal(body)
        if not body:  # pywinrm's empty request that sets up message encryption
            self._answer(200, b"", encrypted=False)
            return
        status, answer = self.server.service.handle(body)
        self._answer(status, answer, encrypted)

    # --- authentication ------------------------------------------------------------
    def _authenticate(self) -> bool:
        """True when the request may proceed; otherwise a 401 has been sent."""
        config = self.server.service.config
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "basic" and "basic" in config.auth:
            user, _, password = base64.b64decode(token).decode("utf-8", "replace").partition(":")
            if user.split("\\")[-1].lower() == config.user.lower() and password == config.password:
                return True
            return self._challenge()
        if scheme.lower() in ("negotiate", "ntlm") and "ntlm" in config.auth:
            return self._ntlm(scheme, base64.b64decode(token))
        return self.authenticated or self._challenge()

    def _ntlm(self, scheme: str, token: bytes) -> bool:
        if self.ntlm is None or self.authenticated:
            self.ntlm, self.authenticated = spnego.server(protocol="ntlm"), False
        try:
            reply = self.ntlm.step(token)
        except spnego.exceptions.SpnegoError:
            self.ntlm = None
            return self._challenge()
        if not self.ntlm.complete:
            encoded = base64.b64encode(reply or b"").decode("ascii")
            self._answer(401, b"", False, {"WWW-Authenticate": f"{scheme} {encoded}"})
            return False
        user = (self.ntlm.client_principal or "").split("\\")[-1]
        if user.lower() != self.server.service.config.user.lower():
            self.ntlm = None
            return self._challenge()
        self.authenticated = True
        return True

    def _challenge(self) -> bool:
        offers = []
        if "ntlm" in self.server.service.config.auth:
            offers.append("Negotiate")
        if "basic" in self.server.service.config.auth:
            offers.append('Basic realm="WSMAN"')
        self._answer(401, b"", False, {"WWW-Authenticate": ", ".join(offers)})
        return False

    # --- message encryption (MS-WSMV 2.2.9.1.1) ----------------------------------------
    def _unseal(self, body: bytes) -> bytes:
        if self.ntlm is None:
            return b""
        parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
        payload = parts[1].replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
        if payload.endswith(BOUNDARY + b"--\r\n"):
            payload = payload[: -len(BOUNDARY + b"--\r\n")]
        size = struct.unpack("<i", payload[:4])[0]
        return self.ntlm.unwrap(payload[4 : 4 + size] + payload[4 + size :]).data

    def _seal(self, message: bytes) -> bytes:
        assert self.ntlm is not None
        wrapped = self.ntlm.wrap(message, encrypt=True).data
        signature, sealed = wrapped[:16], wrapped[16:]
        return (
            BOUNDARY + b"\r\n\tContent-Type: " + ENCRYPTED.encode() + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
            + str(len(message)).encode() + b"\r\n" + BOUNDARY + b"\r\n"
            b"\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<i", len(signature)) + signature + sealed + BOUNDARY + b"--\r\n"
        )  # fmt: skip

    def _answer(
        self, status: int, body: bytes, encrypted: bool, headers: dict[str, str] | None = None
    ) -> None:
        content_type = "application/soap+xml;charset=UTF-8"
        if encrypted and body:
            body = self._seal(body)
            content_type = (
                f'multipart/encrypted;protocol="{ENCRYPTED}";boundary="Encrypted Boundary"'
            )
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Listener(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: Config) -> None:
        self.service = Service(config)
        super().__init__((config.address, config.port), Handler)


def serve(config: Config) -> None:
    """Listen until killed; NTLM checks passwords against a private credential file."""
    store = config.state_dir / "ntlm_users"
    store.touch(mode=0o600)
    store.write_text(f":{config.user}:{config.password}\n"
                     f"{windows_host.computer_name(config.host)}:{config.user}:{config.password}\n")  # fmt: skip
    os.environ["NTLM_USER_FILE"] = str(store)
    listener = Listener(config)
    if config.scheme == "https":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(config.cert), str(config.key))
        listener.socket = context.wrap_socket(listener.socket, server_side=True)
    listener.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m auditor.lab.wsman")
    parser.add_argument("config", type=Path, help="the listener's JSON configuration")
    serve(Config.load(parser.parse_args(argv).config))


if __name__ == "__main__":
    main()
