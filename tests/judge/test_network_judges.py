"""Table-driven tests of the network judges, fed with recorded observation snippets.

The snippets are trimmed copies of what auditor/payload/host_probe.py printed
against the loopback servers of tests/payload (see docs/observations.md).
"""

from __future__ import annotations

import ast
import json
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from auditor.judge import judge_host, planned_checks
from auditor.model import Verdict

R1 = "router1.teamviewer.com"
PASS, FAIL, INC, ERR = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.ERROR
LAB = [ip_network("198.51.100.0/24")]
# The recorded targets answered from the lab's "internet" (203.0.113.0/24), a documentation
# range and so a bogon unless expected, as the lab audit runs declare it.
INET = [ip_network("203.0.113.0/24")]


def tcp_obs(status: str, **extra: Any) -> dict[str, Any]:
    return {"check": "tcp_5938", "host": R1, "port": 5938, "status": status,
            "address": "203.0.113.10", "duration_s": 0.01, **extra}  # fmt: skip


def run_tcp(*observed: dict[str, Any], hosts: tuple[str, ...] = (R1,)) -> Any:
    plan = {"probe_timeout_s": 4.0,
            "tcp": [{"check": "tcp_5938", "host": h, "port": 5938} for h in hosts]}  # fmt: skip
    obs = {"payload": "python", "tcp": list(observed)}
    return judge_host(plan, obs, expected_networks=INET)["tcp_5938"]


@pytest.mark.parametrize(
    ("observed", "verdict", "reason"),
    [
        (tcp_obs("connected", local_address="10.0.0.5"), PASS, "TCP 5938 connected to all 1"),
        (tcp_obs("refused", errno_name="ECONNREFUSED"), FAIL,
         f"TCP 5938 to {R1} (203.0.113.10) was rejected (RST)."),
        (tcp_obs("timeout", phase="connect"), FAIL, "was filtered (no answer within 4s)."),
        (tcp_obs("unreachable", errno_name="EHOSTUNREACH"), FAIL, "is unreachable (EHOSTUNREACH)."),
        (tcp_obs("blocked_locally", errno_name="EPERM"), FAIL,
         "is blocked by this host's firewall (EPERM)."),
        ({**tcp_obs("resolve_failed", gai_name="EAI_NONAME"), "address": None}, ERR,
         f"TCP 5938 to {R1} could not be tested: the name did not resolve (EAI_NONAME)."),
        (tcp_obs("timeout", phase="resolve"), ERR, "name resolution took over 4s"),
        (tcp_obs("timeout", phase="deadline"), ERR, "did not finish before the payload deadline"),
        (tcp_obs("error", error="boom"), ERR, "could not be tested: boom"),
        (tcp_obs("sideways"), ERR, "unknown status 'sideways'"),
        ({**tcp_obs("connected"), "status": 7}, ERR, "was not observed (missing or malformed)"),
        ({**tcp_obs("connected"), "host": "other"}, ERR, "was not observed"),
    ],
)  # fmt: skip
def test_tcp(observed: dict[str, Any], verdict: Verdict, reason: str) -> None:
    check = run_tcp(observed)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert check.reason.endswith(".") and "\n" not in check.reason


def test_tcp_names_the_worst_target_and_counts_the_rest() -> None:
    ok = tcp_obs("connected")
    unresolved = {**tcp_obs("resolve_failed"), "host": "r2"}
    refused = {**tcp_obs("refused"), "host": "r3"}
    filtered = {**tcp_obs("timeout"), "host": "r4"}
    check = run_tcp(ok, unresolved, refused, filtered, hosts=(R1, "r2", "r3", "r4"))
    assert check.verdict is FAIL
    assert check.reason == "TCP 5938 to r3 (203.0.113.10) was rejected (RST) (and 1 more like it)."
    assert [t["status"] for t in check.evidence["targets"]] == [
        "connected", "resolve_failed", "refused", "timeout"]  # fmt: skip
    assert run_tcp(ok, unresolved, hosts=(R1, "r2")).verdict is ERR
    assert run_tcp().verdict is ERR  # planned, nothing observed


def udp_obs(status: str, **extra: Any) -> dict[str, Any]:
    return {"check": "udp_5938", "host": "203.0.113.20", "port": 5938, "status": status,
            "address": "203.0.113.20", "nonce": "00ff00ff00ff00ff", **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("observed", "verdict", "reason"),
    [
        ([udp_obs("echoed", sent=1)], PASS, "the reflector echoed our nonce for all 1"),
        ([udp_obs("no_answer", sent=3)], INC, "no answer within 4s (open or filtered, not proven)"),
        ([udp_obs("refused", errno_name="ECONNREFUSED")], FAIL, "closed (ICMP port unreachable)"),
        ([udp_obs("blocked_locally", errno_name="EPERM")], FAIL, "blocked by this host's firewall"),
        ([udp_obs("wrong_answer", reply_hex="6e6f7065")], FAIL, "(interception suspected)"),
        ([udp_obs("resolve_failed", gai_name="EAI_AGAIN")], ERR, "did not resolve (EAI_AGAIN)"),
        ([udp_obs("timeout", phase="deadline")], ERR, "did not finish before the payload deadline"),
        ([], ERR, "was not observed"),
    ],
)  # fmt: skip
def test_udp(observed: list[dict[str, Any]], verdict: Verdict, reason: str) -> None:
    plan = {"probe_timeout_s": 4, "udp": [{"check": "udp_5938", "host": "203.0.113.20",
                                           "port": 5938}]}  # fmt: skip
    check = judge_host(plan, {"udp": observed}, expected_networks=INET)["udp_5938"]
    assert check.verdict is verdict and reason in check.reason, check.reason


def test_udp_without_reflector_is_inconclusive_never_pass() -> None:
    observed = {"udp": [{"check": "udp_5938", "status": "not_sent",
                         "reason": "no reflector configured"}]}  # fmt: skip
    check = judge_host({"udp": []}, observed, expected_networks=[])["udp_5938"]
    assert check.verdict is INC and "No UDP reflector is configured" in check.reason
    assert judge_host({"udp": []}, {}, expected_networks=[])["udp_5938"].verdict is INC


def tls_obs(status: str, **extra: Any) -> dict[str, Any]:
    return {"check": "tls_443", "host": R1, "port": 443, "status": status,
            "address": "203.0.113.10", **extra}  # fmt: skip


DIGICERT = {"commonName": "DigiCert G2", "organizationName": "DigiCert Inc"}
VERIFIED = tls_obs("verified", protocol="TLSv1.3", sans=[f"DNS:{R1}"], issuer=DIGICERT)
ROGUE = tls_obs(
    "verify_failed", phase="handshake", verify_code=20,
    verify_message="unable to get local issuer certificate",
    presented={"issuer": {"commonName": "Corp Proxy CA"}, "sha256": "ab" * 32},
)  # fmt: skip


@pytest.mark.parametrize(
    ("observed", "verdict", "reason"),
    [
        (VERIFIED, PASS, "(issuer 'DigiCert G2' (DigiCert Inc))."),
        (ROGUE, FAIL, "TLS interception suspected: TLS to router1.teamviewer.com:443 "
         "(203.0.113.10) presented a certificate from 'Corp Proxy CA' that this host does "
         "not trust (unable to get local issuer certificate)."),
        ({**ROGUE, "presented": {"error": "timeout"}}, FAIL, "from an unknown issuer"),
        (tls_obs("timeout", phase="handshake"), FAIL, "did not complete a TLS handshake within 4s"),
        (tls_obs("timeout", phase="connect"), FAIL, "was filtered (no answer within 4s)"),
        (tls_obs("handshake_failed", error="[SSL] wrong version"), FAIL,
         "the TLS handshake failed ([SSL] wrong version)"),
        (tls_obs("refused"), FAIL, "was rejected (RST)"),
        (tls_obs("resolve_failed", gai_name="EAI_NONAME"), ERR, "did not resolve (EAI_NONAME)"),
        (tls_obs("error", error="this Python has no ssl module"), ERR, "no ssl module"),
    ],
)  # fmt: skip
def test_tls(observed: dict[str, Any], verdict: Verdict, reason: str) -> None:
    plan = {"probe_timeout_s": 4, "tls": [{"check": "tls_443", "host": R1, "port": 443}]}
    check = judge_host(plan, {"tls": [observed]}, expected_networks=INET)["tls_443"]
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert check.evidence["targets"][0]["status"] == observed["status"]


NAMES = ["a.example", "b.example"]


def query(name: str, transport: str = "udp", resolver: str = "10.0.0.53",
          status: str = "answer", rcode: str = "NOERROR", answers: Any = None,
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    if answers is None:
        answers = [{"name": name, "type": "A", "ttl": 60, "address": "93.184.216.34"}]
    return {"check": f"dns_{transport}", "transport": transport, "resolver": resolver,
            "name": name, "status": status, "rcode": rcode, "id_ok": True,
            "answers": answers, "duration_s": 0.002, **extra}  # fmt: skip


def run_dns(b_query: dict[str, Any], check: str = "dns_udp", expected: Any = ()) -> Any:
    transport = check[4:]
    queries = [query("a.example", transport), b_query]
    obs = {"dns": {"resolv_conf": "/etc/resolv.conf", "resolvers": ["10.0.0.53"],
                   "problems": [], "queries": queries}}  # fmt: skip
    plan = {"probe_timeout_s": 4,
            "dns": {"checks": ["dns_udp", "dns_tcp"], "names": NAMES}}  # fmt: skip
    return judge_host(plan, obs, expected_networks=list(expected))[check]


SUBJECT = "Resolver 10.0.0.53 over UDP for b.example"
CNAME = [{"name": "b.example", "type": "CNAME", "ttl": 5, "target": "cdn.example"},
         {"name": "cdn.example", "type": "A", "ttl": 5, "address": "93.184.216.35"}]  # fmt: skip


def a_record(address: str) -> list[dict[str, Any]]:
    return [{"name": "b.example", "type": "A", "ttl": 5, "address": address}]


@pytest.mark.parametrize(
    ("b_query", "verdict", "reason"),
    [
        (query("b.example"), PASS, "All 1 resolver(s) answered NOERROR with usable addresses "
                                   "for all 2 name(s) over UDP."),
        (query("b.example", answers=CNAME), PASS, "All 1 resolver(s)"),
        (query("b.example", rcode="NXDOMAIN", answers=[]), FAIL,
         f"{SUBJECT} says the name does not exist (NXDOMAIN)."),
        (query("b.example", rcode="SERVFAIL", answers=[]), FAIL, "failed to resolve it (SERVFAIL)"),
        (query("b.example", rcode="REFUSED", answers=[]), FAIL, "refused the query (REFUSED)"),
        (query("b.example", rcode="FORMERR", answers=[]), FAIL, "answered FORMERR"),
        (query("b.example", answers=[]), FAIL, "answered NOERROR without an address (NODATA)"),
        (query("b.example", answers=CNAME[:1]), FAIL, "NODATA"),
        (query("b.example", answers=a_record("0.0.0.0")), FAIL,
         f"{SUBJECT} got 0.0.0.0, a sinkhole or bogon address (0.0.0.0/8)."),
        (query("b.example", answers=a_record("127.0.0.1")), FAIL, "(127.0.0.0/8)"),
        (query("b.example", answers=a_record("192.168.1.9")), FAIL, "(192.168.0.0/16)"),
        (query("b.example", answers=a_record("100.64.0.1")), FAIL, "(100.64.0.0/10)"),
        (query("b.example", answers=a_record("169.254.1.1")), FAIL, "(169.254.0.0/16)"),
        (query("b.example", answers=a_record("203.0.113.9")), FAIL, "(203.0.113.0/24)"),
        (query("b.example", answers=a_record("198.51.100.7")), FAIL, "(198.51.100.0/24)"),
        (query("b.example", answers=[{"name": "b.example", "type": "AAAA", "address": "fd00::1"}]),
         FAIL, "(fc00::/7)"),
        (query("b.example", answers=[{"name": "b.example", "type": "AAAA", "address": "::1"}]),
         FAIL, "(::1/128)"),
        (query("b.example", answers=[{"name": "b.example", "type": "AAAA",
                                      "address": "fe80::1%eth0"}]), FAIL, "(fe80::/10)"),
        (query("b.example", answers=[{"name": "b.example", "type": "AAAA",
                                      "address": "::ffff:10.1.1.1"}]), FAIL, "(10.0.0.0/8)"),
        (query("b.example", status="timeout"), FAIL, f"{SUBJECT} gave no answer within 4s."),
        (query("b.example", status="timeout", phase="deadline"), ERR, "payload deadline"),
        (query("b.example", status="id_mismatch", id_ok=False), FAIL, "wrong query id"),
        (query("b.example", id_ok=False), FAIL, "wrong query id"),
        (query("b.example", status="truncated"), INC, "truncated answer (TC bit)"),
        (query("b.example", status="malformed", error="bad compression pointer"), FAIL,
         "sent an unreadable answer (bad compression pointer)"),
        (query("b.example", status="refused", errno_name="ECONNREFUSED"), FAIL,
         "port 53 is closed (ICMP port unreachable)"),
        (query("b.example", status="unreachable", errno_name="ENETUNREACH"), FAIL,
         "is unreachable (ENETUNREACH)"),
        (query("b.example", status="blocked_locally"), FAIL, "blocked by this host's firewall"),
        (query("b.example", status="error", error="bad DNS name"), ERR, "(bad DNS name)"),
        (query("b.example", status=None), ERR, "was not observed (missing or malformed)"),  # type: ignore[arg-type]
        (query("c.example"), ERR, f"{SUBJECT} was not observed"),
        (query("b.example", transport="tcp"), ERR, f"{SUBJECT} was not observed"),
    ],
)  # fmt: skip
def test_dns_udp(b_query: dict[str, Any], verdict: Verdict, reason: str) -> None:
    check = run_dns(b_query)
    assert check.verdict is verdict and reason in check.reason, check.reason
    assert check.evidence["transport"] == "udp" and len(check.evidence["queries"]) == 2


def test_dns_transports_are_judged_apart_and_expected_networks_allow_lab_answers() -> None:
    closed = query("b.example", transport="tcp", status="refused")
    assert run_dns(closed, "dns_tcp").reason.endswith("rejected the connection (RST).")
    lab = query("b.example", transport="tcp", answers=a_record("198.51.100.7"))
    assert run_dns(lab, "dns_tcp").verdict is FAIL
    assert run_dns(lab, "dns_tcp", expected=LAB).verdict is PASS


def test_dns_without_resolvers_or_observation() -> None:
    plan = {"dns": {"checks": ["dns_udp"], "names": NAMES}}
    empty = {"dns": {"resolvers": [], "problems": ["cannot read /etc/resolv.conf: denied"],
                     "queries": []}}  # fmt: skip
    check = judge_host(plan, empty, expected_networks=[])["dns_udp"]
    assert check.verdict is FAIL
    assert check.reason == "No DNS resolver is configured (cannot read /etc/resolv.conf: denied)."
    broken: Any
    for broken in ({}, {"dns": {"resolvers": "10.0.0.1"}}, {"dns": []}):
        assert judge_host(plan, broken, expected_networks=[])["dns_udp"].verdict is ERR
    no_names = judge_host({"dns": {"checks": ["dns_udp"], "names": []}},
                          {"dns": {"resolvers": ["10.0.0.1"]}}, expected_networks=[])  # fmt: skip
    assert no_names["dns_udp"].verdict is ERR


def system(*results: dict[str, Any], expected: Any = ()) -> Any:
    plan = {"probe_timeout_s": 4, "dns_system": {"check": "dns_system", "names": NAMES[:1]}}
    obs = {"dns_system": {"check": "dns_system", "results": list(results)}}
    return judge_host(plan, obs, expected_networks=list(expected))["dns_system"]


@pytest.mark.parametrize(
    ("result", "verdict", "reason"),
    [
        ({"status": "resolved", "addresses": ["93.184.216.34", "2606:2800::1"]}, PASS,
         "The system resolver resolved all 1 name(s) to usable addresses."),
        ({"status": "resolved", "addresses": ["93.184.216.34", "0.0.0.0"]}, FAIL,
         "The system resolver for a.example got 0.0.0.0, a sinkhole or bogon address"),
        ({"status": "resolved", "addresses": []}, FAIL, "returned no address"),
        ({"status": "resolve_failed", "gai_name": "EAI_NONAME",
          "error": "Name or service not known"}, FAIL,
         "The system resolver for a.example failed (EAI_NONAME: Name or service not known)."),
        ({"status": "timeout"}, FAIL, "gave no answer within 4s"),
        ({"status": "timeout", "phase": "deadline"}, ERR, "did not finish"),
        ({"status": "error", "error": "UnicodeError"}, ERR, "could not be tested (UnicodeError)"),
        ({"status": 3}, ERR, "was not observed"),
    ],
)  # fmt: skip
def test_dns_system(result: dict[str, Any], verdict: Verdict, reason: str) -> None:
    check = system({"check": "dns_system", "name": "a.example", **result})
    assert check.verdict is verdict and reason in check.reason, check.reason


def test_dns_system_missing_and_expected() -> None:
    assert system().verdict is ERR
    lab = {"check": "dns_system", "name": "a.example", "status": "resolved",
           "addresses": ["198.51.100.7"]}  # fmt: skip
    assert system(lab).verdict is FAIL and system(lab, expected=LAB).verdict is PASS
    plan = {"dns_system": {"check": "dns_system", "names": ["x"]}}
    assert judge_host(plan, {}, expected_networks=[])["dns_system"].verdict is ERR


FULL_PLAN = {
    "plan_version": 1, "deadline_s": 20.0, "probe_timeout_s": 4.0,
    "tcp": [{"check": c, "host": R1, "port": p}
            for c, p in (("tcp_5938", 5938), ("tcp_80", 80), ("tcp_443", 443))],
    "udp": [], "tls": [{"check": "tls_443", "host": R1, "port": 443}],
    "dns": {"checks": ["dns_udp", "dns_tcp"], "names": [R1], "resolv_conf": "/etc/resolv.conf"},
    "dns_system": {"check": "dns_system", "names": [R1]},
    "admin": {"check": "admin"},
}  # fmt: skip


def test_judge_host_plans_checks_in_order_and_never_passes_on_failure() -> None:
    order = ["tcp_5938", "udp_5938", "tcp_80", "tcp_443", "tls_443", "dns_udp", "dns_tcp",
             "dns_system"]  # fmt: skip
    assert planned_checks(FULL_PLAN) == order
    failed = judge_host(FULL_PLAN, {"error": "bad plan: unsupported"}, expected_networks=[])
    assert list(failed) == order
    assert {c.verdict for c in failed.values()} == {ERR}
    assert failed["tcp_80"].reason == "The payload did not run the plan: bad plan: unsupported"
    garbage = {"tcp": "nope", "tls": [1, None], "dns": {"resolvers": ["x"], "queries": 5},
               "dns_system": {"results": [[]]}, "udp": {"a": 1}}  # fmt: skip
    judged = judge_host(FULL_PLAN, garbage, expected_networks=[])
    assert all(c.verdict is not PASS for c in judged.values())
    assert judged["udp_5938"].verdict is INC  # "udp": [] in the plan: no reflector
    no_udp = {k: v for k, v in FULL_PLAN.items() if k != "udp"}
    assert "udp_5938" not in judge_host(no_udp, {}, expected_networks=[])
    json.dumps({k: dict(c.evidence) for k, c in judged.items()})  # evidence is JSON


def test_judge_modules_are_pure() -> None:
    """No sockets, subprocesses, asyncio or I/O libraries in the judge (style.md rule 5)."""
    forbidden = {"socket", "ssl", "asyncio", "subprocess", "os", "select", "threading"}
    root = Path(__file__).parents[2] / "auditor" / "judge"
    for name in ("__init__.py", "tcp.py", "udp.py", "dns.py", "tls.py", "evidence.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]  # fmt: skip
                assert not {m.split(".")[0] for m in modules} & forbidden, (name, modules)


@pytest.mark.parametrize(
    ("status", "verdict", "reason"),
    [
        (
            "connected",
            INC,
            "answered, but that is a sinkhole or bogon address (0.0.0.0/8): not proven",
        ),
        ("refused", ERR, "could not be tested: the name led to 0.0.0.0, a sinkhole"),
        ("timeout", ERR, "see the DNS checks"),
    ],
)
def test_a_port_reached_through_a_sinkhole_answer_proves_nothing(
    status: str, verdict: Verdict, reason: str
) -> None:
    plan = {"probe_timeout_s": 4.0, "tcp": [{"check": "tcp_5938", "host": R1, "port": 5938}]}
    obs = {"payload": "python", "tcp": [{**tcp_obs(status), "address": "0.0.0.0"}]}
    check = judge_host(plan, obs, expected_networks=INET)["tcp_5938"]
    assert check.verdict is verdict
    assert reason in check.reason
