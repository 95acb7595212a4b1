"""Findings: what is wrong, who acts, how to fix it, from check ids + verdicts + evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import pytest

from auditor.model import Check, HostResult, Role, Stage, Verdict
from auditor.report.finding import Finding, Owner, describe, patterns
from auditor.report.findings import host_findings
from auditor.report.words import Words, catalogue
from tests.report.samples import (
    AUTH_FAILED,
    FILTERED_5938,
    INTERCEPTED,
    UDP_SILENT,
    dns_evidence,
    host,
    tcp_items,
)

AUDIT = datetime(2026, 11, 25, 3, 5, tzinfo=UTC)
LAB = (ip_network("203.0.113.0/24"),)


def findings_of(h: HostResult, **kw: Any) -> tuple[Finding, ...]:
    return host_findings(h, audit_time=AUDIT, expected_networks=LAB, **kw)


def texts(h: HostResult, lang: str = "de", **kw: Any) -> list[tuple[str, str, str, str]]:
    """(key, owner, what, fix) for every finding of ``h``."""
    words = Words(lang)
    return [(f.key, f.owner.value, *describe(f, words)) for f in findings_of(h, **kw)]


def one(check: Check) -> HostResult:
    return host("h", overrides={check.id: check})


def dns_fail(check_id: str, reason: str = "bad", **query: Any) -> Check:
    return Check(check_id, Verdict.FAIL, reason, dns_evidence(check_id, **query))


REFUSED_443 = Check("tcp_443", Verdict.FAIL, "TCP 443 rejected (RST).",
                    {"targets": tcp_items(443, "refused", errno_name="ECONNREFUSED")})  # fmt: skip
TLS_REFUSED = Check("tls_443", Verdict.FAIL, "TLS rejected (RST).",
                    {"targets": tcp_items(443, "refused", errno_name="ECONNREFUSED")[:1]})  # fmt: skip
SINKHOLED = Check("tcp_80", Verdict.ERROR, "could not be tested: sinkhole",
                  {"targets": tcp_items(80, "refused", address="0.0.0.0")})  # fmt: skip
NO_REFLECTOR = Check("udp_5938", Verdict.INCONCLUSIVE, "No UDP reflector is configured.",
                     {"status": "not_sent"})  # fmt: skip
BLOCKED_DNS = Check(
    "dns_udp", Verdict.FAIL, "blocked by this host's firewall",
    dns_evidence("dns_udp", status="blocked_locally", rcode=None, answers=[]),
)  # fmt: skip


# (check, key, owner, severity, words that must appear in what + fix, German)
CASES: list[tuple[Check, str, Owner, Verdict, tuple[str, ...]]] = [
    (FILTERED_5938, "port.filtered", Owner.CUSTOMER_IT, Verdict.FAIL,
     ("TCP 5938", "gefiltert", "Firewall: ausgehend TCP 5938 zu router*.teamviewer.com, master*.teamviewer.com erlauben")),
    (REFUSED_443, "port.refused", Owner.CUSTOMER_IT, Verdict.FAIL, ("abgewiesen", "TCP 443")),
    (UDP_SILENT, "udp.no_answer", Owner.CUSTOMER_IT, Verdict.INCONCLUSIVE,
     ("keine Antwort — offen oder gefiltert, nicht bewiesen", "ausgehend UDP 5938")),
    (NO_REFLECTOR, "udp.no_reflector", Owner.MSP, Verdict.INCONCLUSIVE, ("Reflektor", "--reflector")),
    (INTERCEPTED, "tls.intercepted", Owner.CUSTOMER_IT, Verdict.FAIL,
     ("TLS-Inspektion erkannt, Aussteller: Rogue Intercept CA", "*.teamviewer.com")),
    (SINKHOLED, "net.untestable_dns", Owner.CUSTOMER_IT, Verdict.ERROR, ("80 TCP: nicht prüfbar", "DNS")),
    (BLOCKED_DNS, "dns.blocked_locally", Owner.CUSTOMER_IT, Verdict.FAIL,
     ("Firewall des Geräts", "ausgehend UDP 53 zu 203.0.113.53")),
    (dns_fail("dns_tcp", status="refused", rcode=None, answers=[]), "dns.refused", Owner.CUSTOMER_IT,
     Verdict.FAIL, ("über TCP", "ausgehend TCP 53 zu 203.0.113.53")),
    (dns_fail("dns_udp", resolver="203.0.113.54", address="0.0.0.0"),
     "dns.sinkhole", Owner.ISP, Verdict.FAIL, ("203.0.113.54", "0.0.0.0", "router*.teamviewer.com")),
    (dns_fail("dns_udp", resolver="192.168.1.1", rcode="NXDOMAIN", answers=[]), "dns.nxdomain",
     Owner.CUSTOMER_IT, Verdict.FAIL, ("NXDOMAIN", "192.168.1.1")),
    (dns_fail("dns_udp", rcode="SERVFAIL", answers=[]), "dns.servfail", Owner.ISP, Verdict.FAIL, ("SERVFAIL",)),
    (dns_fail("dns_udp", rcode="REFUSED", answers=[]), "dns.rcode", Owner.ISP, Verdict.FAIL, ("REFUSED",)),
    (dns_fail("dns_udp", answers=[]), "dns.nodata", Owner.ISP, Verdict.FAIL, ("keine Adresse",)),
    (dns_fail("dns_udp", id_ok=False), "dns.bad_answer", Owner.CUSTOMER_IT, Verdict.FAIL, ("gefälschte",)),
    (dns_fail("dns_udp", status="timeout", rcode=None), "dns.timeout", Owner.CUSTOMER_IT, Verdict.FAIL, ("antwortet",)),
    (Check("dns_udp", Verdict.FAIL, "No DNS resolver is configured.",
           {"transport": "udp", "resolv_conf": "/etc/resolv.conf", "resolvers": [], "problems": ["no nameserver configured"]}),
     "dns.no_resolver", Owner.CUSTOMER_IT, Verdict.FAIL, ("/etc/resolv.conf",)),
    (Check("dns_system", Verdict.FAIL, "The system resolver failed",
           {"names": [{"name": "router1.teamviewer.com", "status": "resolve_failed", "gai_name": "EAI_NONAME"}]}),
     "dns.system_failed", Owner.CUSTOMER_IT, Verdict.FAIL, ("router1.teamviewer.com", "nsswitch")),
    (Check("dns_system", Verdict.FAIL, "sinkhole",
           {"names": [{"name": "router1.teamviewer.com", "status": "resolved", "addresses": ["127.0.0.1"]}]}),
     "dns.system_sinkhole", Owner.CUSTOMER_IT, Verdict.FAIL, ("127.0.0.1", "/etc/hosts")),
    (Check("teamviewer", Verdict.FAIL, "TeamViewer Host is not installed.", {"installed": False, "running": False}),
     "teamviewer.not_installed", Owner.CUSTOMER_IT, Verdict.FAIL, ("nicht installiert", "get.teamviewer.com/bg-host")),
    (Check("teamviewer", Verdict.FAIL, "installed but not running", {"installed": True, "running": False, "package": "teamviewer-host"}),
     "teamviewer.not_running", Owner.CUSTOMER_IT, Verdict.FAIL, ("läuft aber nicht", "teamviewerd")),
    (Check("teamviewer", Verdict.FAIL, "the full client runs", {"installed": True, "running": True, "package": "teamviewer"}),
     "teamviewer.full_client", Owner.CUSTOMER_IT, Verdict.FAIL, ("Vollclient",)),
    (Check("teamviewer", Verdict.ERROR, "not observed by this version of the auditor"),
     "teamviewer.not_observed", Owner.MSP, Verdict.ERROR, ("nicht erfasst",)),
    (Check("teamviewer", Verdict.INCONCLUSIVE, "hidepid", {"installed": True, "running": None}),
     "teamviewer.unproven", Owner.MSP, Verdict.INCONCLUSIVE, ("nicht bewiesen",)),
    (Check("admin", Verdict.FAIL, "not in sudoers", {"state": "not_admin", "observed_at": "2026-11-20T08:00:00+00:00"}),
     "credentials.not_admin", Owner.CUSTOMER_IT, Verdict.FAIL, ("ohne Administratorrechte seit 2026-11-20", "sudo")),
    (Check("admin", Verdict.INCONCLUSIVE, "Logged in as uid 1000; sudo unknown.", {"state": "unknown"}),
     "admin.unproven", Owner.MSP, Verdict.INCONCLUSIVE, ("nicht bewiesen",)),
]  # fmt: skip


@pytest.mark.parametrize(("check", "key", "owner", "severity", "words"), CASES,
                         ids=[f"{c[1]}-{n}" for n, c in enumerate(CASES)])  # fmt: skip
def test_finding_names_problem_owner_and_fix(
    check: Check, key: str, owner: Owner, severity: Verdict, words: tuple[str, ...]
) -> None:
    found = findings_of(one(check))
    assert [(f.key, f.owner, f.severity) for f in found] == [(key, owner, severity)]
    what, fix = describe(found[0], Words("de"))
    for word in words:
        assert word in f"{what} {fix}"
    assert "…" not in what + fix, "a placeholder was left unfilled"
    en_what, en_fix = describe(found[0], Words("en"))
    assert en_what != what and "…" not in en_what + en_fix


def test_every_catalogue_finding_is_produced_by_some_case() -> None:
    produced = {c[1] for c in CASES} | {f.key for h in _stage_hosts() for f in findings_of(h)}
    produced |= {"port.unreachable", "port.blocked_locally", "udp.closed", "udp.intercepted",
                 "tls.handshake", "net.error", "net.unproven", "dns.unreachable",
                 "dns.truncated", "dns.system_timeout", "admin.error", "teamviewer.fail",
                 "teamviewer.error", "credentials.missing"}  # covered below  # fmt: skip
    assert produced == set(catalogue()["finding"])


@pytest.mark.parametrize(
    ("item", "check_id", "key"),
    [
        ({"status": "unreachable", "errno_name": "ENETUNREACH"}, "tcp_80", "port.unreachable"),
        ({"status": "blocked_locally", "errno_name": "EPERM"}, "tcp_80", "port.blocked_locally"),
        ({"status": "refused"}, "udp_5938", "udp.closed"),
        ({"status": "wrong_answer", "reply_hex": "00"}, "udp_5938", "udp.intercepted"),
        ({"status": "handshake_failed", "error": "EOF"}, "tls_443", "tls.handshake"),
        ({"status": "timeout", "phase": "handshake"}, "tls_443", "tls.handshake"),
        ({"status": "timeout", "phase": "deadline"}, "tcp_80", "net.error"),
        ({"status": "resolve_failed", "gai_name": "EAI_NONAME"}, "tcp_80", "net.untestable_dns"),
    ],
)
def test_port_statuses_map_to_findings(item: dict[str, Any], check_id: str, key: str) -> None:
    target = {"host": "router1.teamviewer.com", "port": 80, "address": "203.0.113.10", **item}
    check = Check(check_id, Verdict.FAIL, "x", {"targets": [target]})
    assert [f.key for f in findings_of(one(check))] == [key]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"status": "unreachable", "rcode": None}, "dns.unreachable"),
        ({"status": "truncated", "rcode": None}, "dns.truncated"),
        ({"status": "timeout", "phase": "deadline", "rcode": None}, "net.error"),
    ],
)
def test_dns_statuses_map_to_findings(query: dict[str, Any], key: str) -> None:
    assert [f.key for f in findings_of(one(dns_fail("dns_udp", **query)))] == [key]


def test_checks_without_usable_evidence_still_get_a_finding() -> None:
    for verdict, key in ((Verdict.ERROR, "net.error"), (Verdict.INCONCLUSIVE, "net.unproven")):
        assert [f.key for f in findings_of(one(Check("tcp_80", verdict, "odd", {})))] == [key]
    assert [f.key for f in findings_of(one(Check("admin", Verdict.ERROR, "no uid", {})))] == [
        "admin.error"
    ]
    tv = Check("teamviewer", Verdict.ERROR, "TeamViewer could not be observed: timeout")
    assert [f.key for f in findings_of(one(tv))] == ["teamviewer.error"]
    odd = Check("teamviewer", Verdict.FAIL, "odd", {})
    assert [f.key for f in findings_of(one(odd))] == ["teamviewer.fail"]
    sys_timeout = Check(
        "dns_system", Verdict.FAIL, "t", {"names": [{"name": "a", "status": "timeout"}]}
    )
    assert [f.key for f in findings_of(one(sys_timeout))] == ["dns.system_timeout"]


def test_equal_problems_of_different_checks_merge() -> None:
    """TCP 443 refused seen by tcp_443 and tls_443 is one problem naming both checks."""
    h = host("h", overrides={"tcp_443": REFUSED_443, "tls_443": TLS_REFUSED})
    (merged,) = findings_of(h)
    assert merged.check_ids == ("tcp_443", "tls_443")
    assert merged.targets == ("router1.teamviewer.com", "router2.teamviewer.com",
                              "master1.teamviewer.com")  # fmt: skip
    udp = dns_fail("dns_udp", status="blocked_locally", rcode=None)
    tcp = dns_fail("dns_tcp", status="blocked_locally", rcode=None)
    (both,) = findings_of(host("h", overrides={"dns_udp": udp, "dns_tcp": tcp}))
    assert "UDP und TCP" in describe(both, Words("de"))[0]


def _stage_hosts() -> list[HostResult]:
    return [
        host("a", stage=Stage.INVENTORY, stage_reason="inventory.yml:3: unknown role 'toaster'"),
        host("b", stage=Stage.RESOLVE, stage_reason="name does not resolve", address="nas.example"),
        host("c", stage=Stage.CONNECT, stage_reason="TCP 198.51.100.15:22 refused"),
        host("d", stage=Stage.CONNECT, stage_reason="no answer within 3s"),
        host("e", stage=Stage.CONNECT, stage_reason="winrm is not supported by this version"),
        host("f", stage=Stage.CONNECT, stage_reason="EHOSTUNREACH"),
        host("g", stage=Stage.HOSTKEY, stage_reason="host key unknown"),
        host(
            "h",
            stage=Stage.HOSTKEY,
            stage_reason="host key differs",
            security_finding="the SSH host key differs from known_hosts",
        ),
        host("i", stage=Stage.PROBE, stage_reason="payload did not finish"),
        host("j", stage=Stage.AUTH, stage_reason="authentication refused"),
        host("k", stage=Stage.ADMIN, stage_reason="not admin"),
        host(
            "l",
            stage=Stage.AUTH,
            stage_reason="no credentials",
            overrides={
                "admin": Check("admin", Verdict.FAIL, "no creds", {"state": "credentials_missing"})
            },
        ),
    ]


@pytest.mark.parametrize(
    ("index", "key", "owner"),
    [
        (0, "stage.inventory", Owner.MSP),
        (1, "stage.resolve", Owner.MSP),
        (2, "stage.connect_refused", Owner.CUSTOMER_IT),
        (3, "stage.connect_timeout", Owner.CUSTOMER_IT),
        (4, "stage.connect_unsupported", Owner.MSP),
        (5, "stage.connect", Owner.CUSTOMER_IT),
        (6, "stage.hostkey_unknown", Owner.MSP),
        (7, "security.hostkey_changed", Owner.MSP),
        (8, "stage.probe", Owner.MSP),
        (9, "credentials.invalid", Owner.CUSTOMER_IT),
        (10, "credentials.not_admin", Owner.CUSTOMER_IT),
        (11, "credentials.missing", Owner.CUSTOMER_IT),
    ],
)
def test_unaudited_host_gets_one_stage_finding(index: int, key: str, owner: Owner) -> None:
    found = findings_of(_stage_hosts()[index])
    assert [(f.key, f.owner) for f in found] == [(key, owner)]
    assert found[0].detail, "the stage reason is kept as technical detail"


def test_credentials_since_uses_history_then_observation_then_audit_time() -> None:
    h = host("fs1", stage=Stage.AUTH, stage_reason="refused", overrides={"admin": AUTH_FAILED})
    what = texts(h)[0][2]
    assert what.startswith("Zugangsdaten ungültig seit 2026-11-20 — Verzögerungen durch fehlende")
    assert "laut Vertrag nicht als Nichterfüllung" in what
    history = {"fs1": datetime(2026, 10, 1, 9, 0, tzinfo=UTC)}
    assert "seit 2026-10-01" in texts(h, first_seen=history)[0][2]
    bare = host("x", stage=Stage.AUTH, stage_reason="refused")
    assert "seit 2026-11-25" in texts(bare)[0][2]
    assert "since 2026-11-25" in texts(bare, "en")[0][2]


def test_compliant_host_has_no_findings_and_not_applicable_is_no_problem() -> None:
    assert findings_of(host("ok")) == ()
    assert findings_of(host("nas", role=Role.NETWORK)) == ()


def test_findings_are_sorted_worst_first() -> None:
    h = host("h", overrides={"udp_5938": UDP_SILENT, "tls_443": INTERCEPTED,
                             "tcp_80": SINKHOLED})  # fmt: skip
    assert [f.severity for f in findings_of(h)] == [
        Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE,
    ]  # fmt: skip


def test_patterns_wildcard_numbered_names_only() -> None:
    assert patterns(["router1.teamviewer.com", "router16.teamviewer.com", "get.teamviewer.com",
                     "203.0.113.20"]) == (
        "router*.teamviewer.com", "get.teamviewer.com", "203.0.113.20",
    )  # fmt: skip
