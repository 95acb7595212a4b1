"""Files the lab hands to SSH clients and to the auditor: known_hosts and an inventory.

``known_hosts`` holds each host key twice, as ``addr key`` (what OpenSSH
writes for port 22) and ``[addr]:22 key`` (what clients that always add the
port look up). The inventory is a plain Ansible inventory, one group per
customer, the way a user's own inventory would look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from auditor.lab.spec import (
    AUDIT_USER,
    DEVICE_ENABLE_SECRET,
    DEVICE_PASSWORD,
    DEVICE_USER,
    WINDOWS_PASSWORD,
)
from auditor.names import group_name

if TYPE_CHECKING:
    from auditor.lab.build import Lab, LabHost


def write_known_hosts(path: Path, keys: Iterable[tuple[str, str, int]]) -> None:
    """``keys``: (address, public key line ``type base64 [comment]``, SSH port)."""
    lines = []
    for addr, pub, port in keys:
        key = " ".join(pub.split()[:2])
        lines += [f"{addr} {key}"] if port == 22 else []
        lines.append(f"[{addr}]:{port} {key}")
    path.write_text("\n".join(lines) + "\n")


# What an MSP's inventory says for an appliance that offers only old algorithms.
LEGACY_ARGS = (
    "-o KexAlgorithms=+diffie-hellman-group14-sha1 -o HostKeyAlgorithms=+ssh-rsa "
    "-o Ciphers=+aes128-cbc -o MACs=+hmac-sha1"
)


def _windows_vars(lab: Lab, host: LabHost) -> dict[str, str | int]:
    """What an MSP's inventory says for a Windows server: WinRM, the audit account, NTLM."""
    windows = host.spec.windows
    assert windows is not None
    found: dict[str, str | int] = {
        "ansible_connection": "winrm",
        "ansible_host": host.address,
        "ansible_port": windows.port,
        "ansible_user": AUDIT_USER,
        "ansible_password": "wrong-" + WINDOWS_PASSWORD
        if windows.wrong_password
        else WINDOWS_PASSWORD,
        "ansible_winrm_transport": windows.auth[0],
        "auditor_customer": host.customer,
        "auditor_role": str(host.role),
    }
    if windows.scheme == "https" and windows.certificate == "lab":
        found["ansible_winrm_ca_trust_path"] = str(lab.ca_cert)
    return found


def _device_vars(host: LabHost) -> dict[str, str | int]:
    """What an MSP's inventory says for a switch or firewall: network_cli, its OS, enable."""
    device = host.spec.device
    assert device is not None
    found: dict[str, str | int] = {
        "ansible_connection": "network_cli",
        "ansible_network_os": device.network_os,
        "ansible_host": host.address,
        "ansible_user": DEVICE_USER,
        "ansible_password": f"wrong-{DEVICE_PASSWORD}"
        if device.wrong_password
        else DEVICE_PASSWORD,
        "auditor_customer": host.customer,
        "auditor_role": str(host.role),
    }
    if device.become:
        secret = DEVICE_ENABLE_SECRET
        found.update(
            ansible_become="yes",
            ansible_become_method="enable",
            ansible_become_password=f"wrong-{secret}" if device.wrong_secret else secret,
        )
    return found


def _host_vars(lab: Lab, host: LabHost, common: str) -> dict[str, str | int]:
    if host.spec.windows is not None:
        return _windows_vars(lab, host)
    if host.spec.device is not None:
        return _device_vars(host)
    found: dict[str, str | int] = {
        "ansible_host": host.reach_address,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(lab.client_key),
        "auditor_customer": host.customer,
        "auditor_role": str(host.role),
    }
    if host.reach_port != 22:
        found["ansible_port"] = host.reach_port
    if host.spec.ssh_legacy:  # a host's own common args replace the group's
        found["ansible_ssh_common_args"] = f"{common} {LEGACY_ARGS}"
    return found


def report_to(group: str) -> str:
    """The customer's IT contact the lab's reports are addressed to (a reserved .example name)."""
    return f"it@{group.replace('_', '-')}.example"


def _groups(lab: Lab) -> dict[str, list[LabHost]]:
    groups: dict[str, list[LabHost]] = {}
    for host in lab.hosts:
        if host.spec.web_ui:  # managed through a web page: not in an Ansible inventory
            continue
        groups.setdefault(group_name(host.customer), []).append(host)
    return groups


def write_inventory(lab: Lab, path: Path, known_hosts: Path | None = None) -> Path:
    """Write an Ansible inventory of ``lab``'s hosts: INI if ``path`` ends in .ini, else YAML.

    Groups per customer, each with its ``auditor_report_to``; ``ansible_host``, ``ansible_user: root``,
    ``ansible_ssh_private_key_file``, ``auditor_customer``, ``auditor_role``;
    ``all`` carries ``ansible_ssh_common_args`` pointing at the lab's known_hosts
    (or ``known_hosts``), as an MSP's inventory for the lab would.
    """
    known = known_hosts or lab.known_hosts
    common = f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes"
    groups = _groups(lab)
    if path.suffix == ".ini":
        out = ["[all:vars]", f'ansible_ssh_common_args="{common}"', ""]
        for group, hosts in groups.items():
            out.append(f"[{group}]")
            for h in hosts:
                pairs = " ".join(f'{k}="{v}"' for k, v in _host_vars(lab, h, common).items())
                out.append(f"{h.name} {pairs}")
            out += ["", f"[{group}:vars]", f"auditor_report_to={report_to(group)}", ""]
        path.write_text("\n".join(out), encoding="utf-8")
        return path
    doc: dict[str, Any] = {
        "all": {
            "vars": {"ansible_ssh_common_args": common},
            "children": {
                group: {
                    "hosts": {h.name: _host_vars(lab, h, common) for h in hosts},
                    "vars": {"auditor_report_to": [report_to(group)]},
                }
                for group, hosts in groups.items()
            },
        }
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_site_inventory(lab: Lab, path: Path, sites: Mapping[int, str]) -> Path:
    """An inventory for site workers: each remote site's hosts under its ``auditor_site`` name.

    ``sites`` names each remote site (1 -> ``nord``). Hosts are addressed as
    their site's worker reaches them (the LAN address, port 22), with that
    site's own known_hosts; one group per site and customer.
    """
    groups: dict[str, Any] = {}
    for host in lab.hosts:
        if host.spec.site not in sites:
            continue
        site = sites[host.spec.site]
        common = (f"-o UserKnownHostsFile={lab.site_known_hosts(host.spec.site)} "
                  "-o StrictHostKeyChecking=yes")  # fmt: skip
        group = groups.setdefault(f"{site}_{group_name(host.customer)}", {
            "vars": {"auditor_customer": host.customer, "auditor_site": site,
                     "ansible_ssh_common_args": common,
                     "auditor_report_to": [report_to(group_name(host.customer))]},
            "hosts": {},
        })  # fmt: skip
        group["hosts"][host.name] = {"ansible_host": host.address}
    doc = {"all": {"vars": {"ansible_user": "root",
                            "ansible_ssh_private_key_file": str(lab.client_key)},
                   "children": groups}}  # fmt: skip
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
