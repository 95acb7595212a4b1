"""The profile's ``teamviewer_endpoints`` section and the plan items it adds.

The section is a diagnostic: it is loaded and validated like every other
section (one-line errors with file and line), and it adds TCP items only
where a TCP check runs, never a pair a check already probes. The contract's
per-port checks and their targets stay as they are.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from auditor.model import Connection, Role, Target
from auditor.profile import load_profile, plan_for
from auditor.profile.schema import ENDPOINTS_ID, TcpSpec, TeamviewerEndpoints
from tests.profile.test_load import BUNDLED_TEXT, SCHEMA1, edited, line_of, load_error, write

ROUTERS = tuple(f"router{n}.teamviewer.com" for n in range(1, 17))
SERVICES = tuple(
    f"{name}.teamviewer.com"
    for name in ("webapi", "login", "meeting", "sso", "download", "configdl", "get", "go",
                 "client", "feedbackservice")
)  # fmt: skip


def target(**fields: object) -> Target:
    return Target("h1", "198.51.100.10", "acme", **fields)  # type: ignore[arg-type]


def test_the_bundled_profile_has_what_teamviewer_itself_checks() -> None:
    spec = load_profile().teamviewer_endpoints
    assert spec == TeamviewerEndpoints(ROUTERS, (5938, 443, 80), SERVICES, (443,))
    assert len(spec.pairs()) == 16 * 3 + 10
    assert spec.pairs()[:2] == (("router", ROUTERS[0], 5938), ("router", ROUTERS[1], 5938))


def test_the_contract_checks_stay_as_they_are() -> None:
    checks = load_profile().checks
    for check_id, port in (("tcp_5938", 5938), ("tcp_443", 443), ("tcp_80", 80)):
        spec = checks[check_id]
        assert isinstance(spec, TcpSpec) and spec.port == port
        assert spec.targets == (*ROUTERS[:2], "master1.teamviewer.com")


def test_the_section_is_optional() -> None:
    assert load_profile(str(SCHEMA1)).teamviewer_endpoints is None


def test_defaults_are_teamviewers_ports(tmp_path: Path) -> None:
    text = edited("  router_ports: [5938, 443, 80]", "", BUNDLED_TEXT)
    text = edited("  service_ports: [443]\n", "", text)
    spec = load_profile(write(tmp_path, text)).teamviewer_endpoints
    assert spec is not None and (spec.router_ports, spec.service_ports) == ((5938, 443, 80), (443,))


_SECTION = "teamviewer_endpoints:"
_BODY = "  routers:"  # where a rule of the whole section is reported: its mapping's first line
_ROUTER3 = "    - router3.teamviewer.com\n"


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (_ROUTER3, "    - router 3\n", "- router 3",
         "teamviewer_endpoints.routers[2]: 'router 3' is not a host name or IP address"),
        ("  router_ports: [5938, 443, 80]", "  router_ports: [5938, 0, 80]", "router_ports",
         "teamviewer_endpoints.router_ports[1]: 0 is not a port (1-65535)"),
        ("  service_ports: [443]", "  service_ports: 443", "service_ports",
         "teamviewer_endpoints.service_ports: expected a list, got 443"),
        ("  service_ports: [443]", "  service_ports: [443]\n  sevices: []", "sevices",
         "teamviewer_endpoints.sevices: unknown key (known: routers, router_ports, services,"),
        (_ROUTER3, "    - router2.teamviewer.com\n", _BODY,
         "teamviewer_endpoints: routers: router2.teamviewer.com listed twice"),
        ("  router_ports: [5938, 443, 80]", "  router_ports: [5938, 443, 5938]", _BODY,
         "teamviewer_endpoints: router_ports: 5938 listed twice"),
        ("  router_ports: [5938, 443, 80]", "  router_ports: []", _BODY,
         "teamviewer_endpoints: routers and router_ports must not be empty"),
        ("  service_ports: [443]", "  service_ports: []", _BODY,
         "teamviewer_endpoints: services need service_ports"),
        ("  router_ports: [5938, 443, 80]",
         "  router_ports: [5938, 443, 80, 81, 82, 83, 84, 85, 86, 87]", _BODY,
         "teamviewer_endpoints: 170 endpoint probes, at most 128"),
        (_SECTION + "\n", "teamviewer_endpoints: [a]\nx_old:\n", _SECTION,
         "teamviewer_endpoints: expected a mapping, got a list"),
    ],
)  # fmt: skip
def test_bad_values_name_file_line_and_path(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    text = edited(old, new)
    if "x_old:" in new:  # the section's old body now hangs under an unknown key: drop it
        head, _, tail = text.partition("x_old:\n")
        text = head + tail[tail.index("\nchecks:") + 1 :]
    path, error = load_error(tmp_path, text)
    assert error.startswith(f"{path}:{line_of(text, needle)}: {message}"), error


def test_routers_are_required(tmp_path: Path) -> None:
    start = BUNDLED_TEXT.index("  routers:\n")
    end = BUNDLED_TEXT.index("  router_ports:")
    text = BUNDLED_TEXT[:start] + BUNDLED_TEXT[end:]
    path, error = load_error(tmp_path, text)
    line = line_of(text, "  router_ports:")  # now the section's first line
    assert error == f"{path}:{line}: teamviewer_endpoints.routers: required key missing"


def test_the_diagnostic_id_is_no_check_id(tmp_path: Path) -> None:
    text = edited("  tcp_80:\n", f"  {ENDPOINTS_ID}:\n")
    path, error = load_error(tmp_path, text)
    line = line_of(text, "schema_version: 2")  # the profile's own line: a rule between sections
    assert error == f"{path}:{line}: profile: {ENDPOINTS_ID} is the diagnostic's id, not a check id"


# --- the plan ---------------------------------------------------------------------------


def test_the_plan_adds_every_endpoint_no_check_probes_after_the_checks() -> None:
    doc = plan_for(load_profile(), target()).payload_input()
    checks = [i for i in doc["tcp"] if i["check"] != ENDPOINTS_ID]
    mine = [i for i in doc["tcp"] if i["check"] == ENDPOINTS_ID]
    assert doc["tcp"] == [*checks, *mine]
    pairs = [(i["host"], i["port"]) for i in doc["tcp"]]
    assert len(pairs) == len(set(pairs)), "no endpoint is connected to twice"
    probed = {(i["host"], i["port"]) for i in checks}
    wanted = {(h, p) for p in (5938, 443, 80) for h in ROUTERS} | {(h, 443) for h in SERVICES}
    assert set(pairs) == wanted | probed
    assert len(mine) == len(wanted - probed) == 58 - 6  # router1, router2 on 3 ports
    assert mine[0] == {"check": ENDPOINTS_ID, "host": "router3.teamviewer.com", "port": 5938}
    assert doc["diagnostics"] == [ENDPOINTS_ID]


def test_a_pair_a_check_probes_is_not_probed_again(tmp_path: Path) -> None:
    text = edited("  tls_443:\n", "  tcp_web:\n    kind: tcp\n    title: {de: Web, en: Web}\n"
                  "    targets: [webapi.teamviewer.com, router9.teamviewer.com]\n"
                  "    port: 443\n  tls_443:\n")  # fmt: skip
    doc = plan_for(load_profile(write(tmp_path, text)), target()).payload_input()
    mine = {(i["host"], i["port"]) for i in doc["tcp"] if i["check"] == ENDPOINTS_ID}
    assert ("webapi.teamviewer.com", 443) not in mine
    assert ("router9.teamviewer.com", 443) not in mine
    assert ("router9.teamviewer.com", 80) in mine


def test_only_where_a_tcp_check_runs() -> None:
    profile = load_profile()
    device = plan_for(profile, target(role=Role.NETWORK, connection=Connection.NETWORK_CLI))
    assert device.endpoints is None
    assert "tcp" not in device.payload_input() and "diagnostics" not in device.payload_input()
    nas = plan_for(profile, target(role=Role.NETWORK))  # a NAS with a shell runs the probe
    assert nas.endpoints is not None and "diagnostics" in nas.payload_input()
    windows = plan_for(profile, target(connection=Connection.WINRM))
    assert windows.payload_input()["diagnostics"] == [ENDPOINTS_ID]
    no_tcp = dataclasses.replace(
        profile, checks={k: v for k, v in profile.checks.items() if not isinstance(v, TcpSpec)}
    )
    plan = plan_for(no_tcp, target())
    assert plan.endpoints is None and "tcp" not in plan.payload_input()


def test_without_the_section_the_plan_is_the_checks_alone() -> None:
    profile = dataclasses.replace(load_profile(), teamviewer_endpoints=None)
    doc = plan_for(profile, target()).payload_input()
    assert "diagnostics" not in doc
    assert {i["check"] for i in doc["tcp"]} == {"tcp_5938", "tcp_80", "tcp_443"}
    assert len(doc["tcp"]) == 9
