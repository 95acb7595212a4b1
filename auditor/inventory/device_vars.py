"""How Ansible's ``network_cli`` connection reads a network device's variables.

Pure: no I/O. ``ansible_connection: network_cli`` (or
``ansible.netcommon.network_cli``) reaches a device's CLI over SSH with the
ssh plugin's address, port, user and password variables (``targets.py``
reads those); this module reads what only network_cli has:

* ``ansible_network_os``: which CLI the device speaks. network_cli cannot
  work without it, and neither can the auditor: an unset or unknown value is
  a problem for that host, listing what is supported.
* ``ansible_become`` with ``ansible_become_method: enable`` (or
  ``ansible.netcommon.enable``): enter the privileged mode with
  ``ansible_become_password`` as the enable secret, as Ansible's cli plugins
  do. Any other become method on a device is refused by Ansible, so it is a
  problem here too.

Values Ansible would refuse become problems naming the variable, and the
host is not contacted.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.devices.platforms import platform_for, supported
from auditor.inventory.var_reader import Problem, VarReader
from auditor.model import DeviceOptions

DEVICE_VARS = ("ansible_network_os", "ansible_become", "ansible_become_method")
_ENABLE = ("enable", "ansible.netcommon.enable")


def device_options(
    values: Mapping[str, object],
) -> tuple[DeviceOptions | None, tuple[Problem, ...]]:
    """The device's platform and become settings from its variables, and their problems."""
    read = VarReader(values, [])
    network_os = read.text("ansible_network_os")
    if not network_os:
        if not read.problems:
            read.problems.append(
                Problem(
                    None,
                    "ansible_connection network_cli needs ansible_network_os "
                    f"(supported: {supported()})",
                )
            )
        return None, tuple(read.problems)
    platform = platform_for(network_os)
    if platform is None:
        read.problems.append(
            Problem(
                "ansible_network_os",
                f"ansible_network_os {network_os!r} is not supported (supported: {supported()})",
            )
        )
        return None, tuple(read.problems)
    become = read.boolean("ansible_become", False)
    method = read.text("ansible_become_method")
    if become and method is not None and method.lower() not in _ENABLE:
        read.problems.append(
            Problem(
                "ansible_become_method",
                f"ansible_become_method {method!r} does not work on a network device "
                "(network_cli uses enable)",
            )
        )
    return DeviceOptions(platform.key, network_os, become), tuple(read.problems)
