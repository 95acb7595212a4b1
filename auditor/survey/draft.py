"""The draft Ansible inventory a survey hands over: the hosts found, ready for the contract.

One group per customer (``auditor_customer`` and the login user in its
vars), children per role (``<group>_servers``, ``<group>_network``), Windows
servers in ``<group>_windows`` below the servers with the WinRM variables,
network devices whose CLI the auditor drives in ``<group>_network_cli`` below
the network devices (``ansible_connection: network_cli``, their own account,
the guessed ``ansible_network_os`` per host). Devices only reachable through a web page are listed
as comments. Secrets are never written: the variables that would hold them
are commented out and name the ansible-vault variables to create, so the file
loads unchanged with ``ansible-inventory`` and ``auditor inventory``.

The text is written by hand (YAML has no comments in PyYAML's dumper), every
value as a JSON string, which YAML reads as the same string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.model import Role
from auditor.names import group_name
from auditor.survey.classify import Device


@dataclass(frozen=True, slots=True)
class Logins:
    """The accounts the survey used: names and key paths only, never a password."""

    user: str | None = None
    key_file: str | None = None
    password: bool = False  # a password was given (so its vault variable is named)
    win_user: str | None = None
    net_user: str | None = None  # network devices' own account, when it differs from ``user``
    net_password: bool = False


def draft_inventory(
    customer: str, devices: Sequence[Device], logins: Logins, *, header: str
) -> str:
    """The draft inventory as YAML text (see the module docstring)."""
    group = group_name(customer)
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    out += [
        "# Secrets are not in this file. Put them into an ansible-vault file, e.g.",
        f"#   ansible-vault create group_vars/{group}/vault.yml",
        "# and uncomment the lines below that use them.",
        "all:",
        "  children:",
        f"    {group}:",
        "      vars:",
        f"        auditor_customer: {_q(customer)}",
    ]
    if logins.user:
        out.append(f"        ansible_user: {_q(logins.user)}")
    if logins.key_file:
        out.append(f"        ansible_ssh_private_key_file: {_q(logins.key_file)}")
    if logins.password:
        out.append(f'        # ansible_password: "{{{{ vault_{group}_password }}}}"')
    servers = [d for d in devices if d.role is Role.SERVER and d.kind != "winrm"]
    windows = [d for d in devices if d.kind == "winrm"]
    network = [d for d in devices if d.role is Role.NETWORK and d.kind == "ssh"]
    clis = [d for d in devices if d.kind == "network_cli"]
    web = [d for d in devices if d.kind in ("web", "unknown")]
    children: list[str] = []
    if servers or windows:
        children += [f"        {group}_servers:", "          vars:",
                     "            auditor_role: server"]  # fmt: skip
        if servers:
            children.append("          hosts:")
            children += [line for d in servers for line in _host(d, 12)]
        if windows:
            children += _windows(group, windows, logins)
    if network or clis or web:
        children += [f"        {group}_network:", "          vars:",
                     "            auditor_role: network"]  # fmt: skip
        if network:
            children.append("          hosts:")
            children += [line for d in network for line in _host(d, 12)]
        if clis:
            children += _clis(group, clis, logins)
        for device in web:
            ports = ", ".join(str(p) for p in device.open_ports)
            children.append(f"          # {device.address} ({device.name}): {device.what}; "
                            f"ports {ports}")  # fmt: skip
    if children:
        out += ["      children:", *children]
    else:
        out.append("      # no device answered on a management port")
    return "\n".join(out) + "\n"


def _windows(group: str, devices: Sequence[Device], logins: Logins) -> list[str]:
    """Windows servers: WinRM with NTLM, which a Windows server accepts as it comes."""
    return _child(f"{group}_windows", devices,
                  ["ansible_connection: winrm", "ansible_winrm_transport: ntlm"],
                  logins.win_user,
                  [f'# ansible_password: "{{{{ vault_{group}_windows_password }}}}"'])  # fmt: skip


def _clis(group: str, devices: Sequence[Device], logins: Logins) -> list[str]:
    """Network devices driven over their CLI, with their own account when one was given."""
    secrets = []
    if logins.net_password or logins.password:
        secrets.append(f'# ansible_password: "{{{{ vault_{group}_network_password }}}}"')
    secrets += [
        "# ansible_become: true            (when the devices need enable)",
        "# ansible_become_method: enable",
        f'# ansible_become_password: "{{{{ vault_{group}_enable_secret }}}}"',
    ]
    return _child(f"{group}_network_cli", devices, ["ansible_connection: network_cli"],
                  logins.net_user, secrets)  # fmt: skip


def _child(
    name: str, devices: Sequence[Device], fixed: list[str], user: str | None, comments: list[str]
) -> list[str]:
    """A child group below a role group: its connection vars, its user, commented secrets."""
    pad = " " * 16
    lines = ["          children:", f"            {name}:", "              vars:"]
    lines += [pad + line for line in fixed]
    if user:
        lines.append(f"{pad}ansible_user: {_q(user)}")
    lines += [pad + line for line in comments]
    lines.append("              hosts:")
    for device in devices:
        lines += _host(device, 16)
    return lines


def _host(device: Device, indent: int) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}{device.name}:", f"{pad}  ansible_host: {_q(device.address)}"]
    if device.kind == "winrm" and device.port is not None:
        lines.append(f"{pad}  ansible_port: {device.port}")
    if device.kind == "network_cli":
        lines.append(f"{pad}  ansible_network_os: {_q(device.network_os or '')}")
    lines.append(f"{pad}  # found: {device.what}")
    return lines


def _q(value: str) -> str:
    """A YAML scalar that reads back as exactly ``value`` (a JSON string is one)."""
    return json.dumps(value, ensure_ascii=False)
