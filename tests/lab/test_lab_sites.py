"""Remote sites: hosts behind a NAT gateway each, reached through port forwards.

A fleet bigger than one /24 (the benchmark's 500 hosts) lives at several
sites that reuse the LAN's addresses, as customer sites do. The auditor
reaches them over the lab's internet, and what it sees of each host must be
that host's, not its namesake address at another site.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.lab import Fault, HostSpec, Lab, LabError, LabSpec, unique_prefix, write_inventory
from auditor.lab.firewall import msp_nat_ruleset, site_nat_ruleset
from auditor.lab.netns import NEIGH_SYSCTL, root_lab_routes
from auditor.lab.spec import MAX_HOSTS, REFLECTOR, site_gateway
from auditor.model import Role
from tests.engine.conftest import audit_lab

SITES = LabSpec(
    name="sites",
    hosts=(
        HostSpec("near", "Filialen"),
        HostSpec("far1", "Filialen", site=1),
        HostSpec("far2", "Filialen", site=1, faults=(Fault("tcp", 5938),)),
        HostSpec("away", "Filialen", site=2, ssh_server="dropbear"),
    ),
)


def test_sites_reuse_the_lan_and_are_reached_through_their_gateway() -> None:
    assert SITES.addresses == {
        "near": "198.51.100.10",
        "far1": "198.51.100.10",
        "far2": "198.51.100.11",
        "away": "198.51.100.10",
    }
    assert SITES.reach["near"] == ("198.51.100.10", 22)
    assert SITES.reach["far1"] == ("203.0.113.201", 22010)
    assert SITES.reach["far2"] == ("203.0.113.201", 22011)
    assert SITES.reach["away"] == (site_gateway(2), 22010)
    assert SITES.sites == (1, 2)


def test_site_limits_are_one_line_errors() -> None:
    with pytest.raises(LabError, match="remote site holds plain SSH hosts only"):
        HostSpec("w", "K", Role.NETWORK, sshd=False, web_ui=True, site=1)
    with pytest.raises(LabError, match=r"site must be 0\.\.20"):
        HostSpec("x", "K", site=21)
    crowd = tuple(HostSpec(f"h{i}", "K", site=3) for i in range(MAX_HOSTS + 1))
    with pytest.raises(LabError, match=f"at most {MAX_HOSTS} hosts per site"):
        LabSpec(crowd)


def test_nat_rules_forward_each_host_and_hide_the_msp() -> None:
    gateway = site_nat_ruleset("wan", [("198.51.100.10", 22, 22010), ("198.51.100.11", 22, 22011)])
    assert "iifname wan tcp dport 22010 dnat to 198.51.100.10:22" in gateway
    assert "iifname wan tcp dport 22011 dnat to 198.51.100.11:22" in gateway
    assert "oifname wan masquerade" in gateway
    assert msp_nat_ruleset([]) == ""
    msp = msp_nat_ruleset(["203.0.113.201", "203.0.113.202"])
    assert "ip saddr 198.51.100.0/24 ip daddr { 203.0.113.201, 203.0.113.202 } masquerade" in msp


@pytest.mark.lab
def test_audit_reaches_every_site_and_judges_each_host_as_itself(tmp_path: Path) -> None:
    lab = Lab(SITES, tmp_path / "lab", unique_prefix("s")).up()
    try:
        assert root_lab_routes() == []
        # the machine-wide ARP table has room for the lab (raised, never lowered)
        assert int((NEIGH_SYSCTL / "gc_thresh3").read_text()) >= 8 * len(SITES.hosts) + 1024
        inventory = write_inventory(lab, tmp_path / "inventory.yml")
        audit = audit_lab(lab, tmp_path, inventory=inventory)
        assert {h["name"]: h["stage"] for h in audit.document["hosts"]} == dict.fromkeys(
            ("near", "far1", "far2", "away"), "judged"
        )
        for name in ("near", "far1", "far2", "away"):
            access = audit.host(name)["access"]
            assert (access["address"], access["port"]) == lab.spec.reach[name]
        # the same LAN address at two sites, and each answer is its own host's
        assert audit.checks("far1")["tcp_5938"]["verdict"] == "pass"
        assert audit.checks("far2")["tcp_5938"]["verdict"] == "fail"
        assert audit.checks("near")["tcp_5938"]["verdict"] == "pass"
        target = audit.checks("far1")["tcp_5938"]["evidence"]["targets"][0]
        assert target["local_address"] == "198.51.100.10"  # the host's own, behind NAT
        assert audit.checks("away")["udp_5938"]["verdict"] == "pass"  # the reflector echoes
        assert lab.reflector_running and REFLECTOR in str(audit.checks("away")["udp_5938"])
    finally:
        lab.down()
    assert root_lab_routes() == []
