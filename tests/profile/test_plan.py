"""Per-host plans: the role table from requirements.md and the plan document (version 2)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from auditor.model import Role, Secret, Target
from auditor.payload import PLAN_VERSION
from auditor.profile import Profile, load_profile, plan_for
from auditor.profile.load import BUNDLED

BUNDLED_TEXT = (Path(__file__).parents[2] / "auditor" / "profile" / BUNDLED).read_text("utf-8")
SCHEMA1 = Path(__file__).with_name("contract-v5-schema1.yaml")

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
ALL = ("teamviewer", *EGRESS, "admin")  # the bundled profile's order
TV = ["router1.teamviewer.com", "router2.teamviewer.com", "master1.teamviewer.com"]
DNS_NAMES = [*TV, "get.teamviewer.com"]
HEADER = "schema_version: 2\ncontract: {name: Test, version: '6'}\nchecks:\n"


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


def profile_from(tmp_path: Path, text: str, **overrides: str) -> Profile:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return load_profile(str(path), **overrides)  # type: ignore[arg-type]


def test_server_needs_everything_in_profile_order() -> None:
    plan = plan_for(load_profile(), target(Role.SERVER))
    assert plan.applicable == ALL
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
    assert sorted((*plan.applicable, *plan.not_applicable)) == sorted(ALL)
    assert not set(plan.applicable) & set(plan.not_applicable)


def test_plan_document_without_reflector() -> None:
    plan = plan_for(load_profile(), target(Role.SERVER))
    doc = plan.payload_input()
    assert doc["plan_version"] == PLAN_VERSION == 2
    # what the probes need (2 x probe_s 4 = host sections 8, plus 2 s slack), not the 20 s
    # left of host_s after connect and login
    assert doc["deadline_s"] == 10.0
    assert doc["probe_timeout_s"] == 4.0
    assert doc["udp"] == []  # udp_5938 still applicable: the judge says inconclusive
    assert "udp_5938" in plan.applicable
    contract = [
        {"check": check, "host": host, "port": port}
        for check, port in (("tcp_5938", 5938), ("tcp_80", 80), ("tcp_443", 443))
        for host in TV
    ]
    assert doc["tcp"][: len(contract)] == contract  # the diagnostic's items follow
    assert {i["check"] for i in doc["tcp"][len(contract) :]} == {"teamviewer_endpoints"}
    assert doc["diagnostics"] == ["teamviewer_endpoints"]
    assert doc["tls"] == [
        {"check": "tls_443", "host": "router1.teamviewer.com", "port": 443},
        {"check": "tls_443", "host": "get.teamviewer.com", "port": 443},
    ]
    assert doc["dns"] == {
        "checks": ["dns_udp", "dns_tcp"],
        "transport": {"dns_udp": "udp", "dns_tcp": "tcp"},
        "names": DNS_NAMES,
        "resolv_conf": "/etc/resolv.conf",
        "names_of": {"dns_udp": DNS_NAMES, "dns_tcp": DNS_NAMES},
    }
    assert doc["dns_system"] == {"check": "dns_system", "names": DNS_NAMES}
    assert doc["admin"] == {"check": "admin"}
    assert doc["teamviewer"] == {"check": "teamviewer"}
    assert set(doc) == {
        "plan_version",
        "deadline_s",
        "probe_timeout_s",
        "tcp",
        "diagnostics",
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
    assert plan_for(profile, target(Role.SERVER)).payload_input(deadline_s=99)["deadline_s"] == 10


def test_the_payload_deadline_follows_the_probes_within_the_host_budget() -> None:
    from auditor.profile.schema import Timeouts

    assert Timeouts(probe_s=4).payload_deadline_s == 10  # host sections (8) + slack (2)
    assert Timeouts(probe_s=6, host_s=60).payload_deadline_s == 14  # 2 x probe_s + slack
    assert Timeouts(probe_s=6, host_s=22).payload_deadline_s == 7  # capped: 22 - 5 - 10


def test_udp_goes_to_the_reflector_port_unless_the_check_names_one(tmp_path: Path) -> None:
    doc = plan_for(load_profile(reflector="r.example.net:15938"), target(Role.SERVER))
    assert doc.payload_input()["udp"] == [
        {"check": "udp_5938", "host": "r.example.net", "port": 15938}
    ]
    text = BUNDLED_TEXT.replace("    kind: udp\n", "    kind: udp\n    port: 3478\n", 1)
    text += "  udp_5938b:\n    kind: udp\n    title: {de: b, en: b}\n"  # a second udp check without a port of its own
    profile = profile_from(tmp_path, text, reflector="r.example.net:15938")
    assert plan_for(profile, target(Role.SERVER)).payload_input()["udp"] == [
        {"check": "udp_5938", "host": "r.example.net", "port": 3478},
        {"check": "udp_5938b", "host": "r.example.net", "port": 15938},
    ]
    # without a reflector nothing can be sent, whatever the ports
    assert plan_for(profile_from(tmp_path, text), target(Role.SERVER)).payload_input()["udp"] == []


def test_extra_tcp_check_is_planned_with_its_port_and_targets(tmp_path: Path) -> None:
    text = BUNDLED_TEXT.replace(
        "  tls_443:\n",
        "  tcp_8443:\n"
        "    kind: tcp\n"
        "    title: {de: Portal 8443/TCP, en: Portal 8443/TCP}\n"
        "    targets: [portal.example.net, 203.0.113.80]\n"
        "    port: 8443\n"
        "    applies: {server: required, network: not_applicable, workstation: required}\n"
        "  tls_443:\n",
        1,
    )
    profile = profile_from(tmp_path, text)
    server = plan_for(profile, target(Role.SERVER))
    assert server.applicable == (*ALL[:5], "tcp_8443", *ALL[5:])
    doc = server.payload_input()
    assert [e for e in doc["tcp"] if e["check"] == "tcp_8443"] == [
        {"check": "tcp_8443", "host": "portal.example.net", "port": 8443},
        {"check": "tcp_8443", "host": "203.0.113.80", "port": 8443},
    ]
    assert [e["check"] for e in doc["tcp"]][:11] == [  # profile order, then target order
        *["tcp_5938"] * 3, *["tcp_80"] * 3, *["tcp_443"] * 3, "tcp_8443", "tcp_8443",
    ]  # fmt: skip
    assert all(e["check"] == "tls_443" for e in doc["tls"])  # its own kind only
    network = plan_for(profile, target(Role.NETWORK))
    assert "tcp_8443" in network.not_applicable
    assert all(e["check"] != "tcp_8443" for e in network.payload_input()["tcp"])
    assert [i.id for i in profile.check_infos][5] == "tcp_8443"


def test_checks_with_new_ids_fill_the_sections_of_their_kind(tmp_path: Path) -> None:
    text = HEADER + (
        "  rights:\n    kind: admin\n    title: {de: R, en: R}\n"
        "  tv_host:\n    kind: teamviewer\n    title: {de: T, en: T}\n"
        "  resolver_udp:\n    kind: dns\n    title: {de: U, en: U}\n    names: [a.example, b.example]\n"
        "    resolv_conf: /run/resolv.conf\n"
        "  resolver_tcp:\n    kind: dns\n    transport: tcp\n    title: {de: T, en: T}\n"
        "    names: [b.example, c.example]\n    resolv_conf: /run/resolv.conf\n"
        "  resolver_udp2:\n    kind: dns\n    title: {de: U, en: U}\n    names: [a.example]\n"
        "    resolv_conf: /run/resolv.conf\n"
        "  sysnames:\n    kind: dns_system\n    title: {de: S, en: S}\n    names: [d.example]\n"
    )
    doc = plan_for(profile_from(tmp_path, text), target(Role.SERVER)).payload_input()
    assert doc == {
        "plan_version": 2,
        "deadline_s": 10.0,
        "probe_timeout_s": 4.0,
        "dns": {
            "checks": ["resolver_udp", "resolver_tcp", "resolver_udp2"],
            "transport": {"resolver_udp": "udp", "resolver_tcp": "tcp", "resolver_udp2": "udp"},
            "names": ["a.example", "b.example", "c.example"],  # the union, first seen first
            "resolv_conf": "/run/resolv.conf",
            "names_of": {  # each check is judged on its own names
                "resolver_udp": ["a.example", "b.example"],
                "resolver_tcp": ["b.example", "c.example"],
                "resolver_udp2": ["a.example"],
            },
        },
        "dns_system": {"check": "sysnames", "names": ["d.example"]},
        "admin": {"check": "rights"},
        "teamviewer": {"check": "tv_host"},
    }  # no tcp, udp or tls section: no check of those kinds


def test_sections_appear_only_for_applicable_kinds(tmp_path: Path) -> None:
    text = HEADER + (
        "  udp_5938:\n    kind: udp\n    title: {de: U, en: U}\n"
        "    applies: {workstation: not_applicable}\n"
        "  tls_443:\n    kind: tls\n    title: {de: T, en: T}\n    targets: [a.example]\n"
        "    applies: {workstation: not_applicable}\n"
        "  admin:\n    kind: admin\n    title: {de: A, en: A}\n"
    )
    profile = profile_from(tmp_path, text)
    server = plan_for(profile, target(Role.SERVER)).payload_input()
    assert (server["udp"], server["tls"]) == ([], [{"check": "tls_443", "host": "a.example",
                                                     "port": 443}])  # fmt: skip
    assert "tcp" not in server and "dns" not in server
    ws = plan_for(profile, target(Role.WORKSTATION))
    assert ws.applicable == ("admin",)
    assert set(ws.payload_input()) == {"plan_version", "deadline_s", "probe_timeout_s", "admin"}


def test_schema_1_profile_plans_like_before() -> None:
    """The recorded schema 1 contract plans the same document, in its own (v1) order."""
    old = plan_for(load_profile(str(SCHEMA1)), target(Role.SERVER))
    bundled = dataclasses.replace(load_profile(), teamviewer_endpoints=None)  # a v5.x addition
    new = plan_for(bundled, target(Role.SERVER))
    assert old.applicable == (*EGRESS, "admin", "teamviewer")
    assert old.payload_input() == new.payload_input()


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
    text = BUNDLED_TEXT.replace(
        "      - master1.teamviewer.com\n", "      - router9.teamviewer.com\n", 1
    )
    text = text.replace("workstation: if_unattended", "workstation: required")
    profile = profile_from(tmp_path, text.replace('version: "5"', 'version: "6"'))
    assert profile.version == "6"
    plan = plan_for(profile, target(Role.WORKSTATION))
    assert "teamviewer" in plan.applicable
    hosts = {e["host"] for e in plan.payload_input()["tcp"] if e["check"] == "tcp_443"}
    assert hosts == {"router1.teamviewer.com", "router2.teamviewer.com", "router9.teamviewer.com"}
