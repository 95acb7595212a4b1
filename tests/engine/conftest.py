"""One real audit of the whole test lab per session, shared by the end-to-end tests.

The auditor runs as a user would: ``auditor run`` as a subprocess inside the
lab's MSP namespace, over real SSH to every lab host, with a profile whose
timeouts are shortened so that the deliberately hanging host costs seconds,
not the production deadline. Two extra inventory entries reuse the ``good``
host's address: one with a wrong password, one with the right password for an
unprivileged user.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from auditor.lab import Lab
from auditor.lab.inventory import write_inventory
from auditor.lab.spec import REFLECTOR
from auditor.profile.load import BUNDLED

WRONG_PASSWORD = "Definitely-Wrong-0815"
WRONG_BECOME_PASSWORD = "Wrong-Become-4242"
TEST_TIMEOUTS = {"connect_s": 3, "login_s": 4, "host_s": 14, "probe_s": 2}


@dataclass(frozen=True)
class Audit:
    exit_code: int
    stdout: str
    stderr: str
    out_dir: Path
    document: dict[str, Any]

    def host(self, name: str) -> dict[str, Any]:
        return next(h for h in self.document["hosts"] if h["name"] == name)

    def checks(self, name: str) -> Mapping[str, dict[str, Any]]:
        return {c["id"]: c for c in self.host(name)["checks"]}


def write_test_profile(path: Path, extra_checks: Mapping[str, Any] | None = None) -> Path:
    """The bundled profile with the test timeouts, plus ``extra_checks`` (id -> entry)."""
    bundled = resources.files("auditor.profile").joinpath(BUNDLED).read_text(encoding="utf-8")
    profile = yaml.safe_load(bundled)
    profile["timeouts"] = TEST_TIMEOUTS
    profile["checks"].update(extra_checks or {})
    path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def audit_lab(
    lab: Lab,
    work: Path,
    *extra: str,
    inventory: Path | None = None,
    known_hosts: Path | None = None,
    extra_checks: Mapping[str, Any] | None = None,
    agent: Path | None = None,
    ssh_config: str = "",
) -> Audit:
    """Run ``auditor run`` in the MSP namespace against the lab; return its results.

    Nothing of the machine's own SSH setup can change what a test sees: HOME
    points into ``work``, no agent is inherited (``agent`` names one the test
    started), and ``--ssh-config`` names the MSP's OpenSSH settings for the
    lab (:func:`write_msp_ssh_config`, plus ``ssh_config`` lines): OpenSSH
    reads ``~/.ssh/config`` from the password database, not $HOME.
    """
    argv = audit_argv(lab, work, *extra, inventory=inventory, known_hosts=known_hosts,
                      extra_checks=extra_checks, agent=agent, ssh_config=ssh_config)  # fmt: skip
    done: subprocess.CompletedProcess[str] = lab.run_in_msp(argv, timeout=120)
    document = json.loads((work / "out" / "results.json").read_text(encoding="utf-8"))
    return Audit(done.returncode, done.stdout, done.stderr, work / "out", document)


def audit_argv(
    lab: Lab,
    work: Path,
    *extra: str,
    inventory: Path | None = None,
    known_hosts: Path | None = None,
    extra_checks: Mapping[str, Any] | None = None,
    agent: Path | None = None,
    ssh_config: str = "",
) -> list[str]:
    """The ``auditor run`` command line of :func:`audit_lab` (run it in the MSP namespace)."""
    config = write_msp_ssh_config(lab, work, agent=agent is not None, extra=ssh_config)
    return [
        "env", "-u", "SSH_AUTH_SOCK", "-u", "AUDITOR_DB",
        *([f"SSH_AUTH_SOCK={agent}"] if agent else []),
        f"HOME={work}",
        sys.executable, "-m", "auditor", "run",
        "-i", str(inventory or write_inventory(lab, work / "inventory.yml")),
        "--profile", str(write_test_profile(work / "profile.yaml", extra_checks)),
        "--known-hosts", str(known_hosts or lab.known_hosts),
        "--ssh-config", str(config),
        "--reflector", REFLECTOR,
        "--expected-network", "203.0.113.0/24",
        "--out", str(work / "out"),
        *extra,
    ]  # fmt: skip


def write_msp_ssh_config(lab: Lab, work: Path, *, agent: bool = False, extra: str = "") -> Path:
    """``~/.ssh/config`` as an MSP keeps it: root on the jump host logs in with the lab key.

    OpenSSH (so Ansible, so the auditor) reaches a ProxyJump host with that
    host's own settings, never with the target's inventory key or options.
    Without ``agent``, no agent is used (``IdentityAgent none``).
    """
    jumps = {h.ssh_only_from for h in lab.spec.hosts if h.ssh_only_from}
    lines = [extra]  # host blocks first: OpenSSH keeps the first value it finds
    for name in sorted(jumps):
        lines += [f"Match host {lab.host(name).address} user root",
                  f"    IdentityFile {lab.client_key}",
                  f"    UserKnownHostsFile {lab.known_hosts}", ""]  # fmt: skip
    lines += ["Host *", f"    UserKnownHostsFile {work}/.ssh/known_hosts"]
    lines += [] if agent else ["    IdentityAgent none"]
    lines.append("")
    path = work / ".ssh" / "config"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def add_extra_hosts(inventory: Path, lab: Lab, password: str) -> None:
    """Append two hosts on the ``good`` address that log in as ``audit`` by password,
    and one whose inventory entry is unusable (an unknown role)."""
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    group = next(iter(data["all"]["children"].values()))
    good = lab.host("good").address
    base = {"ansible_host": good, "ansible_user": "audit", "auditor_customer": "Testkunde GmbH"}
    group["hosts"]["wrongpw"] = {**base, "ansible_password": WRONG_PASSWORD}
    group["hosts"]["userpw"] = {**base, "ansible_password": password}
    group["hosts"]["badrole"] = {**base, "auditor_role": "toaster"}
    behind = group["hosts"]["behind"]
    group["hosts"]["behinddirect"] = dict(behind)
    jump_args = f"-o ProxyJump=root@{good} " + data["all"]["vars"].get(
        "ansible_ssh_common_args", ""
    )
    behind["ansible_ssh_common_args"] = jump_args.strip()
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def add_admin_hosts(inventory: Path, lab: Lab, password: str) -> None:
    """Log in as ``audit`` (by password) where the lab gave it a sudo rule, and add aliases.

    ``sudopw`` gets the right become password, ``sudopwwrong`` a wrong one,
    ``sudopwnone`` none; ``userbecome`` has a become password on ``good``
    where ``audit`` has no sudo rule; ``nocreds`` has neither password nor key;
    ``wsunattended`` is ``ws`` with ``auditor_unattended: true``; ``winignore`` is the
    self-signed Windows listener with ``ansible_winrm_server_cert_validation: ignore``, as
    MSPs often write it; ``winpsrp`` reaches ``winok`` as ``ansible_connection: psrp``.
    """
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    hosts = next(iter(data["all"]["children"].values()))["hosts"]
    as_audit = {"ansible_user": "audit", "ansible_password": password}
    for name in ("sudonp", "sudopw"):
        del hosts[name]["ansible_ssh_private_key_file"]
        hosts[name].update(as_audit)
    hosts["sudopw"]["ansible_become_password"] = password
    hosts["sudopwwrong"] = {**hosts["sudopw"], "ansible_become_password": WRONG_BECOME_PASSWORD}
    hosts["sudopwnone"] = {k: v for k, v in hosts["sudopw"].items() if "become" not in k}
    good = {k: v for k, v in hosts["good"].items() if k != "ansible_ssh_private_key_file"}
    hosts["userbecome"] = {**good, **as_audit, "ansible_become_password": password}
    hosts["nocreds"] = {**good, "ansible_user": "audit"}
    hosts["wsunattended"] = {**hosts["ws"], "auditor_unattended": True}
    hosts["winignore"] = {**hosts["winself"], "ansible_winrm_server_cert_validation": "ignore"}
    psrp = {k: v for k, v in hosts["winok"].items() if not k.startswith("ansible_winrm_")}
    hosts["winpsrp"] = {**psrp, "ansible_connection": "psrp", "ansible_psrp_protocol": "http"}
    inventory.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
