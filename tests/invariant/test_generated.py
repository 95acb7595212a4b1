"""Generated observation documents: no input crashes the judge or makes it say more than it saw.

Hypothesis builds documents for a real plan out of the payload's whole
vocabulary plus garbage (wrong types, unknown statuses, missing, repeated and
extra items, sinkhole addresses, tool answers without a query id). For every
one: the judge returns a Check for every check of the profile, the
invariant holds (rules.py), the results document validates, and a check
passes only on the evidence its kind requires. Derandomized: the same
examples every run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from auditor.judge.evidence import Context
from auditor.judge.host import judge_checks
from auditor.model import Check, Role, Verdict
from auditor.profile import load_profile, plan_for
from auditor.results import from_document, to_document
from tests.fuzz import json_values
from tests.invariant.rules import assert_host
from tests.judged import judged, run_of, target

PROFILE = load_profile(None, reflector="203.0.113.20", expected_networks=["198.18.0.0/15"])
PLAN = plan_for(PROFILE, target("h", address="198.51.100.10"))
PLAN_DOC = PLAN.payload_input()
CTX = Context(4.0, PROFILE.expected_networks, "198.51.100.10", "2026-11-25T02:05:03+00:00", "audit")
SETTINGS = settings(
    derandomize=True, database=None, max_examples=250, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip

ANY = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.text(max_size=12))
STATUS = st.sampled_from([
    "connected", "refused", "timeout", "unreachable", "blocked_locally", "error",
    "resolve_failed", "failed_indistinct", "not_observable", "verified", "verify_failed",
    "handshake_failed", "echoed", "no_answer", "wrong_answer", "answer", "id_mismatch",
    "truncated", "malformed", "resolved", "bogus",
])  # fmt: skip
PHASE = st.sampled_from([None, "connect", "resolve", "handshake", "deadline", "weird"])
ADDRESS = st.sampled_from(
    [None, "203.0.113.10", "198.18.0.5", "0.0.0.0", "127.0.0.1", "10.1.2.3", "8.8.4.4", "::1",
     "2a00:1450::1", "not-an-ip", ""]
)  # fmt: skip
ISSUER = st.one_of(st.none(), st.fixed_dictionaries({"commonName": st.text(max_size=8)}), ANY)


SUCCESS = {"tcp": "connected", "tls": "verified", "udp": "echoed"}
GOOD_ADDRESS = st.sampled_from(["8.8.4.4", "198.18.0.5", "2a00:1450::1"])


@st.composite
def endpoint(draw: Any, item: dict[str, Any], section: str = "tcp") -> Any:
    if draw(st.integers(0, 3)) == 0:  # often a clean success, so that passes are tested too
        return {**item, "status": SUCCESS[section], "address": draw(GOOD_ADDRESS)}
    if draw(st.integers(0, 12)) == 0:
        return draw(ANY)  # not even an object
    obs = dict(item) if draw(st.integers(0, 8)) else {**item, "host": draw(st.text(max_size=5))}
    obs["status"] = draw(st.one_of(STATUS, ANY)) if draw(st.booleans()) else draw(STATUS)
    for key, strategy in (("phase", PHASE), ("address", ADDRESS), ("issuer", ISSUER),
                          ("presented", st.one_of(st.none(), st.fixed_dictionaries({"issuer": ISSUER}))),
                          ("errno_name", st.sampled_from([None, "ECONNREFUSED", "EPERM"])),
                          ("reason", ANY), ("error", ANY), ("duration_s", ANY)):  # fmt: skip
        if draw(st.booleans()):
            obs[key] = draw(strategy)
    return obs


@st.composite
def section_items(draw: Any, name: str) -> Any:
    planned = [dict(i) for i in PLAN_DOC.get(name, ())]
    if draw(st.integers(0, 2)) == 0:  # every target answered
        return [{**i, "status": SUCCESS[name], "address": draw(GOOD_ADDRESS)} for i in planned]
    out = [draw(endpoint(i, name)) for i in planned if draw(st.integers(0, 10))]
    if draw(st.integers(0, 6)) == 0 and planned:
        out.append(draw(endpoint(planned[0], name)))  # a repeated item
    return draw(st.permutations(out)) if draw(st.booleans()) else out


RECORDS = st.lists(
    st.fixed_dictionaries({
        "name": st.sampled_from(["router1.teamviewer.com", "cdn.example", "x"]),
        "type": st.sampled_from(["A", "AAAA", "CNAME", 28]),
        "address": ADDRESS,
        "target": st.sampled_from(["router1.teamviewer.com", "cdn.example"]),
    }),
    max_size=4,
)  # fmt: skip


@st.composite
def dns_section(draw: Any) -> Any:
    if draw(st.integers(0, 10)) == 0:
        return draw(ANY)
    resolvers = draw(st.lists(st.sampled_from(["203.0.113.53", "192.168.1.1", "8.8.8.8"]),
                              max_size=2, unique=True))  # fmt: skip
    dns = PLAN_DOC["dns"]
    queries = []
    clean = draw(st.integers(0, 2)) == 0  # every resolver answers every name correctly
    for check in dns["checks"]:
        for resolver in resolvers:
            for name in dns["names"]:
                if clean:
                    queries.append({"check": check, "transport": dns["transport"][check],
                                    "resolver": resolver, "name": name, "status": "answer",
                                    "rcode": "NOERROR", "id_ok": True, "answers": [
                                        {"name": name, "type": "A", "address": draw(GOOD_ADDRESS)}]})  # fmt: skip
                    continue
                if not draw(st.integers(0, 12)):
                    continue
                query = {"check": check, "transport": dns["transport"][check], "resolver": resolver,
                         "name": name, "status": draw(STATUS),
                         "rcode": draw(st.sampled_from(["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED",
                                                        "RCODE9", None])),
                         "answers": draw(RECORDS), "phase": draw(PHASE)}  # fmt: skip
                id_ok = draw(st.sampled_from([True, False, None, "yes"]))
                if id_ok is not None:
                    query["id_ok"] = id_ok
                if draw(st.booleans()):
                    query["tool"] = draw(st.sampled_from(["nslookup", "dig", 7]))
                queries.append(query)
    return {"resolv_conf": "/etc/resolv.conf", "resolvers": resolvers,
            "problems": draw(st.lists(st.text(max_size=6), max_size=2)), "queries": queries}  # fmt: skip


@st.composite
def document(draw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "observations_version": 1,
        "payload": draw(st.sampled_from(["python", "sh"])),
    }
    if draw(st.integers(0, 30)) == 0:
        doc["error"] = "bad plan"
    for name in ("tcp", "udp", "tls"):
        if draw(st.integers(0, 10)):
            doc[name] = draw(section_items(name))
    if draw(st.integers(0, 10)):
        doc["dns"] = draw(dns_section())
    if draw(st.integers(0, 10)):
        clean = draw(st.booleans())
        doc["dns_system"] = {"results": [
            {"name": n, "status": "resolved" if clean else draw(STATUS),
             "addresses": [draw(GOOD_ADDRESS)] if clean else draw(st.lists(ADDRESS, max_size=2)),
             "phase": draw(PHASE), "method": draw(st.sampled_from([None, "getent", "nslookup"]))}
            for n in PLAN_DOC["dns_system"]["names"] if clean or draw(st.integers(0, 8))
        ]}  # fmt: skip
    sudo = st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "status": st.sampled_from(
                    [
                        "ok",
                        "needs_password",
                        "wrong_password",
                        "denied",
                        "absent",
                        "timeout",
                        "error",
                        "odd",
                    ]
                )
            }
        ),
    )
    if draw(st.integers(0, 8)):
        doc["admin"] = {"euid": draw(st.one_of(st.sampled_from([0, 1000]), ANY)),
                        "status": draw(st.sampled_from([None, "timeout", "error"])),
                        "sudo_nopasswd": draw(sudo), "sudo_password": draw(sudo),
                        "become_password_given": draw(st.booleans())}  # fmt: skip
    else:
        doc["uid"] = draw(ANY)
    if draw(st.integers(0, 3)) == 0:
        management = draw(
            st.fixed_dictionaries(
                {
                    "management_id": st.one_of(
                        st.none(), st.just("{6f1c0d6e-0000-4000-8000-0}"), ANY
                    ),
                    "unmanaged": st.one_of(st.none(), st.booleans(), ANY),
                }
            )
        )
        configs = draw(st.sampled_from([[], [{"exists": True, "readable": True, **management}]]))
        doc["teamviewer"] = {"packages": {"manager": "dpkg", "installed": {"teamviewer-host": "15"}},
                             "binaries": [], "service": {"running": True, "method": "proc"},
                             "config": configs}  # fmt: skip
    elif draw(st.integers(0, 8)):
        installed = draw(st.dictionaries(st.sampled_from(["teamviewer-host", "teamviewer", "x"]),
                                         st.text(max_size=5), max_size=2))  # fmt: skip
        doc["teamviewer"] = {
            "packages": draw(st.one_of(st.just({"manager": "dpkg", "installed": installed}), ANY)),
            "binaries": draw(st.lists(st.text(max_size=5), max_size=2)),
            "service": {"running": draw(st.one_of(st.booleans(), st.none(), ANY)),
                        "method": draw(st.sampled_from(["proc", "systemd", None]))},
            "config": draw(st.lists(st.fixed_dictionaries({"exists": st.booleans(),
                                                           "readable": st.booleans()}), max_size=2)),
        }  # fmt: skip
    return doc


def _planned(section: str, check: str) -> list[dict[str, Any]]:
    return [i for i in PLAN_DOC.get(section, ()) if i["check"] == check]


def assert_pass_has_its_evidence(check: Check, doc: dict[str, Any]) -> None:
    """What each kind needs before it may say pass (the README's 'never a pass')."""
    if check.verdict is not Verdict.PASS:
        return
    kind = PROFILE.checks[check.id].kind
    assert "error" not in doc
    success = {"tcp": "connected", "tls": "verified", "udp": "echoed"}
    if kind in success:
        planned = _planned(kind, check.id)
        assert planned, f"{check.id} passed with nothing planned"
        for record in check.evidence["targets"]:
            assert record["status"] == success[kind]
    elif kind == "dns":
        assert check.evidence["resolvers"]
        for query in check.evidence["queries"]:
            assert (
                query["status"] == "answer"
                and query["id_ok"] is True
                and query["rcode"] == "NOERROR"
            )
            assert "tool" not in query, "a tool's answer never passes"
    elif kind == "admin":
        admin = doc.get("admin")
        ok = (isinstance(admin, dict) and (admin.get("euid") == 0 or any(
            isinstance(admin.get(k), dict) and admin[k].get("status") == "ok"
            for k in ("sudo_nopasswd", "sudo_password")))) or doc.get("uid") == 0  # fmt: skip
        assert ok, doc.get("admin")
    elif kind == "teamviewer":
        assert check.evidence["running"] is True and check.evidence["package"] == "teamviewer-host"
        management = check.evidence["management"]  # enrolled: an id, not marked unmanaged
        assert management["management_id"] and management["unmanaged"] is not True


@SETTINGS
@given(document())
def test_no_observation_makes_the_judge_contradict_itself(doc: dict[str, Any]) -> None:
    checks = judge_checks(PLAN, doc, CTX)
    assert [c.id for c in checks] == list(PROFILE.checks)
    for check in checks:
        event(f"{PROFILE.checks[check.id].kind} {check.verdict.value}")
    host = judged("h")
    host = dataclasses.replace(host, checks=checks)
    assert_host(host)
    for check in checks:
        assert_pass_has_its_evidence(check, doc)
    from_document(to_document(run_of(host, profile=PROFILE)))


@SETTINGS
@given(document(), st.sampled_from(list(Role)))
def test_every_role_keeps_the_invariant(doc: dict[str, Any], role: Role) -> None:
    plan = plan_for(PROFILE, target("h", role=role))
    checks = judge_checks(plan, doc, CTX)
    for check in checks:
        if check.id in plan.not_applicable:
            assert check.verdict is Verdict.NOT_APPLICABLE and check.findings == ()
    assert_host(dataclasses.replace(judged("h", role=role), checks=checks))


_JSON = json_values(40)
SECTIONS = st.sampled_from(["tcp", "udp", "tls", "dns", "admin", "teamviewer", "resolver",
                            "error", "uid", "plan_version", "extra"])  # fmt: skip


@SETTINGS
@given(st.dictionaries(SECTIONS, _JSON, max_size=8))
def test_any_document_the_frame_lets_through_is_judged_without_lying(
    sections: dict[str, Any],
) -> None:
    """Garbage in any section of a framed document: the parser refuses it, or the judge
    judges it, never crashing and never passing a check without its evidence."""
    import json

    from auditor.errors import PayloadMalformed
    from auditor.payload import BEGIN, END, parse_output

    doc = {"observations_version": 1, "payload": "python", **sections}
    try:
        parsed = parse_output(BEGIN + b"\n" + json.dumps(doc).encode() + b"\n" + END)
    except PayloadMalformed:
        return
    checks = judge_checks(PLAN, parsed, CTX)
    assert_host(dataclasses.replace(judged("h"), checks=checks))
    for check in checks:
        assert_pass_has_its_evidence(check, parsed)
