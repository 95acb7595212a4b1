"""The network device platforms the auditor drives over their CLI, one entry each.

A platform is named in the inventory by ``ansible_network_os`` (its
collection's FQCN or the short name older inventories use). Each entry says
how a session on it behaves (the prompt, taken from scrapli's own platform
definitions; the line ending; how paging is stopped for this session only),
which command names the device (platform, version, model), and how the
account's privilege is stated (``scheme``; asked by ``devices/dialog.py``,
read by ``devices/readers.py``). Nothing here ever changes a device's
configuration: paging is stopped with session commands (``terminal length
0``), never with a configuration change, and where a platform has no such
command (FortiOS) the ``--More--`` pager is answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scrapli.driver.core.arista_eos.base_driver import PRIVS as EOS_PRIVS
from scrapli.driver.core.cisco_iosxe.base_driver import PRIVS as IOSXE_PRIVS
from scrapli.driver.core.cisco_nxos.base_driver import PRIVS as NXOS_PRIVS
from scrapli.driver.core.juniper_junos.base_driver import PRIVS as JUNOS_PRIVS
from scrapli.driver.network.base_driver import PrivilegeLevel
from scrapli_community.fortinet.fortios.fortinet_fortios import SCRAPLI_PLATFORM as FORTIOS
from scrapli_community.mikrotik.routeros.mikrotik_routeros import SCRAPLI_PLATFORM as ROUTEROS
from scrapli_community.paloalto.panos.paloalto_panos import DEFAULT_PRIVILEGE_LEVELS as PANOS_PRIVS


@dataclass(frozen=True, slots=True)
class Platform:
    """One CLI platform: how to talk to it and how its privilege is read.

    ``prompts``: regular expressions (one line, ``^...$``) for the prompts of
    the modes the audit uses, from scrapli / scrapli_community.
    ``enable``: the platform has an enable mode entered with a secret
    (``ansible_become_method: enable``). ``login_suffix``: console options
    the platform reads from the login name (RouterOS: no colours, no
    terminal detection, a page taller than any answer, so no pager).
    ``scheme``: ``level`` (a numeric privilege, highest ``highest_level``)
    or ``role`` (a named role, class, profile or group; the highest one is
    in ``admin_roles``).
    """

    key: str
    label: str
    network_os: tuple[str, ...]
    scrapli_platform: str
    prompts: tuple[str, ...]
    facts_command: str
    scheme: str
    paging_off: tuple[str, ...] = ()
    return_char: str = "\n"
    enable: bool = False
    login_suffix: str = ""
    highest_level: int | None = None
    admin_roles: tuple[str, ...] = ()


def _levels(privs: Mapping[str, PrivilegeLevel], *names: str) -> tuple[str, ...]:
    return tuple(privs[name].pattern for name in names)


def _pattern(platform: Mapping[str, object]) -> str:
    defaults = platform["defaults"]
    assert isinstance(defaults, Mapping)
    return f"^{defaults['comms_prompt_pattern']}\\s?$"


PLATFORMS: tuple[Platform, ...] = (
    Platform(
        key="ios",
        label="Cisco IOS / IOS XE",
        network_os=("cisco.ios.ios", "ios", "cisco.ios"),
        scrapli_platform="cisco_iosxe",
        prompts=_levels(IOSXE_PRIVS, "exec", "privilege_exec"),
        facts_command="show version",
        scheme="level",
        paging_off=("terminal length 0",),
        enable=True,
        highest_level=15,
    ),
    Platform(
        key="nxos",
        label="Cisco NX-OS",
        network_os=("cisco.nxos.nxos", "nxos", "cisco.nxos"),
        scrapli_platform="cisco_nxos",
        prompts=_levels(NXOS_PRIVS, "exec", "privilege_exec"),
        facts_command="show version",
        scheme="role",
        paging_off=("terminal length 0",),
        admin_roles=("network-admin", "vdc-admin"),
    ),
    Platform(
        key="eos",
        label="Arista EOS",
        network_os=("arista.eos.eos", "eos", "arista.eos"),
        scrapli_platform="arista_eos",
        prompts=_levels(EOS_PRIVS, "exec", "privilege_exec"),
        facts_command="show version",
        scheme="level",
        paging_off=("terminal length 0",),
        enable=True,
        highest_level=15,
    ),
    Platform(
        key="junos",
        label="Juniper Junos",
        network_os=("junipernetworks.junos.junos", "junos", "junipernetworks.junos"),
        scrapli_platform="juniper_junos",
        prompts=_levels(JUNOS_PRIVS, "exec"),
        facts_command="show version",
        scheme="role",
        paging_off=("set cli screen-length 0", "set cli screen-width 511"),
        admin_roles=("super-user",),
    ),
    Platform(
        key="fortios",
        label="Fortinet FortiOS",
        network_os=("fortinet.fortios.fortios", "fortios", "fortinet.fortios"),
        scrapli_platform="fortinet_fortios",
        prompts=(_pattern(FORTIOS),),
        facts_command="get system status",
        scheme="role",
        admin_roles=("super_admin",),
    ),
    Platform(
        key="routeros",
        label="MikroTik RouterOS",
        network_os=("community.routeros.routeros", "routeros", "community.network.routeros"),
        scrapli_platform="mikrotik_routeros",
        prompts=(_pattern(ROUTEROS),),
        facts_command="/system resource print",
        scheme="role",
        return_char="\r\n",
        login_suffix="+cet511w4098h",
        admin_roles=("full",),
    ),
    Platform(
        key="panos",
        label="Palo Alto Networks PAN-OS",
        network_os=("paloaltonetworks.panos.panos", "panos", "paloaltonetworks.panos"),
        scrapli_platform="paloalto_panos",
        prompts=_levels(PANOS_PRIVS, "exec"),
        facts_command="show system info",
        scheme="role",
        paging_off=("set cli pager off",),
        admin_roles=("superuser",),
    ),
)

BY_KEY: Mapping[str, Platform] = MappingProxyType({p.key: p for p in PLATFORMS})
BY_NETWORK_OS: Mapping[str, Platform] = MappingProxyType(
    {name: p for p in PLATFORMS for name in p.network_os}
)


def platform_for(network_os: str) -> Platform | None:
    """The platform an ``ansible_network_os`` value names (case and spaces ignored)."""
    return BY_NETWORK_OS.get(network_os.strip().lower())


def supported() -> str:
    """The FQCNs the auditor drives, for messages."""
    return ", ".join(p.network_os[0] for p in PLATFORMS)
