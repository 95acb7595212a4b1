"""Table-driven tests of the network judges, fed with recorded observation snippets.

The snippets are trimmed copies of what auditor/payload/host_probe.py printed
against the loopback servers of tests/payload (see docs/observations.md). The
specs and plan documents are the bundled profile's (judge_cases.py): a case
varies one planned item, the profile's other items are observed healthy.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from judge_cases import (
    BARE,
    CTX,
    ERR,
    FAIL,
    GET,
    HOST_ADDRESS,
    INC,
    IT,
    LAB,
    M1,
    MSP,
    NA,
    NETWORK,
    PASS,
    PROFILE,
    R1,
    R2,
    REFLECTOR,
    SERVER,
    UNATTENDED,
    WORKSTATION,
    assert_codes,
    codes,
    context,
    judge,
    plan,
    plan_doc,
    planned,
)

from auditor.judge import JUDGES
from auditor.judge.host import judge_checks
from auditor.model import Check, Finding, Owner, Verdict

ISP = Owner.ISP


# --- tcp ------------------------------------------------------------------------------


def tcp_obs(status: str, host: str = R1, **extra: Any) -> dict[str, Any]:
    return {"check": "tcp_5938", "host": host, "port": 5938, "status": status,
            "address": "203.0.113.10", "duration_s": 0.01, **extra}  # fmt: skip


def run_tcp(*observed: dict[str, Any], hosts: tuple[str, ...] | None = None) -> Check:
    """tcp_5938 of the bundled plan (its three targets), or of ``hosts`` instead."""
    doc = plan_doc()
    if hosts is not None:
        others = [i for i in doc["tcp"] if i["check"] != "tcp_5938"]
        doc["tcp"] = others + [{"check": "tcp_5938", "host": h, "port": 5938} for h in hosts]
    return judge("tcp_5938", {"payload": "python", "tcp": list(observed)}, doc=doc)


def tcp_case(observed: dict[str, Any]) -> Check:
    """One observation of router1; the profile's other two targets connected."""
    return run_tcp(observed, tcp_obs("connected", R2), tcp_obs("connected", M1))


TCP_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], str]] = [
    (tcp_obs("connected", local_address="10.0.0.5"), PASS, (),
     "TCP 5938 connected to all 3 target(s)."),
    (tcp_obs("refused", errno_name="ECONNREFUSED"), FAIL, ("tcp.refused",),
     f"TCP 5938 to {R1} (203.0.113.10) was rejected (RST)."),
    (tcp_obs("timeout", phase="connect"), FAIL, ("tcp.filtered",),
     "was filtered (no answer within 4s)."),
    (tcp_obs("unreachable", errno_name="EHOSTUNREACH"), FAIL, ("net.unreachable",),
     "is unreachable (EHOSTUNREACH)."),
    (tcp_obs("blocked_locally", errno_name="EPERM"), FAIL, ("net.blocked_locally",),
     "is blocked by this host's firewall (EPERM)."),
    ({**tcp_obs("resolve_failed", gai_name="EAI_NONAME"), "address": None}, ERR,
     ("target.unresolved",),
     f"TCP 5938 to {R1} could not be tested: the name did not resolve (EAI_NONAME)."),
    (tcp_obs("timeout", phase="resolve"), ERR, ("target.resolve_timeout",),
     "name resolution took over 4s"),
    (tcp_obs("timeout", phase="deadline"), ERR, ("probe.deadline",),
     "did not finish before the payload deadline"),
    (tcp_obs("error", error="boom"), ERR, ("probe.error",), "could not be tested: boom"),
    (tcp_obs("sideways"), ERR, ("probe.unknown_status",), "unknown status 'sideways'"),
    ({**tcp_obs("connected"), "status": 7}, ERR, ("probe.missing",),
     "was not observed (missing or malformed)"),
    ({**tcp_obs("connected"), "host": "other"}, ERR, ("probe.missing",), "was not observed"),
]  # fmt: skip


@pytest.mark.parametrize(("observed", "verdict", "expected", "reason"), TCP_TABLE)
def test_tcp(observed: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], reason: str) -> None:  # fmt: skip
    check = tcp_case(observed)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert check.reason.endswith(".") and "\n" not in check.reason
    assert_codes(check, verdict, expected)
    first = check.evidence["targets"][0]
    assert first["host"] == R1
    assert (first["outcome"], first["verdict"]) == (
        expected[0] if expected else "tcp.connected",
        verdict.value,
    )
    for f in check.findings:  # every finding is router1's, every target is its own customer's
        assert f.targets == (R1,)


def test_tcp_findings_name_port_protocol_and_timeout() -> None:
    refused = tcp_case(tcp_obs("refused"))
    assert refused.findings == (
        Finding("tcp.refused", FAIL, IT, targets=(R1,), params={"port": 5938, "proto": "TCP"}),
    )
    filtered = tcp_case(tcp_obs("timeout", phase="connect"))
    assert dict(filtered.findings[0].params) == {"port": 5938, "proto": "TCP", "timeout_s": 4.0}
    assert tcp_case(tcp_obs("unreachable")).findings[0].owner is IT
    assert tcp_case(tcp_obs("error", error="boom")).findings[0].owner is MSP
    assert tcp_case(tcp_obs("resolve_failed")).findings[0].owner is IT  # a DNS problem


def test_tcp_names_the_worst_target_and_counts_the_rest() -> None:
    ok = tcp_obs("connected")
    unresolved = tcp_obs("resolve_failed", host="r2")
    refused = tcp_obs("refused", host="r3")
    filtered = tcp_obs("timeout", host="r4")
    check = run_tcp(ok, unresolved, refused, filtered, hosts=(R1, "r2", "r3", "r4"))
    assert_codes(check, FAIL, ("tcp.refused", "tcp.filtered"), (IT, IT))
    assert check.reason == "TCP 5938 to r3 (203.0.113.10) was rejected (RST) (and 1 more like it)."
    assert [f.targets for f in check.findings] == [("r3",), ("r4",)]
    assert [t["status"] for t in check.evidence["targets"]] == [
        "connected", "resolve_failed", "refused", "timeout"]  # fmt: skip
    assert [t["outcome"] for t in check.evidence["targets"]] == [
        "tcp.connected", "target.unresolved", "tcp.refused", "tcp.filtered"]  # fmt: skip
    assert [t["verdict"] for t in check.evidence["targets"]] == ["pass", "error", "fail", "fail"]
    assert_codes(run_tcp(ok, unresolved, hosts=(R1, "r2")), ERR, ("target.unresolved",))


def test_equal_findings_merge_and_name_every_target() -> None:
    check = run_tcp(*(tcp_obs("refused", h) for h in (R1, R2, M1)))
    assert_codes(check, FAIL, ("tcp.refused",))
    assert check.findings[0].targets == (R1, R2, M1)
    assert check.reason.endswith("was rejected (RST) (and 2 more like it).")
    nothing = run_tcp()  # planned, nothing observed
    assert_codes(nothing, ERR, ("probe.missing",), (MSP,))
    assert nothing.findings[0].targets == (R1, R2, M1)


@pytest.mark.parametrize(
    ("status", "verdict", "code", "reason"),
    [
        ("connected", INC, "target.sinkhole_answered",
         "answered, but that is a sinkhole or bogon address (0.0.0.0/8): not proven"),
        ("refused", ERR, "target.sinkhole", "could not be tested: the name led to 0.0.0.0, a sinkhole"),
        ("timeout", ERR, "target.sinkhole", "see the DNS checks"),
    ],
)  # fmt: skip
def test_a_port_reached_through_a_sinkhole_answer_proves_nothing(
    status: str, verdict: Verdict, code: str, reason: str
) -> None:
    check = tcp_case({**tcp_obs(status), "address": "0.0.0.0"})
    assert check.verdict is verdict
    assert reason in check.reason
    assert_codes(check, verdict, (code,), (IT,))


def sinkhole_checks() -> list[Check]:
    return [tcp_case({**tcp_obs(s), "address": "0.0.0.0"}) for s in ("connected", "refused")]


# --- udp ------------------------------------------------------------------------------


def udp_obs(status: str, **extra: Any) -> dict[str, Any]:
    return {"check": "udp_5938", "host": REFLECTOR, "port": 5938, "status": status,
            "address": REFLECTOR, "nonce": "00ff00ff00ff00ff", **extra}  # fmt: skip


UDP_TABLE: list[tuple[list[dict[str, Any]], Verdict, tuple[str, ...], str]] = [
    ([udp_obs("echoed", sent=1)], PASS, (), "the reflector echoed our nonce for all 1"),
    ([udp_obs("no_answer", sent=3)], INC, ("udp.no_answer",),
     "no answer within 4s (open or filtered, not proven)"),
    ([udp_obs("refused", errno_name="ECONNREFUSED")], FAIL, ("udp.closed",),
     "closed (ICMP port unreachable)"),
    ([udp_obs("blocked_locally", errno_name="EPERM")], FAIL, ("net.blocked_locally",),
     "blocked by this host's firewall"),
    ([udp_obs("wrong_answer", reply_hex="6e6f7065")], FAIL, ("udp.intercepted",),
     "(interception suspected)"),
    ([udp_obs("resolve_failed", gai_name="EAI_AGAIN")], ERR, ("target.unresolved",),
     "did not resolve (EAI_AGAIN)"),
    ([udp_obs("timeout", phase="deadline")], ERR, ("probe.deadline",),
     "did not finish before the payload deadline"),
    ([], ERR, ("probe.missing",), "was not observed"),
]  # fmt: skip


def udp_case(observed: list[dict[str, Any]]) -> Check:
    return judge("udp_5938", {"payload": "python", "udp": observed})


@pytest.mark.parametrize(("observed", "verdict", "expected", "reason"), UDP_TABLE)
def test_udp(
    observed: list[dict[str, Any]], verdict: Verdict, expected: tuple[str, ...], reason: str
) -> None:
    assert planned(plan_doc(), "udp", "udp_5938") == [
        {"check": "udp_5938", "host": REFLECTOR, "port": 5938}
    ]
    check = udp_case(observed)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert_codes(check, verdict, expected)
    target = check.evidence["targets"][0]
    assert target["outcome"] == (expected[0] if expected else "udp.echoed")
    if expected and expected[0].startswith("udp."):
        assert dict(check.findings[0].params) == {"port": 5938}


def no_reflector_checks() -> list[Check]:
    legacy = {"udp": [{"check": "udp_5938", "status": "not_sent",
                       "reason": "no reflector configured"}]}  # fmt: skip
    return [
        judge("udp_5938", obs, profile=BARE, ctx=context()) for obs in (legacy, {}, {"udp": []})
    ]


def test_udp_without_reflector_is_inconclusive_never_pass() -> None:
    assert plan_doc(BARE)["udp"] == []
    for check in no_reflector_checks():
        assert check.verdict is INC and "No UDP reflector is configured" in check.reason
        assert_codes(check, INC, ("udp.no_reflector",), (MSP,))
        assert dict(check.findings[0].params) == {"port": 5938}


# --- tls ------------------------------------------------------------------------------


def tls_obs(status: str, host: str = R1, **extra: Any) -> dict[str, Any]:
    return {"check": "tls_443", "host": host, "port": 443, "status": status,
            "address": "203.0.113.10", **extra}  # fmt: skip


DIGICERT = {"commonName": "DigiCert G2", "organizationName": "DigiCert Inc"}
VERIFIED = tls_obs("verified", protocol="TLSv1.3", sans=[f"DNS:{R1}"], issuer=DIGICERT)
ROGUE = tls_obs(
    "verify_failed", phase="handshake", verify_code=20,
    verify_message="unable to get local issuer certificate",
    presented={"issuer": {"commonName": "Corp Proxy CA"}, "sha256": "ab" * 32},
)  # fmt: skip

TLS_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], str]] = [
    (VERIFIED, PASS, (), "(issuer 'DigiCert G2' (DigiCert Inc))."),
    (ROGUE, FAIL, ("tls.intercepted",), "TLS interception suspected: TLS to "
     "router1.teamviewer.com:443 (203.0.113.10) presented a certificate from 'Corp Proxy CA' "
     "that this host does not trust (unable to get local issuer certificate)."),
    ({**ROGUE, "presented": {"error": "timeout"}}, FAIL, ("tls.intercepted",),
     "from an unknown issuer"),
    (tls_obs("timeout", phase="handshake"), FAIL, ("tls.handshake_failed",),
     "did not complete a TLS handshake within 4s"),
    (tls_obs("timeout", phase="connect"), FAIL, ("tcp.filtered",),
     "was filtered (no answer within 4s)"),
    (tls_obs("handshake_failed", error="[SSL] wrong version"), FAIL, ("tls.handshake_failed",),
     "the TLS handshake failed ([SSL] wrong version)"),
    (tls_obs("refused"), FAIL, ("tcp.refused",), "was rejected (RST)"),
    (tls_obs("resolve_failed", gai_name="EAI_NONAME"), ERR, ("target.unresolved",),
     "did not resolve (EAI_NONAME)"),
    (tls_obs("error", error="this Python has no ssl module"), ERR, ("probe.error",),
     "no ssl module"),
    # TCP connected, but no handshake recorded: nothing verified (found by tests/invariant)
    (tls_obs("connected"), ERR, ("probe.unknown_status",), "connected"),
]  # fmt: skip


def tls_case(observed: dict[str, Any]) -> Check:
    """router1 as given; the profile's other TLS target verified."""
    other = {**VERIFIED, "host": GET}
    return judge("tls_443", {"payload": "python", "tls": [observed, other]})


@pytest.mark.parametrize(("observed", "verdict", "expected", "reason"), TLS_TABLE)
def test_tls(observed: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], reason: str) -> None:  # fmt: skip
    check = tls_case(observed)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert check.evidence["targets"][0]["status"] == observed["status"]
    assert check.evidence["targets"][0]["outcome"] == (expected[0] if expected else "tls.verified")
    assert_codes(check, verdict, expected)


def test_tls_findings_name_the_issuer_and_share_tcp_codes() -> None:
    assert dict(tls_case(ROGUE).findings[0].params) == {"issuer": "Corp Proxy CA"}
    unknown = tls_case({**ROGUE, "presented": {"error": "timeout"}})
    assert dict(unknown.findings[0].params) == {"issuer": "?"}
    both = tls_case({**ROGUE, "presented": {"issuer": DIGICERT}})
    assert dict(both.findings[0].params) == {"issuer": "DigiCert G2 / DigiCert Inc"}
    # a refused 443 is one problem, whichever check saw it: the same finding as tcp_443's
    refused = tls_case(tls_obs("refused"))
    assert dict(refused.findings[0].params) == {"port": 443, "proto": "TCP"}
    handshake = tls_case(tls_obs("handshake_failed"))
    assert dict(handshake.findings[0].params) == {"port": 443, "proto": "TCP"}


# --- dns ------------------------------------------------------------------------------

NAMES = [R1, R2, M1, GET]
B = GET  # the name each case varies; the other three answer well
RESOLVER = "10.0.0.53"


def query(name: str, transport: str = "udp", resolver: str = RESOLVER,
          status: str = "answer", rcode: str = "NOERROR", answers: Any = None,
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    if answers is None:
        answers = [{"name": name, "type": "A", "ttl": 60, "address": "93.184.216.34"}]
    return {"check": f"dns_{transport}", "transport": transport, "resolver": resolver,
            "name": name, "status": status, "rcode": rcode, "id_ok": True,
            "answers": answers, "duration_s": 0.002, **extra}  # fmt: skip


def run_dns(
    b_query: dict[str, Any],
    check: str = "dns_udp",
    expected: Any = (),
    resolver: str = RESOLVER,
    host_address: str = HOST_ADDRESS,
) -> Check:
    transport = check[4:]
    queries = [query(n, transport, resolver) for n in NAMES[:-1]] + [b_query]
    obs = {"dns": {"resolv_conf": "/etc/resolv.conf", "resolvers": [resolver],
                   "problems": [], "checks": ["dns_udp", "dns_tcp"], "queries": queries}}  # fmt: skip
    return judge(check, obs, ctx=context(*expected, host_address=host_address))


SUBJECT = f"Resolver 10.0.0.53 over UDP for {B}"
CNAME = [{"name": B, "type": "CNAME", "ttl": 5, "target": "cdn.example"},
         {"name": "cdn.example", "type": "A", "ttl": 5, "address": "93.184.216.35"}]  # fmt: skip


def a_record(address: str, rtype: str = "A") -> list[dict[str, Any]]:
    return [{"name": B, "type": rtype, "ttl": 5, "address": address}]


def chain(links: int, address: str = "93.184.216.35") -> list[dict[str, Any]]:
    """``links`` CNAMEs from B to c<links>.example, which has an A record."""
    names = [B, *(f"c{i}.example" for i in range(1, links + 1))]
    records: list[dict[str, Any]] = [
        {"name": a, "type": "CNAME", "target": b} for a, b in itertools.pairwise(names)
    ]
    return [*records, {"name": names[-1], "type": "A", "address": address}]


LOOP = [{"name": B, "type": "CNAME", "target": "x.example"},
        {"name": "x.example", "type": "CNAME", "target": B}]  # fmt: skip

DNS_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], str]] = [
    (query(B), PASS, (), "All 1 resolver(s) answered NOERROR with usable addresses "
                         "for all 4 name(s) over UDP."),
    (query(B, answers=CNAME), PASS, (), "All 1 resolver(s)"),
    (query(B, answers=chain(16)), PASS, (), "All 1 resolver(s)"),  # at most 16 links
    (query(B, answers=list(reversed(chain(3)))), PASS, (), "All 1 resolver(s)"),
    (query(B, answers=chain(17)), FAIL, ("dns.nodata",), "NODATA"),  # more than 16 links
    (query(B, answers=LOOP), FAIL, ("dns.nodata",), "NODATA"),
    (query(B, answers=chain(2, "0.0.0.0")), FAIL, ("dns.sinkhole",),
     "got 0.0.0.0, a sinkhole or bogon address (0.0.0.0/8)"),
    (query(B, rcode="NXDOMAIN", answers=[]), FAIL, ("dns.nxdomain",),
     f"{SUBJECT} answered NXDOMAIN."),
    (query(B, rcode="SERVFAIL", answers=[]), FAIL, ("dns.servfail",), "answered SERVFAIL"),
    (query(B, rcode="REFUSED", answers=[]), FAIL, ("dns.rcode",), "answered REFUSED"),
    (query(B, rcode="FORMERR", answers=[]), FAIL, ("dns.rcode",), "answered FORMERR"),
    (query(B, answers=[]), FAIL, ("dns.nodata",), "answered NOERROR without an address (NODATA)"),
    (query(B, answers=CNAME[:1]), FAIL, ("dns.nodata",), "NODATA"),
    (query(B, answers=[{"name": "other.example", "type": "A", "address": "93.184.216.34"}]),
     FAIL, ("dns.nodata",), "NODATA"),
    (query(B, answers=a_record("0.0.0.0")), FAIL, ("dns.sinkhole",),
     f"{SUBJECT} got 0.0.0.0, a sinkhole or bogon address (0.0.0.0/8)."),
    (query(B, answers=a_record("127.0.0.1")), FAIL, ("dns.sinkhole",), "(127.0.0.0/8)"),
    (query(B, answers=a_record("192.168.1.9")), FAIL, ("dns.sinkhole",), "(192.168.0.0/16)"),
    (query(B, answers=a_record("100.64.0.1")), FAIL, ("dns.sinkhole",), "(100.64.0.0/10)"),
    (query(B, answers=a_record("169.254.1.1")), FAIL, ("dns.sinkhole",), "(169.254.0.0/16)"),
    (query(B, answers=a_record("203.0.113.9")), FAIL, ("dns.sinkhole",), "(203.0.113.0/24)"),
    (query(B, answers=a_record("198.51.100.7")), FAIL, ("dns.sinkhole",), "(198.51.100.0/24)"),
    (query(B, answers=a_record("fd00::1", "AAAA")), FAIL, ("dns.sinkhole",), "(fc00::/7)"),
    (query(B, answers=a_record("::1", "AAAA")), FAIL, ("dns.sinkhole",), "(::1/128)"),
    (query(B, answers=a_record("fe80::1%eth0", "AAAA")), FAIL, ("dns.sinkhole",), "(fe80::/10)"),
    (query(B, answers=a_record("::ffff:10.1.1.1", "AAAA")), FAIL, ("dns.sinkhole",),
     "(10.0.0.0/8)"),
    (query(B, answers=a_record("not-an-ip")), FAIL, ("dns.sinkhole",), "(not an IP address)"),
    (query(B, status="timeout"), FAIL, ("dns.timeout",), f"{SUBJECT} gave no answer within 4s."),
    (query(B, status="timeout", phase="deadline"), ERR, ("probe.deadline",), "payload deadline"),
    (query(B, status="id_mismatch", id_ok=False), FAIL, ("dns.id_mismatch",), "wrong query id"),
    (query(B, id_ok=False), FAIL, ("dns.id_mismatch",), "wrong query id"),
    (query(B, status="truncated"), INC, ("dns.truncated",), "truncated answer (TC bit)"),
    (query(B, status="malformed", error="bad compression pointer"), FAIL, ("dns.malformed",),
     "sent an unreadable answer (bad compression pointer)"),
    (query(B, status="refused", errno_name="ECONNREFUSED"), FAIL, ("dns.refused",),
     "port 53 is closed (ICMP port unreachable)"),
    (query(B, status="unreachable", errno_name="ENETUNREACH"), FAIL, ("dns.unreachable",),
     "is unreachable (ENETUNREACH)"),
    (query(B, status="blocked_locally"), FAIL, ("dns.blocked_locally",),
     "blocked by this host's firewall"),
    (query(B, status="error", error="bad DNS name"), ERR, ("probe.error",), "(bad DNS name)"),
    (query(B, status="sideways"), ERR, ("probe.unknown_status",), "unknown status 'sideways'"),
    (query(B, status=None), ERR, ("probe.missing",), "was not observed (missing or malformed)"),  # type: ignore[arg-type]
    (query("c.example"), ERR, ("probe.missing",), f"{SUBJECT} was not observed"),
    (query(B, transport="tcp"), ERR, ("probe.missing",), f"{SUBJECT} was not observed"),
]  # fmt: skip


@pytest.mark.parametrize(("b_query", "verdict", "expected", "reason"), DNS_TABLE)
def test_dns_udp(b_query: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], reason: str) -> None:  # fmt: skip
    check = run_dns(b_query)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert check.evidence["transport"] == "udp" and len(check.evidence["queries"]) == 4
    assert check.evidence["names"] == NAMES and check.evidence["resolvers"] == [RESOLVER]
    last = check.evidence["queries"][-1]
    assert (last["resolver"], last["name"]) == (RESOLVER, B)
    assert (last["outcome"], last["verdict"]) == (
        expected[0] if expected else "dns.answered",
        verdict.value,
    )
    # 10.0.0.53 is the customer's own resolver: its wrong answers are the customer's IT's
    assert_codes(
        check, verdict, expected, [MSP if c.startswith("probe.") else IT for c in expected]
    )
    for f in check.findings:
        assert f.targets == (B,)
        if f.code.startswith("dns."):
            assert {"resolver": RESOLVER, "transport": "udp"}.items() <= f.params.items()


def test_dns_findings_carry_what_the_words_need() -> None:
    sinkhole = run_dns(query(B, answers=a_record("0.0.0.0")))
    assert sinkhole.findings == (
        Finding("dns.sinkhole", FAIL, IT, targets=(B,), params={
            "address": "0.0.0.0", "resolv_conf": "/etc/resolv.conf", "resolver": RESOLVER,
            "transport": "udp"}),
    )  # fmt: skip
    refused = run_dns(query(B, rcode="REFUSED", answers=[]))
    assert refused.findings[0].params["rcode"] == "REFUSED"
    assert "rcode" not in run_dns(query(B, rcode="NXDOMAIN", answers=[])).findings[0].params
    assert "address" not in run_dns(query(B, status="timeout")).findings[0].params


OWNERSHIP = [
    ("10.0.0.53", HOST_ADDRESS, IT),  # private
    ("172.16.5.5", HOST_ADDRESS, IT),
    ("192.168.1.1", HOST_ADDRESS, IT),
    ("127.0.0.53", HOST_ADDRESS, IT),  # systemd-resolved's stub
    ("fd00::53", HOST_ADDRESS, IT),
    ("198.51.100.53", HOST_ADDRESS, IT),  # in the host's own /24
    ("198.51.101.53", HOST_ADDRESS, ISP),  # the next /24: external
    ("9.9.9.9", HOST_ADDRESS, ISP),
    ("2620:fe::fe", HOST_ADDRESS, ISP),
    ("9.9.9.9", "", ISP),  # no host address known
    ("9.9.9.9", "9.9.9.10", IT),  # the host sits in the resolver's /24
    ("resolver.example", HOST_ADDRESS, IT),  # not an address: nothing proves it external
]


def content_failures(resolver: str, host_address: str) -> list[Check]:
    """Wrong answers (NXDOMAIN, SERVFAIL, other rcode, NODATA, sinkhole) from ``resolver``."""
    return [
        run_dns(b, resolver=resolver, host_address=host_address)
        for b in (
            query(B, resolver=resolver, rcode="NXDOMAIN", answers=[]),
            query(B, resolver=resolver, rcode="SERVFAIL", answers=[]),
            query(B, resolver=resolver, rcode="NOTIMP", answers=[]),
            query(B, resolver=resolver, answers=[]),
            query(B, resolver=resolver, answers=a_record("0.0.0.0")),
        )
    ]


def transport_failures(resolver: str, host_address: str) -> list[Check]:
    """Failures of the path, not of the answer: timeout, refused, ..., wrong id, truncated."""
    items = [{"status": s} for s in ("timeout", "refused", "unreachable", "blocked_locally",
                                     "malformed", "id_mismatch", "truncated")]  # fmt: skip
    return [
        run_dns(query(B, resolver=resolver, **item), resolver=resolver, host_address=host_address)
        for item in [*items, {"id_ok": False}]
    ]


@pytest.mark.parametrize(("resolver", "host_address", "owner"), OWNERSHIP)
def test_dns_content_failures_are_owned_by_the_resolvers_operator(
    resolver: str, host_address: str, owner: Owner
) -> None:
    wrong = content_failures(resolver, host_address)
    assert [codes(c) for c in wrong] == [("dns.nxdomain",), ("dns.servfail",), ("dns.rcode",),
                                         ("dns.nodata",), ("dns.sinkhole",)]  # fmt: skip
    for check in wrong:
        assert_codes(check, FAIL, codes(check), (owner,))
    # the path is the customer's firewall, whoever runs the resolver
    path = transport_failures(resolver, host_address)
    assert [codes(c) for c in path] == [
        ("dns.timeout",), ("dns.refused",), ("dns.unreachable",), ("dns.blocked_locally",),
        ("dns.malformed",), ("dns.id_mismatch",), ("dns.truncated",), ("dns.id_mismatch",)]  # fmt: skip
    for check in path:
        assert_codes(
            check, INC if codes(check) == ("dns.truncated",) else FAIL, codes(check), (IT,)
        )


@pytest.mark.parametrize("resolver", ["::1", "fe80::1", "fe80::1%eth0"])
def test_an_ipv6_loopback_or_link_local_resolver_is_the_customers(resolver: str) -> None:
    check = run_dns(query(B, resolver=resolver, rcode="NXDOMAIN", answers=[]), resolver=resolver)
    assert_codes(check, FAIL, ("dns.nxdomain",), (IT,))


def test_dns_failures_of_several_names_merge_by_code() -> None:
    obs = {"dns": {"resolvers": ["9.9.9.9"], "queries": [
        query(n, resolver="9.9.9.9", rcode="NXDOMAIN", answers=[]) for n in NAMES]}}  # fmt: skip
    check = judge("dns_udp", obs)
    assert_codes(check, FAIL, ("dns.nxdomain",), (ISP,))
    assert check.findings[0].targets == tuple(NAMES)
    assert check.reason.endswith("answered NXDOMAIN (and 3 more like it).")


def test_dns_transports_are_judged_apart_and_expected_networks_allow_lab_answers() -> None:
    closed = run_dns(query(B, transport="tcp", status="refused"), "dns_tcp")
    assert closed.reason.endswith("rejected the connection (RST).")
    assert_codes(closed, FAIL, ("dns.refused",), (IT,))
    assert closed.findings[0].params["transport"] == "tcp"
    lab = query(B, transport="tcp", answers=a_record("198.51.100.7"))
    assert_codes(run_dns(lab, "dns_tcp"), FAIL, ("dns.sinkhole",))
    assert_codes(run_dns(lab, "dns_tcp", expected=[LAB]), PASS, ())
    # the udp check does not take the tcp check's answers, nor the other way round
    assert_codes(run_dns(query(B, transport="udp"), "dns_tcp"), ERR, ("probe.missing",))


def test_dns_queries_of_an_older_document_match_by_transport() -> None:
    """A document without ``check`` on its queries (older payloads) is matched by transport."""
    queries = [{k: v for k, v in query(n).items() if k != "check"} for n in NAMES]
    check = judge("dns_udp", {"dns": {"resolvers": [RESOLVER], "queries": queries}})
    assert_codes(check, PASS, ())
    assert_codes(judge("dns_tcp", {"dns": {"resolvers": [RESOLVER], "queries": queries}}), ERR,
                 ("probe.missing",))  # fmt: skip


def dns_broken_checks() -> list[Check]:
    broken: list[Any] = [{}, {"dns": {"resolvers": "10.0.0.1"}}, {"dns": []}]
    return [judge("dns_udp", obs) for obs in broken]


def no_resolver_check() -> Check:
    empty = {"dns": {"resolvers": [], "problems": ["cannot read /etc/resolv.conf: denied"],
                     "queries": []}}  # fmt: skip
    return judge("dns_udp", empty)


def no_adapter_resolver_check() -> Check:
    """Windows: resolvers come from the network adapters, and none has one."""
    empty = {"dns": {"source": "adapters", "resolvers": [], "adapters": [
        {"index": 12, "description": "Ethernet", "servers": []}],
        "problems": ["no DNS server configured on any adapter"], "queries": []}}  # fmt: skip
    return judge("dns_udp", empty)


def test_windows_resolvers_come_from_the_adapters() -> None:
    check = no_adapter_resolver_check()
    assert_codes(check, FAIL, ("dns.no_adapter_resolver",), (IT,))
    assert dict(check.findings[0].params) == {"resolvers_from": "adapters"}
    assert "resolv_conf" not in check.evidence
    assert check.evidence["adapters"][0]["description"] == "Ethernet"
    queries = [query(n) for n in NAMES[:-1]] + [query(B, answers=a_record("0.0.0.0"))]
    sinkholed = {"dns": {"source": "adapters", "resolvers": [RESOLVER], "queries": queries}}
    found = judge("dns_udp", sinkholed).findings[0]
    assert found.params["resolvers_from"] == "adapters" and "resolv_conf" not in found.params


def no_names_check() -> Check:
    """A DNS check whose profile entry names no names (``names: []``)."""
    spec = dataclasses.replace(PROFILE.checks["dns_udp"], names=())
    profile = dataclasses.replace(PROFILE, checks={**PROFILE.checks, "dns_udp": spec})
    doc = plan_doc(profile)
    return judge("dns_udp", {"dns": {"resolvers": ["10.0.0.1"]}}, doc=doc, profile=profile)


def test_dns_without_resolvers_or_observation() -> None:
    check = no_resolver_check()
    assert check.verdict is FAIL
    assert check.reason == "No DNS resolver is configured (cannot read /etc/resolv.conf: denied)."
    assert_codes(check, FAIL, ("dns.no_resolver",), (IT,))
    assert dict(check.findings[0].params) == {"resolv_conf": "/etc/resolv.conf"}
    for broken in dns_broken_checks():
        assert_codes(broken, ERR, ("probe.missing",), (MSP,))
        assert broken.reason == "No DNS observation came back from the host."
    nobody = judge("dns_udp", {"dns": {"resolvers": [], "problems": []}})
    assert nobody.reason == "No DNS resolver is configured (no nameserver lines)."
    assert_codes(nobody, FAIL, ("dns.no_resolver",))
    assert_codes(no_names_check(), ERR, ("dns.no_names",), (MSP,))


# --- dns_system -------------------------------------------------------------------------


def system(*results: dict[str, Any], expected: Any = ()) -> Check:
    obs = {"dns_system": {"check": "dns_system", "results": list(results)}}
    return judge("dns_system", obs, ctx=context(*expected))


def healthy(name: str) -> dict[str, Any]:
    return {"check": "dns_system", "name": name, "status": "resolved",
            "addresses": ["93.184.216.34"]}  # fmt: skip


def system_case(result: dict[str, Any], expected: Any = ()) -> Check:
    """router1's result as given; the profile's other names resolve well."""
    first = {"check": "dns_system", "name": R1, **result}
    return system(first, *(healthy(n) for n in NAMES[1:]), expected=expected)


SYSTEM_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], str]] = [
    ({"status": "resolved", "addresses": ["93.184.216.34", "2606:2800::1"]}, PASS, (),
     "The system resolver resolved all 4 name(s) to usable addresses."),
    ({"status": "resolved", "addresses": ["93.184.216.34", "0.0.0.0"]}, FAIL,
     ("dns_system.sinkhole",),
     f"The system resolver for {R1} got 0.0.0.0, a sinkhole or bogon address"),
    ({"status": "resolved", "addresses": []}, FAIL, ("dns_system.failed",), "returned no address"),
    ({"status": "resolve_failed", "gai_name": "EAI_NONAME",
      "error": "Name or service not known"}, FAIL, ("dns_system.failed",),
     f"The system resolver for {R1} failed (EAI_NONAME: Name or service not known)."),
    ({"status": "timeout"}, FAIL, ("dns_system.timeout",), "gave no answer within 4s"),
    ({"status": "timeout", "phase": "deadline"}, ERR, ("probe.deadline",), "did not finish"),
    ({"status": "error", "error": "UnicodeError"}, ERR, ("probe.error",),
     "could not be tested (UnicodeError)"),
    ({"status": 3}, ERR, ("probe.missing",), "was not observed"),
]  # fmt: skip


@pytest.mark.parametrize(("result", "verdict", "expected", "reason"), SYSTEM_TABLE)
def test_dns_system(result: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], reason: str) -> None:  # fmt: skip
    check = system_case(result)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert_codes(check, verdict, expected)
    first = check.evidence["names"][0]
    assert first["name"] == R1
    assert first["outcome"] == (expected[0] if expected else "dns_system.resolved")
    assert all(f.targets == (R1,) for f in check.findings)
    if expected == ("dns_system.sinkhole",):
        assert dict(check.findings[0].params) == {"address": "0.0.0.0", "hosts_file": "/etc/hosts"}


def test_dns_system_names_the_hosts_file_the_payload_reports() -> None:
    """Windows keeps it under System32; the fix must name that file, not /etc/hosts."""
    windows = "C:\\Windows\\System32\\drivers\\etc\\hosts"
    check = system_case({"status": "resolved", "addresses": ["0.0.0.0"]})
    doc = {"dns_system": {"check": "dns_system", "hosts_file": windows,
                          "results": [{"name": n, "status": "resolved", "addresses": ["0.0.0.0"]}
                                      for n in NAMES]}}  # fmt: skip
    found = judge("dns_system", doc).findings[0]
    assert found.params["hosts_file"] == windows
    assert check.findings[0].params["hosts_file"] == "/etc/hosts"


def system_missing_checks() -> list[Check]:
    lab = {"status": "resolved", "addresses": ["198.51.100.7"]}
    return [
        system(),
        system_case(lab),
        system_case(lab, expected=[LAB]),
        judge("dns_system", {}),
        judge("dns_system", {"dns_system": {"results": "x"}}),
    ]


def test_dns_system_missing_and_expected() -> None:
    nothing, lab, lab_expected, absent, broken = system_missing_checks()
    assert_codes(nothing, ERR, ("probe.missing",))
    assert nothing.findings[0].targets == tuple(NAMES)  # one finding naming every name
    assert_codes(lab, FAIL, ("dns_system.sinkhole",))
    assert_codes(lab_expected, PASS, ())
    for check in (absent, broken):
        assert_codes(check, ERR, ("probe.missing",), (MSP,))
        assert check.reason == "No system resolver observation came back from the host."


# --- a whole host -----------------------------------------------------------------------

ORDER = ["teamviewer", "tcp_5938", "udp_5938", "tcp_80", "tcp_443", "tls_443", "dns_udp",
         "dns_tcp", "dns_system", "admin"]  # fmt: skip
GARBAGE = {"tcp": "nope", "tls": [1, None], "dns": {"resolvers": ["x"], "queries": 5},
           "dns_system": {"results": [[]]}, "udp": {"a": 1}}  # fmt: skip


def host_checks() -> list[Check]:
    failed = judge_checks(plan(), {"error": "bad plan: unsupported"}, CTX)
    garbage = judge_checks(plan(BARE), GARBAGE, context())
    network = judge_checks(plan(target=NETWORK), {"error": "x"}, CTX)
    return [*failed, *garbage, *network]


def test_judge_checks_gives_every_check_in_order_and_never_passes_on_failure() -> None:
    assert list(PROFILE.checks) == ORDER
    failed = judge_checks(plan(), {"error": "bad plan: unsupported"}, CTX)
    assert [c.id for c in failed] == ORDER
    for check in failed:
        assert_codes(check, ERR, ("probe.error",), (MSP,))
        assert check.reason == "The payload did not run the plan: bad plan: unsupported."
    judged = {c.id: c for c in judge_checks(plan(BARE), GARBAGE, context())}
    assert list(judged) == ORDER
    assert all(c.verdict is not PASS for c in judged.values())
    assert_codes(judged["udp_5938"], INC, ("udp.no_reflector",))  # "udp": []: no reflector
    assert_codes(judged["tcp_5938"], ERR, ("probe.missing",))
    assert_codes(judged["tls_443"], ERR, ("probe.missing",))
    assert_codes(judged["dns_system"], ERR, ("probe.missing",))
    assert_codes(judged["dns_udp"], ERR, ("probe.unreadable",), (MSP,))  # "queries": 5
    assert judged["dns_udp"].reason.startswith("The observation could not be read (TypeError: ")
    assert_codes(judged["admin"], ERR, ("admin.not_observed",))
    assert_codes(judged["teamviewer"], ERR, ("teamviewer.not_observed",))
    json.dumps({k: dict(c.evidence) for k, c in judged.items()})  # evidence is JSON


@pytest.mark.parametrize(
    ("target", "not_applicable"),
    [(SERVER, []), (NETWORK, ["teamviewer"]), (WORKSTATION, ["teamviewer"]), (UNATTENDED, [])],
    ids=["server", "network", "workstation", "unattended workstation"],
)
def test_not_applicable_checks_are_listed_without_findings(
    target: Any, not_applicable: list[str]
) -> None:
    host_plan = plan(target=target)
    checks = judge_checks(host_plan, {"error": "x"}, CTX)
    assert [c.id for c in checks] == ORDER
    assert [c.id for c in checks if c.verdict is NA] == not_applicable
    for check in checks:
        if check.verdict is NA:
            assert check.findings == () and check.reason == host_plan.not_applicable[check.id]
            assert check.id not in plan_doc(target=target)
    assert ("teamviewer" in plan_doc(target=target)) is not bool(not_applicable)


def test_every_kind_has_a_judge() -> None:
    assert set(JUDGES) == {"tcp", "udp", "tls", "dns", "dns_system", "admin", "teamviewer"}
    assert {spec.kind for spec in PROFILE.checks.values()} == set(JUDGES)


def test_judge_modules_are_pure() -> None:
    """No sockets, subprocesses, asyncio or I/O libraries in the judge (style.md rule 5)."""
    forbidden = {"socket", "ssl", "asyncio", "subprocess", "os", "select", "threading"}
    root = Path(__file__).parents[2] / "auditor" / "judge"
    files = sorted(root.glob("*.py"))
    assert {p.name for p in files} >= {"__init__.py", "tcp.py", "udp.py", "dns.py", "tls.py",
                                       "evidence.py", "admin.py", "teamviewer.py", "host.py",
                                       "stage.py", "codes.py"}  # fmt: skip
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]  # fmt: skip
                assert not {m.split(".")[0] for m in modules} & forbidden, (path.name, modules)


# --- every Check this module's cases produce (test_judge_coverage.py) -----------------


def produced() -> list[Check]:
    return [
        *(tcp_case(row[0]) for row in TCP_TABLE),
        run_tcp(
            tcp_obs("connected"),
            tcp_obs("resolve_failed", host="r2"),
            tcp_obs("refused", host="r3"),
            tcp_obs("timeout", host="r4"),
            hosts=(R1, "r2", "r3", "r4"),
        ),
        run_tcp(*(tcp_obs("refused", h) for h in (R1, R2, M1))),
        run_tcp(),
        *sinkhole_checks(),
        *(udp_case(row[0]) for row in UDP_TABLE),
        *no_reflector_checks(),
        *(tls_case(row[0]) for row in TLS_TABLE),
        *(run_dns(row[0]) for row in DNS_TABLE),
        *(c for r, address, _ in OWNERSHIP for c in content_failures(r, address)),
        *(c for r, address, _ in OWNERSHIP for c in transport_failures(r, address)),
        run_dns(query(B, transport="tcp", status="refused"), "dns_tcp"),
        *dns_broken_checks(),
        no_resolver_check(),
        no_adapter_resolver_check(),
        no_names_check(),
        *(system_case(row[0]) for row in SYSTEM_TABLE),
        *system_missing_checks(),
        *host_checks(),
    ]
