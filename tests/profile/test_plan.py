"""Per-host plans: the role table from requirements.md and the plan document for the payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.model import CHECK_IDS, Role, Secret, Target
from auditor.profile import load_profile, plan_for
from auditor.profile.load import BUNDLED

EGRESS = (
    "tcp_5938",
    "udp_5938",
    "tcp_80",
    "tcp_443",
    "tls_443",
    "dns_udp",
    "dns_tcp",
    "dns_system",
)


def target(role: Role, *, unattended: bool = False) -> Target:
    return Target(
        name="h1",
        address="198.51.100.10",
        customer="acme",
        role=role,
        user="root",
        password=Secret("planted-secret-pw"),
        become_password=Secret("planted-become-pw"),
        unattended=unattended,
    )


def test_server_needs_everything() -> None:
    plan = plan_for(load_profile(), target(Role.SERVER))
    assert plan.applicable == CHECK_IDS
    assert dict(plan.not_applicable) == {}
    assert dict(plan.needs_probe) == {}


def test_network_device_has_no_teamviewer_and_egress_only_if_probe_runs() -> None:
    plan = plan_for(load_profile(), target(Role.NETWORK, unattended=True))
    assert plan.applicable == (*EGRESS, "admin")
    assert dict(plan.not_applicable) == {"teamviewer": "network devices cannot run TeamViewer"}
    assert set(plan.needs_probe) == set(EGRESS)
    assert all("cannot run the probe" in reason for reason in plan.needs_probe.values())
    doc = plan.payload_input()
    assert "teamviewer" not in doc
    assert doc["admin"] == {"check": "admin"}


@pytest.mark.parametrize("unattended", [False, True])
def test_workstation_teamviewer_only_when_unattended(unattended: bool) -> None:
    plan = plan_for(load_profile(), target(Role.WORKSTATION, unattended=unattended))
    assert set(EGRESS) <= set(plan.applicable)
    assert "admin" in plan.applicable
    assert ("teamviewer" in plan.applicable) is unattended
    assert ("teamviewer" in plan.not_applicable) is not unattended
    assert ("teamviewer" in plan.payload_input()) is unattended


@pytest.mark.parametrize("role", list(Role))
def test_every_check_is_applicable_or_not_exactly_once(role: Role) -> None:
    plan = plan_for(load_profile(), target(role))
    assert sorted((*plan.applicable, *plan.not_applicable)) == sorted(CHECK_IDS)


def test_plan_document_without_reflector() -> None:
    plan = plan_for(load_profile(), target(Role.SERVER))
    doc = plan.payload_input()
    assert doc["plan_version"] == 1
    assert doc["deadline_s"] == 20.0
    assert doc["probe_timeout_s"] == 4.0
    assert doc["udp"] == []  # udp_5938 still applicable: the judge says inconclusive
    assert "udp_5938" in plan.applicable
    assert {(e["check"], e["port"]) for e in doc["tcp"]} == {
        ("tcp_5938", 5938),
        ("tcp_80", 80),
        ("tcp_443", 443),
    }
    assert {"check": "tcp_5938", "host": "router1.teamviewer.com", "port": 5938} in doc["tcp"]
    assert {"check": "tls_443", "host": "router1.teamviewer.com", "port": 443} in doc["tls"]
    assert doc["dns"]["checks"] == ["dns_udp", "dns_tcp"]
    assert doc["dns"]["resolv_conf"] == "/etc/resolv.conf"
    assert "get.teamviewer.com" in doc["dns"]["names"]
    assert doc["dns_system"]["check"] == "dns_system"
    assert doc["admin"] == {"check": "admin"}
    assert doc["teamviewer"] == {"check": "teamviewer"}
    assert set(doc) == {
        "plan_version",
        "deadline_s",
        "probe_timeout_s",
        "tcp",
        "udp",
        "tls",
        "dns",
        "dns_system",
        "admin",
        "teamviewer",
    }


def test_plan_document_with_reflector_and_engine_deadline() -> None:
    profile = load_profile(reflector="203.0.113.20")
    doc = plan_for(profile, target(Role.SERVER)).payload_input(deadline_s=7.5)
    assert doc["udp"] == [{"check": "udp_5938", "host": "203.0.113.20", "port": 5938}]
    assert doc["deadline_s"] == 7.5
    # the engine may only shorten the deadline, never extend it
    assert plan_for(profile, target(Role.SERVER)).payload_input(deadline_s=99)["deadline_s"] == 20


def test_plan_document_is_json_and_carries_no_secret() -> None:
    plan = plan_for(load_profile(reflector="203.0.113.20"), target(Role.SERVER))
    text = json.dumps(plan.payload_input())
    assert "planted" not in text
    assert "planted" not in repr(plan)
    assert plan.timeouts.connect_s == 5.0
    assert plan.timeouts.login_s == 10.0
    assert plan.timeouts.host_s == 35.0
    assert plan.timeouts.probe_s == 4.0


def test_plan_is_frozen() -> None:
    plan = plan_for(load_profile(), target(Role.SERVER))
    with pytest.raises(AttributeError):
        plan.applicable = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.not_applicable["x"] = "y"  # type: ignore[index]


def test_requirements_are_data(tmp_path: Path) -> None:
    """A contract change is a profile edit: new target, teamviewer required on workstations."""
    text = (Path(__file__).parents[2] / "auditor" / "profile" / BUNDLED).read_text("utf-8")
    text = text.replace("      - master1.teamviewer.com\n", "      - router9.teamviewer.com\n", 1)
    text = text.replace("workstation: if_unattended", "workstation: required")
    path = tmp_path / "contract-v6.yaml"
    path.write_text(text.replace('version: "5"', 'version: "6"'), encoding="utf-8")
    profile = load_profile(str(path))
    assert profile.version == "6"
    plan = plan_for(profile, target(Role.WORKSTATION))
    assert "teamviewer" in plan.applicable
    hosts = {e["host"] for e in plan.payload_input()["tcp"] if e["check"] == "tcp_443"}
    assert hosts == {"router1.teamviewer.com", "router2.teamviewer.com", "router9.teamviewer.com"}
