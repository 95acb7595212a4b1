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

import dataclasses
from pathlib import Path
from typing import Any

from auditor.errors import (
    AuthError,
    ConnectTimeout,
    CredentialsMissing,
    HostKeyChanged,
    TransportError,
)
from auditor.model import Connection, HostResult, InventoryProblem, Role, RunResult
from auditor.profile import load_profile
from tests import judged as base

PROFILE = load_profile(
    None, reflector="reflector.example.net", expected_networks=["203.0.113.0/24"]
)
OBSERVED = "2025-11-25T09:00:05+00:00"
# A results document written by auditor 0.1.0 before schema 2 (commit bf2b36a), kept as recorded.
RESULTS_V1 = Path(__file__).with_name("results-v1.json")

Obs = dict[str, Any]


def target(name: str, customer: str, role: Role = Role.SERVER, address: str = "") -> dict[str, Any]:
    """Where and who a sample host is (tests/judged.py builds and judges it)."""
    return {"name": name, "customer": customer, "role": role,
            "address": address or "198.51.100.10", "user": "audit"}  # fmt: skip


def judged(
    host: dict[str, Any], *changes: base.Change, connection: Connection = Connection.SSH,
    payload: str = "python", started_at: str = "2025-11-25T09:00:01Z", duration_s: float = 2.25,
) -> HostResult:  # fmt: skip
    """A fully audited host: passing observations, changed the way a faulty host shows it."""
    where = {k: v for k, v in host.items() if k != "name"}
    result = base.judged(host["name"], *changes, profile=PROFILE, **where)
    return dataclasses.replace(result, connection=connection, payload=payload,
                               started_at=started_at, duration_s=duration_s)  # fmt: skip


def stopped(
    host: dict[str, Any], failure: TransportError, *, connection: Connection = Connection.SSH,
    started_at: str = "2025-11-25T09:00:02+00:00", duration_s: float = 5.0,
    security: bool = False,
) -> HostResult:  # fmt: skip
    """A host whose audit stopped, with the engine's stage finding (from the typed exception)."""
    where = {k: v for k, v in host.items() if k != "name"}
    result = base.stopped(host["name"], failure, observed_at=OBSERVED, security=security,
                          profile=PROFILE, **where)  # fmt: skip
    return dataclasses.replace(result, connection=connection, started_at=started_at,
                               duration_s=duration_s)  # fmt: skip


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
