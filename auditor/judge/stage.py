"""Why a host was not audited, as a finding: from the transport's typed exception, never its text.

Each :class:`~auditor.errors.TransportError` class names its code
(``connect.refused``, ``hostkey.changed``, ``credentials.missing``...) and
carries plain facts as params (address, port, errno, connection, the jump
host it happened ``via``); the code table gives verdict, owner and severity.
Credential findings also carry ``user`` and ``observed_at`` (the
controller's clock): the contract's evidence of *when* credentials were
missing or refused. Pure: no I/O, times are inputs.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.errors import TransportError
from auditor.judge.codes import CODES, finding
from auditor.model import Finding, InventoryProblem, ParamValue, Stage


def transport_finding(
    exc: TransportError, *, observed_at: str = "", user: str | None = None
) -> Finding:
    """The stage finding for a transport failure.

    It takes the facts its code declares; others the exception may carry
    (for its message) are left out, so a transport can never break a run.
    """
    code = exc.code if exc.code in CODES else "connect.failed"
    declared = CODES[code].params
    params: dict[str, ParamValue | None] = {k: v for k, v in exc.params.items() if k in declared}
    if code.startswith("credentials."):
        params.setdefault("user", user)
        params["observed_at"] = observed_at or None
    return finding(code, (), params)


def deadline_finding(stage: Stage, host_s: float) -> Finding:
    """The host's whole budget ran out while it was at ``stage``."""
    return finding("host.deadline", (), {"stage": stage.value, "timeout_s": host_s})


def internal_finding(exc: BaseException) -> Finding:
    """A bug in the auditor, confined to this host."""
    return finding("internal.error", (), {"error": type(exc).__name__})


def inventory_finding(problem: InventoryProblem) -> Finding:
    """The host's own inventory entry could not be used."""
    return finding("inventory.invalid", (), {"source": problem.source, "line": problem.line})


def access_notes(access: Mapping[str, object]) -> tuple[Finding, ...]:
    """Notes from how the host was reached: outdated SSH algorithms that were needed,
    a WinRM certificate not checked, WinRM traffic without encryption."""
    if access.get("transport") == "winrm":
        return _winrm_notes(access)
    old = access.get("outdated")
    if not isinstance(old, Mapping) or not old:
        return ()
    algorithms = ", ".join(f"{k}: {v}" for k, v in old.items())
    via = access.get("via")
    params: dict[str, ParamValue | None] = {
        "algorithms": algorithms,
        "server": str(access.get("server") or ""),
        "via": str(via) if via else None,
    }
    return (finding("ssh.outdated_algorithms_used", (), params),)


def _winrm_notes(access: Mapping[str, object]) -> tuple[Finding, ...]:
    """Only for a session that was opened: the facts are then what the audit really used."""
    if "auth_used" not in access:
        return ()
    port = access.get("port")
    where: dict[str, ParamValue | None] = {
        "address": str(access.get("address") or ""),
        "port": port if isinstance(port, int) else None,
    }
    notes = []
    if access.get("scheme") == "https" and access.get("cert_validation") == "ignore":
        notes.append(finding("winrm.certificate_not_checked", (), where))
    if access.get("encrypted") == "none":
        notes.append(finding("winrm.unencrypted", (), {**where, "auth": str(access["auth_used"])}))
    return tuple(notes)
