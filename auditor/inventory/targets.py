"""From a host's resolved Ansible variables to the auditor's :class:`Target`.

Pure: no ansible-core import, no I/O. :mod:`auditor.inventory.hostvars` has
already applied Ansible's precedence and templating and wrapped secrets; this
module only mirrors how Ansible's connection plugins *read* those variables:

* Aliases: when several variables name the same setting, the one listed last
  in the plugin's documentation wins (ansible-core's config manager keeps the
  last one found), e.g. ``ansible_ssh_host`` over ``ansible_host``,
  ``ansible_ssh_pass`` over ``ansible_password``.
* ``ansible_connection``: ``ssh`` (also ``smart``, ``paramiko``, their FQCNs),
  ``winrm`` and ``psrp`` (both WinRM: the auditor's winrm transport speaks it;
  ``psrp`` keeps its own ``ansible_psrp_*`` aliases), ``network_cli``,
  ``local``. Anything else is a problem for that host.
* Customer: ``auditor_customer``, else the host's first group directly below
  ``all`` in the order Ansible created them, else (host only in ``ungrouped``)
  the stem of the inventory file that defined it: one file per customer needs
  no groups. Hosts from a ``host1,host2`` list get ``ungrouped``.
* Truthiness of ``auditor_unattended`` is Ansible's ``boolean()``.
* Site: ``auditor_site`` (default ``default``) names the vantage point whose
  workers reach the host (``auditor schedule``); ``auditor run`` ignores it.

Every value problem becomes an :class:`InventoryProblem` for that host alone;
the host still gets a best-effort :class:`Target` so that it is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from auditor.inventory import device_vars, ssh_args, winrm_vars
from auditor.model import (
    Connection,
    DeviceOptions,
    InventoryProblem,
    Role,
    Secret,
    Target,
    WinrmOptions,
)


@dataclass(frozen=True, slots=True)
class HostVar:
    """One variable after Ansible's precedence and templating, and where it was set."""

    value: object
    source: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ResolvedHost:
    """One inventory host as ansible-core sees it, reduced to what the auditor reads.

    ``groups`` excludes ``all``; ``top_groups`` are the groups directly below
    ``all`` that hold the host, in Ansible's creation order. ``vars`` holds
    only :data:`READ_VARS`, secrets already wrapped in :class:`Secret`.
    """

    name: str
    source: str
    groups: tuple[str, ...] = ()
    top_groups: tuple[str, ...] = ()
    vars: Mapping[str, HostVar] = field(default_factory=dict)
    problems: tuple[InventoryProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class _Aliases:
    """Variable names per setting, lowest precedence first (connection plugin docs)."""

    address: tuple[str, ...]
    port: tuple[str, ...]
    user: tuple[str, ...]
    password: tuple[str, ...]
    key_file: tuple[str, ...] = ()


_SSH = _Aliases(
    address=("ansible_host", "ansible_ssh_host"),
    port=("ansible_port", "ansible_ssh_port"),
    user=("ansible_user", "ansible_ssh_user"),
    password=("ansible_password", "ansible_ssh_pass", "ansible_ssh_password"),
    key_file=("ansible_private_key_file", "ansible_ssh_private_key_file"),
)
# The ssh plugin's options that shape OpenSSH's command line (inventory/ssh_args.py).
_SSH_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "ssh_args": ("ansible_ssh_args",),
    "common_args": ("ansible_ssh_common_args",),
    "extra_args": ("ansible_ssh_extra_args",),
    "host_key_checking": ("ansible_host_key_checking", "ansible_ssh_host_key_checking"),
    "timeout": ("ansible_timeout", "ansible_ssh_timeout"),
}
_PRIVATE_KEY = ("ansible_private_key", "ansible_ssh_private_key")
_KEY_PASSPHRASE = ("ansible_private_key_passphrase", "ansible_ssh_private_key_passphrase")
_WINRM = _Aliases(
    address=("ansible_host", "ansible_winrm_host"),
    port=("ansible_port", "ansible_winrm_port"),
    user=("ansible_user", "ansible_winrm_user"),
    password=("ansible_password", "ansible_winrm_pass", "ansible_winrm_password"),
)
_PSRP = _Aliases(  # psrp reads the winrm password names (ansible-core 2.19 plugin docs)
    address=("ansible_host", "ansible_psrp_host"),
    port=("ansible_port", "ansible_psrp_port"),
    user=("ansible_user", "ansible_psrp_user"),
    password=("ansible_password", "ansible_winrm_pass", "ansible_winrm_password"),
)
_LOCAL = _Aliases(
    address=("ansible_host",), port=("ansible_port",), user=("ansible_user",), password=()
)
_BECOME_PASSWORD = ("ansible_become_password", "ansible_become_pass", "ansible_sudo_pass")

_CONNECTIONS: Mapping[str, tuple[Connection, _Aliases]] = {
    **dict.fromkeys(
        ("ssh", "smart", "paramiko", "paramiko_ssh", "ansible.builtin.ssh"),
        (Connection.SSH, _SSH),
    ),
    "ansible.builtin.paramiko_ssh": (Connection.SSH, _SSH),
    "winrm": (Connection.WINRM, _WINRM),
    "ansible.builtin.winrm": (Connection.WINRM, _WINRM),
    "psrp": (Connection.WINRM, _PSRP),
    "ansible.builtin.psrp": (Connection.WINRM, _PSRP),
    "network_cli": (Connection.NETWORK_CLI, _SSH),
    "ansible.netcommon.network_cli": (Connection.NETWORK_CLI, _SSH),
    "local": (Connection.LOCAL, _LOCAL),
    "ansible.builtin.local": (Connection.LOCAL, _LOCAL),
}

# Every variable the auditor reads; hostvars.py templates only these.
SECRET_VARS: frozenset[str] = frozenset(
    (
        *_SSH.password,
        *_WINRM.password,
        *_PSRP.password,
        *_BECOME_PASSWORD,
        *_PRIVATE_KEY,
        *_KEY_PASSPHRASE,
    )
)
READ_VARS: frozenset[str] = (
    frozenset(
        name
        for aliases in (_SSH, _WINRM, _PSRP)
        for names in (
            aliases.address,
            aliases.port,
            aliases.user,
            aliases.key_file,
        )
        for name in names
    )
    | {name for names in _SSH_OPTIONS.values() for name in names}
    | set(winrm_vars.WINRM_VARS)
    | set(winrm_vars.PSRP_VARS)
    | set(device_vars.DEVICE_VARS)
    | SECRET_VARS
    | {
        "ansible_connection",
        "auditor_customer",
        "auditor_role",
        "auditor_unattended",
        "auditor_report_to",
        "auditor_report_cc",
        "auditor_site",
    }
)

DEFAULT_SITE = "default"
# A site names a task queue and appears in file names: keep it plain.
SITE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# name@domain, the domain with a dot; enough to catch a typo, SMTP decides the rest.
_MAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# Ansible's boolean(): these strings (case-insensitive) and numbers, nothing else.
_TRUE = frozenset(("y", "yes", "on", "1", "true", "t"))
_FALSE = frozenset(("n", "no", "off", "0", "false", "f"))


class _Collector:
    """Problems for one host, each naming where the offending variable was set."""

    def __init__(self, host: ResolvedHost) -> None:
        self.host = host
        self.problems: list[InventoryProblem] = list(host.problems)

    def add(self, var: HostVar | None, message: str) -> None:
        source = var.source if var and var.source else self.host.source
        line = var.line if var else None
        self.problems.append(InventoryProblem(source, message, self.host.name, line))


def to_target(host: ResolvedHost) -> tuple[Target, tuple[InventoryProblem, ...]]:
    """Map one resolved host to a Target plus the problems found on the way."""
    out = _Collector(host)
    customer = _customer(host, out)
    connection, aliases = _connection(host, out)
    address = _address(host, aliases, out)
    port = _port(host, aliases, out)
    user = _text(host, aliases.user, out)
    key_file = _text(host, aliases.key_file, out)
    inline_key = _last(host, _PRIVATE_KEY) is not None
    ssh = _ssh_args(host, out, port, user, key_file, inline_key) if aliases is _SSH else None
    winrm = _winrm(host, out, aliases, port, user)
    device = _device(host, out) if connection is Connection.NETWORK_CLI else None
    target = Target(
        name=host.name,
        address=address,
        customer=customer,
        role=_role(host, out, connection),
        connection=connection,
        port=port,
        user=user,
        password=_secret(host, aliases.password),
        key_file=key_file,
        become_password=_secret(host, _BECOME_PASSWORD),
        unattended=_unattended(host, out),
        report_to=_addresses(host, "auditor_report_to", out),
        report_cc=_addresses(host, "auditor_report_cc", out),
        site=_site(host, out),
        groups=host.groups,
        source=host.source,
        ssh_pieces=ssh.pieces if ssh else (),
        origins=_origins(host),
        private_key=_secret(host, _PRIVATE_KEY) if aliases is _SSH else None,
        key_passphrase=_secret(host, _KEY_PASSPHRASE) if aliases is _SSH else None,
        winrm=winrm,
        device=device,
    )
    problems = tuple(replace(p, customer=customer) for p in out.problems)
    return target, problems


def _last(host: ResolvedHost, names: tuple[str, ...]) -> tuple[str, HostVar] | None:
    """The highest-precedence alias that is set (last in ``names``)."""
    for name in reversed(names):
        if name in host.vars and host.vars[name].value is not None:
            return name, host.vars[name]
    return None


def _text(host: ResolvedHost, names: tuple[str, ...], out: _Collector) -> str | None:
    found = _last(host, names)
    if found is None:
        return None
    name, var = found
    if isinstance(var.value, bool) or not isinstance(var.value, str | int | float):
        out.add(var, f"{name} must be a string, not {type(var.value).__name__}")
        return None
    return str(var.value)


def _customer(host: ResolvedHost, out: _Collector) -> str:
    given = _text(host, ("auditor_customer",), out)
    if given and given.strip():
        return given.strip()
    top = [g for g in host.top_groups if g != "ungrouped"]
    if top:
        return top[0]
    if host.source and "," not in host.source:
        return PurePath(host.source).stem
    return "ungrouped"


def _connection(host: ResolvedHost, out: _Collector) -> tuple[Connection, _Aliases]:
    raw = _text(host, ("ansible_connection",), out) or "ssh"
    known = _CONNECTIONS.get(raw)
    if known is None:
        supported = "ssh, winrm, psrp, network_cli, local"
        out.add(
            host.vars.get("ansible_connection"),
            f"ansible_connection {raw!r} is not supported ({supported})",
        )
        return Connection.SSH, _SSH
    return known


def _address(host: ResolvedHost, aliases: _Aliases, out: _Collector) -> str:
    found = _last(host, aliases.address)
    address = _text(host, aliases.address, out)
    if found is not None and address is not None and not address.strip():
        out.add(found[1], f"{found[0]} is set but empty")
    return address.strip() if address and address.strip() else host.name


def _port(host: ResolvedHost, aliases: _Aliases, out: _Collector) -> int | None:
    found = _last(host, aliases.port)
    if found is None:
        return None
    name, var = found
    value = var.value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        out.add(var, f"{name} {var.value!r} is not a port number (1-65535)")
        return None
    return value


def _secret(host: ResolvedHost, names: tuple[str, ...]) -> Secret | None:
    found = _last(host, names)
    return found[1].value if found and isinstance(found[1].value, Secret) else None


def _role(host: ResolvedHost, out: _Collector, connection: Connection) -> Role:
    """``auditor_role``; a device reached over network_cli is a network device unless told.

    network_cli runs no payload, so a server or workstation role there would
    promise checks the auditor cannot make: that is a problem for the host.
    """
    raw = _text(host, ("auditor_role",), out)
    device = connection is Connection.NETWORK_CLI
    if raw is None:
        return Role.NETWORK if device else Role.SERVER
    try:
        role = Role(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        out.add(host.vars.get("auditor_role"), f"auditor_role {raw!r} is not one of {allowed}")
        return Role.NETWORK if device else Role.SERVER
    if device and role is not Role.NETWORK:
        out.add(
            host.vars.get("auditor_role"),
            f"auditor_role {raw!r} does not fit ansible_connection network_cli "
            "(a device's CLI runs no probe; use auditor_role network, or ssh for a host "
            "with a shell)",
        )
        return Role.NETWORK
    return role


def _site(host: ResolvedHost, out: _Collector) -> str:
    """``auditor_site``: which site's workers reach the host (``auditor schedule``)."""
    raw = _text(host, ("auditor_site",), out)
    if raw is None or not raw.strip():
        return DEFAULT_SITE
    site = raw.strip()
    if not SITE_NAME.fullmatch(site):
        out.add(host.vars.get("auditor_site"),
                f"auditor_site {raw!r}: use letters, digits, '.', '_' or '-' (at most 63)")  # fmt: skip
        return DEFAULT_SITE
    return site


def _addresses(host: ResolvedHost, name: str, out: _Collector) -> tuple[str, ...]:
    """Mail recipients: a YAML list, or one string with commas or semicolons between them."""
    var = host.vars.get(name)
    if var is None or var.value is None:
        return ()
    raw = var.value
    items = list(raw) if isinstance(raw, list | tuple) else str(raw).replace(";", ",").split(",")
    found = []
    for item in items:
        address = str(item).strip()
        if not address:
            continue
        if not _MAIL.match(address):
            out.add(var, f"{name}: {address!r} is not a mail address")
            continue
        found.append(address)
    return tuple(dict.fromkeys(found))


def _unattended(host: ResolvedHost, out: _Collector) -> bool:
    var = host.vars.get("auditor_unattended")
    if var is None or var.value is None:
        return False
    value = var.value
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int | float) else None
    if text in _TRUE or text == "1.0":
        return True
    if text in _FALSE or text == "0.0":
        return False
    out.add(var, f"auditor_unattended {value!r} is not a boolean (yes/no, true/false, 1/0)")
    return False


def _ssh_args(
    host: ResolvedHost,
    out: _Collector,
    port: int | None,
    user: str | None,
    key: str | None,
    inline_key: bool,
) -> ssh_args.SshArgs | None:
    """Ansible's OpenSSH arguments for this host; an option the auditor would not
    reproduce is a problem naming it (the host is then not contacted)."""
    texts = {opt: _text(host, names, out) for opt, names in _SSH_OPTIONS.items()}
    used = {
        usual: found[0]
        for usual, aliases in (
            ("ansible_port", _SSH.port), ("ansible_user", _SSH.user),
            ("ansible_private_key_file", _SSH.key_file), ("ansible_private_key", _PRIVATE_KEY),
            *((names[0], names) for names in _SSH_OPTIONS.values()),
        )
        if (found := _last(host, aliases)) is not None
    }  # fmt: skip
    checking = _boolean(host, _SSH_OPTIONS["host_key_checking"], out)
    timeout = texts["timeout"]
    try:
        built = ssh_args.build(
            ssh_args=texts["ssh_args"],
            host_key_checking=checking,
            port=port,
            key_file=key,
            inline_key=inline_key,
            user=user,
            timeout=int(timeout) if timeout and timeout.strip().isdigit() else None,
            common_args=texts["common_args"],
            extra_args=texts["extra_args"],
            names=used,
        )
        rejected = [
            (var, shown) for var, args in built.pieces for shown in ssh_args.unsupported(args)
        ]
    except ValueError as exc:
        out.add(_first_set(host, _SSH_OPTIONS), f"ssh arguments: {exc}")
        return None
    for var, shown in rejected:
        out.add(host.vars.get(var), f"{var}: option {shown!r} changes how the host is reached "
                "and is not supported by the auditor")  # fmt: skip
    return built


def _winrm(
    host: ResolvedHost, out: _Collector, aliases: _Aliases, port: int | None, user: str | None
) -> WinrmOptions | None:
    """The winrm or psrp plugin's settings for a Windows host (inventory/winrm_vars.py)."""
    plugin = {id(_WINRM): "winrm", id(_PSRP): "psrp"}.get(id(aliases))
    if plugin is None:
        return None
    values = {name: var.value for name, var in host.vars.items()}
    options, problems = winrm_vars.OPTION_READERS[plugin](values, port, user)
    for problem in problems:
        var = host.vars.get(problem.var) if problem.var else None
        out.add(var, problem.message)
    return options


def _device(host: ResolvedHost, out: _Collector) -> DeviceOptions | None:
    """network_cli's platform and enable settings (inventory/device_vars.py)."""
    values = {name: var.value for name, var in host.vars.items()}
    options, problems = device_vars.device_options(values)
    for problem in problems:
        var = host.vars.get(problem.var) if problem.var else None
        out.add(var, problem.message)
    return options


def _first_set(host: ResolvedHost, options: Mapping[str, tuple[str, ...]]) -> HostVar | None:
    return next((host.vars[n] for names in options.values() for n in names if n in host.vars), None)


def _boolean(host: ResolvedHost, names: tuple[str, ...], out: _Collector) -> bool | None:
    found = _last(host, names)
    if found is None:
        return None
    name, var = found
    text = str(var.value).strip().lower() if isinstance(var.value, str | int | bool) else ""
    if isinstance(var.value, bool):
        return var.value
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    out.add(var, f"{name} {var.value!r} is not a boolean (yes/no, true/false, 1/0)")
    return None


def _origins(host: ResolvedHost) -> tuple[tuple[str, str], ...]:
    """Where each variable the auditor read was set: ``file:line`` (for ``inventory --host``)."""
    return tuple(
        (name, f"{var.source}:{var.line}" if var.line else var.source)
        for name, var in sorted(host.vars.items())
        if var.source and name not in SECRET_VARS
    )
