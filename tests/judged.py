"""Hosts judged by the real judge from observation documents shaped like the payload's.

Report, results and summary tests need hosts with every kind of problem. They
are never written by hand: a passing observation document is built for the
host's plan (docs/observations.md), one thing in it is changed the way a real
host would show a fault, and the judge decides. Hosts that could not be
audited go through the same stage findings as the engine's, from the
transport's typed exceptions. So a sample can never say what the judge
would not.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from auditor.errors import TransportError
from auditor.judge.evidence import Context
from auditor.judge.host import judge_host, unaudited_checks
from auditor.judge.stage import inventory_finding, transport_finding
from auditor.model import (
    Connection,
    Finding,
    HostResult,
    InventoryProblem,
    Role,
    RunResult,
    Stage,
    Target,
)
from auditor.profile import Profile, load_profile, plan_for

STARTED = "2026-11-25T02:05:00+00:00"  # 03:05 MEZ
OBSERVED = "2026-11-25T02:05:03+00:00"
REFLECTOR = "203.0.113.20"
LAB_NET = "203.0.113.0/24"
PROFILE = load_profile(None, reflector=REFLECTOR, expected_networks=[LAB_NET])
RESOLVER = "203.0.113.53"
TV = ("router1.teamviewer.com", "router2.teamviewer.com", "master1.teamviewer.com")
ADDRESSES = {name: f"203.0.113.{10 + n}" for n, name in enumerate((*TV, "get.teamviewer.com"))}
ADDRESSES[REFLECTOR] = REFLECTOR

Obs = dict[str, Any]
Change = Callable[[Obs], None]


def passing(plan_doc: Mapping[str, Any]) -> Obs:
    """The observation document of a host on which everything the plan asks for works."""
    doc: Obs = {"observations_version": 1, "payload": "python", "uid": 0, "plan_version": 2}
    for section in ("tcp", "tls"):
        if section in plan_doc:
            doc[section] = [_connected(section, item) for item in plan_doc[section]]
    if "udp" in plan_doc:
        doc["udp"] = [
            {**item, "status": "echoed", "address": _address(item["host"]), "nonce": "42129edeef5161f5",
             "sent": 1, "duration_s": 0.003}
            for item in plan_doc["udp"]
        ]  # fmt: skip
    if "dns" in plan_doc:
        dns = plan_doc["dns"]
        queries = [
            {"check": check, "transport": dns["transport"][check], "resolver": RESOLVER,
             "name": name, "status": "answer", "rcode": "NOERROR", "id_ok": True,
             "answers": [{"name": name, "type": "A", "ttl": 60, "address": _address(name)}],
             "duration_s": 0.004}
            for check in dns["checks"]
            for name in dns["names"]
        ]  # fmt: skip
        doc["dns"] = {"resolv_conf": dns["resolv_conf"], "resolvers": [RESOLVER], "problems": [],
                      "checks": list(dns["checks"]), "queries": queries}  # fmt: skip
    if "dns_system" in plan_doc:
        system = plan_doc["dns_system"]
        doc["dns_system"] = {"check": system["check"], "results": [
            {"name": name, "status": "resolved", "addresses": [_address(name)], "duration_s": 0.01}
            for name in system["names"]
        ]}  # fmt: skip
    if "admin" in plan_doc:
        doc["admin"] = {"check": "admin", "uid": 0, "euid": 0, "user": "root", "groups": ["root"]}
    if "teamviewer" in plan_doc:
        doc["teamviewer"] = {
            "check": "teamviewer",
            "packages": {"manager": "dpkg", "status": "ok", "installed": {"teamviewer-host": "15.61.3"}},
            "binaries": ["/opt/teamviewer/tv_bin/teamviewerd"],
            "service": {"method": "proc", "running": True, "pids": [4], "complete": True},
            "config": [{"path": "/opt/teamviewer/config/global.conf", "exists": True,
                        "readable": True, "via": "direct", "client_id": "1198765432",
                        "version": "15.61.3", "unmanaged": False,
                        "management_id": "{6f1c0d6e-1111-4000-8000-000000000001}"}],
        }  # fmt: skip
    return doc


def _address(name: str) -> str:
    """Where a name leads on a healthy host: the lab's internet (203.0.113.0/24)."""
    return ADDRESSES.get(name, "203.0.113.99")


def _connected(section: str, item: Mapping[str, Any]) -> Obs:
    obs: Obs = {**item, "address": _address(item["host"]), "duration_s": 0.0042}
    if section == "tls":
        obs.update(status="verified", issuer={"commonName": "Good CA"}, protocol="TLSv1.3")
    else:
        obs["status"] = "connected"
    return obs


# --- faults, as a real host would report them -----------------------------------------


def items(section: str, check: str, **fields: Any) -> Change:
    """Every item of ``check`` in ``section`` (tcp, udp, tls) gets ``fields``."""

    def change(doc: Obs) -> None:
        for item in doc[section]:
            if item["check"] == check:
                item.update(fields)

    return change


def queries(transport: str | None = None, **fields: Any) -> Change:
    """Every DNS query (of one transport, or all) gets ``fields``."""

    def change(doc: Obs) -> None:
        for query in doc["dns"]["queries"]:
            if transport is None or query["transport"] == transport:
                query.update(fields)

    return change


def system(**fields: Any) -> Change:
    def change(doc: Obs) -> None:
        for result in doc["dns_system"]["results"]:
            result.update(fields)

    return change


def section(name: str, value: Any) -> Change:
    """Replace (or, with None, drop) a whole section."""

    def change(doc: Obs) -> None:
        if value is None:
            doc.pop(name, None)
        else:
            doc[name] = copy.deepcopy(value)

    return change


def teamviewer(**fields: Any) -> Change:
    def change(doc: Obs) -> None:
        doc["teamviewer"].update(copy.deepcopy(fields))

    return change


def sinkholed(address: str = "0.0.0.0") -> Change:
    """A resolver that hijacks every name: DNS fails, ports behind the names untestable."""

    def change(doc: Obs) -> None:
        for query in doc["dns"]["queries"]:
            query["answers"] = [{"name": query["name"], "type": "A", "ttl": 0, "address": address}]
        for result in doc["dns_system"]["results"]:
            result["addresses"] = [address]
        for key in ("tcp", "tls"):
            for item in doc.get(key, ()):
                item["address"] = address
                if key == "tls":
                    item.update(status="verify_failed", verify_message="certificate mismatch")
                else:
                    item["status"] = "refused"

    return change


# --- hosts and runs ------------------------------------------------------------------


def target(
    name: str,
    *,
    role: Role = Role.SERVER,
    customer: str = "Bäckerei Sonnenschein",
    address: str = "198.51.100.10",
    unattended: bool = False,
    user: str = "root",
) -> Target:
    return Target(name, address, customer, role=role, user=user, unattended=unattended)


def judged(name: str, *changes: Change, profile: Profile = PROFILE, **where: Any) -> HostResult:
    """A fully audited host whose observations pass, except for ``changes``."""
    host = target(name, **where)
    plan = plan_for(profile, host)
    doc = passing(plan.payload_input())
    for change in changes:
        change(doc)
    ctx = Context(
        probe_timeout_s=plan.timeouts.probe_s,
        expected_networks=profile.expected_networks,
        host_address=host.address,
        observed_at=OBSERVED,
        user=host.user,
    )
    judged_host = judge_host(plan, doc, ctx)  # as the engine does
    return _result(host, Stage.JUDGED, "audit complete", judged_host.checks,
                   diagnostics=judged_host.diagnostics, notes=judged_host.notes)  # fmt: skip


def stopped(
    name: str,
    failure: TransportError | InventoryProblem,
    *,
    observed_at: str = OBSERVED,
    security: bool = False,
    profile: Profile = PROFILE,
    **where: Any,
) -> HostResult:
    """A host whose audit stopped, as the engine records it (stage finding and all)."""
    host = target(name, **where)
    plan = plan_for(profile, host)
    if isinstance(failure, InventoryProblem):
        stage, reason, found = Stage.INVENTORY, failure.one_line(), inventory_finding(failure)
    else:
        stage, reason = failure.stage, str(failure)
        found = transport_finding(failure, observed_at=observed_at, user=host.user)
    checks = unaudited_checks(plan, stage, reason, found)
    return _result(host, stage, reason, checks, found, reason if security else None)


def _result(
    host: Target,
    stage: Stage,
    reason: str,
    checks: Any,
    found: Any = None,
    security: str | None = None,
    diagnostics: Mapping[str, Any] | None = None,
    notes: tuple[Finding, ...] = (),
) -> HostResult:
    return HostResult(
        name=host.name, customer=host.customer, role=host.role, address=host.address,
        connection=Connection.SSH, stage=stage, stage_reason=reason, checks=tuple(checks),
        started_at=STARTED, duration_s=1.5,
        payload="python" if stage is Stage.JUDGED else None,
        security_finding=security, stage_finding=found,
        notes=notes, diagnostics=dict(diagnostics or {}),
    )  # fmt: skip


def run_of(
    *hosts: HostResult,
    problems: tuple[InventoryProblem, ...] = (),
    profile: Profile = PROFILE,
) -> RunResult:
    return RunResult(
        run_id="11111111-2222-3333-4444-555555555555",
        started_at=STARTED,
        finished_at="2026-11-25T02:05:09+00:00",
        auditor_version="0.1.0",
        profile_name=profile.name,
        profile_version=profile.version,
        checks=profile.check_infos,
        inventory_sources=("inventory/customers.yml",),
        hosts=hosts,
        problems=problems,
        expected_networks=tuple(str(n) for n in profile.expected_networks),
        reflector=str(profile.reflector) if profile.reflector else None,
    )
