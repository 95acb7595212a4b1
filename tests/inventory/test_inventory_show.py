"""`auditor inventory` views: complete, and never a secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.inventory import InventoryLoad, load_inventory
from auditor.inventory.show import format_tree, to_json

Write = Callable[[str, str], Path]

PLANTED = ("Planted-Login-7781", "Planted-Become-9923", "Planted-Vault-4412")


def load_with_secrets(write: Write, vault: Any) -> InventoryLoad:
    hosts = write(
        "inv/hosts",
        f"""
        [acme]
        srv1 ansible_host=198.51.100.10 ansible_port=2222 ansible_password={PLANTED[0]}
        fw1 ansible_host=198.51.100.1 auditor_role=network ansible_connection=network_cli ansible_network_os=junos
        [globex]
        ws1 ansible_host=203.0.113.5 auditor_role=workstation auditor_unattended=yes
        bad1 auditor_role=printer ansible_become_pass={PLANTED[1]}
        [globex:vars]
        ansible_ssh_common_args='-o ProxyJump=jump@203.0.113.2'
        """,
    )
    write("inv/host_vars/ws1.yml", vault.value("ansible_become_password", PLANTED[2]))
    return load_inventory([str(hosts)], vault_password_file=str(vault.password_file))


def test_tree_lists_customers_hosts_and_problems(write: Write, vault: Any) -> None:
    load = load_with_secrets(write, vault)
    tree = format_tree(load)
    assert tree.splitlines()[0] == "acme"
    assert "   fw1  network     network_cli 198.51.100.1" in tree
    assert "   srv1 server      ssh         198.51.100.10:2222" in tree
    assert " ! bad1 server      ssh         bad1 via jump@203.0.113.2" in tree
    assert "   ws1  workstation ssh         203.0.113.5 via jump@203.0.113.2" in tree
    assert tree.index("globex") > tree.index("srv1")
    assert "problems (1):" in tree
    assert "host bad1: auditor_role 'printer' is not one of" in tree


def test_json_lists_every_resolved_field(write: Write, vault: Any) -> None:
    data = to_json(load_with_secrets(write, vault))
    json.dumps(data)  # JSON-ready
    ws1 = next(t for t in data["targets"] if t["name"] == "ws1")
    assert ws1 == {
        "name": "ws1",
        "address": "203.0.113.5",
        "port": None,
        "user": None,
        "connection": "ssh",
        "customer": "globex",
        "role": "workstation",
        "unattended": True,
        "site": "default",
        "groups": ["globex"],
        "key_file": None,
        "ssh_args": [
            "-C",
            "-o",
            "ControlMaster=auto",
            "-o",
            "ControlPersist=60s",
            "-o",
            "ProxyJump=jump@203.0.113.2",
        ],
        "winrm": None,
        "device": None,
        "secrets": {"become_password": "***"},
        "source": ws1["source"],
    }
    assert ws1["source"].endswith("/inv/hosts")
    fw1 = next(t for t in data["targets"] if t["name"] == "fw1")
    assert fw1["device"] == {"platform": "junos", "network_os": "junos", "become": False}
    srv1 = next(t for t in data["targets"] if t["name"] == "srv1")
    assert (srv1["port"], srv1["secrets"]) == (2222, {"password": "***"})
    (problem,) = data["problems"]
    assert (problem["host"], problem["customer"], problem["line"]) == ("bad1", "globex", 6)


def test_no_secret_in_any_output(write: Write, vault: Any) -> None:
    load = load_with_secrets(write, vault)
    secrets = [t.password or t.become_password for t in load.targets]
    assert {s.reveal() for s in secrets if s} == set(PLANTED)  # they were really loaded
    outputs = [
        format_tree(load),
        json.dumps(to_json(load)),
        repr(load),
        *(repr(t) for t in load.targets),
        *(str(t) for t in load.targets),
    ]
    for text in outputs:
        for planted in PLANTED:
            assert planted not in text


def test_empty_inventory_view(write: Write) -> None:
    hosts = write("hosts", "# nothing yet\n")
    assert format_tree(load_inventory([str(hosts)])) == "(no hosts)\n"
