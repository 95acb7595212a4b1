"""``auditor check-here``: audit the machine the auditor runs on, before any credentials exist.

A technician's laptop plugged into the customer's network, or a server where
the customer runs it: the normal payload runs locally (no SSH, no WinRM),
measures the site's egress and DNS from there, and the same judge and report
say what this machine sees. Without root it still runs; the admin and
TeamViewer checks then say what this account could see.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from auditor.inventory import InventoryLoad
from auditor.model import Connection, Role, Target

RESOLV_CONF = Path("/etc/resolv.conf")


def local_target(customer: str | None, role: Role, unattended: bool) -> Target:
    """This machine as a host to audit, named as it names itself."""
    name = socket.gethostname() or "localhost"
    return Target(
        name=name,
        address=local_address(),
        customer=customer or name,
        role=role,
        connection=Connection.LOCAL,
        unattended=unattended,
        source="check-here",
    )


def local_load(customer: str | None, role: Role, unattended: bool) -> InventoryLoad:
    return InventoryLoad(targets=(local_target(customer, role, unattended),), problems=())


def local_address(resolv_conf: Path = RESOLV_CONF) -> str:
    """The address this machine uses towards its first resolver (no packet is sent).

    The judge uses it to tell the site's own resolvers from the ISP's; a
    machine without a resolver or a route gets 127.0.0.1.
    """
    server = _first_nameserver(resolv_conf)
    if server is None:
        return "127.0.0.1"
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((server, 53))  # UDP connect: picks the route, sends nothing
        return str(probe.getsockname()[0])
    return "127.0.0.1"


def _first_nameserver(path: Path) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            return parts[1].split("%", 1)[0]
    return None
