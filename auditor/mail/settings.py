"""Where mail goes out: the SMTP server and the sender, from a settings file and the environment.

One syntax for both: ``KEY=VALUE`` lines with the variable names below, so
the same file serves ``--mail-config FILE``, a shell ``source`` and systemd's
``EnvironmentFile=``; the environment overrides the file. The password is
read from ``AUDITOR_SMTP_PASSWORD_FILE`` (a file holding only the password)
or ``AUDITOR_SMTP_PASSWORD``; there is no command-line option for it.

=========================== ================================================
AUDITOR_SMTP_HOST           the SMTP server (required)
AUDITOR_SMTP_PORT           default 587 for starttls, 465 for tls, 25 for none
AUDITOR_SMTP_SECURITY       ``starttls`` (default), ``tls`` or ``none``
AUDITOR_SMTP_USER           log in as this user (no login without it)
AUDITOR_SMTP_PASSWORD_FILE  the password, in a file of its own
AUDITOR_SMTP_CA_FILE        trust this CA bundle for the server's certificate
AUDITOR_MAIL_FROM           the sender, e.g. ``Audit <audit@msp.example>`` (required)
=========================== ================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from auditor.errors import ConfigError
from auditor.model import Secret

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORT = {"starttls": 587, "tls": 465, "none": 25}
KEYS = (
    "AUDITOR_SMTP_HOST", "AUDITOR_SMTP_PORT", "AUDITOR_SMTP_SECURITY", "AUDITOR_SMTP_USER",
    "AUDITOR_SMTP_PASSWORD_FILE", "AUDITOR_SMTP_PASSWORD", "AUDITOR_SMTP_CA_FILE",
    "AUDITOR_MAIL_FROM",
)  # fmt: skip


class MailConfigError(ConfigError):
    """Mail settings that cannot be used; one line, naming the setting."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str  # as written: "Name <address>" or "address"
    user: str | None = None
    password: Secret | None = field(default=None, repr=False)
    ca_file: str | None = None

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


def _values(config_file: Path | None, environ: Mapping[str, str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if config_file is not None:
        values.update(_read_file(config_file))
    env = os.environ if environ is None else environ
    values.update({k: env[k] for k in KEYS if env.get(k)})
    return values


def configured_sender(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """``AUDITOR_MAIL_FROM`` when it is set and an address (a dry run needs nothing else)."""
    try:
        sender = _values(config_file, environ).get("AUDITOR_MAIL_FROM", "").strip()
    except MailConfigError:
        return None
    return sender if _address_ok(parseaddr(sender)[1]) else None


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> SmtpSettings:
    """The settings from ``config_file`` (if any), overridden by the environment."""
    values = _values(config_file, environ)
    host = values.get("AUDITOR_SMTP_HOST", "").strip()
    if not host:
        raise MailConfigError(
            "no SMTP server: set AUDITOR_SMTP_HOST (environment or --mail-config)"
        )
    security = values.get("AUDITOR_SMTP_SECURITY", "starttls").strip().lower()
    if security not in SECURITY:
        raise MailConfigError(
            f"AUDITOR_SMTP_SECURITY {security!r} is not one of {', '.join(SECURITY)}"
        )
    port_text = values.get("AUDITOR_SMTP_PORT", str(DEFAULT_PORT[security])).strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise MailConfigError(f"AUDITOR_SMTP_PORT {port_text!r} is not a port number")
    sender = values.get("AUDITOR_MAIL_FROM", "").strip()
    if not _address_ok(parseaddr(sender)[1]):
        raise MailConfigError(f"AUDITOR_MAIL_FROM {sender!r} is not a sender address")
    ca_file = values.get("AUDITOR_SMTP_CA_FILE") or None
    if ca_file is not None and not Path(ca_file).is_file():
        raise MailConfigError(f"AUDITOR_SMTP_CA_FILE {ca_file}: no such file")
    return SmtpSettings(host=host, port=int(port_text), security=security, sender=sender,
                        user=values.get("AUDITOR_SMTP_USER") or None,
                        password=_password(values), ca_file=ca_file)  # fmt: skip


def _read_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments ignored; quotes around a value dropped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MailConfigError(f"--mail-config {path}: {exc.strerror or exc}") from None
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip().removeprefix("export ").strip()
        if not sep or key not in KEYS:
            raise MailConfigError(f"{path}:{number}: expected one of {', '.join(KEYS)}=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _password(values: Mapping[str, str]) -> Secret | None:
    path = values.get("AUDITOR_SMTP_PASSWORD_FILE")
    if path:
        try:
            return Secret(Path(path).read_text(encoding="utf-8").rstrip("\r\n"))
        except OSError as exc:
            raise MailConfigError(
                f"AUDITOR_SMTP_PASSWORD_FILE {path}: {exc.strerror or exc}"
            ) from None
    given = values.get("AUDITOR_SMTP_PASSWORD")
    return Secret(given) if given else None


def _address_ok(address: str) -> bool:
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    return "@" in address
