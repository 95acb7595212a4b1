"""Hands one message to the SMTP server; each way it can fail is one line with its kind.

smtplib, with the security the settings name: ``starttls`` (upgrade a plain
connection, refusing a server that cannot), ``tls`` (TLS from the first
byte) or ``none``. The server's certificate is checked against the system's
CAs or ``AUDITOR_SMTP_CA_FILE``. The password goes to the server only, after
TLS where there is TLS; no message here ever contains it.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage

from auditor.mail.settings import SmtpSettings

TIMEOUT_S = 30.0
_UNREACHABLE = (
    TimeoutError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, ConnectionError,
    socket.gaierror,
)  # fmt: skip


class MailError(Exception):
    """``kind``: unreachable, tls, auth, recipient, sender, error; ``str()`` is one line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(" ".join(message.split()))
        self.kind = kind


def send(message: EmailMessage, settings: SmtpSettings, timeout_s: float = TIMEOUT_S) -> None:
    """Deliver ``message`` to every recipient it names, or raise :class:`MailError`."""
    where = f"SMTP server {settings.host}:{settings.port}"
    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout_s,
                                                  context=context)  # fmt: skip
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout_s)
        with smtp:
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.user:
                password = settings.password.reveal() if settings.password else ""
                smtp.login(settings.user, password)
            refused = smtp.send_message(message)
    except ssl.SSLCertVerificationError as exc:
        raise MailError(
            "tls", f"{where}: its TLS certificate is not trusted ({exc.verify_message})"
        ) from None
    except ssl.SSLError as exc:
        raise MailError("tls", f"{where}: TLS failed ({exc.reason or exc})") from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            "tls", f"{where} offers no STARTTLS (AUDITOR_SMTP_SECURITY=starttls)"
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            "auth", f"{where} refused the login of {settings.user!r} ({_said(exc)})"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        rejected = "; ".join(f"{a} ({_code(r)})" for a, r in exc.recipients.items())
        raise MailError("recipient", f"{where} rejected every recipient: {rejected}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(
            "sender", f"{where} rejected the sender {exc.sender} ({_said(exc)})"
        ) from None
    except _UNREACHABLE as exc:
        raise MailError("unreachable", f"{where} cannot be reached ({_said(exc)})") from None
    except OSError as exc:
        raise MailError(
            "unreachable", f"{where} cannot be reached ({exc.strerror or exc})"
        ) from None
    except smtplib.SMTPException as exc:
        raise MailError("error", f"{where}: {_said(exc)}") from None
    if refused:
        rejected = "; ".join(f"{a} ({_code(r)})" for a, r in refused.items())
        raise MailError("recipient", f"{where} rejected {rejected}; the others got it")


def _code(reply: tuple[int, bytes]) -> str:
    code, text = reply
    return f"{code} {text.decode('utf-8', 'replace')}"


def _said(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
    return str(exc) or type(exc).__name__
