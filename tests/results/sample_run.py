"""A realistic run, decided by the real judge: hosts at different stages, findings, a problem.

Used by the results tests (through conftest.py) and by the CLI tests
(``auditor report --results``).

Nothing here writes a verdict or a finding by hand where the judge can give
it: judged hosts come from observation documents shaped like the payload's
(docs/observations.md) through ``judge_checks``; hosts that stopped come from
the transports' typed exceptions through ``transport_finding`` and
``unaudited_checks``, as the engine records them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from auditor.errors import (
    AuthError,
    ConnectTimeout,
    CredentialsMissing,
    HostKeyChanged,
    TransportError,
)
from auditor.judge import Context
from auditor.judge.host import judge_checks, unaudited_checks
from auditor.judge.stage import transport_finding
from auditor.model import (
    Connection,
    HostResult,
    InventoryProblem,
    Role,
    RunResult,
    Stage,
    Target,
)
from auditor.profile import load_profile, plan_for

PROFILE = load_profile(
    None, reflector="reflector.example.net", expected_networks=["203.0.113.0/24"]
)
OBSERVED = "2025-11-25T09:00:05+00:00"
RESOLVER = "203.0.113.53"
ADDRESSES = {
    "router1.teamviewer.com": "203.0.113.10",
    "router2.teamviewer.com": "203.0.113.11",
    "master1.teamviewer.com": "203.0.113.12",
    "get.teamviewer.com": "203.0.113.13",
}
# A results document written by auditor 0.1.0 before schema 2 (commit bf2b36a), kept as recorded.
RESULTS_V1 = Path(__file__).with_name("results-v1.json")

Obs = dict[str, Any]


def passing(plan_doc: Mapping[str, Any]) -> Obs:
    """What the python payload reports on a host where everything the plan asks for works."""
    doc: Obs = {"observations_version": 1, "payload": "python", "uid": 0, "plan_version": 2}
    for section in ("tcp", "tls"):
        if section in plan_doc:
            doc[section] = [
                {**item, "address": ADDRESSES[item["host"]], "duration_s": 0.004,
                 **({"status": "verified", "issuer": {"commonName": "Good CA"}}
                    if section == "tls" else {"status": "connected"})}
                for item in plan_doc[section]
            ]  # fmt: skip
    if "udp" in plan_doc:
        doc["udp"] = [
            {**item, "status": "echoed", "address": "203.0.113.20", "nonce": "42129edeef5161f5",
             "sent": 1, "duration_s": 0.003}
            for item in plan_doc["udp"]
        ]  # fmt: skip
    if "dns" in plan_doc:
        dns = plan_doc["dns"]
        doc["dns"] = {
            "resolv_conf": dns["resolv_conf"], "resolvers": [RESOLVER], "problems": [],
            "checks": list(dns["checks"]),
            "queries": [
                {"check": check, "transport": dns["transport"][check], "resolver": RESOLVER,
                 "name": name, "status": "answer", "rcode": "NOERROR", "id_ok": True,
                 "answers": [{"name": name, "type": "A", "ttl": 60, "address": ADDRESSES[name]}],
                 "duration_s": 0.004}
                for check in dns["checks"]
                for name in dns["names"]
            ],
        }  # fmt: skip
    if "dns_system" in plan_doc:
        system = plan_doc["dns_system"]
        doc["dns_system"] = {"check": system["check"], "results": [
            {"name": name, "status": "resolved", "addresses": [ADDRESSES[name]], "duration_s": 0.01}
            for name in system["names"]
        ]}  # fmt: skip
    if "admin" in plan_doc:
        doc["admin"] = {"check": "admin", "uid": 0, "euid": 0, "user": "root", "groups": ["root"]}
    if "teamviewer" in plan_doc:
        doc["teamviewer"] = {
            "check": "teamviewer",
            "packages": {"manager": "dpkg", "status": "ok",
                         "installed": {"teamviewer-host": "15.61.3"}},
            "binaries": ["/opt/teamviewer/tv_bin/teamviewerd"],
            "service": {"method": "proc", "running": True, "pids": [4], "complete": True},
            "config": [{"path": "/opt/teamviewer/config/global.conf", "exists": True,
                        "readable": True, "via": "direct", "client_id": "1198765432",
                        "version": "15.61.3"}],
        }  # fmt: skip
    return doc


def target(name: str, customer: str, role: Role = Role.SERVER, address: str = "") -> Target:
    return Target(name, address or "198.51.100.10", customer, role=role, user="audit")


def judged(
    host: Target, *changes: Callable[[Obs], None], connection: Connection = Connection.SSH,
    payload: str = "python", started_at: str = "2025-11-25T09:00:01Z", duration_s: float = 2.25,
) -> HostResult:  # fmt: skip
    """A fully audited host: passing observations, changed the way a faulty host shows it."""
    plan = plan_for(PROFILE, host)
    doc = passing(plan.payload_input())
    for change in changes:
        change(doc)
    ctx = Context(
        probe_timeout_s=plan.timeouts.probe_s,
        expected_networks=PROFILE.expected_networks,
        host_address=host.address,
        observed_at=OBSERVED,
        user=host.user,
    )
    return HostResult(
        name=host.name, customer=host.customer, role=host.role, address=host.address,
        connection=connection, stage=Stage.JUDGED, stage_reason="audit complete",
        checks=judge_checks(plan, doc, ctx), started_at=started_at, duration_s=duration_s,
        payload=payload,
    )  # fmt: skip


def stopped(
    host: Target, failure: TransportError, *, connection: Connection = Connection.SSH,
    started_at: str = "2025-11-25T09:00:02+00:00", duration_s: float = 5.0,
    security: bool = False,
) -> HostResult:  # fmt: skip
    """A host whose audit stopped, with the engine's stage finding (from the typed exception)."""
    plan = plan_for(PROFILE, host)
    stage, reason = failure.stage, str(failure)
    found = transport_finding(failure, observed_at=OBSERVED, user=host.user)
    return HostResult(
        name=host.name, customer=host.customer, role=host.role, address=host.address,
        connection=connection, stage=stage, stage_reason=reason,
        checks=unaudited_checks(plan, stage, reason, found), started_at=started_at,
        duration_s=duration_s, security_finding=reason if security else None, stage_finding=found,
    )  # fmt: skip


def refused_443(doc: Obs) -> None:
    for item in doc["tcp"]:
        if item["check"] == "tcp_443":
            item.update(status="refused", errno_name="ECONNREFUSED")


def teamviewer_stopped(doc: Obs) -> None:
    doc["teamviewer"]["service"]["running"] = False


def udp_silent(doc: Obs) -> None:
    for item in doc["udp"]:
        item.update(status="no_answer")


def make_run() -> RunResult:
    srv1 = judged(target("srv1", "acme"), started_at="2025-11-25T10:00:00.250000+01:00",
                  duration_s=1.5)  # fmt: skip
    srv2 = judged(target("srv2", "acme", address="198.51.100.12"), refused_443, teamviewer_stopped)
    ws1 = judged(
        target("ws1", "acme", Role.WORKSTATION, "198.51.100.11"),
        udp_silent,
        connection=Connection.WINRM,
        payload="powershell",
    )
    sw1 = stopped(
        target("sw1", "globex", Role.NETWORK, "198.51.100.20"),
        ConnectTimeout("TCP 198.51.100.20:22 timed out after 5s", address="198.51.100.20",
                       port=22, timeout_s=5.0),
        connection=Connection.NETWORK_CLI,
    )  # fmt: skip
    srv9 = stopped(
        target("srv9", "globex", address="198.51.100.29"),
        HostKeyChanged("host key differs from the recorded one", address="198.51.100.29"),
        started_at="2025-11-25T09:00:03+00:00",
        duration_s=0.2,
        security=True,
    )
    db1 = stopped(
        target("db1", "globex", address="198.51.100.31"),
        AuthError("login as audit refused (password)", address="198.51.100.31"),
        duration_s=0.6,
    )
    nas1 = stopped(
        target("nas1", "globex", address="198.51.100.30"),
        CredentialsMissing(
            "login as audit refused: no password and no readable key file in the inventory",
            address="198.51.100.30",
        ),
        duration_s=0.4,
    )
    return RunResult(
        run_id="20251125T090000Z-1a2b",
        started_at="2025-11-25T09:00:00+00:00",
        finished_at="2025-11-25T09:00:07+00:00",
        auditor_version="0.1.0",
        profile_name="Servicevertrag Voraussetzungen (Zugänge)",
        profile_version="5",
        checks=PROFILE.check_infos,
        inventory_sources=("inventories/acme/hosts.yml", "inventories/globex/hosts.ini"),
        hosts=(srv1, srv2, ws1, sw1, srv9, db1, nas1),
        expected_networks=("203.0.113.0/24",),
        reflector="reflector.example.net:5938",
        problems=(
            InventoryProblem(
                source="inventories/globex/hosts.ini",
                line=12,
                host="nas2",
                customer="globex",
                message="unknown role 'storage'",
            ),
            InventoryProblem(source="inventories/old", message="no inventory file found"),
        ),
    )
