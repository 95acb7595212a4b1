"""Why a host was not audited: typed transport errors -> stage findings -> its checks.

A stage finding is decided from the exception's class (its ``code``) and its
facts (``params``), never from message text; the checks of such a host are
``error`` without findings of their own (the stage finding, on the host,
says why), except the admin check of a refused login, which fails with the
credential finding: the contract's evidence of when credentials were
refused or missing.
"""

from __future__ import annotations

import pytest
from judge_cases import (
    AT,
    ERR,
    FAIL,
    IT,
    MSP,
    NA,
    NETWORK,
    SERVER,
    USER,
    plan,
    problems,
)

from auditor.errors import (
    AuthError,
    ConnectError,
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable,
    CredentialsMissing,
    HostKeyChanged,
    HostKeyError,
    HostKeyUnknown,
    LoginTimeout,
    PayloadError,
    PayloadMalformed,
    PayloadNotStarted,
    PayloadTimeout,
    ResolveError,
    SshAlgorithmsOutdated,
    SshClientMissing,
    SshConfigInvalid,
    SshHandshakeFailed,
    TransportError,
    UnsupportedConnection,
    WinrmAccessDenied,
    WinrmCertUntrusted,
    WinrmClientUnusable,
    WinrmDropped,
    WinrmHttpError,
    WinrmNoAnswer,
    WinrmTlsFailed,
)
from auditor.judge.codes import CODES
from auditor.judge.host import unaudited_checks
from auditor.judge.stage import (
    access_notes,
    deadline_finding,
    internal_finding,
    inventory_finding,
    transport_finding,
)
from auditor.model import Check, Finding, InventoryProblem, Owner, Severity, Stage, Verdict

ADDR = "198.51.100.16"
SSH = {"address": ADDR, "port": 22, "connection": "ssh"}
WINRM = {"address": ADDR, "port": 5986, "connection": "winrm"}


class FutureError(TransportError):
    """A transport error whose code this judge does not know yet."""

    code = "quic.failed"


STAGE_TABLE: list[tuple[TransportError, str, Verdict, Owner, dict[str, object]]] = [
    (ResolveError("management address 'web1' does not resolve", address="web1"),
     "resolve.failed", ERR, MSP, {"address": "web1"}),
    (ConnectRefused(f"TCP {ADDR}:22 refused (nothing listens?)", **SSH), "connect.refused",
     ERR, IT, SSH),
    (ConnectTimeout("no answer", timeout_s=5.0, **SSH), "connect.timeout", ERR, IT,
     {**SSH, "timeout_s": 5.0}),
    (ConnectUnreachable("no route", errno="EHOSTUNREACH", **SSH), "connect.unreachable", ERR, IT,
     {**SSH, "errno": "EHOSTUNREACH"}),
    (ConnectError("failed", errno="EINVAL", **SSH), "connect.failed", ERR, IT,
     {**SSH, "errno": "EINVAL"}),
    (UnsupportedConnection("winrm is not supported", connection="winrm"),
     "connect.unsupported", ERR, MSP, {"connection": "winrm"}),
    (SshHandshakeFailed("SSH handshake failed: reset", address=ADDR, via="jump1"),
     "ssh.handshake_failed", ERR, MSP, {"address": ADDR, "via": "jump1"}),
    (LoginTimeout("SSH handshake/login did not finish in time", address=ADDR, via=None),
     "ssh.login_timeout", ERR, MSP, {"address": ADDR}),
    (SshAlgorithmsOutdated("the SSH server offers only outdated algorithms", address=ADDR,
                           offered="kex: diffie-hellman-group1-sha1", server="SSH-2.0-OldBox"),
     "ssh.algorithms_outdated", ERR, MSP,
     {"address": ADDR, "offered": "kex: diffie-hellman-group1-sha1", "server": "SSH-2.0-OldBox"}),
    (SshClientMissing("the OpenSSH client (ssh) is not installed"), "ssh.client_missing", ERR,
     MSP, {}),
    (SshConfigInvalid("OpenSSH refuses the settings", error="Bad configuration option: x"),
     "ssh.config_invalid", ERR, MSP, {"error": "Bad configuration option: x"}),
    (HostKeyChanged("host key differs", address=ADDR), "hostkey.changed", ERR, MSP,
     {"address": ADDR}),
    (HostKeyUnknown("host key not recorded", address=ADDR), "hostkey.unknown", ERR, MSP,
     {"address": ADDR}),
    (HostKeyError("host key not trusted"), "hostkey.unknown", ERR, MSP, {}),
    (AuthError("authentication refused for user 'audit'", user=USER), "credentials.refused",
     FAIL, IT, {"user": USER, "observed_at": AT}),
    (AuthError("authentication refused"), "credentials.refused", FAIL, IT,
     {"user": "from-inventory", "observed_at": AT}),
    (CredentialsMissing("authentication refused for user 'audit': no key file", user=USER),
     "credentials.missing", FAIL, IT, {"user": USER, "observed_at": AT}),
    (PayloadError("no observations"), "probe.failed", ERR, MSP, {}),
    (PayloadTimeout("payload did not finish within 20.0s", b"partial"), "probe.timeout", ERR,
     MSP, {}),
    (PayloadNotStarted("did not start the payload within 10s", timeout_s=10.0),
     "probe.not_started", ERR, MSP, {"timeout_s": 10.0}),
    (PayloadMalformed("no BEGIN line"), "probe.malformed", ERR, MSP, {}),
    (FutureError("something new", address=ADDR), "connect.failed", ERR, IT, {"address": ADDR}),
    # Windows over WinRM: each stage its own reason (transports/winrm.py)
    (WinrmCertUntrusted("listener certificate not trusted", reason="self-signed certificate",
                        subject="CN=WIN1", issuer="CN=WIN1", **WINRM),
     "winrm.certificate_untrusted", ERR, MSP,
     {**WINRM, "reason": "self-signed certificate", "subject": "CN=WIN1", "issuer": "CN=WIN1"}),
    (WinrmTlsFailed("no TLS", reason="wrong version number", **WINRM), "winrm.tls_failed",
     ERR, MSP, {**WINRM, "reason": "wrong version number"}),
    (WinrmNoAnswer("no answer in time", **WINRM), "winrm.no_answer", ERR, IT, WINRM),
    (WinrmDropped("closed without an answer", **WINRM), "winrm.connection_dropped", ERR, IT,
     WINRM),
    (WinrmHttpError("HTTP 404", status=404, path="/wsmen", **WINRM), "winrm.http_error", ERR,
     MSP, {**WINRM, "status": 404, "path": "/wsmen"}),
    (WinrmClientUnusable("WinRM transport kerberos unusable", reason="kerberos needs "
                         "pywinrm[kerberos]", **WINRM), "winrm.client_unusable", ERR, MSP,
     {**WINRM, "reason": "kerberos needs pywinrm[kerberos]"}),
    (AuthError("the WinRM service refused the credentials (HTTP 401)", user=USER, **WINRM),
     "credentials.refused", FAIL, IT, {"observed_at": AT, "user": USER}),
    (WinrmAccessDenied("Access is denied.", user=USER, **WINRM), "credentials.winrm_denied",
     FAIL, IT, {"observed_at": AT, "user": USER}),
]  # fmt: skip


def stage_of(error: TransportError) -> Finding:
    return transport_finding(error, observed_at=AT, user="from-inventory")


@pytest.mark.parametrize(
    ("error", "code", "verdict", "owner", "params"),
    STAGE_TABLE,
    ids=[f"{type(row[0]).__name__}-{row[1]}" for row in STAGE_TABLE],
)
def test_transport_errors_become_stage_findings(
    error: TransportError, code: str, verdict: Verdict, owner: Owner, params: dict[str, object]
) -> None:
    found = stage_of(error)
    assert found.code == code
    assert (found.verdict, found.owner) == (verdict, owner)
    assert dict(found.params) == params
    assert found.targets == ()
    assert found.severity is (Severity.SECURITY if code == "hostkey.changed" else Severity.BLOCKING)
    assert (found.verdict, found.owner, found.severity) == (
        CODES[code].verdict, CODES[code].owner, CODES[code].severity)  # fmt: skip
    assert str(error) not in found.params.values()  # facts, never the message text


def test_credentials_without_a_time_leave_it_out() -> None:
    found = transport_finding(AuthError("refused", user=USER))
    assert dict(found.params) == {"user": USER}


def other_stage_findings() -> list[Finding]:
    return [
        deadline_finding(Stage.PROBE, 35.0),
        internal_finding(ValueError("secret detail")),
        inventory_finding(InventoryProblem("hosts.ini", "unknown role 'db'", host="web1", line=3)),
    ]


def test_deadline_internal_and_inventory_findings() -> None:
    deadline, internal, inventory = other_stage_findings()
    assert (deadline.code, deadline.verdict, deadline.owner) == ("host.deadline", ERR, MSP)
    assert dict(deadline.params) == {"stage": "probe", "timeout_s": 35.0}
    assert (internal.code, internal.verdict, internal.owner) == ("internal.error", ERR, MSP)
    assert dict(internal.params) == {"error": "ValueError"}  # the class, never the message
    assert (inventory.code, inventory.verdict) == ("inventory.invalid", ERR)
    assert dict(inventory.params) == {"source": "hosts.ini", "line": 3}
    no_line = inventory_finding(InventoryProblem("hosts.ini", "vault value without password"))
    assert dict(no_line.params) == {"source": "hosts.ini"}


WINRM_ACCESS = {
    "transport": "winrm",
    "address": ADDR,
    "port": 5985,
    "scheme": "http",
    "auth_used": "basic",
    "encrypted": "none",
    "cert_validation": "validate",
}
UNCHECKED = {**WINRM_ACCESS, "port": 5986, "scheme": "https", "auth_used": "ntlm",
             "encrypted": "tls", "cert_validation": "ignore"}  # fmt: skip


def notes() -> list[Finding]:
    """Notes from how hosts were reached (test_judge_coverage.py)."""
    needed = {"kex": "diffie-hellman-group14-sha1", "host_key": "ssh-rsa"}
    return [
        *access_notes({"outdated": needed, "server": "SSH-2.0-OpenSSH_7.4", "via": "jump1"}),
        *access_notes(WINRM_ACCESS),
        *access_notes(UNCHECKED),
    ]


def test_winrm_without_encryption_or_certificate_check_is_a_note() -> None:
    (plain,) = access_notes(WINRM_ACCESS)
    assert (plain.code, plain.verdict, plain.severity, plain.owner) == (
        "winrm.unencrypted", Verdict.PASS, Severity.NOTE, MSP)  # fmt: skip
    assert dict(plain.params) == {"address": ADDR, "port": 5985, "auth": "basic"}
    (unchecked,) = access_notes(UNCHECKED)
    assert unchecked.code == "winrm.certificate_not_checked"
    assert access_notes({**WINRM_ACCESS, "encrypted": "message", "auth_used": "ntlm"}) == ()
    # a session that never opened proves nothing about how it was protected
    assert access_notes({k: v for k, v in WINRM_ACCESS.items() if k != "auth_used"}) == ()


def test_outdated_algorithms_that_were_needed_are_a_note() -> None:
    note = notes()[0]
    assert (note.code, note.verdict, note.severity, note.owner) == (
        "ssh.outdated_algorithms_used", Verdict.PASS, Severity.NOTE, IT)  # fmt: skip
    assert dict(note.params) == {
        "algorithms": "kex: diffie-hellman-group14-sha1, host_key: ssh-rsa",
        "server": "SSH-2.0-OpenSSH_7.4", "via": "jump1",
    }  # fmt: skip
    assert access_notes({"transport": "ssh", "cipher": "aes128-ctr"}) == ()
    assert access_notes({"outdated": {}}) == () and access_notes({}) == ()


def stage_findings() -> list[Finding]:
    """Every stage finding this module's cases produce (test_judge_coverage.py)."""
    return [stage_of(row[0]) for row in STAGE_TABLE] + other_stage_findings()


UNAUDITED = [
    (Stage.CONNECT, stage_of(STAGE_TABLE[1][0])),
    (Stage.HOSTKEY, stage_of(HostKeyChanged("host key differs", address=ADDR))),
    (Stage.PROBE, deadline_finding(Stage.PROBE, 35.0)),
    (Stage.INVENTORY, other_stage_findings()[2]),
    (Stage.AUTH, stage_of(AuthError("authentication refused", user=USER))),
    (Stage.AUTH, stage_of(CredentialsMissing("no usable credentials", user=USER))),
]
REASON = "TCP 198.51.100.16:22 refused (nothing listens?) [ECONNREFUSED]"


def unaudited(stage: Stage, found: Finding, target: object = SERVER) -> tuple[Check, ...]:
    return unaudited_checks(plan(target=target), stage, REASON, found)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stage", "found"), UNAUDITED, ids=[f"{s.value}-{f.code}" for s, f in UNAUDITED]
)
def test_unaudited_host_has_every_check_and_none_passes(stage: Stage, found: Finding) -> None:
    host_plan = plan()
    checks = unaudited(stage, found)
    assert [c.id for c in checks] == list(host_plan.profile.checks)
    for check in checks:
        assert problems(check, audited=False) == [], problems(check, audited=False)
        if check.id == "admin" and found.code.startswith("credentials."):
            assert (check.verdict, check.findings) == (FAIL, (found,))
            assert check.evidence["user"] == USER and check.evidence["observed_at"] == AT
            if found.code == "credentials.missing":
                assert check.evidence["state"] == "credentials_missing"
                assert check.reason == (
                    f"The inventory holds no usable credentials for this host: {REASON}."
                )
            else:
                assert check.evidence["state"] == "auth_failed"
                assert check.reason == f"The credentials we hold were refused: {REASON}."
        else:
            assert (check.verdict, check.findings) == (ERR, ())
            assert check.reason == f"Not audited: stopped at stage {stage.value}: {REASON}."


def test_unaudited_network_device_keeps_its_not_applicable_checks() -> None:
    host_plan = plan(target=NETWORK)
    checks = unaudited(Stage.CONNECT, UNAUDITED[0][1], NETWORK)
    verdicts = {c.id: c.verdict for c in checks}
    assert verdicts.pop("teamviewer") is NA
    assert set(verdicts.values()) == {ERR}
    assert checks[0].reason == host_plan.not_applicable["teamviewer"]


def test_refused_login_of_a_host_without_credentials() -> None:
    found = stage_of(CredentialsMissing("no usable credentials", user=USER))
    admin = {c.id: c for c in unaudited(Stage.AUTH, found)}["admin"]
    assert (admin.verdict, admin.findings, admin.evidence["state"]) == (
        FAIL, (found,), "credentials_missing")  # fmt: skip
    assert admin.reason == f"The inventory holds no usable credentials for this host: {REASON}."


def test_unaudited_reason_is_a_sentence() -> None:
    check = unaudited(Stage.CONNECT, UNAUDITED[0][1])[1]
    assert check.reason.endswith(".")


# --- every Check this module's cases produce (test_judge_coverage.py) -----------------


def produced() -> list[Check]:
    found = stage_of(CredentialsMissing("no usable credentials", user=USER))
    return [
        *(c for stage, f in UNAUDITED for c in unaudited(stage, f)),
        *unaudited(Stage.CONNECT, UNAUDITED[0][1], NETWORK),
        *unaudited(Stage.AUTH, found),
    ]
