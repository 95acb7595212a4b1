"""Every code the judge can give an observed item or a finding, with its verdict and owner.

One table, so that a code always means the same verdict (the report can
merge equal findings of different checks, and a test proves that no finding
contradicts its check) and so that the word catalogue can be checked against
it: every code here has words in ``report/words.yaml`` and nothing else has.

An *outcome* is what happened to one observed item (a target, a resolver and
name, the sudo probe); outcomes of a ``pass`` verdict never become findings.
Owners: the customer's IT for its firewalls, resolvers, proxies and
credentials; the ISP when an external resolver answers wrongly (the DNS judge
decides that per resolver); the MSP when the auditor could not observe
something, or for its own inventory. Pure data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditor.model import Finding, Owner, ParamValue, Severity, Verdict

_PASS, _FAIL = Verdict.PASS, Verdict.FAIL
_INC, _ERR = Verdict.INCONCLUSIVE, Verdict.ERROR
_IT, _MSP = Owner.CUSTOMER_IT, Owner.MSP


@dataclass(frozen=True, slots=True)
class Code:
    """What a code means: its verdict, who acts (None: a pass outcome, never a finding),
    its severity, and the parameters its findings may carry (the words may name them)."""

    verdict: Verdict
    owner: Owner | None = None
    severity: Severity = Severity.BLOCKING
    params: tuple[str, ...] = ()
    security: bool = False  # someone may be reading or redirecting traffic: shown as such


_PORT = ("proto", "port")
_DNS = ("resolver", "transport", "resolv_conf", "resolvers_from")
_LOGIN = ("user", "observed_at", "via")
_MGMT = ("address", "port", "connection", "via")
_ENDPOINTS = ("direct_port", "routers", "answered_direct")


CODES: Mapping[str, Code] = {
    # --- any probe: the auditor could not observe it ----------------------------------
    "probe.missing": Code(_ERR, _MSP),  # planned, but no (well-formed) observation came back
    "probe.deadline": Code(_ERR, _MSP),  # still running when the payload deadline came
    "probe.not_observable": Code(_ERR, _MSP),  # this host has no tool for it (sh payload)
    "probe.error": Code(_ERR, _MSP),  # the probe itself failed (detail in the evidence)
    "probe.unknown_status": Code(_ERR, _MSP),  # a status this auditor does not know
    "probe.unreadable": Code(_ERR, _MSP),  # the observation could not be read
    # --- a target name, before any port was tried --------------------------------------
    "target.unresolved": Code(_ERR, _IT),  # not tested: the name did not resolve
    "target.resolve_timeout": Code(_ERR, _IT),
    "target.sinkhole": Code(_ERR, _IT),  # not tested: the name led to a sinkhole/bogon
    "target.sinkhole_answered": Code(_INC, _IT),  # a sinkhole answered: proves nothing
    # --- connect outcomes shared by tcp, tls and udp ----------------------------------
    "net.unreachable": Code(_FAIL, _IT, params=_PORT),
    "net.blocked_locally": Code(_FAIL, _IT, params=_PORT),
    # --- tcp ----------------------------------------------------------------------------
    "tcp.connected": Code(_PASS),
    "tcp.refused": Code(_FAIL, _IT, params=_PORT),
    "tcp.filtered": Code(_FAIL, _IT, params=(*_PORT, "timeout_s")),
    "tcp.indistinct": Code(
        _INC, _IT, params=_PORT
    ),  # did not connect; the host's tools cannot say why
    # --- udp (the provider's reflector) ----------------------------------------------
    "udp.echoed": Code(_PASS),
    "udp.no_answer": Code(_INC, _IT, params=("port",)),
    "udp.no_reflector": Code(_INC, _MSP, params=("port",)),
    "udp.closed": Code(_FAIL, _IT, params=("port",)),
    "udp.intercepted": Code(_FAIL, _IT, params=("port",), security=True),
    # --- tls ----------------------------------------------------------------------------
    "tls.verified": Code(_PASS),
    "tls.intercepted": Code(_FAIL, _IT, params=("issuer",), security=True),
    "tls.handshake_failed": Code(_FAIL, _IT, params=_PORT),
    # --- dns over udp/tcp, per resolver and name ---------------------------------------
    "dns.answered": Code(_PASS),
    "dns.answer_unverified": Code(
        _INC, _MSP, params=(*_DNS, "tool")
    ),  # a tool's answer: query id not checkable
    "dns.empty_unverified": Code(
        _INC, _MSP, params=(*_DNS, "tool")
    ),  # a tool's empty answer: NODATA or truncated
    "dns.no_resolver": Code(_FAIL, _IT, params=("resolv_conf",)),
    "dns.no_adapter_resolver": Code(_FAIL, _IT, params=("resolvers_from",)),  # Windows
    "dns.no_names": Code(_ERR, _MSP),
    "dns.timeout": Code(_FAIL, _IT, params=_DNS),
    "dns.refused": Code(_FAIL, _IT, params=_DNS),
    "dns.unreachable": Code(_FAIL, _IT, params=_DNS),
    "dns.blocked_locally": Code(_FAIL, _IT, params=_DNS),
    "dns.id_mismatch": Code(_FAIL, _IT, params=_DNS),
    "dns.malformed": Code(_FAIL, _IT, params=_DNS),
    "dns.truncated": Code(_INC, _IT, params=_DNS),
    "dns.nxdomain": Code(_FAIL, _IT, params=_DNS),  # owner: ISP for an external resolver
    "dns.servfail": Code(_FAIL, _IT, params=_DNS),
    "dns.rcode": Code(_FAIL, _IT, params=(*_DNS, "rcode")),
    "dns.nodata": Code(_FAIL, _IT, params=_DNS),
    "dns.sinkhole": Code(_FAIL, _IT, params=(*_DNS, "address"), security=True),
    # --- the system resolver ------------------------------------------------------------
    "dns_system.resolved": Code(_PASS),
    "dns_system.unverified": Code(_INC, _MSP),  # nslookup: /etc/hosts and nsswitch unseen
    "dns_system.failed": Code(_FAIL, _IT, params=("hosts_file",)),
    "dns_system.sinkhole": Code(_FAIL, _IT, params=("address", "hosts_file"), security=True),
    "dns_system.timeout": Code(_FAIL, _IT),
    # --- admin rights: the contract's evidence of valid credentials ---------------------
    "admin.uid0": Code(_PASS),
    "admin.sudo_nopasswd": Code(_PASS),
    "admin.sudo_password": Code(_PASS),
    "admin.token_admin": Code(_PASS),  # Windows: Administrators enabled in the session token
    "admin.unproven": Code(_INC, _MSP),
    "admin.not_observed": Code(_ERR, _MSP),
    "credentials.refused": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.missing": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.become_password_wrong": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.become_password_missing": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.not_in_sudoers": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.no_sudo": Code(_FAIL, _IT, params=_LOGIN),
    # Windows: the token of the login, as UAC leaves it for a network logon
    "credentials.uac_filtered": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.uac_filtered_builtin": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.not_administrator": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.winrm_denied": Code(_FAIL, _IT, params=_LOGIN),  # stage auth
    # network devices: the privilege the device states (judge/admin.py)
    "admin.device_level": Code(_PASS),
    "admin.device_role": Code(_PASS),
    "credentials.device_level_low": Code(_FAIL, _IT, params=(*_LOGIN, "level", "highest")),
    "credentials.device_read_only": Code(_FAIL, _IT, params=(*_LOGIN, "role", "wanted")),
    "credentials.device_role_limited": Code(_FAIL, _IT, params=(*_LOGIN, "role", "wanted")),
    "credentials.enable_secret_wrong": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.enable_secret_missing": Code(_FAIL, _IT, params=_LOGIN),
    "credentials.enable_refused": Code(_FAIL, _IT, params=(*_LOGIN, "message")),
    # --- TeamViewer Host --------------------------------------------------------------
    "teamviewer.host_running": Code(_PASS),
    "teamviewer.not_installed": Code(_FAIL, _IT),
    "teamviewer.not_running": Code(_FAIL, _IT),
    "teamviewer.not_enrolled": Code(_FAIL, _IT),  # runs, but assigned to no company
    "teamviewer.enrollment_unknown": Code(_INC, _MSP),  # runs; its assignment could not be read
    "teamviewer.other_company": Code(_FAIL, _IT),  # assigned, but not on the MSP's device list
    "teamviewer.assignment_not_checked": Code(_INC, _MSP),  # the profile requires the API's word
    "teamviewer.full_client": Code(_FAIL, _IT),
    "teamviewer.running_unknown": Code(_INC, _MSP),
    "teamviewer.module_unknown": Code(_INC, _MSP),
    "teamviewer.config_only": Code(_INC, _MSP),
    "teamviewer.not_observed": Code(_ERR, _MSP),
    # Windows: the service and the registry say what dpkg and /proc say on Linux
    "teamviewer.service_stopped": Code(_FAIL, _IT, params=("start_mode",)),
    "teamviewer.service_unknown": Code(_INC, _MSP),
    "teamviewer.registry_only": Code(_INC, _MSP),
    # --- stages: why a host was not audited (from the transports' typed exceptions) -----
    "inventory.invalid": Code(_ERR, _MSP, params=("source", "line")),
    "resolve.failed": Code(_ERR, _MSP, params=("address", "via")),
    "connect.refused": Code(_ERR, _IT, params=(*_MGMT, "errno")),
    "connect.timeout": Code(_ERR, _IT, params=(*_MGMT, "timeout_s")),
    "connect.unreachable": Code(_ERR, _IT, params=(*_MGMT, "errno")),
    "connect.failed": Code(_ERR, _IT, params=(*_MGMT, "errno")),
    "connect.unsupported": Code(_ERR, _MSP, params=("connection",)),
    "ssh.handshake_failed": Code(_ERR, _MSP, params=("address", "via")),
    "ssh.login_timeout": Code(_ERR, _MSP, params=("address", "via")),
    "ssh.algorithms_outdated": Code(
        _ERR, _MSP, params=("address", "via", "offered", "server"), security=True
    ),
    "ssh.client_missing": Code(_ERR, _MSP),
    "ssh.config_invalid": Code(_ERR, _MSP, params=("error",)),
    "hostkey.changed": Code(_ERR, _MSP, Severity.SECURITY, ("address", "via"), security=True),
    "hostkey.unknown": Code(_ERR, _MSP, params=("address", "via")),
    # --- WinRM (Windows) -------------------------------------------------------------
    "winrm.certificate_untrusted": Code(
        _ERR, _MSP, params=(*_MGMT, "reason", "subject", "issuer"), security=True
    ),
    "winrm.tls_failed": Code(_ERR, _MSP, params=(*_MGMT, "reason")),
    "winrm.no_answer": Code(_ERR, _IT, params=_MGMT),
    "winrm.connection_dropped": Code(_ERR, _IT, params=_MGMT),
    "winrm.http_error": Code(_ERR, _MSP, params=(*_MGMT, "status", "path", "reason")),
    "winrm.client_unusable": Code(_ERR, _MSP, params=(*_MGMT, "reason")),
    "probe.failed": Code(_ERR, _MSP),  # the payload delivered no observations
    "probe.timeout": Code(_ERR, _MSP),
    "probe.not_started": Code(_ERR, _MSP, params=("timeout_s",)),  # logged in, never started
    "probe.malformed": Code(_ERR, _MSP),
    "host.deadline": Code(_ERR, _MSP, params=("stage", "timeout_s")),
    "internal.error": Code(_ERR, _MSP, params=("error",)),
    # --- notes: facts worth acting on that do not decide compliance ---------------------
    "ssh.outdated_algorithms_used": Code(
        _PASS, _IT, Severity.NOTE, ("algorithms", "server", "via")
    ),
    "winrm.certificate_not_checked": Code(_PASS, _MSP, Severity.NOTE, ("address", "port")),
    "winrm.unencrypted": Code(_PASS, _MSP, Severity.NOTE, ("address", "port", "auth")),
    # the TeamViewer endpoints diagnostic (judge/endpoints.py): how TeamViewer would connect
    "teamviewer.endpoints_fallback": Code(
        _PASS, _IT, Severity.NOTE, (*_ENDPOINTS, "port", "answered_port")
    ),
    "teamviewer.endpoints_partial": Code(_PASS, _IT, Severity.NOTE, _ENDPOINTS),
    "teamviewer.endpoints_none": Code(_PASS, _IT, Severity.NOTE, ("routers", "ports")),
    # --- results of an older auditor (schema 1) that carry no codes --------------------
    "result.unexplained": Code(_ERR, _MSP),
}

# Outcomes whose verdict depends on what they explain: an older results file
# (schema 1) knew the verdict but not the code.
VERDICT_FREE: frozenset[str] = frozenset({"result.unexplained"})


def verdict_of(code: str) -> Verdict:
    return CODES[code].verdict


def finding(
    code: str,
    targets: Iterable[str] = (),
    params: Mapping[str, ParamValue | None] | None = None,
    *,
    owner: Owner | None = None,
    verdict: Verdict | None = None,
) -> Finding:
    """The finding ``code`` stands for; ``owner`` overrides the table's (DNS: ISP).

    Parameters that are None are left out, so a missing fact never reads "None";
    a parameter the code does not declare is a bug (ValueError).
    ``verdict`` is only for :data:`VERDICT_FREE` codes.
    """
    entry = CODES[code]
    chosen = entry.owner if owner is None else owner
    if chosen is None:
        raise ValueError(f"{code} is a pass outcome, not a finding")
    undeclared = set(params or {}) - set(entry.params)
    if undeclared:
        raise ValueError(f"{code} carries no parameter {', '.join(sorted(undeclared))}")
    if verdict is not None and code not in VERDICT_FREE:
        raise ValueError(f"{code} has the fixed verdict {entry.verdict}")
    return Finding(
        code=code,
        verdict=verdict or entry.verdict,
        owner=chosen,
        severity=entry.severity,
        targets=tuple(dict.fromkeys(targets)),
        params={k: v for k, v in sorted((params or {}).items()) if v is not None},
    )


def is_security(code: str) -> bool:
    """Whether findings of ``code`` are security findings (the overview lists them first)."""
    known = CODES.get(code)
    return known is not None and known.security
