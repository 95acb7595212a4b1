"""A network device's SSH command line for the lab: ``python -m auditor.lab.netdev CONFIG.json``.

Switches, routers and firewalls cannot run in the lab, yet the auditor must
show that it logs in to them, reads what they are and what its account may
do there, and never changes them. This asyncssh server answers as the CLI of
one of seven platforms does (Cisco IOS XE, NX-OS, Arista EOS, Junos, FortiOS,
RouterOS, PAN-OS): legal banner, prompt, echo of every typed character, the
``--More--`` pager and the session command that stops it, enable mode and its
secret, the vendor's error for anything unknown, and the read-only commands
the auditor sends (``show version`` and its equivalents, the account's
privilege). Anything else, above all anything that would change the
configuration, gets the platform's error.

Faults, from the configuration: ``delay_s`` (a slow device), ``hang_on`` (it
never answers again after a command), ``close_on`` (it drops the connection in
the middle of an answer).

Each line received is appended to ``<state_dir>/netdev.jsonl`` as
``{"command": ...}`` so tests see what the auditor sent; a secret typed at an
enable ``Password:`` prompt is logged as ``<secret>`` and whether it matched.
The server runs in the foreground until SIGTERM and logs to stderr only; the
lab knows it is ready when the port listens.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import asyncssh

log = logging.getLogger("auditor.lab.netdev")

BANNER = "Authorized access only. Disconnect now if you are not an authorized user.\n"
PAGE = 24  # lines per page until the session's paging-off command
CLOSE_AFTER = 3  # lines of the close_on command's answer sent before the connection drops
IOS_TRIES = 3  # IOS asks for the enable secret this often before "% Bad secrets"
QUIT = re.compile(r"/?(?:exit|quit|logout)", re.I)
INTERRUPTS = (asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged)

Handler = Callable[["Session", re.Match[str]], list[str]]
# What a read line echoes: the typed characters and the line end / only the line end / nothing.
Echo = Literal["all", "end", "none"]


# --- what the devices print ----------------------------------------------------------------

IOS_VERSION = """\
Cisco IOS XE Software, Version {version}
Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version {short}, RELEASE SOFTWARE (fc3)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2024 by Cisco Systems, Inc.
Compiled Fri 26-Jan-24 10:41 by mcpre


Cisco IOS-XE software, Copyright (c) 2005-2024 by cisco Systems, Inc.
All rights reserved.  Certain components of Cisco IOS-XE software are
licensed under the GNU General Public License ("GPL") Version 2.0.  The
software code licensed under GPL Version 2.0 is free software that comes
with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such
GPL code under the terms of GPL Version 2.0.  For more details, see the
documentation or "License Notice" file accompanying the IOS-XE software,
or the applicable URL provided on the flyer accompanying the IOS-XE
software.


ROM: IOS-XE ROMMON
BOOTLDR: System Bootstrap, Version 17.11.1r, RELEASE SOFTWARE (P)

{host} uptime is 12 weeks, 3 days, 4 hours, 5 minutes
Uptime for this control processor is 12 weeks, 3 days, 4 hours, 7 minutes
System returned to ROM by Reload Command
System image file is "flash:packages.conf"
Last reload reason: Reload Command



This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.


Technology Package License Information:

------------------------------------------------------------------------------
Technology-package                                     Technology-package
Current                        Type                       Next reboot
------------------------------------------------------------------------------
network-advantage       Smart License                 network-advantage
dna-advantage           Subscription Smart License    dna-advantage

Smart Licensing Status: Smart Licensing Using Policy

cisco {model} (X86) processor with 1419044K/6147K bytes of memory.
Processor board ID FOC2345X0AB
2048K bytes of non-volatile configuration memory.
8388608K bytes of physical memory.
1638400K bytes of Crash Files at crashinfo:.
11264000K bytes of Flash at flash:.

Base Ethernet MAC Address          : 00:11:22:33:44:00
Motherboard Assembly Number        : 73-18271-03
Motherboard Serial Number          : FOC23450ABC
Model Number                       : {model}
System Serial Number               : FOC2345X0AB


Switch Ports Model              SW Version        SW Image              Mode
------ ----- -----              ----------        ----------            ----
*    1 41    {model:<18} {version:<17} CAT9K_IOSXE           INSTALL


Configuration register is 0x102
"""

EOS_VERSION = """\
Arista {model}
Hardware version: 11.00
Serial number: JPE12345678
Hardware MAC address: 001c.7300.0001
System MAC address: 001c.7300.0001

Software image version: {version}
Architecture: x86_64
Internal build version: {version}-35128232.{compact}
Internal build ID: 5b5b2e7c-4d3a-4a5e-9f0b-2c1a8d6e7f90
Image format version: 3.0
Image optimization: Strata-4GB

Uptime: 12 weeks, 3 days, 4 hours and 5 minutes
Total memory: 8099732 kB
Free memory: 5489336 kB

Components
Name     Version
-------- ---------------------------
Aboot    Aboot-norcal10-10.1.0-16779436
CPLD     0x14
FPGA     scd-0x0112

Installed software packages
Name                        Version
--------------------------- --------------------
EOS                         {version}
TerminAttr-core             v1.29.0
"""

NXOS_VERSION = """\
Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html
Copyright (c) 2002-2022, Cisco Systems, Inc. All rights reserved.
The copyrights to certain works contained herein are owned by
other third parties and are used and distributed under license.
Some parts of this software are covered under the GNU Public
License. A copy of the license is available at
http://www.gnu.org/licenses/gpl.html.

Software
  BIOS: version 05.47
  NXOS: version {version}
  BIOS compile time:  04/28/2022
  NXOS image file is: bootflash:///nxos.9.3.10.bin
  NXOS compile time:  6/27/2022 20:00:00 [06/28/2022 04:17:15]


Hardware
  cisco Nexus9000 {model} Chassis
  Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz with 24632820 kB of memory.
  Processor Board ID FDO23456ABC

  Device name: {host}
  bootflash: 115805708 kB
Kernel uptime is 84 day(s), 4 hour(s), 5 minute(s), 12 second(s)

Last reset at 123456 usecs after Mon Sep  1 08:00:00 2026
  Reason: Reset Requested by CLI command reload
  System version: {version}
  Service:

plugin
  Core Plugin, Ethernet Plugin

Active Package(s):
"""

JUNOS_VERSION = """\
Hostname: {host}
Model: {model}
Junos: {version}
JUNOS OS Kernel 32-bit  [{osb}]
JUNOS OS libs [{osb}]
JUNOS OS runtime [{osb}]
JUNOS OS time zone information [{osb}]
JUNOS OS libs compat32 [{osb}]
JUNOS OS 32-bit compatibility [{osb}]
JUNOS py extensions [{jb}]
JUNOS py base [{jb}]
JUNOS OS vmguest [{osb}]
JUNOS OS crypto [{osb}]
JUNOS OS boot-ve files [{osb}]
JUNOS network stack and utilities [{jb}]
JUNOS libs [{jb}]
JUNOS libs compat32 [{jb}]
JUNOS runtime [{jb}]
JUNOS na telemetry [{version}]
JUNOS Web Management Platform Package [{jb}]
JUNOS ex libs [{jb}]
JUNOS ex runtime [{jb}]
JUNOS ex platform support [{jb}]
JUNOS Openconfig [{version}]
JUNOS mtx network modules [{jb}]
JUNOS modules [{jb}]
JUNOS ex modules [{jb}]
JUNOS daemons [{jb}]
JUNOS ex daemons [{jb}]
JUNOS Online Documentation [{jb}]
"""

FORTIOS_STATUS = """\
Version: {model} v{version},build1639,240313 (GA.M)
First GA patch build date: 220331
Security Level: 1
Firmware Signature: certified
Virus-DB: 92.03045(2026-11-30 08:00)
Extended DB: 92.03045(2026-11-30 08:00)
AV AI/ML Model: 3.00791(2026-11-30 07:40)
IPS-DB: 28.00912(2026-11-29 01:12)
IPS-ETDB: 6.00741(2015-12-01 02:30)
APP-DB: 28.00912(2026-11-29 01:12)
INDUSTRIAL-DB: 6.00741(2015-12-01 02:30)
IPS Malicious URL Database: 5.00032(2026-11-30 05:32)
IoT-Detect: 0.00000(2022-08-17 17:31)
Serial-Number: FGT60FTK2109XXXX
BIOS version: 05000029
System Part-Number: P24289-03
Log hard disk: Not available
Hostname: {host}
Private Encryption: Disable
Operation Mode: NAT
Current virtual domain: root
Max number of virtual domains: 10
Virtual domains status: 1 in NAT mode, 0 in TP mode
Virtual domain configuration: disable
FIPS-CC mode: disable
Current HA mode: standalone
Branch point: 1639
Release Version Information: GA
System time: Mon Nov 30 08:00:00 2026
Last reboot reason: warm reboot
"""

PANOS_INFO = """\
hostname: {host}
ip-address: {address}
public-ip-address: unknown
netmask: 255.255.255.0
default-gateway: 198.51.100.1
ip-assignment: static
ipv6-address: unknown
ipv6-link-local-address: fe80::250:56ff:fe9a:1/64
mac-address: 00:50:56:9a:00:01
time: Mon Nov 30 08:00:00 2026
uptime: 84 days, 4:05:12
family: 400
model: {model}
serial: 021201012345
cloud-mode: non-cloud
sw-version: {version}
global-protect-client-package-version: 0.0.0
device-dictionary-version: 110-512
app-version: 8912-9134
app-release-date: 2026/11/29 08:00:00
av-version: 0
threat-version: 8912-9134
threat-release-date: 2026/11/29 08:00:00
wildfire-version: 0
url-db: paloaltonetworks
url-filtering-version: 20261130.20085
logdb-version: {version}
platform-family: 400
vpn-disable-mode: off
multi-vsys: off
operational-mode: normal
device-certificate-status: Valid
"""

ROUTEROS_RESOURCE = (
    ("uptime", "12w3d4h5m"),
    ("version", "{version} (stable)"),
    ("build-time", "2024-04-17 12:47:58"),
    ("factory-software", "6.44.6"),
    ("free-memory", "201.3MiB"),
    ("total-memory", "256.0MiB"),
    ("cpu", "MIPS 1004Kc V2.15"),
    ("cpu-count", "4"),
    ("cpu-frequency", "880MHz"),
    ("cpu-load", "1%"),
    ("free-hdd-space", "3.2MiB"),
    ("total-hdd-space", "16.0MiB"),
    ("write-sect-since-reboot", "8453"),
    ("write-sect-total", "178926"),
    ("bad-blocks", "0%"),
    ("architecture-name", "mmips"),
    ("board-name", "{model}"),
    ("platform", "MikroTik"),
)

ROUTEROS_FULL = "local,telnet,ssh,ftp,reboot,read,write,policy,test,winbox,password,web,sniff,sensitive,api,romon,rest-api"
ROUTEROS_GROUPS = {
    "full": ROUTEROS_FULL,
    "read": "local,telnet,ssh,reboot,read,test,winbox,password,web,sniff,api,romon,rest-api,!ftp,!write,!policy,!sensitive",
    "write": ROUTEROS_FULL.replace(",policy", "").replace(",sensitive", "") + ",!policy,!sensitive",
}

JUNOS_BITS = {
    "admin": "Can view user accounts",
    "admin-control": "Can modify user accounts",
    "clear": "Can clear learned network info",
    "configure": "Can enter configuration mode",
    "control": "Can modify any config",
    "edit": "Can edit full files",
    "field": "Can use field debug commands",
    "floppy": "Can read and write the floppy",
    "interface": "Can view interface configuration",
    "interface-control": "Can modify interface configuration",
    "network": "Can access the network",
    "reset": "Can reset/restart interfaces and daemons",
    "routing": "Can view routing configuration",
    "routing-control": "Can modify routing configuration",
    "shell": "Can start a local shell",
    "snmp": "Can view SNMP configuration",
    "snmp-control": "Can modify SNMP configuration",
    "system": "Can view system configuration",
    "system-control": "Can modify system configuration",
    "trace": "Can view trace file settings",
    "trace-control": "Can modify trace file settings",
    "view": "Can view current values and statistics",
    "maintenance": "Can become the super-user",
    "firewall": "Can view firewall configuration",
    "firewall-control": "Can modify firewall configuration",
    "secret": "Can view secret statements",
    "secret-control": "Can modify secret statements",
    "rollback": "Can rollback to previous configurations",
    "security": "Can view security configuration",
    "security-control": "Can modify security configuration",
    "access": "Can view access configuration",
    "access-control": "Can modify access configuration",
    "view-configuration": "Can view all configuration (not including secrets)",
    "all-control": "Can modify any configuration",
}
JUNOS_CLASSES = {
    "super-user": tuple(JUNOS_BITS),
    "read-only": ("view", "view-configuration"),
    "operator": ("clear", "network", "reset", "trace", "view"),
}  # any other (custom) class: view only


# --- answers: each handler gets the session and the command's match --------------------------


def _fields(s: Session) -> dict[str, str]:
    c = s.config
    short = ".".join(part.lstrip("0") or "0" for part in c.version.split("."))
    return {
        "host": c.hostname,
        "user": c.user,
        "model": c.model,
        "version": c.version,
        "short": short,  # IOS prints 17.09.04a also as 17.9.4a
        "compact": c.version.replace(".", ""),
        "address": c.address,
    }


def _text(template: str, **extra: str) -> Handler:
    """A fixed text with the device's name, model and version filled in."""

    def answer(s: Session, m: re.Match[str]) -> list[str]:
        return template.format(**_fields(s), **extra).splitlines()

    return answer


def _ok(*lines: str) -> Handler:
    """A fixed answer (often none); ``{0}`` is the command's first argument."""

    def answer(s: Session, m: re.Match[str]) -> list[str]:
        return [line.format(*m.groups()) for line in lines]

    return answer


def _paging(*lines: str) -> Handler:
    """A session's page length: a number of lines, ``0`` or ``off`` (no pager) or ``on``."""

    def answer(s: Session, m: re.Match[str]) -> list[str]:
        arg = m.group(1).lower()
        s.page = 0 if arg == "off" else PAGE if arg == "on" else int(arg)
        return [line.format(arg) for line in lines]

    return answer


def _show_privilege(s: Session, m: re.Match[str]) -> list[str]:
    return [f"Current privilege level is {s.level}"]


def _disable(s: Session, m: re.Match[str]) -> list[str]:
    s.level = 1
    return []


def _nxos_user(s: Session, m: re.Match[str]) -> list[str]:
    name = m.group(1) or s.config.user
    if name != s.config.user:
        return ["% no such user"]
    return [
        f"user:{name}",
        "        this user account has no expiry date",
        f"        roles:{s.config.privilege} ",
    ]


def _junos_authorization(s: Session, m: re.Match[str]) -> list[str]:
    user, login_class = s.config.user, str(s.config.privilege)
    bits = JUNOS_CLASSES.get(login_class, ("view",))
    return [
        f"Current user: '{user}' login: '{user}' class '{login_class}'",
        "Permissions:",
        *(f"    {bit:<12}-- {JUNOS_BITS[bit]}" for bit in bits),
        "Individual command authorization:",
        "    Allow regular expression: none",
        "    Deny regular expression: none",
        "    Allow configuration regular expression: none",
        "    Deny configuration regular expression: none",
    ]


def _fortios_admin(s: Session, m: re.Match[str]) -> list[str]:
    name = m.group(1).strip('"')
    if name != s.config.user:
        return [
            "entry not found in datasource",
            "",
            f"value parse error before '{name}'",
            "Command fail. Return code -3",
        ]
    return [
        "config system admin",
        f'    edit "{name}"',
        f'        set accprofile "{s.config.privilege}"',
        '        set vdom "root"',
        "        set password ENC SH2aBcDeF0123456789",
        "    next",
        "end",
    ]


def _routeros_resource(s: Session, m: re.Match[str]) -> list[str]:
    width = max(len(key) for key, _ in ROUTEROS_RESOURCE) + 2
    return [f"{key:>{width}}: {value.format(**_fields(s))}" for key, value in ROUTEROS_RESOURCE]


def _routeros_user(s: Session, m: re.Match[str]) -> list[str]:
    if m.group(1) != s.config.user:
        return []
    return [
        " 0   ;;; system default user",
        f'     name="{s.config.user}" group={s.config.privilege} address="" '
        "last-logged-in=2026-11-30 08:00:00",
    ]


def _routeros_group(s: Session, m: re.Match[str]) -> list[str]:
    policy = ROUTEROS_GROUPS.get(m.group(1))
    return [] if policy is None else [f' 0 name="{m.group(1)}" policy={policy} skin=default']


def _panos_permissions(s: Session, m: re.Match[str]) -> list[str]:
    if m.group(1) != s.config.user:
        return []
    role = str(s.config.privilege)
    scope = "localhost.localdomain" if role.startswith("device") else "yes"
    return ["permissions {", "  role-based {", f"    {role} {scope};", "  }", "}"]


# --- errors: (prompt, the offending word, its column in the line) -> lines --------------------

ErrorLines = Callable[[str, str, int], list[str]]


def _caret(*message: str) -> ErrorLines:
    """A ``^`` under the offending word (the echoed line starts after the prompt), then text."""

    def lines(prompt: str, word: str, column: int) -> list[str]:
        return [" " * (len(prompt) + column) + "^", *message]

    return lines


def _fortios_error(prompt: str, word: str, column: int) -> list[str]:
    return ["Unknown action 0", "Command fail. Return code -61"]


def _routeros_error(prompt: str, word: str, column: int) -> list[str]:
    return [f"bad command name {word.lstrip('/')} (line 1 column {column + 1})"]


def _panos_error(prompt: str, word: str, column: int) -> list[str]:
    return [f"Unknown command: {word}"]


# --- the platforms -----------------------------------------------------------------------------


def _commands(*rows: tuple[str, Handler]) -> tuple[tuple[re.Pattern[str], Handler], ...]:
    """Commands as regular expressions over the line (spaces collapsed), any case."""
    return tuple((re.compile(pattern, re.I), handler) for pattern, handler in rows)


def _level_prompt(s: Session) -> str:
    return f"{s.config.hostname}{'>' if s.level <= 1 else '#'}"


@dataclass(frozen=True, slots=True)
class Platform:
    """One vendor's CLI: prompt, error, pager, commands and the defaults of its config keys.

    ``enable``: ``ios`` or ``eos``, how ``enable`` treats the secret (None: no
    enable mode). ``paged``: a session starts with the pager on.
    ``login_suffix``: the login name ends at the first ``+`` (RouterOS).
    """

    prompt: Callable[[Session], str]
    error: ErrorLines
    commands: tuple[tuple[re.Pattern[str], Handler], ...]
    motd: str
    model: str
    version: str
    privilege: int | str
    ssh_version: str = "OpenSSH_8.9"  # what the device's SSH server announces (SSH-2.0-...)
    more: str = " --More-- "
    erase_with_cr: bool = False  # the pager is erased with "\r" + spaces + "\r", not backspaces
    paged: bool = True
    enable: str | None = None
    login_suffix: bool = False

    def erase(self) -> str:
        blank = " " * len(self.more)
        if self.erase_with_cr:
            return f"\r{blank}\r"
        return "\b" * len(self.more) + blank + "\b" * len(self.more)


CISCO_ERROR = _caret("% Invalid input detected at '^' marker.", "")

PLATFORMS: dict[str, Platform] = {
    "ios": Platform(
        ssh_version="Cisco-1.25",
        prompt=_level_prompt,
        error=CISCO_ERROR,
        commands=_commands(
            (r"terminal length (\d+)", _paging()),
            (r"terminal width (\d+)", _ok()),
            (r"show version", _text(IOS_VERSION)),
            (r"show privilege", _show_privilege),
            (r"disable", _disable),
        ),
        motd="*** {host}: managed device, changes only under a change ticket ***",
        model="C9300-24T",
        version="17.09.04a",
        privilege=15,
        enable="ios",
    ),
    "eos": Platform(
        prompt=_level_prompt,
        error=CISCO_ERROR,
        commands=_commands(
            (r"terminal length (\d+)", _paging()),
            (r"terminal width (\d+)", _ok()),
            (r"show version", _text(EOS_VERSION)),
            (r"show privilege", _show_privilege),
            (r"disable", _disable),
        ),
        motd="Last login: Mon Nov 30 07:55:12 2026 from 198.51.100.2",
        model="DCS-7050SX3-48YC8",
        version="4.31.2F",
        privilege=15,
        enable="eos",
    ),
    "nxos": Platform(
        ssh_version="OpenSSH_8.3 PKIX[13.1]",
        prompt=lambda s: f"{s.config.hostname}#",
        error=CISCO_ERROR,
        commands=_commands(
            (r"terminal length (\d+)", _paging()),
            (r"terminal width (\d+)", _ok()),
            (r"show version", _text(NXOS_VERSION)),
            (r"show user-account(?: (\S+))?", _nxos_user),
        ),
        motd="Cisco Nexus Operating System (NX-OS) Software",
        model="C93180YC-FX",
        version="9.3(10)",
        privilege="network-admin",
    ),
    "junos": Platform(
        prompt=lambda s: f"{s.config.user}@{s.config.hostname}> ",
        error=_caret("syntax error, expecting <command>."),
        commands=_commands(
            (r"set cli screen-length (\d+)", _paging("Screen length set to {0}")),
            (r"set cli screen-width (\d+)", _ok("Screen width set to {0}")),
            (r"set cli complete-on-space (off)", _ok("Disabling complete-on-space")),
            (
                r"show version",
                _text(
                    JUNOS_VERSION,
                    osb="20230321.be2b45c_builder_stable_12",
                    jb="20231012.095134_builder_junos_214_r3_s5",
                ),
            ),
            (r"show cli authorization", _junos_authorization),
        ),
        motd="--- JUNOS {version} Kernel 32-bit  JNPR-12.1-20230321.be2b45c_buil",
        model="ex2300-24t",
        version="21.4R3-S5.4",
        privilege="super-user",
        more="---(more)---",
        erase_with_cr=True,
    ),
    "fortios": Platform(
        ssh_version="FortiSSH_1.0",
        prompt=lambda s: f"{s.config.hostname} # ",
        error=_fortios_error,
        commands=_commands(
            (r"get system status", _text(FORTIOS_STATUS)),
            (r"show system admin (\S+)", _fortios_admin),
        ),
        motd="{host} login: {user} (ssh), last login Mon Nov 30 07:55:12 2026",
        model="FortiGate-60F",
        version="7.2.8",
        privilege="super_admin",
        more="--More-- ",
        erase_with_cr=True,
    ),
    "routeros": Platform(
        ssh_version="ROSSSH",
        prompt=lambda s: f"[{s.config.user}@{s.config.hostname}] > ",
        error=_routeros_error,
        commands=_commands(
            (r"/system resource print(?: without-paging)?", _routeros_resource),
            (r'/user print(?: detail)?(?: without-paging)? where name="?([^"]*)"?', _routeros_user),
            (
                r'/user group print(?: detail)?(?: without-paging)? where name="?([^"]*)"?',
                _routeros_group,
            ),
        ),
        motd="  MikroTik RouterOS {version} (c) 1999-2024       https://www.mikrotik.com/",
        model="hEX",
        version="7.14.3",
        privilege="full",
        paged=False,  # the login name's +cet511w4098h asks for a page taller than any answer
        login_suffix=True,
    ),
    "panos": Platform(
        ssh_version="OpenSSH_8.4",
        prompt=lambda s: f"{s.config.user}@{s.config.hostname}> ",
        error=_panos_error,
        commands=_commands(
            (r"set cli pager (on|off)", _paging()),
            (r"set cli scripting-mode (on|off)", _ok()),
            (r"show system info", _text(PANOS_INFO)),
            (
                r"show config running xpath mgt-config/users/entry\[@name='([^']*)'\]/permissions",
                _panos_permissions,
            ),
        ),
        motd="Last login: Mon Nov 30 07:55:12 2026 from 198.51.100.2",
        model="PA-440",
        version="11.1.2",
        privilege="superuser",
    ),
}


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    """The device, from the lab's JSON file; a null model, version or privilege: the platform's."""

    platform: str
    hostname: str
    user: str
    password: str
    host_key: Path
    state_dir: Path
    privilege: int | str
    model: str
    version: str
    address: str = "127.0.0.1"
    port: int = 22
    enable_secret: str | None = None
    enable_level: int = 15
    delay_s: float = 0.0
    hang_on: str | None = None
    close_on: str | None = None

    @classmethod
    def load(cls, path: Path) -> Config:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(raw) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
        platform = PLATFORMS.get(raw.get("platform", ""))
        if platform is None:
            raise ValueError(f"{path}: platform must be one of {', '.join(PLATFORMS)}")
        for key in ("privilege", "model", "version"):
            if raw.get(key) is None:
                raw[key] = getattr(platform, key)
        if platform.enable:
            raw["privilege"] = int(raw["privilege"])
        raw["host_key"], raw["state_dir"] = Path(raw["host_key"]), Path(raw["state_dir"])
        return cls(**raw)

    def login_user(self, username: str) -> str:
        """The account a login name means (RouterOS: console options after ``+`` removed)."""
        return username.split("+", 1)[0] if PLATFORMS[self.platform].login_suffix else username


def _starts(command: str, prefix: str | None) -> bool:
    """Whether a command begins with a fault's prefix (spaces collapsed, any case)."""
    if not prefix:
        return False
    return command.lower().startswith(" ".join(prefix.split()).lower())


# --- one CLI session -----------------------------------------------------------------------------


class Session:
    """One shell channel: read typed lines with echo, answer them, page long answers."""

    def __init__(self, config: Config, process: asyncssh.SSHServerProcess[str]) -> None:
        self.config: Config = config
        self.platform: Platform = PLATFORMS[config.platform]
        self.level: int = config.privilege if isinstance(config.privilege, int) else 15
        self.page: int = PAGE if self.platform.paged else 0  # 0: no pager
        self._process = process
        self._pending = ""
        self._after_cr = False  # a "\n" right after a "\r" ends no second line

    def prompt(self) -> str:
        return self.platform.prompt(self)

    async def run(self) -> None:
        """MOTD and prompt, then one command after another until exit, EOF or a fault."""
        await self._send(self.platform.motd.format(**_fields(self)) + "\r\n" + self.prompt())
        while (line := await self._read_line("all")) is not None:
            self._record({"command": line})
            if not await self._handle(line):
                return
        self._process.exit(0)

    async def _handle(self, line: str) -> bool:
        """Answer one line; False when the session is over."""
        command = " ".join(line.split())
        if _starts(command, self.config.hang_on):
            await self._hang()
            return False
        if self.config.delay_s:
            await asyncio.sleep(self.config.delay_s)
        if QUIT.fullmatch(command):
            self._process.exit(0)
            return False
        if self.platform.enable and command.lower() == "enable":
            await self._enable()
        elif command:
            lines = self.answer(line)
            if _starts(command, self.config.close_on):
                await self._drop(lines[:CLOSE_AFTER])
                return False
            if not await self._show(lines):
                return False
        await self._send(self.prompt())
        return True

    def answer(self, line: str) -> list[str]:
        """What the device prints for a command line, before the pager."""
        command = " ".join(line.split())
        for pattern, handler in self.platform.commands:
            if match := pattern.fullmatch(command):
                return handler(self, match)
        return self._error(line)

    def _error(self, line: str) -> list[str]:
        """The platform's error, at the first word, or the second after a known verb (show)."""
        words = list(re.finditer(r"\S+", line))
        verbs = {pattern.pattern.split(" ", 1)[0].lower() for pattern, _ in self.platform.commands}
        bad = words[1] if len(words) > 1 and words[0].group().lower() in verbs else words[0]
        return self.platform.error(self.prompt(), bad.group(), bad.start())

    async def _enable(self) -> None:
        """IOS: three tries, then "% Bad secrets"; EOS: one try, and none without a secret."""
        config, eos = self.config, self.platform.enable == "eos"
        if self.level >= config.enable_level:
            return
        if config.enable_secret is None:
            if eos:
                self.level = config.enable_level
            else:
                await self._send_lines(["% No password set"])
            return
        for _ in range(1 if eos else IOS_TRIES):
            await self._send("Password: ")
            typed = await self._read_line("end")
            if typed is None:
                return
            matched = bool(typed) and hmac.compare_digest(
                typed.encode(), config.enable_secret.encode()
            )
            self._record({"command": "<secret>", "matched": matched})
            if matched:
                self.level = config.enable_level
                return
        await self._send_lines(["% Access denied" if eos else "% Bad secrets"])

    async def _show(self, lines: list[str]) -> bool:
        """Send an answer through the pager: space a page, Enter a line, anything else stops.

        False when the client went away at the pager.
        """
        page = self.page or len(lines)
        await self._send_lines(lines[:page])
        shown = page
        while shown < len(lines):
            await self._send(self.platform.more)
            key = await self._getc()
            await self._send(self.platform.erase())
            if key is None:
                return False
            step = page if key == " " else 1 if key in "\r\n" else 0
            if not step:
                break
            await self._send_lines(lines[shown : shown + step])
            shown += step
        return True

    async def _hang(self) -> None:
        """Never answer again, but keep the channel open and keep logging what arrives."""
        log.info("%s: hanging after %r", self.config.hostname, self.config.hang_on)
        while (line := await self._read_line("none")) is not None:
            self._record({"command": line})

    async def _drop(self, lines: list[str]) -> None:
        """Send the start of an answer, then drop the TCP connection without an SSH goodbye."""
        log.info("%s: closing the connection on %r", self.config.hostname, self.config.close_on)
        await self._send_lines(lines)
        self._process.channel.get_connection().abort()

    # --- input and output ---

    async def _getc(self) -> str | None:
        """The next typed character (a "\\r\\n" pair reads as "\\r"); None at EOF."""
        while True:
            if not self._pending:
                try:
                    self._pending = await self._process.stdin.read(4096)
                except INTERRUPTS:
                    continue
                if not self._pending:
                    return None
            char, self._pending = self._pending[0], self._pending[1:]
            after_cr, self._after_cr = self._after_cr, char == "\r"
            if not (after_cr and char == "\n"):
                return char

    async def _read_line(self, echo: Echo) -> str | None:
        """One line, echoed as typed; control characters other than the line end are ignored."""
        chars: list[str] = []
        while (char := await self._getc()) is not None:
            if char in "\r\n":
                if echo != "none":
                    await self._send("\r\n")
                return "".join(chars)
            if char.isprintable():
                chars.append(char)
                if echo == "all":
                    await self._send(char)
        return None

    async def _send(self, text: str) -> None:
        self._process.stdout.write(text)
        await self._process.stdout.drain()

    async def _send_lines(self, lines: list[str]) -> None:
        if lines:
            await self._send("".join(f"{line}\r\n" for line in lines))

    def _record(self, entry: dict[str, object]) -> None:
        with (self.config.state_dir / "netdev.jsonl").open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(entry) + "\n")


# --- the SSH server ------------------------------------------------------------------------------


class _Server(asyncssh.SSHServer):
    """Password logins for the one configured account, after the legal banner."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        log.info("%s: connection from %s", self._config.hostname, conn.get_extra_info("peername"))

    def begin_auth(self, username: str) -> bool:
        if self._conn is not None:
            self._conn.send_auth_banner(BANNER)
        return True  # every account needs a password

    def password_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return False  # password authentication only, not through keyboard-interactive

    def validate_password(self, username: str, password: str) -> bool:
        config = self._config
        ok = config.login_user(username) == config.user and hmac.compare_digest(
            password.encode(), config.password.encode()
        )
        log.info("%s: login %r %s", config.hostname, username, "accepted" if ok else "refused")
        return ok


async def _session(config: Config, process: asyncssh.SSHServerProcess[str]) -> None:
    try:
        await Session(config, process).run()
    except (ConnectionError, asyncssh.Error) as exc:
        log.info("%s: session ended: %s", config.hostname, exc)


def _host_key(path: Path) -> asyncssh.SSHKey:
    """The host key at path, made (Ed25519, mode 0600) on first use."""
    if path.exists():
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(key.export_private_key())
    log.info("generated host key %s", path)
    return key


async def serve(config: Config) -> None:
    """Listen until SIGTERM or SIGINT."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    acceptor = await asyncssh.create_server(
        lambda: _Server(config),
        config.address,
        config.port,
        server_host_keys=[_host_key(config.host_key)],
        process_factory=lambda process: _session(config, process),
        line_editor=False,
        encoding="utf-8",
        server_version=PLATFORMS[config.platform].ssh_version,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info(
        "%s (%s) listening on %s:%d", config.hostname, config.platform, config.address, config.port
    )
    await stop.wait()
    acceptor.close()
    log.info("%s: stopped", config.hostname)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m auditor.lab.netdev", description="An emulated network device CLI over SSH."
    )
    parser.add_argument("config", type=Path, help="the device's JSON configuration")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="netdev %(asctime)s %(message)s"
    )
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # its per-channel details
    asyncio.run(serve(Config.load(args.config)))


if __name__ == "__main__":
    main()
