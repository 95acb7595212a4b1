"""Host keys on the real lab: a changed key is a security finding, never audited.

Each test runs ``auditor run -l good`` against the lab's ``good`` host with a
known_hosts file prepared for the case, as the README's policy table says.
The inventory names it (``-o UserKnownHostsFile=``), as OpenSSH and Ansible
read it; the auditor's own file (``--known-hosts``) starts empty.
"""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from auditor.lab import Lab
from auditor.lab.inventory import write_inventory
from tests.engine.conftest import Audit, audit_lab


def audit_good(
    lab: Lab, tmp_path: Path, known: Path, *extra: str, own: Path | None = None
) -> Audit:
    inventory = write_inventory(lab, tmp_path / "inventory.yml", known_hosts=known)
    own = own or tmp_path / "own_known_hosts"
    return audit_lab(lab, tmp_path, "-l", "good", *extra, inventory=inventory, known_hosts=own)


def forged_known_hosts(lab: Lab, path: Path, address: str) -> Path:
    """The lab's known_hosts with ``address``'s key replaced by a stranger's."""
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    lines = []
    for line in lab.known_hosts.read_text().splitlines():
        host = line.split()[0]
        lines.append(f"{host} {stranger}" if host in (address, f"[{address}]:22") else line)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.lab
def test_changed_host_key_stops_the_host_and_exits_3(lab: Lab, tmp_path: Path) -> None:
    known = forged_known_hosts(lab, tmp_path / "known_hosts", lab.host("good").address)
    audit = audit_good(lab, tmp_path, known)
    host = audit.host("good")
    assert host["stage"] == "hostkey"
    assert host["stage_finding"]["code"] == "hostkey.changed"
    assert "differs from the recorded one" in host["stage_reason"]
    assert host["security_finding"] == host["stage_reason"]
    assert {c["verdict"] for c in host["checks"]} <= {"error", "not_applicable"}
    assert audit.exit_code == 3


@pytest.mark.lab
@pytest.mark.parametrize("policy", ["strict", "accept-new"])
def test_changed_key_is_refused_whatever_the_policy(lab: Lab, tmp_path: Path, policy: str) -> None:
    known = forged_known_hosts(lab, tmp_path / "known_hosts", lab.host("good").address)
    before = known.read_text()
    audit = audit_good(lab, tmp_path, known, "--host-key-policy", policy)
    assert audit.host("good")["stage"] == "hostkey"
    assert known.read_text() == before  # never "corrected" into the file


@pytest.mark.lab
def test_unknown_key_is_refused_under_strict(lab: Lab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    audit = audit_good(lab, tmp_path, empty)
    host = audit.host("good")
    assert host["stage"] == "hostkey"
    assert "not recorded" in host["stage_reason"]
    assert audit.exit_code == 2


@pytest.mark.lab
def test_accept_new_records_the_key_and_strict_then_trusts_it(lab: Lab, tmp_path: Path) -> None:
    own, empty = tmp_path / "own_known_hosts", tmp_path / "known_hosts"
    empty.write_text("")
    first = audit_good(lab, tmp_path, empty, "--host-key-policy", "accept-new", own=own)
    assert first.host("good")["stage"] == "judged"
    address = lab.host("good").address
    recorded = own.read_text()
    assert recorded.startswith(f"{address} ssh-ed25519 ")
    second = audit_good(lab, tmp_path, empty, own=own)
    assert second.host("good")["stage"] == "judged"
    assert own.read_text() == recorded  # nothing recorded twice
