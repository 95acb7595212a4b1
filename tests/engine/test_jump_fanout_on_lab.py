"""Many hosts behind one jump host: their logins pass a gate, the audits do not.

A site behind one bastion must not open more unauthenticated SSH
connections to it at once than its sshd accepts (OpenSSH's MaxStartups
drops them at random beyond 10). The gate (transports/jump.py) lets 8
through at a time; everything after the login runs at full width.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from auditor.lab import Lab
from auditor.lab.inventory import write_inventory
from auditor.transports.jump import JUMP_LOGINS_AT_ONCE, JumpGates
from tests.engine.conftest import audit_lab

ALIASES = 16


def test_a_jump_hosts_gate_lets_a_fixed_number_through() -> None:
    inside = 0
    most = 0

    async def login(gates: JumpGates) -> None:
        nonlocal inside, most
        async with gates.gate("198.51.100.10", 22):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0)  # let the others try to get in meanwhile
            await asyncio.sleep(0)
            inside -= 1

    async def many() -> None:
        gates = JumpGates()
        await asyncio.gather(*(login(gates) for _ in range(40)))
        assert gates.gate("198.51.100.10", 22) is gates.gate("198.51.100.10", 22)
        assert gates.gate("198.51.100.10", 22) is not gates.gate("198.51.100.10", 2222)

    asyncio.run(many())
    assert most == JUMP_LOGINS_AT_ONCE


@pytest.mark.lab
def test_sixteen_hosts_behind_one_jump_host_are_all_audited(lab: Lab, tmp_path: Path) -> None:
    inventory = write_inventory(lab, tmp_path / "inventory.yml")
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    group = next(iter(data["all"]["children"].values()))
    behind = dict(group["hosts"]["behind"])
    common = data["all"]["vars"]["ansible_ssh_common_args"]
    behind["ansible_ssh_common_args"] = f"-o ProxyJump=root@{lab.host('good').address} {common}"
    group["hosts"] = {f"site{n:02d}": dict(behind) for n in range(ALIASES)}
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    audit = audit_lab(lab, tmp_path, inventory=inventory)
    stages = {h["name"]: h["stage"] for h in audit.document["hosts"]}
    assert stages == {f"site{n:02d}": "judged" for n in range(ALIASES)}, audit.stderr
    assert {h["access"]["via"] for h in audit.document["hosts"]} == {
        f"root@[{lab.host('good').address}]"  # as ssh -G writes it
    }
