"""What the auditor asks a network device, in order, and the observation it makes of it.

1. Stop paging for this session only (``terminal length 0`` and the like);
   nothing that changes the device's configuration is ever sent.
2. Name the device: the platform's own facts command (``show version``,
   ``get system status``, ...): platform, version, model.
3. Prove the account's privilege from the device's own words: the numeric
   level (IOS, EOS: ``show privilege``) or the role, class, profile or group
   and what it grants (NX-OS, Junos, FortiOS, RouterOS, PAN-OS). On a level
   platform below the highest level, ``enable`` with the inventory's secret
   when ``ansible_become`` asks for it, and read the level again: the prompt
   proves nothing (``#`` stands for every level from 2 to 15).

The result is the ``device`` and ``admin`` sections of the observation
document (docs/observations.md), for the judge. Only the lines that state a
fact are kept as evidence, never a whole output: FortiOS prints the admin's
password hash beside the profile. A user name that could be read as CLI
syntax is never typed (the privilege stays unproven instead).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.devices import readers
from auditor.devices.platforms import Platform
from auditor.devices.readers import Found
from auditor.devices.session import CliSession, DeviceClosed, DeviceTimeout, cli_errors
from auditor.model import Secret

MAX_EVIDENCE_LINES = 12


@dataclass(slots=True)
class Observed:
    """The sections the dialog fills as it goes, so a failure keeps what came before it."""

    device: dict[str, Any]
    admin: dict[str, Any] | None
    commands: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"device": self.device}
        if self.admin is not None:
            doc["admin"] = self.admin
        return doc


@dataclass(frozen=True, slots=True)
class Account:
    """Who we are on the device and how to raise our privilege (``ansible_become``)."""

    user: str
    become: bool
    secret: Secret | None = field(default=None, repr=False)


async def observe(
    session: CliSession, platform: Platform, account: Account, *, admin: bool
) -> dict[str, Any]:
    """The ``device`` (and with ``admin``, the ``admin``) section of one device."""
    seen = Observed(
        device={"platform": platform.key, "label": platform.label, "status": "running"},
        admin=_admin_start(platform, account) if admin else None,
    )
    try:
        await session.start()
        for command in platform.paging_off:
            await session.run(command)
        await _identify(session, platform, seen)
        seen.device["status"] = "ok"
        if seen.admin is not None:
            await _privilege(session, platform, account, seen.admin)
    except (DeviceTimeout, DeviceClosed) as exc:
        status = "timeout" if isinstance(exc, DeviceTimeout) else "error"
        for section in (seen.device, seen.admin):
            if section is not None and section.get("status") == "running":
                section.update(status=status, error=str(exc))
    if seen.admin is not None and seen.admin.get("status") == "running":
        seen.admin["status"] = "ok"
    return seen.document()


def _admin_start(platform: Platform, account: Account) -> dict[str, Any]:
    section: dict[str, Any] = {
        "device": True,
        "user": account.user,
        "scheme": platform.scheme,
        "status": "running",
        "commands": [],
    }
    if platform.scheme == "level":
        section["highest_level"] = platform.highest_level
    elif platform.admin_roles:
        section["highest_role"] = platform.admin_roles[0]
    return section


async def _identify(session: CliSession, platform: Platform, seen: Observed) -> None:
    text = await session.run(platform.facts_command)
    found = readers.FACTS[platform.key](text)
    seen.device.update({k: v for k, v in found.facts.items() if v is not None})
    seen.device["command"] = platform.facts_command
    seen.device["lines"] = list(found.lines[:MAX_EVIDENCE_LINES]) or cli_errors(text)[:3]
    if session.prompt:
        seen.device["prompt"] = session.prompt


# Run one command, read it with a reader, keep its evidence lines.
Ask = Callable[[str, Callable[[str], Found]], Awaitable[Found]]


async def _privilege(
    session: CliSession, platform: Platform, account: Account, admin: dict[str, Any]
) -> None:
    """Fill ``admin`` with the account's privilege as the device states it."""

    async def ask(command: str, read: Callable[[str], Found]) -> Found:
        text = await session.run(command)
        found = read(text)
        shown = list(found.lines[:MAX_EVIDENCE_LINES]) or cli_errors(text)[:3]
        admin["commands"].append({"command": command, "lines": shown})
        return found

    user = account.user
    if platform.scheme != "level" and not readers.SAFE_USER.match(user):
        admin.update(status="unreadable", error="the user name cannot be typed on a CLI safely")
        return
    roles = platform.admin_roles
    found: Found
    if platform.scheme == "level":
        found = await _level(session, platform, account, admin, ask)
    elif platform.key == "nxos":
        found = await ask(f"show user-account {user}", lambda t: readers.nxos_roles(t, roles))
    elif platform.key == "junos":
        found = await ask("show cli authorization", lambda t: readers.junos_class(t, roles))
    elif platform.key == "fortios":
        found = await ask(f"show system admin {user}", lambda t: readers.fortios_profile(t, roles))
    elif platform.key == "routeros":
        found = await _routeros(user, ask)
    elif platform.key == "panos":
        xpath = f"mgt-config/users/entry[@name='{user}']/permissions"
        found = await ask(f"show config running xpath {xpath}",
                          lambda t: readers.panos_role(t, roles))  # fmt: skip
    else:  # a platform without a reader: said so, never guessed
        found = Found()
    if not found.facts:
        admin.update(status="unreadable", error="the device's answer did not state the privilege")
        return
    admin.update({k: v for k, v in found.facts.items() if v is not None})
    if "enable" not in admin:
        admin["enable"] = {"status": "not_applicable"}


async def _level(
    session: CliSession, platform: Platform, account: Account, admin: dict[str, Any], ask: Ask
) -> Found:
    """``show privilege``; below the highest level, ``enable`` (when asked to) and read again."""
    found = await ask("show privilege", readers.privilege_level)
    level = found.facts.get("level")
    if not isinstance(level, int) or level >= (platform.highest_level or 15):
        admin["enable"] = {"status": "not_needed"}
        return found
    if not (account.become and platform.enable):
        admin["enable"] = {"status": "not_requested"}
        return found
    enabled = await session.enable(account.secret)
    admin["enable"] = {"status": enabled.status, "message": enabled.message}
    admin["level_before_enable"] = level
    again = await ask("show privilege", readers.privilege_level)
    return again if again.facts else found


async def _routeros(user: str, ask: Ask) -> Found:
    """RouterOS: the user's group, then the policies of that group."""
    group = await ask(
        f'/user print detail without-paging where name="{user}"', readers.routeros_group
    )
    name = group.facts.get("group")
    if not isinstance(name, str) or not readers.SAFE_USER.match(name):
        return Found()
    return await ask(
        f'/user group print detail without-paging where name="{name}"',
        lambda t: readers.routeros_policies(t, name),
    )
