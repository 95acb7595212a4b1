"""A realistic run: hosts at different stages, evidence, an inventory problem."""

from __future__ import annotations

import pytest

from auditor.model import (
    CHECK_IDS,
    Check,
    Connection,
    HostResult,
    InventoryProblem,
    Role,
    RunResult,
    Stage,
    Verdict,
)


def checks(verdict: Verdict, **overrides: Verdict) -> tuple[Check, ...]:
    return tuple(
        Check(
            id=check_id,
            verdict=overrides.get(check_id, verdict),
            reason=f"{check_id}: {overrides.get(check_id, verdict).value}",
            evidence={
                "target": "router1.teamviewer.com",
                "address": "203.0.113.5",
                "duration_s": 0.012,
                "answers": ["203.0.113.5"],
                "rcode": None,
            },
        )
        for check_id in CHECK_IDS
    )


def make_run() -> RunResult:
    judged = HostResult(
        name="srv1",
        customer="acme",
        role=Role.SERVER,
        address="198.51.100.10",
        connection=Connection.SSH,
        stage=Stage.JUDGED,
        stage_reason="",
        checks=checks(Verdict.PASS),
        started_at="2025-11-25T10:00:00.250000+01:00",
        duration_s=1.5,
        payload="python",
    )
    inconclusive = HostResult(
        name="ws1",
        customer="acme",
        role=Role.WORKSTATION,
        address="198.51.100.11",
        connection=Connection.WINRM,
        stage=Stage.JUDGED,
        stage_reason="",
        checks=checks(
            Verdict.PASS, udp_5938=Verdict.INCONCLUSIVE, teamviewer=Verdict.NOT_APPLICABLE
        ),
        started_at="2025-11-25T09:00:01Z",
        duration_s=2.25,
        payload="powershell",
    )
    unreachable = HostResult(
        name="sw1",
        customer="globex",
        role=Role.NETWORK,
        address="198.51.100.20",
        connection=Connection.NETWORK_CLI,
        stage=Stage.CONNECT,
        stage_reason="connect timeout after 5 s",
        checks=checks(Verdict.ERROR),
        started_at="2025-11-25T09:00:02+00:00",
        duration_s=5.0,
    )
    rekeyed = HostResult(
        name="srv9",
        customer="globex",
        role=Role.SERVER,
        address="198.51.100.29",
        connection=Connection.SSH,
        stage=Stage.HOSTKEY,
        stage_reason="host key differs from the recorded one",
        checks=checks(Verdict.ERROR),
        started_at="2025-11-25T09:00:03+00:00",
        duration_s=0.2,
        security_finding="host key differs from the recorded one",
    )
    return RunResult(
        run_id="20251125T090000Z-1a2b",
        started_at="2025-11-25T09:00:00+00:00",
        finished_at="2025-11-25T09:00:07+00:00",
        auditor_version="0.1.0",
        profile_name="Servicevertrag Voraussetzungen (Zugänge)",
        profile_version="5",
        inventory_sources=("inventories/acme/hosts.yml", "inventories/globex/hosts.ini"),
        hosts=(judged, inconclusive, unreachable, rekeyed),
        expected_networks=("203.0.113.0/24",),
        reflector="reflector.example.net:5938",
        problems=(
            InventoryProblem(
                source="inventories/globex/hosts.ini",
                line=12,
                host="nas1",
                customer="globex",
                message="unknown role 'storage'",
            ),
            InventoryProblem(source="inventories/old", message="no inventory file found"),
        ),
    )


@pytest.fixture
def run() -> RunResult:
    return make_run()
