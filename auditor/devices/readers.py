"""What a device's own answers say: its name, version and model, and the account's privilege.

Pure functions over the text a command printed (prompt and echo already
removed). Each returns the facts it found and the lines it found them in, so
the evidence shows the device's own words and nothing else: never the rest
of an output, which may hold configuration or password hashes (FortiOS
``show system admin`` prints ``set password ENC ...`` beside the profile).

The privilege readers classify as far as the vendor's documentation does,
and no further: ``full`` (the platform's highest privilege), ``configure``
(may change the configuration at all). Whether that meets the contract is
the judge's decision (``judge/admin.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# A user name we may put on a device's command line: anything else could be read as syntax.
SAFE_USER = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Found:
    """Facts read from one output, and the output lines that state them (the evidence)."""

    facts: Mapping[str, str | int | bool | list[str] | None] = field(default_factory=dict)
    lines: tuple[str, ...] = ()


def _search(pattern: str, text: str, flags: int = re.M) -> re.Match[str] | None:
    return re.search(pattern, text, flags)


def _line_of(text: str, match: re.Match[str] | None) -> list[str]:
    """The whole line a match is on, stripped."""
    if match is None:
        return []
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    return [text[start : end if end >= 0 else len(text)].strip()]


def _found(text: str, **matches: tuple[re.Match[str] | None, int | str]) -> Found:
    """Facts from regex matches (group by number or name), with their lines, in order."""
    facts: dict[str, str | int | bool | list[str] | None] = {}
    lines: list[str] = []
    for name, (match, group) in matches.items():
        if match is None:
            continue
        facts[name] = match.group(group).strip()
        for line in _line_of(text, match):
            if line not in lines:
                lines.append(line)
    return Found(facts, tuple(lines))


# --- device facts: the platform's own name, version and model ------------------------------


def ios_facts(text: str) -> Found:
    """``show version`` on IOS / IOS XE."""
    found = _found(
        text,
        version=(_search(r"Cisco IOS[ -]?(?:XE )?Software.*?Version\s+([\w.()-]+)", text), 1),
        model=(_search(r"^[Cc]isco\s+(\S+)\s+\(.*\)\s+processor", text), 1),
        hostname=(_search(r"^(\S+)\s+uptime is", text), 1),
    )
    os_name = "IOS XE" if re.search(r"IOS[ -]XE", text) else "IOS"
    return Found({"os": os_name, **found.facts}, found.lines) if found.facts else found


def nxos_facts(text: str) -> Found:
    """``show version`` on NX-OS."""
    version = _search(r"^\s*NXOS:\s+version\s+(\S+)", text) or _search(
        r"^\s*system:\s+version\s+(\S+)", text
    )
    found = _found(
        text,
        version=(version, 1),
        model=(_search(r"^\s*cisco\s+(.+?)\s+[Cc]hassis", text), 1),
        hostname=(_search(r"^\s*Device name:\s+(\S+)", text), 1),
    )
    return Found({"os": "NX-OS", **found.facts}, found.lines) if found.facts else found


def eos_facts(text: str) -> Found:
    """``show version`` on EOS."""
    found = _found(
        text,
        model=(_search(r"^Arista\s+(\S+)", text), 1),
        version=(_search(r"^Software image version:\s+(\S+)", text), 1),
    )
    return Found({"os": "EOS", **found.facts}, found.lines) if found.facts else found


def junos_facts(text: str) -> Found:
    """``show version`` on Junos."""
    found = _found(
        text,
        hostname=(_search(r"^Hostname:\s+(\S+)", text), 1),
        model=(_search(r"^Model:\s+(\S+)", text), 1),
        version=(_search(r"^Junos:\s+(\S+)", text), 1),
    )
    return Found({"os": "Junos", **found.facts}, found.lines) if found.facts else found


def fortios_facts(text: str) -> Found:
    """``get system status`` on FortiOS: ``Version: FortiGate-60F v7.2.8,build1639,...``."""
    found = _found(
        text,
        model=(_search(r"^Version:\s+(\S+)\s+v", text), 1),
        version=(_search(r"^Version:\s+\S+\s+(v[\w.]+(?:,build\d+)?)", text), 1),
        hostname=(_search(r"^Hostname:\s+(\S+)", text), 1),
    )
    return Found({"os": "FortiOS", **found.facts}, found.lines) if found.facts else found


def routeros_facts(text: str) -> Found:
    """``/system resource print`` on RouterOS."""
    found = _found(
        text,
        version=(_search(r"^\s*version:\s+(.+?)\s*$", text), 1),
        model=(_search(r"^\s*board-name:\s+(.+?)\s*$", text), 1),
    )
    return Found({"os": "RouterOS", **found.facts}, found.lines) if found.facts else found


def panos_facts(text: str) -> Found:
    """``show system info`` on PAN-OS."""
    found = _found(
        text,
        hostname=(_search(r"^hostname:\s+(\S+)", text), 1),
        model=(_search(r"^model:\s+(\S+)", text), 1),
        version=(_search(r"^sw-version:\s+(\S+)", text), 1),
    )
    return Found({"os": "PAN-OS", **found.facts}, found.lines) if found.facts else found


FACTS: Mapping[str, Callable[[str], Found]] = {
    "ios": ios_facts,
    "nxos": nxos_facts,
    "eos": eos_facts,
    "junos": junos_facts,
    "fortios": fortios_facts,
    "routeros": routeros_facts,
    "panos": panos_facts,
}


# --- privilege: what the device says this account may do --------------------------------------


def privilege_level(text: str) -> Found:
    """``show privilege`` (IOS, EOS): ``Current privilege level is 15``."""
    match = _search(r"Current privilege level is\s+(\d+)", text)
    if match is None:
        return Found()
    return Found({"level": int(match.group(1))}, tuple(_line_of(text, match)))


_NXOS_READ_ONLY = frozenset({"network-operator", "vdc-operator"})


def nxos_roles(text: str, admin_roles: tuple[str, ...]) -> Found:
    """``show user-account NAME`` (NX-OS): the ``roles:`` line."""
    match = _search(r"^\s*roles:\s*(.*?)\s*$", text)
    if match is None:
        return Found()
    roles = match.group(1).split()
    if not roles:
        return Found()
    return Found(
        {
            "role": " ".join(roles),
            "full": any(r in admin_roles for r in roles),
            "configure": not set(roles) <= _NXOS_READ_ONLY,
        },
        tuple(_line_of(text, match)),
    )


def junos_class(text: str, admin_roles: tuple[str, ...]) -> Found:
    """``show cli authorization`` (Junos): the login class and its permission bits."""
    match = _search(r"class\s+'([^']+)'", text)
    if match is None:
        return Found()
    block = text[match.end() :].split("Individual command authorization", 1)[0]
    permissions = re.findall(r"^\s{2,}([a-z][\w-]*)\s*--", block, re.M)
    login = match.group(1)
    full = login in admin_roles or "all" in permissions
    configure = full or "configure" in permissions
    shown = list(_line_of(text, match))
    if permissions:
        shown.append("Permissions: " + " ".join(permissions))
    return Found(
        {"role": login, "full": full, "configure": configure, "permissions": permissions},
        tuple(shown),
    )


def fortios_profile(text: str, admin_roles: tuple[str, ...]) -> Found:
    """``show system admin NAME`` (FortiOS): only the ``set accprofile`` line is kept."""
    match = _search(r'^\s*set\s+accprofile\s+"?([^"\n]+?)"?\s*$', text)
    if match is None:
        return Found()
    profile = match.group(1)
    return Found(
        {"role": profile, "full": profile in admin_roles, "configure": None},
        tuple(_line_of(text, match)),
    )


def routeros_group(text: str) -> Found:
    """``/user print detail ... where name=NAME`` (RouterOS): the user's group."""
    match = _search(r'\bgroup="?([\w.-]+)"?', text)
    if match is None:
        return Found()
    return Found({"group": match.group(1)}, tuple(_line_of(text, match)))


def routeros_policies(text: str, group: str) -> Found:
    """``/user group print detail ... where name=GROUP``: the policies it grants.

    RouterOS prints a denied policy with ``!``. ``policy`` (managing users
    and groups) "should be used together with write": both make the
    highest privilege, as the built-in group ``full`` has.
    """
    match = _search(r"\bpolicy=\"?([\w,!-]+)\"?", text)
    if match is None:
        return Found()
    granted = [p for p in match.group(1).split(",") if p and not p.startswith("!")]
    return Found(
        {
            "role": group,
            "full": {"write", "policy"} <= set(granted),
            "configure": "write" in granted,
            "permissions": granted,
        },
        tuple(_line_of(text, match)),
    )


_PANOS_READ_ONLY = frozenset({"superreader", "devicereader", "vsysreader"})


def panos_role(text: str, admin_roles: tuple[str, ...]) -> Found:
    """``show config running xpath mgt-config/users/entry[@name='NAME']/permissions`` (PAN-OS)."""
    match = _search(r"role-based\s*\{\s*([\w-]+)", text)
    if match is None:
        return Found()
    role = match.group(1)
    if role == "custom":
        profile = _search(r"profile\s+\"?([\w.-]+)", text[match.end() :])
        role = f"custom {profile.group(1)}" if profile else role
    line = _search(r"^\s*" + re.escape(match.group(1)) + r"\b.*$", text)
    return Found(
        {"role": role, "full": role in admin_roles, "configure": role not in _PANOS_READ_ONLY},
        tuple(_line_of(text, line)) or (role,),
    )
