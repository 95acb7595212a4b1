"""The TeamViewer endpoints diagnostic, judged from hand-written observation documents.

Every outcome (direct, fallback_443, fallback_80, partial, none, unresolved,
not_observed), the per-port counts, the reasons per endpoint, the note each
outcome calls for, and that it reads every TCP item whichever check's it was.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from auditor.judge.endpoints import diagnose, diagnostic_notes, diagnostics
from auditor.judge.evidence import Context
from auditor.model import Connection, Finding, Owner, Role, Severity, Target, Verdict
from auditor.profile import load_profile, plan_for
from auditor.profile.schema import ENDPOINTS_ID

PROFILE = load_profile()
SPEC = PROFILE.teamviewer_endpoints
assert SPEC is not None
CTX = Context(probe_timeout_s=4.0, expected_networks=(ipaddress.ip_network("203.0.113.0/24"),))
ADDRESS = "203.0.113.10"
Obs = dict[str, Any]
Rule = Callable[[str, int], Obs]  # (host, port) -> the observation's outcome fields


def connected(host: str, port: int) -> Obs:
    return {"status": "connected", "address": ADDRESS, "duration_s": 0.004}


def filtered(host: str, port: int) -> Obs:
    return {"status": "timeout", "phase": "connect", "address": ADDRESS, "errno_name": "ETIMEDOUT"}


def refused(host: str, port: int) -> Obs:
    return {"status": "refused", "address": ADDRESS, "errno_name": "ECONNREFUSED"}


def unresolved(host: str, port: int) -> Obs:
    return {"status": "resolve_failed", "phase": "resolve", "gai_name": "EAI_NONAME"}


def document(rule: Rule, plan_doc: Obs | None = None) -> Obs:
    """A payload document for the bundled plan: each tcp item's outcome from ``rule``."""
    plan_doc = plan_doc or plan_for(PROFILE, target()).payload_input()
    items = [{**item, **rule(item["host"], item["port"])} for item in plan_doc["tcp"]]
    return {"observations_version": 1, "payload": "python", "tcp": items}


def target(**fields: Any) -> Target:
    return Target("h1", "198.51.100.10", "acme", **fields)


def by_port(blocked: dict[int, Rule]) -> Rule:
    """Everything answers, except the ports in ``blocked``, which go their own way."""
    return lambda host, port: blocked.get(port, connected)(host, port)


def judged(rule: Rule) -> Obs:
    found: Obs = diagnose(SPEC, document(rule), CTX)
    return found


def counts(found: Obs, port: int, role: str = "routers") -> Obs:
    (entry,) = [c for c in found["ports"] if c["port"] == port]
    result: Obs = entry[role]
    return result


def only_routers(answering: Callable[[str], bool], fallback: Rule) -> Rule:
    """5938 answers from the routers ``answering`` picks; the other ports go ``fallback``."""

    def rule(host: str, port: int) -> Obs:
        if port == 5938:
            return connected(host, port) if answering(host) else filtered(host, port)
        return fallback(host, port)

    return rule


CASES: list[tuple[str, Rule, str, int | None]] = [
    ("everything answers", connected, "direct", 5938),
    ("5938 blocked", by_port({5938: filtered}), "fallback_443", 443),
    ("5938 and 443 blocked", by_port({5938: filtered, 443: refused}), "fallback_80", 80),
    ("some routers on 5938, 443 works", only_routers(lambda h: h == "router1.teamviewer.com",
                                                     connected), "fallback_443", 443),
    ("some routers on 5938, nothing else", only_routers(lambda h: h.startswith("router1"),
                                                        filtered), "partial", 5938),
    ("nothing answers", filtered, "none", None),
    ("nothing resolves", unresolved, "unresolved", None),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "outcome", "port"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_each_outcome(rule: Rule, outcome: str, port: int | None) -> None:
    found = judged(rule)
    assert found["outcome"] == outcome
    assert found.get("port") == port
    assert found["direct_port"] == 5938
    assert len(found["endpoints"]) == 16 * 3 + 10  # every endpoint, probed here or by a check


def test_counts_per_port_and_role() -> None:
    found = judged(by_port({5938: filtered}))
    assert [c["port"] for c in found["ports"]] == [5938, 443, 80]
    assert counts(found, 5938) == {"total": 16, "answered": 0, "not_answered": {"timeout": 16}}
    assert counts(found, 443) == {"total": 16, "answered": 16, "not_answered": {}}
    assert counts(found, 443, "services") == {"total": 10, "answered": 10, "not_answered": {}}
    assert "services" not in next(c for c in found["ports"] if c["port"] == 80)


def test_each_endpoint_says_why_it_did_not_answer() -> None:
    found = judged(by_port({5938: filtered, 80: refused}))
    rows = {(e["host"], e["port"]): e for e in found["endpoints"]}
    assert rows[("router7.teamviewer.com", 5938)] == {
        "host": "router7.teamviewer.com", "port": 5938, "role": "router", "result": "timeout",
        "address": ADDRESS, "detail": "ETIMEDOUT",
    }  # fmt: skip
    assert rows[("router1.teamviewer.com", 80)]["result"] == "refused"
    assert rows[("sso.teamviewer.com", 443)] == {
        "host": "sso.teamviewer.com", "port": 443, "role": "service", "result": "answered",
        "address": ADDRESS,
    }  # fmt: skip


def test_reads_the_items_of_the_contract_checks_too() -> None:
    """router1..2 on 5938 are probed by tcp_5938 only: their answer counts here."""
    plan_doc = plan_for(PROFILE, target()).payload_input()
    probed = {(i["host"], i["port"]) for i in plan_doc["tcp"] if i["check"] == ENDPOINTS_ID}
    assert ("router1.teamviewer.com", 5938) not in probed
    assert ("router3.teamviewer.com", 5938) in probed

    def rule(host: str, port: int) -> Obs:
        return connected(host, port) if host == "router1.teamviewer.com" else filtered(host, port)

    found = diagnose(SPEC, document(rule, plan_doc), CTX)
    assert counts(found, 5938)["answered"] == counts(found, 443)["answered"] == 1
    assert found["outcome"] == "fallback_443"  # router1 answers on 443 too


@pytest.mark.parametrize(
    ("change", "result"),
    [
        ({"status": "unreachable", "errno_name": "EHOSTUNREACH"}, "unreachable"),
        ({"status": "blocked_locally", "errno_name": "EPERM"}, "blocked"),
        ({"status": "failed_indistinct", "tool": "nc"}, "failed"),
        ({"status": "timeout", "phase": "resolve"}, "dns"),
        ({"status": "connected", "address": "0.0.0.0"}, "dns"),  # a sinkhole answered
        ({"status": "refused", "address": "10.0.0.1"}, "dns"),
        ({"status": "timeout", "phase": "deadline"}, "not_observed"),
        ({"status": "not_observable", "reason": "no usable nc"}, "not_observed"),
        ({"status": "error", "error": "payload: boom"}, "not_observed"),
        ({"status": 42}, "not_observed"),
    ],
)
def test_every_status_has_a_result(change: Obs, result: str) -> None:
    found = judged(lambda host, port: {**connected(host, port), **change})
    assert {e["result"] for e in found["endpoints"]} == {result}


def test_an_answer_wins_over_another_items_failure_for_the_same_endpoint() -> None:
    doc = {"tcp": [
        {"check": "tcp_443", "host": "router1.teamviewer.com", "port": 443, "status": "timeout",
         "phase": "deadline"},
        {"check": "tls_probe", "host": "router1.teamviewer.com", "port": 443, **connected("", 0)},
        {"check": "x", "host": "router1.teamviewer.com", "port": 443, **filtered("", 0)},
    ]}  # fmt: skip
    found = diagnose(SPEC, doc, CTX)
    (row,) = [e for e in found["endpoints"] if e["host"] == "router1.teamviewer.com"
              and e["port"] == 443]  # fmt: skip
    assert row["result"] == "answered"


@pytest.mark.parametrize(
    "doc",
    [
        {"error": "bad plan: unsupported"},
        {},
        {"tcp": "garbage"},
        {"tcp": [None, 3, {"host": 7, "port": "x"}, {"host": "router1.teamviewer.com"}]},
        # only 443 observed: nothing can be said about the direct port
        {"tcp": [{"host": "router1.teamviewer.com", "port": 443, **connected("", 0)}]},
    ],
)
def test_nothing_observed_on_the_direct_port_is_not_observed(doc: Obs) -> None:
    found = diagnose(SPEC, doc, CTX)
    assert found["outcome"] == "not_observed" and "port" not in found
    assert diagnostic_notes({ENDPOINTS_ID: found}) == ()


def test_only_hosts_whose_payload_probes_tcp_get_the_diagnostic() -> None:
    doc = document(connected)
    server = plan_for(PROFILE, target())
    assert set(diagnostics(server, doc, CTX)) == {ENDPOINTS_ID}
    device = plan_for(PROFILE, target(role=Role.NETWORK, connection=Connection.NETWORK_CLI))
    assert diagnostics(device, doc, CTX) == {}
    bare = plan_for(PROFILE.__class__(**{**_fields(), "teamviewer_endpoints": None}), target())
    assert diagnostics(bare, doc, CTX) == {}


def _fields() -> dict[str, Any]:
    return {name: getattr(PROFILE, name) for name in PROFILE.__dataclass_fields__}


def note_of(rule: Rule) -> Finding | None:
    found = diagnostic_notes({ENDPOINTS_ID: judged(rule)})
    return found[0] if found else None


def test_a_fallback_is_a_note_for_the_customers_it_naming_the_counts() -> None:
    note = note_of(by_port({5938: filtered}))
    assert note is not None
    assert (note.code, note.verdict, note.severity, note.owner) == (
        "teamviewer.endpoints_fallback", Verdict.PASS, Severity.NOTE, Owner.CUSTOMER_IT)  # fmt: skip
    assert dict(note.params) == {"direct_port": 5938, "port": 443, "routers": 16,
                                 "answered_direct": 0, "answered_port": 16}  # fmt: skip


def test_partial_and_none_are_notes_direct_and_unresolved_are_not() -> None:
    partial = note_of(only_routers(lambda h: h == "router2.teamviewer.com", filtered))
    assert partial is not None and partial.code == "teamviewer.endpoints_partial"
    assert dict(partial.params) == {"direct_port": 5938, "routers": 16, "answered_direct": 1}
    none = note_of(filtered)
    assert none is not None and none.code == "teamviewer.endpoints_none"
    assert dict(none.params) == {"routers": 16, "ports": "5938, 443, 80"}
    assert note_of(connected) is None
    assert note_of(unresolved) is None  # the DNS checks' findings say why
    assert diagnostic_notes({}) == ()


def notes() -> list[Finding]:
    """Every note this diagnostic gives (test_judge_coverage.py)."""
    rules = (by_port({5938: filtered}), only_routers(lambda h: h.endswith("1.teamviewer.com"),
                                                     filtered), filtered)  # fmt: skip
    return [n for rule in rules for n in diagnostic_notes({ENDPOINTS_ID: judged(rule)})]
