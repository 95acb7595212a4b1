"""Which payload a host gets, and the command plus stdin that carry it there.

The flavour is decided once, from host facts, when the plan is built
(:func:`auditor.profile.plan.plan_for`); a transport only moves a command and
its stdin and never knows what they hold. Adding a flavour (network devices
without a payload, next) means one entry here and one builder module.

* ``posix``: the POSIX launcher (``payload/launch.py``) and the polyglot
  document that is the Python payload for hosts with Python 3.6+ and the sh
  payload for hosts without (``payload/sh.py``).
* ``powershell``: the ``-EncodedCommand`` bootstrap and ``host_probe.ps1``
  with its plan on stdin (``payload/powershell.py``), for Windows over WinRM.
* ``device``: no program at all. A network device's CLI runs nothing of
  ours; the device transport (``transports/device_cli.py``) reads the plan
  (JSON, :data:`DEVICE_COMMAND`) and holds the dialog itself.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Connection, Secret
from auditor.payload import launch, powershell, sh

# The "command" of the device flavour: the device transport runs its CLI dialog for it.
DEVICE_COMMAND = "auditor-device-cli"


class Flavour(enum.StrEnum):
    POSIX = "posix"
    POWERSHELL = "powershell"
    DEVICE = "device"


# The flavour each connection kind gets.
FLAVOUR_OF: Mapping[Connection, Flavour] = {
    Connection.SSH: Flavour.POSIX,
    Connection.LOCAL: Flavour.POSIX,
    Connection.NETWORK_CLI: Flavour.DEVICE,
    Connection.WINRM: Flavour.POWERSHELL,
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """One command and the stdin that goes with it; ``stdin`` may hold a secret (never logged)."""

    command: str
    stdin: bytes = field(repr=False)
    started: bytes | None = None  # what the command writes to stderr as it starts, if anything


def delivery_for(
    flavour: Flavour, plan: Mapping[str, Any], become_password: Secret | None = None
) -> Delivery:
    """The command and stdin that run ``plan`` in ``flavour`` on a host."""
    if flavour is Flavour.DEVICE:
        return Delivery(DEVICE_COMMAND, json.dumps(plan, sort_keys=True).encode("ascii"))
    if flavour is Flavour.POWERSHELL:
        return Delivery(powershell.LAUNCH_COMMAND, powershell.build_ps_program(plan))
    return Delivery(launch.LAUNCH_COMMAND, sh.build_launcher(plan, become_password), launch.STARTED)
