"""The judges on what the sh payload reports: weaker tools never make a pass stronger.

Snippets are trimmed copies of what auditor/payload/host_probe.sh printed
under BusyBox sh and dash against the loopback servers of tests/payload.
"""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest

from auditor.judge import judge_host
from auditor.model import Verdict

R1 = "router1.teamviewer.com"
PASS, FAIL, INC, ERR = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.ERROR
INET = [ip_network("203.0.113.0/24")]
NC_QUIET = {"status": "failed_indistinct", "error": "", "exit_status": 1, "tool": "nc"}
NO_NC = {"status": "not_observable", "reason": "no usable nc (netcat) on this host"}


def judge(plan: dict[str, Any], observed: dict[str, Any], check: str) -> Any:
    doc = {"observations_version": 1, "payload": "sh", **observed}
    return judge_host({"probe_timeout_s": 2.0, **plan}, doc, expected_networks=INET)[check]


@pytest.mark.parametrize(
    ("item", "verdict", "words"),
    [
        ({"status": "connected", "address": "203.0.113.10", "tool": "nc"}, PASS, "connected"),
        (NC_QUIET, INC, "closed or filtered, this host's tools cannot tell which"),
        ({**NC_QUIET, "error": "nc: weird"}, INC, "(nc: weird)"),
        (NO_NC, ERR, "could not be observed on this host: no usable nc"),
        ({"status": "refused", "error": "nc: ... Connection refused"}, FAIL, "rejected (RST)"),
        ({"status": "timeout", "phase": "connect", "error": "nc: timed out"}, FAIL, "filtered"),
    ],
)
def test_tcp_and_tls_from_tools(item: dict[str, Any], verdict: Verdict, words: str) -> None:
    spec = {"check": "tcp_5938", "host": R1, "port": 5938}
    check = judge({"tcp": [spec]}, {"tcp": [{**spec, **item}]}, "tcp_5938")
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason
    if item["status"] in ("connected", "refused", "timeout"):
        return  # TLS has its own words for these
    spec = {"check": "tls_443", "host": R1, "port": 443}
    check = judge({"tls": [spec]}, {"tls": [{**spec, **item}]}, "tls_443")
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason


def test_udp_without_a_tool_is_an_error_not_silence() -> None:
    spec = {"check": "udp_5938", "host": "reflector.lab.test", "port": 5938}
    item = {**spec, "status": "not_observable", "reason": "no tool sends UDP"}
    check = judge({"udp": [spec]}, {"udp": [item]}, "udp_5938")
    assert check.verdict is ERR
    assert "could not be observed on this host: no tool sends UDP" in check.reason


def a(name: str, address: str) -> dict[str, Any]:
    return {"name": name, "type": "A", "address": address}


def dns(transport: str, **item: Any) -> Any:
    check = f"dns_{transport}"
    plan = {"dns": {"checks": [check], "names": ["ok.test"]}}
    query = {"check": check, "transport": transport, "resolver": "203.0.113.53",
             "name": "ok.test", **item}  # fmt: skip
    observed = {"dns": {"resolvers": ["203.0.113.53"], "queries": [query]}}
    return judge(plan, observed, check)


@pytest.mark.parametrize(
    ("item", "verdict", "words"),
    [
        ({"tool": "nslookup", "status": "answer", "rcode": "NOERROR",
          "answers": [a("ok.test", "8.8.8.8")]}, INC, "via nslookup, whose query id"),
        ({"tool": "dig", "status": "answer", "rcode": "NOERROR",
          "answers": [a("ok.test", "8.8.8.8")]}, INC, "not proven"),
        ({"tool": "nslookup", "status": "answer", "rcode": "NXDOMAIN", "answers": []}, FAIL,
         "NXDOMAIN"),
        ({"tool": "nslookup", "status": "answer", "rcode": "NOERROR",
          "answers": [a("ok.test", "0.0.0.0")]}, FAIL, "sinkhole"),
        ({"tool": "nslookup", "status": "answer", "rcode": "NOERROR", "answers": []}, INC,
         "NODATA or truncated"),
        ({"tool": "dig", "status": "truncated", "rcode": "NOERROR", "answers": []}, INC,
         "truncated"),
        ({"tool": "dig", "status": "id_mismatch", "error": ";; ERROR: ID mismatch"}, FAIL,
         "wrong query id"),
        ({"tool": "nslookup", "status": "timeout", "error": "no answer in time"}, FAIL,
         "no answer within 2s"),
        ({"status": "not_observable", "reason": "no tool on this host sends DNS over tcp"}, ERR,
         "could not be observed (no tool"),
        # a python-payload answer without its id check stays a failure, as before
        ({"status": "answer", "rcode": "NOERROR", "answers": [a("ok.test", "8.8.8.8")]}, FAIL,
         "wrong query id"),
    ],
)  # fmt: skip
def test_dns_answers_from_tools(item: dict[str, Any], verdict: Verdict, words: str) -> None:
    check = dns("udp", **item)
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason


@pytest.mark.parametrize(
    ("result", "verdict", "words"),
    [
        ({"method": "getent", "status": "resolved", "addresses": ["8.8.8.8"]}, PASS, "resolved all"),
        ({"method": "nslookup", "status": "resolved", "addresses": ["8.8.8.8"]}, INC,
         "by nslookup from resolv.conf"),
        ({"method": "nslookup", "status": "resolved", "addresses": ["127.0.0.1"]}, FAIL, "bogon"),
        ({"method": "getent", "status": "resolve_failed", "error": "getent: name not found"}, FAIL,
         "getent: name not found"),
        ({"status": "not_observable", "reason": "neither getent nor nslookup"}, ERR,
         "could not be observed on this host (neither getent"),
    ],
)  # fmt: skip
def test_dns_system_from_tools(result: dict[str, Any], verdict: Verdict, words: str) -> None:
    plan = {"dns_system": {"check": "dns_system", "names": ["ok.test"]}}
    observed = {"dns_system": {"results": [{"check": "dns_system", "name": "ok.test", **result}]}}
    check = judge(plan, observed, "dns_system")
    assert (check.verdict, words in check.reason) == (verdict, True), check.reason
