"""The WinRM transport's own decisions: which error a library failure is, timeouts, encryption.

The lab (tests/engine/test_windows_on_lab.py) drives the real client against a
real listener; these cases reach the failures a listener cannot easily stage
(a refused TCP port inside requests, an unknown host in a proxy setup, a
library error), built the way requests, urllib3 and pywinrm raise them.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import urllib3.exceptions
import winrm.exceptions

from auditor.errors import (
    AuthError,
    ConnectRefused,
    ConnectTimeout,
    CredentialsMissing,
    PayloadError,
    PayloadTimeout,
    ResolveError,
    TransportError,
    WinrmAccessDenied,
    WinrmCertUntrusted,
    WinrmClientUnusable,
    WinrmDropped,
    WinrmHttpError,
    WinrmNoAnswer,
    WinrmTlsFailed,
)
from auditor.model import Connection, Secret, Stage, Target, WinrmOptions
from auditor.transports.winrm import (
    WinrmSettings,
    WinrmTransport,
    _encryption,
    _timeouts,
    certificate_facts,
    classify,
)

FACTS: dict[str, str | int | float | None] = {"address": "198.51.100.30", "port": 5986,
                                              "connection": "winrm"}  # fmt: skip
ACCESS = {"user": "audit", "path": "/wsman", "certificate": {"subject": "CN=W1", "issuer": "CN=W1"}}


def verify_failed(message: str = "self-signed certificate") -> requests.exceptions.SSLError:
    """How requests reports a certificate urllib3 would not accept."""
    inner = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    inner.verify_message = message
    retry = urllib3.exceptions.MaxRetryError(None, "/wsman", urllib3.exceptions.SSLError(inner))  # type: ignore[arg-type]
    return requests.exceptions.SSLError(retry)


def refused() -> requests.exceptions.ConnectionError:
    cause = ConnectionRefusedError(111, "Connection refused")
    new = urllib3.exceptions.NewConnectionError(None, f"Failed to establish: {cause}")  # type: ignore[arg-type]
    new.__cause__ = cause
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", new))  # type: ignore[arg-type]


def dropped() -> requests.exceptions.ConnectionError:
    lost = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", lost)
    )


def unknown_name() -> requests.exceptions.ConnectionError:
    gai = socket.gaierror(-2, "Name or service not known")
    new = urllib3.exceptions.NameResolutionError("w1", None, gai)  # type: ignore[arg-type]
    new.__cause__ = gai  # urllib3 raises it "from" the gaierror
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", new))  # type: ignore[arg-type]


CASES: list[tuple[str, BaseException, Stage, type[TransportError], str]] = [
    ("401", winrm.exceptions.InvalidCredentialsError("rejected"), Stage.CONNECT, AuthError,
     "credentials.refused"),
    ("access denied", winrm.exceptions.WSManFaultError(500, "", "", "Access is denied.",
                                                      wsman_fault_code=5),
     Stage.CONNECT, WinrmAccessDenied, "credentials.winrm_denied"),
    ("other fault", winrm.exceptions.WSManFaultError(500, "", "", "The shell was not found.",
                                                    wsman_fault_code=2150858843),
     Stage.PROBE, WinrmHttpError, "winrm.http_error"),
    ("404", winrm.exceptions.WinRMTransportError("http", 404, ""), Stage.CONNECT,
     WinrmHttpError, "winrm.http_error"),
    ("library refuses settings", winrm.exceptions.WinRMError(
        "message encryption is set to 'always' but the selected auth method basic does not "
        "support it"), Stage.CONNECT, WinrmClientUnusable, "winrm.client_unusable"),
    ("untrusted certificate", verify_failed(), Stage.CONNECT, WinrmCertUntrusted,
     "winrm.certificate_untrusted"),
    ("other TLS failure", requests.exceptions.SSLError("wrong version number"), Stage.CONNECT,
     WinrmTlsFailed, "winrm.tls_failed"),
    ("connect timeout", requests.exceptions.ConnectTimeout("timed out"), Stage.CONNECT,
     ConnectTimeout, "connect.timeout"),
    ("read timeout at login", requests.exceptions.ReadTimeout("read timed out"), Stage.CONNECT,
     WinrmNoAnswer, "winrm.no_answer"),
    ("read timeout in the probe", requests.exceptions.ReadTimeout("read timed out"), Stage.PROBE,
     PayloadTimeout, "probe.timeout"),
    ("refused inside requests", refused(), Stage.CONNECT, ConnectRefused, "connect.refused"),
    ("dropped at login", dropped(), Stage.CONNECT, WinrmDropped, "winrm.connection_dropped"),
    ("dropped in the probe", dropped(), Stage.PROBE, PayloadError, "probe.failed"),
    ("name unknown (proxy setups)", unknown_name(), Stage.CONNECT, ResolveError,
     "resolve.failed"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "stage", "kind", "code"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_library_failures_become_typed_stage_errors(
    error: BaseException, stage: Stage, kind: type[TransportError], code: str
) -> None:
    found = classify(error, stage, FACTS, ACCESS, "ntlm")
    assert type(found) is kind and found.code == code
    assert "\n" not in str(found)


def test_an_untrusted_certificate_names_what_the_listener_presented() -> None:
    found = classify(verify_failed("certificate has expired"), Stage.CONNECT, FACTS, ACCESS)
    assert found.stage is Stage.HOSTKEY
    assert found.params == {**FACTS, "reason": "certificate has expired", "subject": "CN=W1",
                            "issuer": "CN=W1"}  # fmt: skip


def test_a_bug_is_not_hidden_as_a_network_error() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("x"), Stage.CONNECT, FACTS, ACCESS)


def test_timeouts_never_outlast_the_deadline_and_keep_pywinrms_rule() -> None:
    options = WinrmOptions(operation_timeout_s=20, read_timeout_s=30)
    read, operation = _timeouts(options, time.monotonic() + 6.5)
    assert (read, operation) == (7, 6)
    read, operation = _timeouts(options, time.monotonic() + 300)
    assert (read, operation) == (30, 20)
    read, operation = _timeouts(options, time.monotonic() - 5)  # past: the smallest legal pair
    assert (read, operation) == (2, 1)


@pytest.mark.parametrize(
    ("scheme", "auth", "encryption", "expected"),
    [("https", "basic", "auto", "tls"), ("http", "ntlm", "auto", "message"),
     ("http", "ntlm", "never", "none"), ("http", "basic", "auto", "none"),
     ("http", "plaintext", "auto", "none"), ("http", "kerberos", "always", "message")],
)  # fmt: skip
def test_what_protects_the_session(scheme: str, auth: str, encryption: str, expected: str) -> None:
    assert _encryption(WinrmOptions(scheme=scheme, message_encryption=encryption), auth) == expected


@pytest.mark.parametrize(
    ("user", "password", "auth", "missing"),
    [("audit", None, ("ntlm",), "no password for the WinRM login (ansible_password)"),
     (None, Secret("x"), ("basic",), "no user for the WinRM login (ansible_user)"),
     ("audit", Secret("x"), ("ntlm",), None),
     ("audit@CORP", None, ("kerberos",), None),  # a ticket, not a password
     ("audit", None, ("ntlm", "certificate"), None)],
)  # fmt: skip
def test_missing_credentials_are_known_before_any_request(
    user: str | None, password: Secret | None, auth: tuple[str, ...], missing: str | None
) -> None:
    target = Target("w1", "198.51.100.30", "c", connection=Connection.WINRM, user=user,
                    password=password, winrm=WinrmOptions(auth=auth))  # fmt: skip
    transport = WinrmTransport(target, WinrmSettings(), ThreadPoolExecutor(1))
    assert transport._missing_credentials() == missing
    assert CredentialsMissing.code == "credentials.missing"  # what connect() raises then


def test_certificate_facts_are_evidence_not_trust() -> None:
    from cryptography.hazmat.primitives import hashes, serialization

    from auditor.lab.pki import _self_signed

    cert, _ = _self_signed("WIN1", "win1", "198.51.100.30")
    facts = certificate_facts(cert.public_bytes(serialization.Encoding.DER))
    assert facts["subject"] == facts["issuer"] == "CN=WIN1" and facts["self_signed"] is True
    assert facts["sha256"] == cert.fingerprint(hashes.SHA256()).hex()
