"""The judges on what the sh payload reports: weaker tools never make a pass stronger.

Snippets are trimmed copies of what auditor/payload/host_probe.sh printed
under BusyBox sh and dash against the loopback servers of tests/payload.
Specs and plan documents are the bundled profile's (judge_cases.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from judge_cases import (
    ERR,
    FAIL,
    GET,
    INC,
    ISP,
    IT,
    M1,
    MSP,
    PASS,
    R1,
    R2,
    REFLECTOR,
    assert_codes,
    judge,
)

from auditor.model import Check, Verdict

NAMES = [R1, R2, M1, GET]
NC_QUIET = {"status": "failed_indistinct", "error": "", "exit_status": 1, "tool": "nc"}
NO_NC = {"status": "not_observable", "reason": "no usable nc (netcat) on this host"}
RESOLVER = "203.0.113.53"  # external to the host (198.51.100.10): its wrong answers are the ISP's


def sh(**sections: Any) -> dict[str, Any]:
    return {"observations_version": 1, "payload": "sh", **sections}


def endpoint(section: str, check_id: str, port: int, item: dict[str, Any]) -> Check:
    """router1 as the tool saw it; the profile's other targets of the check connected."""
    hosts = {"tcp": (R1, R2, M1), "tls": (R1, GET)}[section]
    ok = {"status": "connected" if section == "tcp" else "verified", "address": "203.0.113.10"}
    observed = [{"check": check_id, "host": h, "port": port, **(item if h == R1 else ok)}
                for h in hosts]  # fmt: skip
    return judge(check_id, sh(**{section: observed}))


TOOL_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], str]] = [
    ({"status": "connected", "address": "203.0.113.10", "tool": "nc"}, PASS, (), "connected"),
    (NC_QUIET, INC, ("tcp.indistinct",), "closed or filtered, this host's tools cannot tell which"),
    ({**NC_QUIET, "error": "nc: weird"}, INC, ("tcp.indistinct",), "(nc: weird)"),
    (NO_NC, ERR, ("probe.not_observable",), "could not be observed on this host: no usable nc"),
    ({"status": "refused", "error": "nc: ... Connection refused"}, FAIL, ("tcp.refused",),
     "rejected (RST)"),
    ({"status": "timeout", "phase": "connect", "error": "nc: timed out"}, FAIL, ("tcp.filtered",),
     "filtered"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "verdict", "expected", "words"), TOOL_TABLE)
def test_tcp_and_tls_from_tools(
    item: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], words: str
) -> None:
    check = endpoint("tcp", "tcp_5938", 5938, item)
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason
    assert_codes(
        check, verdict, expected, [MSP if c.startswith("probe.") else IT for c in expected]
    )
    assert check.evidence["targets"][0].get("tool") == item.get("tool")
    if expected == ("tcp.indistinct",):
        assert dict(check.findings[0].params) == {"port": 5938, "proto": "TCP"}
    if item["status"] in ("connected", "refused", "timeout"):
        return  # TLS has its own words for these
    check = endpoint("tls", "tls_443", 443, item)
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason
    assert_codes(check, verdict, expected)
    if expected == ("tcp.indistinct",):  # TLS runs over TCP: the same finding as tcp_443's
        assert dict(check.findings[0].params) == {"port": 443, "proto": "TCP"}


def udp_without_tool() -> Check:
    item = {"check": "udp_5938", "host": REFLECTOR, "port": 5938, "status": "not_observable",
            "reason": "no tool sends UDP"}  # fmt: skip
    return judge("udp_5938", sh(udp=[item]))


def test_udp_without_a_tool_is_an_error_not_silence() -> None:
    check = udp_without_tool()
    assert check.verdict is ERR
    assert "could not be observed on this host: no tool sends UDP" in check.reason
    assert_codes(check, ERR, ("probe.not_observable",), (MSP,))
    assert check.findings[0].targets == (REFLECTOR,)


def a(name: str, address: str) -> dict[str, Any]:
    return {"name": name, "type": "A", "address": address}


def verified(check: str, transport: str, name: str) -> dict[str, Any]:
    """A python-payload answer (query id checked) for the names a case does not vary."""
    return {"check": check, "transport": transport, "resolver": RESOLVER, "name": name,
            "status": "answer", "rcode": "NOERROR", "id_ok": True,
            "answers": [a(name, "8.8.8.8")]}  # fmt: skip


def dns(transport: str, **item: Any) -> Check:
    """get.teamviewer.com as the tool answered it; the other names verified."""
    check = f"dns_{transport}"
    query = {"check": check, "transport": transport, "resolver": RESOLVER, "name": GET, **item}
    queries = [verified(check, transport, n) for n in NAMES[:-1]] + [query]
    return judge(check, sh(dns={"resolvers": [RESOLVER], "queries": queries}))


DNS_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], Any, str]] = [
    ({"tool": "nslookup", "status": "answer", "rcode": "NOERROR", "answers": [a(GET, "8.8.8.8")]},
     INC, ("dns.answer_unverified",), MSP, "via nslookup, whose query id"),
    ({"tool": "dig", "status": "answer", "rcode": "NOERROR", "answers": [a(GET, "8.8.8.8")]},
     INC, ("dns.answer_unverified",), MSP, "not proven"),
    ({"tool": "nslookup", "status": "answer", "rcode": "NXDOMAIN", "answers": []}, FAIL,
     ("dns.nxdomain",), ISP, "NXDOMAIN"),
    ({"tool": "nslookup", "status": "answer", "rcode": "SERVFAIL", "answers": []}, FAIL,
     ("dns.servfail",), ISP, "SERVFAIL"),
    ({"tool": "dig", "status": "answer", "rcode": "REFUSED", "answers": []}, FAIL,
     ("dns.rcode",), ISP, "REFUSED"),
    ({"tool": "nslookup", "status": "answer", "rcode": "NOERROR",
      "answers": [a(GET, "0.0.0.0")]}, FAIL, ("dns.sinkhole",), ISP, "sinkhole"),
    ({"tool": "nslookup", "status": "answer", "rcode": "NOERROR", "answers": []}, INC,
     ("dns.empty_unverified",), MSP, "NODATA or truncated"),
    ({"tool": "dig", "status": "truncated", "rcode": "NOERROR", "answers": []}, INC,
     ("dns.truncated",), IT, "truncated"),
    ({"tool": "dig", "status": "id_mismatch", "error": ";; ERROR: ID mismatch"}, FAIL,
     ("dns.id_mismatch",), IT, "wrong query id"),
    ({"tool": "nslookup", "status": "timeout", "error": "no answer in time"}, FAIL,
     ("dns.timeout",), IT, "no answer within 4s"),
    ({"status": "not_observable", "reason": "no tool on this host sends DNS over tcp"}, ERR,
     ("probe.not_observable",), MSP, "could not be observed (no tool"),
    # a python-payload answer without its id check stays a failure, as before
    ({"status": "answer", "rcode": "NOERROR", "answers": [a(GET, "8.8.8.8")]}, FAIL,
     ("dns.id_mismatch",), IT, "wrong query id"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "verdict", "expected", "owner", "words"), DNS_TABLE)
def test_dns_answers_from_tools(
    item: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], owner: Any, words: str
) -> None:
    check = dns("udp", **item)
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason
    assert_codes(check, verdict, expected, (owner,))
    assert check.findings[0].targets == (GET,)
    assert check.evidence["queries"][-1]["outcome"] == expected[0]
    if "unverified" in expected[0]:  # the tool is named: its query id is what we cannot check
        assert dict(check.findings[0].params) == {
            "resolv_conf": "/etc/resolv.conf", "resolver": RESOLVER, "tool": item["tool"],
            "transport": "udp"}  # fmt: skip


def all_via_tool() -> Check:
    queries = [{"check": "dns_tcp", "transport": "tcp", "resolver": RESOLVER, "name": n,
                "tool": "dig", "status": "answer", "rcode": "NOERROR",
                "answers": [a(n, "8.8.8.8")]} for n in NAMES]  # fmt: skip
    return judge("dns_tcp", sh(dns={"resolvers": [RESOLVER], "queries": queries}))


def test_dig_alone_never_passes_dns() -> None:
    """Every name answered well by dig is still one unproven finding, never a pass."""
    check = all_via_tool()
    assert_codes(check, INC, ("dns.answer_unverified",), (MSP,))
    assert check.findings[0].targets == tuple(NAMES)
    assert check.reason.endswith("(and 3 more like it).")


SYSTEM_TABLE: list[tuple[dict[str, Any], Verdict, tuple[str, ...], str]] = [
    ({"method": "getent", "status": "resolved", "addresses": ["8.8.8.8"]}, PASS, (), "resolved all"),
    ({"method": "nslookup", "status": "resolved", "addresses": ["8.8.8.8"]}, INC,
     ("dns_system.unverified",), "by nslookup from resolv.conf"),
    ({"method": "nslookup", "status": "resolved", "addresses": ["127.0.0.1"]}, FAIL,
     ("dns_system.sinkhole",), "bogon"),
    ({"method": "getent", "status": "resolve_failed", "error": "getent: name not found"}, FAIL,
     ("dns_system.failed",), "getent: name not found"),
    ({"method": "nslookup", "status": "timeout"}, FAIL, ("dns_system.timeout",),
     "no answer within 4s"),
    ({"status": "not_observable", "reason": "neither getent nor nslookup"}, ERR,
     ("probe.not_observable",), "could not be observed on this host (neither getent"),
]  # fmt: skip


def dns_system(result: dict[str, Any]) -> Check:
    """router1 as the tool resolved it; the other names by getent."""
    ok = {"method": "getent", "status": "resolved", "addresses": ["8.8.8.8"]}
    results = [{"check": "dns_system", "name": n, **(result if n == R1 else ok)} for n in NAMES]
    return judge("dns_system", sh(dns_system={"results": results}))


@pytest.mark.parametrize(("result", "verdict", "expected", "words"), SYSTEM_TABLE)
def test_dns_system_from_tools(
    result: dict[str, Any], verdict: Verdict, expected: tuple[str, ...], words: str
) -> None:
    check = dns_system(result)
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason
    assert_codes(check, verdict, expected)
    assert check.evidence["names"][0]["outcome"] == (
        expected[0] if expected else "dns_system.resolved"
    )
    assert check.evidence["names"][0].get("method") == result.get("method")
    if expected == ("dns_system.unverified",):
        assert check.findings[0].owner is MSP and check.findings[0].targets == (R1,)


# --- every Check this module's cases produce (test_judge_coverage.py) -----------------


def produced() -> list[Check]:
    return [
        *(endpoint("tcp", "tcp_5938", 5938, row[0]) for row in TOOL_TABLE),
        *(endpoint("tls", "tls_443", 443, row[0]) for row in TOOL_TABLE),
        udp_without_tool(),
        *(dns("udp", **row[0]) for row in DNS_TABLE),
        all_via_tool(),
        *(dns_system(row[0]) for row in SYSTEM_TABLE),
    ]
