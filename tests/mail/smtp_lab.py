"""A real SMTP server for the mail tests: aiosmtpd on loopback, STARTTLS required, AUTH required.

Its certificate comes from a CA made here; the client trusts it only through
``AUDITOR_SMTP_CA_FILE``. It accepts the user ``audit`` with :data:`PASSWORD`,
rejects the recipient ``nobody@...`` with 550, and keeps every message it
accepted (the raw bytes as received, and the envelope).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from auditor.lab import pki

USER = "audit"
PASSWORD = "Smtp-Secret-4711"
REJECTED = "nobody@kunde.example"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:  # fmt: skip
        if address == REJECTED:
            return "550 5.1.1 <nobody@kunde.example>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted"


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    ca_file: Path
    handler: Handler

    def env(self, **extra: str) -> dict[str, str]:
        """The AUDITOR_SMTP_* settings that reach this server (the password by file)."""
        return {"AUDITOR_SMTP_HOST": self.host, "AUDITOR_SMTP_PORT": str(self.port),
                "AUDITOR_SMTP_SECURITY": "starttls", "AUDITOR_SMTP_USER": USER,
                "AUDITOR_SMTP_CA_FILE": str(self.ca_file),
                "AUDITOR_MAIL_FROM": "MSP Prüfdienst <audit@msp.example>", **extra}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for localhost / 127.0.0.1."""
    folder = tmp_path_factory.mktemp("smtp-pki")
    ca = pki._ca("Auditor Test Mail CA")
    leaf = pki._leaf("localhost", ("localhost",), ("127.0.0.1",), ca)
    pki._write(folder / "ca.pem", ca[0], None)
    pki._write(folder / "server.pem", *leaf)
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


@pytest.fixture
def smtp_server(smtp_pki: tuple[Path, Path, Path]) -> Iterator[SmtpServer]:
    ca_file, cert, key = smtp_pki
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, auth_required=True,
                            authenticator=authenticator)  # fmt: skip
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, ca_file, handler)
    finally:
        controller.stop()
