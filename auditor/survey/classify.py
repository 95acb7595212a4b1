"""What answered: SSH to a server, a network OS, WinRM, a web-managed appliance.

From the open management ports and the SSH banner alone (nothing was logged
into yet), as a technician would read them: WinRM ports mean a Windows
server (audited over WinRM, even when OpenSSH for Windows also answers);
an SSH banner names its server (OpenSSH and most appliances; Dropbear on
embedded boxes; Cisco's and MikroTik's own SSH are network devices whose
CLI the auditor knows); only HTTPS means a device managed through a web page,
which the audit cannot log into. The guesses are written into the draft
inventory for the technician to confirm.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.model import Role
from auditor.survey.discover import Found

# SSH software (the banner's second part) of network OSes whose CLI the auditor drives.
_NETWORK_BANNERS: tuple[tuple[str, str], ...] = (
    (r"^Cisco-", "cisco.ios.ios"),
    (r"^ROSSSH", "community.routeros.routeros"),
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Device:
    """One found device, as the draft inventory and the survey report name it.

    ``kind``: ``ssh`` (audited with the payload), ``network_cli`` (its CLI,
    ``network_os``), ``winrm`` (a Windows server, ``port``), ``web`` (only
    HTTPS answers) or ``unknown`` (port 22 open, but no SSH speaks there);
    the last two are not audited. ``what`` says in plain words what answered.
    """

    name: str
    address: str
    kind: str
    role: Role
    open_ports: tuple[int, ...]
    what: str
    banner: str | None = None
    network_os: str | None = None
    port: int | None = None


def classify(found: Sequence[Found]) -> list[Device]:
    """Every find as a :class:`Device` with a unique inventory name."""
    devices: list[Device] = []
    taken: set[str] = set()
    for item in found:
        name = _unique(_inventory_name(item), taken)
        devices.append(_device(item, name))
    return devices


def _device(item: Found, name: str) -> Device:
    ports = tuple(item.open_ports)
    banner = item.ssh_banner
    software = banner.split("-", 2)[2] if banner and banner.count("-") >= 2 else ""
    if 5986 in ports or 5985 in ports:
        port = 5986 if 5986 in ports else 5985
        return Device(name, item.address, "winrm", Role.SERVER, ports,
                      f"WinRM on port {port} (a Windows server)", banner, port=port)  # fmt: skip
    if 22 in ports:
        for pattern, network_os in _NETWORK_BANNERS:
            if re.search(pattern, software):
                return Device(name, item.address, "network_cli", Role.NETWORK, ports,
                              f"SSH of a network device ({software})", banner,
                              network_os=network_os)  # fmt: skip
        if software.lower().startswith("dropbear"):
            return Device(name, item.address, "ssh", Role.NETWORK, ports,
                          f"SSH of an embedded device ({software})", banner)  # fmt: skip
        if software:
            return Device(name, item.address, "ssh", Role.SERVER, ports, f"SSH ({software})",
                          banner)  # fmt: skip
        if 443 not in ports:
            return Device(name, item.address, "unknown", Role.NETWORK, ports,
                          "port 22 answers, but not as an SSH server", banner)  # fmt: skip
    return Device(name, item.address, "web", Role.NETWORK, ports,
                  "only HTTPS answers (a device managed through a web page)", banner)  # fmt: skip


def _inventory_name(item: Found) -> str:
    """The reverse name when it is a usable inventory name, else one made of the address."""
    name = (item.name or "").rstrip(".")
    if name and _NAME.match(name) and name not in ("localhost", item.address):
        return name
    return "host-" + item.address.replace(".", "-").replace(":", "-")


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    taken.add(candidate)
    return candidate
