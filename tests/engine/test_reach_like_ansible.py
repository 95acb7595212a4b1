"""Every host the MSP's Ansible reaches, the auditor reaches, the same way; and no other.

One inventory, the lab's hosts plus entries that reach them the ways an MSP's
inventory does: old algorithms allowed by ``ansible_ssh_common_args`` (and
the same host without them), Dropbear, settings that only an ssh_config file
gives (``User``, ``IdentityFile``, ``Port``), a key only a real ssh-agent
holds, an encrypted key (through the agent, and without one), a user
certificate. It goes through ``ansible -m ping`` (ansible-core, with the
machine's OpenSSH) and through ``auditor run``; the hosts each could log in
to must be the same set. That is the promise of reading the user's inventory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from auditor.lab import Lab
from auditor.lab.inventory import write_inventory
from auditor.lab.spec import ENCRYPTED_KEY_PASSPHRASE
from tests.engine.conftest import Audit, audit_lab, write_msp_ssh_config

REACHED_STAGES = {"admin", "probe", "judged"}  # past authentication
KEEP = ("good", "nossh", "legacy", "dropbear", "port2222", "busybox", "behind")


@pytest.fixture(scope="module")
def agent(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real ssh-agent holding the agent key and the encrypted key (unlocked by ssh-add)."""
    sock = tmp_path_factory.mktemp("agent") / "agent.sock"
    started = subprocess.run(["ssh-agent", "-a", str(sock), "-s"], capture_output=True,
                             text=True, timeout=10, check=True)  # fmt: skip
    pid = int(re.search(r"SSH_AGENT_PID=(\d+)", started.stdout)[1])  # type: ignore[index]
    env = {**os.environ, "SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS_REQUIRE": "force",
           "SSH_ASKPASS": str(askpass(tmp_path_factory.mktemp("askpass"))), "DISPLAY": ":0"}  # fmt: skip
    try:
        for key in (lab.keys.agent, lab.keys.encrypted):
            subprocess.run(["ssh-add", str(key)], env=env, capture_output=True, timeout=10,
                           check=True, stdin=subprocess.DEVNULL)  # fmt: skip
        yield sock
    finally:
        os.kill(pid, 15)


def askpass(folder: Path) -> Path:
    """ssh-add reads the encrypted key's passphrase from SSH_ASKPASS: this prints it."""
    script = folder / "askpass"
    script.write_text(f"#!/bin/sh\necho '{ENCRYPTED_KEY_PASSPHRASE}'\n")
    script.chmod(0o700)
    return script


def inventory(lab: Lab, path: Path) -> Path:
    """The lab's inventory (a few hosts) plus the entries that reach hosts in other ways."""
    written = write_inventory(lab, path)
    doc = yaml.safe_load(written.read_text())
    group = next(iter(doc["all"]["children"].values()))
    hosts = {n: v for n, v in group["hosts"].items() if n in KEEP}
    base = {"auditor_customer": "Testkunde GmbH"}
    good, legacy = lab.host("good").address, lab.host("legacy").address
    common = doc["all"]["vars"]["ansible_ssh_common_args"]
    hosts["behind"]["ansible_ssh_common_args"] = f"-o ProxyJump=root@{good} {common}"
    hop = (f"ssh -W %h:%p -i {lab.client_key} -o UserKnownHostsFile={lab.known_hosts} "
           f"-o StrictHostKeyChecking=yes -o BatchMode=yes root@{good}")  # fmt: skip
    hosts["behindcmd"] = {**hosts["behind"],
                          "ansible_ssh_common_args": f"{common} -o 'ProxyCommand={hop}'"}  # fmt: skip
    hosts["legacyplain"] = {**base, "ansible_host": legacy, "ansible_user": "root",
                            "ansible_ssh_private_key_file": str(lab.client_key)}  # fmt: skip
    hosts["cfgonly"] = {**base, "ansible_host": lab.host("port2222").address}
    hosts["agentkey"] = {**base, "ansible_host": good, "ansible_user": "root"}
    only = f"{common} -o IdentitiesOnly=yes"  # no other agent key may log in for them
    hosts["encagent"] = {**base, "ansible_host": good, "ansible_user": "root",
                         "ansible_ssh_private_key_file": str(lab.keys.encrypted),
                         "ansible_ssh_common_args": only}  # fmt: skip
    hosts["cert"] = {**base, "ansible_host": good, "ansible_user": "root",
                     "ansible_ssh_private_key_file": str(lab.keys.cert),
                     "ansible_ssh_common_args": only}  # fmt: skip
    group["hosts"] = hosts
    written.write_text(yaml.safe_dump(doc, sort_keys=False))
    return written


def fingerprint(key: Path) -> str:
    shown = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], capture_output=True,
                           text=True, timeout=10, check=True).stdout  # fmt: skip
    return shown.split()[1]


def cfgonly_config(lab: Lab) -> str:
    """What only the MSP's ssh_config says about the host on port 2222."""
    return "\n".join([
        f"Host {lab.host('port2222').address}",
        "    Port 2222", "    User root", f"    IdentityFile {lab.client_key}",
        "    IdentitiesOnly yes", "",
    ])  # fmt: skip


@pytest.fixture(scope="module")
def both(
    lab: Lab, agent: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Audit, dict[str, str]]:
    work = tmp_path_factory.mktemp("reach")
    inv = inventory(lab, work / "inventory.yml")
    audit = audit_lab(lab, work, inventory=inv, agent=agent, ssh_config=cfgonly_config(lab))
    return audit, ansible_ping(lab, work, inv, agent)


def ansible_ping(lab: Lab, work: Path, inv: Path, agent: Path) -> dict[str, str]:
    """``ansible all -m ping`` as the MSP runs it: host -> SUCCESS / FAILED / UNREACHABLE."""
    config = write_msp_ssh_config(lab, work, agent=True, extra=cfgonly_config(lab))
    empty = work / "ansible.cfg"
    empty.write_text("")
    ansible = str(Path(sys.executable).with_name("ansible"))
    argv = [
        "env", f"HOME={work}", f"SSH_AUTH_SOCK={agent}", f"ANSIBLE_CONFIG={empty}",
        "ANSIBLE_SSH_ARGS=-C -o ControlMaster=no", "ANSIBLE_PYTHON_INTERPRETER=auto_silent",
        ansible, "all", "-i", str(inv), "-m", "ping", "-o", "-f", "20", "-T", "10",
        "-e", f"ansible_ssh_extra_args='-F {config}'",
    ]  # fmt: skip
    done = lab.run_in_msp(argv, timeout=180)
    result = {}
    for line in done.stdout.splitlines():
        match = re.match(r"^(\S+) \| (SUCCESS|FAILED!|UNREACHABLE!)", line)
        if match:
            result[match[1]] = match[2].rstrip("!")
    assert result, done.stdout + done.stderr
    return result


@pytest.mark.lab
def test_the_auditor_reaches_exactly_the_hosts_ansible_reaches(
    both: tuple[Audit, dict[str, str]],
) -> None:
    audit, ansible = both
    by_ansible = {h for h, outcome in ansible.items() if outcome != "UNREACHABLE"}
    by_auditor = {h["name"] for h in audit.document["hosts"] if h["stage"] in REACHED_STAGES}
    assert by_auditor == by_ansible
    # and the set is the interesting one: every way in is used, two hosts stay out
    assert by_auditor >= {"legacy", "dropbear", "cfgonly", "agentkey", "encagent", "cert",
                          "behind", "behindcmd"}  # fmt: skip
    assert {"nossh", "legacyplain"} <= set(ansible) - by_ansible


@pytest.mark.lab
def test_each_way_in_is_recorded(both: tuple[Audit, dict[str, str]], lab: Lab) -> None:
    audit, _ = both
    access = {h["name"]: h["access"] for h in audit.document["hosts"]}
    assert (access["cfgonly"]["port"], access["cfgonly"]["user"]) == (2222, "root")
    assert access["cfgonly"]["key"] == str(lab.client_key)  # IdentityFile from ssh_config
    assert access["agentkey"]["auth"] == "agent"
    assert access["encagent"]["auth"] == "agent"  # the agent holds the encrypted key, unlocked
    assert access["encagent"]["fingerprint"] == fingerprint(lab.keys.encrypted)
    assert (access["cert"]["auth"], access["cert"]["certificate"]) == ("file", True)
    good = lab.host("good").address  # OpenSSH (ssh -G) writes the jump host in brackets
    assert access["behind"]["via"] == f"root@[{good}]"
    behind = lab.host("behind").address  # the ProxyCommand ran as written, tokens filled in
    assert access["behindcmd"]["via"].startswith(f"ssh -W {behind}:22 -i ")


@pytest.mark.lab
def test_a_server_with_only_old_algorithms_is_said_to_be_so_not_unreachable(
    both: tuple[Audit, dict[str, str]],
) -> None:
    audit, _ = both
    host = audit.host("legacyplain")
    assert host["stage"] == "connect"
    found = host["stage_finding"]
    assert (found["code"], found["owner"]) == ("ssh.algorithms_outdated", "msp")
    assert "kex: diffie-hellman-group14-sha1" in found["params"]["offered"]
    assert "host_key: ssh-rsa" in found["params"]["offered"]
    assert "OpenSSH" in found["params"]["server"]


@pytest.mark.lab
def test_an_encrypted_key_without_an_agent_is_named_not_silently_skipped(
    lab: Lab, tmp_path: Path
) -> None:
    """OpenSSH would ask for the passphrase; Ansible cannot answer it. Neither logs in."""
    inv = write_inventory(lab, tmp_path / "inventory.yml")
    doc = yaml.safe_load(inv.read_text())
    group = next(iter(doc["all"]["children"].values()))
    common = doc["all"]["vars"]["ansible_ssh_common_args"]
    group["hosts"] = {"encnoagent": {
        "ansible_host": lab.host("sudonp").address, "ansible_user": "root",  # not the jump host
        "auditor_customer": "Testkunde GmbH", "ansible_ssh_private_key_file": str(lab.keys.encrypted),
        "ansible_ssh_common_args": f"{common} -o IdentitiesOnly=yes",
    }}  # fmt: skip
    inv.write_text(yaml.safe_dump(doc, sort_keys=False))
    audit = audit_lab(lab, tmp_path, inventory=inv)
    host = audit.host("encnoagent")
    assert (host["stage"], host["stage_finding"]["code"]) == ("auth", "credentials.missing")
    assert f"{lab.keys.encrypted}: encrypted, and no agent holds it" in host["stage_reason"]
    assert ENCRYPTED_KEY_PASSPHRASE not in audit.stdout + json.dumps(audit.document)
