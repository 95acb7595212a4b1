"""What is wrong with a host, who must act and how to fix it: derived, never invented.

:func:`host_findings` derives :class:`~auditor.report.finding.Finding` values
from one host's stage, check ids, verdicts and evidence (the judges' English
reasons are kept as technical detail; only a ``connect`` stage's reason is
read, to tell "refused", "no answer" and "not supported" apart).
Stage, admin and TeamViewer live here; the network checks in
:mod:`auditor.report.findings_net`. Pure: no I/O, same input, same output.

"Since when" for credential problems needs history, which a later store
provides: callers pass ``first_seen`` (host name -> first time the problem was
seen). Without an entry the audit's own time is used, which is honest for a
first sighting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network

from auditor.model import Check, HostResult, Stage, Verdict
from auditor.report.finding import Finding, Owner, finding, merged
from auditor.report.findings_net import network_findings

Network = IPv4Network | IPv6Network

# The admin check's evidence ``state`` -> the credential finding it proves.
_CREDENTIALS = {
    "auth_failed": "credentials.invalid",
    "credentials_missing": "credentials.missing",
    "not_admin": "credentials.not_admin",
}


def host_findings(
    host: HostResult,
    *,
    audit_time: datetime,
    first_seen: Mapping[str, datetime] | None = None,
    expected_networks: Sequence[Network] = (),
) -> tuple[Finding, ...]:
    """Every problem of ``host``, merged, worst first (fail, error, inconclusive).

    ``audit_time`` and ``first_seen`` values should be in the report's time
    zone: their date is printed as it is. ``expected_networks`` are the
    profile's allowed "bogon" answers, so DNS findings agree with the judge.
    """
    since = _since(host, audit_time, first_seen)
    found = _stage_findings(host, since)
    for check in host.checks:
        if check.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
            continue
        if check.id == "admin":
            found += _admin_findings(check, host.stage, since)
        elif host.stage is not Stage.JUDGED:
            continue  # the stage finding explains every unobserved check
        elif check.id == "teamviewer":
            found += _teamviewer_findings(check)
        else:
            found += network_findings(check, host.address, expected_networks)
    return merged(found)


def _since(
    host: HostResult, audit_time: datetime, first_seen: Mapping[str, datetime] | None
) -> str:
    """Date a credential problem was first seen: history, else this observation, else the audit."""
    seen = (first_seen or {}).get(host.name)
    if seen is None:
        admin = next((c for c in host.checks if c.id == "admin"), None)
        observed = admin.evidence.get("observed_at") if admin else None
        try:
            seen = datetime.fromisoformat(str(observed)).astimezone(audit_time.tzinfo)
        except ValueError:
            seen = audit_time
    return seen.date().isoformat()


def _stage_findings(host: HostResult, since: str) -> list[Finding]:
    stage, reason = host.stage, host.stage_reason
    if stage is Stage.JUDGED:
        return []
    err, fail = Verdict.ERROR, Verdict.FAIL
    if host.security_finding:
        detail = host.security_finding
        return [finding("security.hostkey_changed", Owner.MSP, fail, stage.value, (), detail)]
    lowered = reason.lower()
    if stage is Stage.CONNECT:
        if "not supported" in lowered:
            key, owner = "stage.connect_unsupported", Owner.MSP
        elif "refused" in lowered:
            key, owner = "stage.connect_refused", Owner.CUSTOMER_IT
        elif "no answer" in lowered or "timed out" in lowered or "timeout" in lowered:
            key, owner = "stage.connect_timeout", Owner.CUSTOMER_IT
        else:
            key, owner = "stage.connect", Owner.CUSTOMER_IT
        args = {"connection": host.connection.value}
        return [finding(key, owner, err, stage.value, (), reason, **args)]
    if stage is Stage.AUTH:
        admin = next((c for c in host.checks if c.id == "admin"), None)
        if admin is not None and admin.evidence.get("state") in _CREDENTIALS:
            return []  # the admin check carries the credential finding
        return [
            finding(
                "credentials.invalid", Owner.CUSTOMER_IT, fail, "admin", (), reason, since=since
            )
        ]
    if stage is Stage.ADMIN:
        args = {"since": since}
        return [
            finding("credentials.not_admin", Owner.CUSTOMER_IT, fail, "admin", (), reason, **args)
        ]
    simple = {
        Stage.INVENTORY: "stage.inventory",
        Stage.RESOLVE: "stage.resolve",
        Stage.HOSTKEY: "stage.hostkey_unknown",
        Stage.PROBE: "stage.probe",
    }
    return [finding(simple[stage], Owner.MSP, err, stage.value, (), reason, address=host.address)]


def _admin_findings(check: Check, stage: Stage, since: str) -> list[Finding]:
    state = check.evidence.get("state")
    if state in _CREDENTIALS or check.verdict is Verdict.FAIL:
        key = _CREDENTIALS.get(str(state), "credentials.not_admin")
        return [finding(key, Owner.CUSTOMER_IT, Verdict.FAIL, check, since=since)]
    if stage is not Stage.JUDGED:
        return []  # not observed: the stage finding says why
    key = "admin.unproven" if check.verdict is Verdict.INCONCLUSIVE else "admin.error"
    return [finding(key, Owner.MSP, check.verdict, check)]


def _teamviewer_findings(check: Check) -> list[Finding]:
    """Keys from the judge's evidence (``installed``, ``running``, ``package``)."""
    ev, verdict = check.evidence, check.verdict
    if verdict is Verdict.ERROR:
        key = "teamviewer.not_observed" if "not observed" in check.reason else "teamviewer.error"
        return [finding(key, Owner.MSP, verdict, check)]
    if verdict is Verdict.INCONCLUSIVE:
        return [finding("teamviewer.unproven", Owner.MSP, verdict, check)]
    if ev.get("installed") is False:
        key = "teamviewer.not_installed"
    elif ev.get("running") and ev.get("package") == "teamviewer":
        key = "teamviewer.full_client"
    elif ev.get("installed") and ev.get("running") is False:
        key = "teamviewer.not_running"
    else:
        key = "teamviewer.fail"
    return [finding(key, Owner.CUSTOMER_IT, verdict, check)]
