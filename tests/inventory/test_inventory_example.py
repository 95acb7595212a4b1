"""The shipped example inventory, checked against ansible-core's own tools.

``ansible-inventory --list`` is the oracle for what is not templated; for the
templated and vaulted values an ad-hoc ``ansible -m debug`` run renders them
the way a playbook would (``-e ansible_connection=local`` only so that no
connection plugin is needed; it does not touch the compared values).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from auditor.inventory import load_inventory

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory" / "example"
PASSWORD = EXAMPLE / "vault-password.txt"
BIN = Path(sys.executable).parent


def run(*argv: str | Path, **env: str) -> str:
    """Run an ansible CLI from the venv (inheriting the isolated ANSIBLE_* settings)."""
    result = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _minimal_results(out: str) -> dict[str, object]:
    """``host | SUCCESS => {json}`` blocks of the minimal callback -> {host: msg}."""
    results: dict[str, object] = {}
    for block in re.split(r"^(?=\S+ \| SUCCESS => )", out, flags=re.MULTILINE):
        if block.strip():
            host, _, document = block.partition(" | SUCCESS => ")
            results[host] = json.loads(document)["msg"]
    return results


def test_example_loads_without_problems() -> None:
    load = load_inventory([str(EXAMPLE)], vault_password_file=str(PASSWORD))
    assert load.problems == ()
    assert {t.customer for t in load.targets} == {"acme", "globex"}
    assert len(load.targets) == 9


def test_example_matches_ansible_inventory_list() -> None:
    listed = json.loads(
        run(BIN / "ansible-inventory", "-i", EXAMPLE, "--vault-password-file", PASSWORD, "--list")
    )
    hostvars = listed["_meta"]["hostvars"]
    load = load_inventory([str(EXAMPLE)], vault_password_file=str(PASSWORD))
    assert sorted(t.name for t in load.targets) == sorted(hostvars)
    for target in load.targets:
        expected = hostvars[target.name]
        raw_address = expected.get("ansible_host", target.name)
        if "{{" not in raw_address:
            assert target.address == raw_address, target.name
        assert target.port == expected.get("ansible_port"), target.name
        assert target.user == expected.get("ansible_user"), target.name
        for group in target.groups:
            children = listed[group].get("children", [])
            direct = listed[group].get("hosts", [])
            assert target.name in direct or children, (target.name, group)


def test_example_templated_and_vaulted_values_match_ansible() -> None:
    fields = (
        "ansible_host | default(inventory_hostname)",
        "ansible_port | default(None)",
        "ansible_user | default(None)",
        "ansible_ssh_private_key_file | default(None)",
        "ansible_password | default(None)",
        "ansible_become_password | default(None)",
    )
    out = run(
        BIN / "ansible",
        "all",
        "-i",
        EXAMPLE,
        "--vault-password-file",
        PASSWORD,
        "-e",
        "ansible_connection=local",
        "-m",
        "debug",
        "-a",
        "msg={{ [" + ", ".join(fields) + "] }}",
        ANSIBLE_STDOUT_CALLBACK="minimal",
    )
    rendered = _minimal_results(out)
    load = load_inventory([str(EXAMPLE)], vault_password_file=str(PASSWORD))
    ours = {
        t.name: [
            t.address,
            t.port,
            t.user,
            t.key_file,
            t.password.reveal() if t.password else None,
            t.become_password.reveal() if t.become_password else None,
        ]
        for t in load.targets
    }
    # WinRM authenticates without ssh keys: the auditor drops the key for it
    rendered["globex-win01"][3] = None  # type: ignore[index]
    assert ours == rendered
    assert rendered["acme-web02"][0] == "198.51.100.12"  # the template really was rendered
    assert rendered["acme-db01"][4] == "db-demo-ssh-password"  # and the vault really decrypted
