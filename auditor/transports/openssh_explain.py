"""``auditor inventory --host NAME``: a host's effective SSH settings and where each came from.

(Windows hosts show their WinRM settings instead: ``inventory/winrm_vars.explain``.)

Like ``ansible-inventory --host`` plus OpenSSH's ``ssh -G``: for each setting
the auditor uses, the value OpenSSH gives it and its source. The source is
found by asking OpenSSH three times: with everything (inventory arguments and
ssh_config), with the inventory's arguments alone (``-F none``), and with
nothing (its defaults). A value the inventory's arguments change comes from
the inventory variable that carried the option (with its file and line); one
that only the configuration changes comes from ssh_config; the rest is
OpenSSH's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.inventory import ssh_args
from auditor.model import Target
from auditor.transports.openssh import SSH, OpenSsh, ask

KEYWORDS = (
    "hostname", "port", "user", "identityfile", "identitiesonly", "certificatefile",
    "identityagent", "proxyjump", "proxycommand", "connecttimeout", "stricthostkeychecking",
    "userknownhostsfile", "serveraliveinterval", "kexalgorithms", "hostkeyalgorithms",
    "pubkeyacceptedalgorithms", "ciphers", "macs",
)  # fmt: skip
_ALIASES = {"pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms"}


@dataclass(frozen=True, slots=True)
class Setting:
    keyword: str
    value: str
    origin: str


async def explain(openssh: OpenSsh, target: Target) -> list[Setting]:
    """The settings the auditor uses for ``target``, each with its source."""
    full = await openssh.effective(target.ssh_args, target.address)
    alone = await ask((SSH, "-G", *target.ssh_args, "-F", "none", "--", target.address))
    plain = await ask((SSH, "-G", "-F", "none", "--", target.address))
    setters = _setters(target)
    origins = dict(target.origins)
    settings = []
    for keyword in KEYWORDS:
        value = " ".join(full.all(keyword))
        if not value or (value == "none" and keyword.startswith("proxy")):
            continue
        if alone.all(keyword) != plain.all(keyword) and keyword in setters:
            var = setters[keyword]
            origin = f"inventory {var}" + (f" ({origins[var]})" if var in origins else "")
        elif full.all(keyword) != alone.all(keyword):
            origin = f"ssh_config ({openssh.config_file or '~/.ssh/config, /etc/ssh/ssh_config'})"
        elif keyword == "hostname":
            where = origins.get("ansible_host")
            origin = f"inventory ansible_host ({where})" if where else "inventory name"
        else:
            origin = "OpenSSH default"
        settings.append(Setting(keyword, value, origin))
    return settings


def _setters(target: Target) -> Mapping[str, str]:
    """keyword -> the inventory variable whose arguments set it first (OpenSSH keeps the first)."""
    found: dict[str, str] = {}
    for var, args in target.ssh_pieces:
        for keyword, _ in ssh_args.options(args):
            found.setdefault(_ALIASES.get(keyword, keyword), var)
    return found


def format_settings(target: Target, settings: list[Setting]) -> str:
    """The text ``auditor inventory --host`` prints for one host."""
    width = max((len(s.keyword) for s in settings), default=8)
    lines = [
        f"{target.name}  ({target.customer} · {target.role.value} · {target.connection.value})",
        f"  inventory   {target.source}",
    ]
    if target.winrm is None:
        args = " ".join(target.ssh_args) or "-"
        lines.append(f"  ssh args    {args}   (as Ansible passes them to OpenSSH)")
    else:
        lines.append(f"  winrm       read as Ansible's {target.winrm.plugin} plugin reads it")
    lines.append("")
    lines += [f"  {s.keyword:<{width}}  {s.value}\n  {'':<{width}}  ← {s.origin}" for s in settings]
    return "\n".join(lines) + "\n"
