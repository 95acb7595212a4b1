"""The OpenSSH command line Ansible's ssh connection plugin would build for a host.

The auditor reaches a host the way the MSP's Ansible does: its own SSH
client (asyncssh) is configured from what OpenSSH would use, and OpenSSH is
asked for that (``ssh -G``, :mod:`auditor.transports.openssh`). This module
builds the arguments Ansible puts before the host name, in Ansible's order
(ansible-core ``plugins/connection/ssh.py`` ``_build_command``; OpenSSH keeps
the *first* value it sees for an option, so the order decides):

1. ``ansible_ssh_args`` (default ``-C -o ControlMaster=auto -o ControlPersist=60s``)
2. ``-o StrictHostKeyChecking=no`` when ``ansible_host_key_checking`` is false
3. ``-o Port=`` from ``ansible_port``
4. ``-o IdentitiesOnly=yes`` when the key itself is in the inventory
   (``ansible_private_key``), else ``-o IdentityFile=`` from ``ansible_private_key_file``
5. ``-o User=`` from ``ansible_user``
6. ``-o ConnectTimeout=`` from ``ansible_timeout`` (only when set: the auditor's
   profile has its own connect timeout)
7. ``ansible_ssh_common_args``, then ``ansible_ssh_extra_args``

and checks every option in them: the auditor's transport honours the ones in
:data:`HONOURED` and may ignore :data:`HARMLESS` ones (connection sharing,
logging, terminal); any other option changes how a host is reached in a way
the auditor would not reproduce, so it is a problem for that host, naming the
option. Pure: no I/O.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

ANSIBLE_SSH_ARGS_DEFAULT = "-C -o ControlMaster=auto -o ControlPersist=60s"

# ssh_config keywords the transport uses (lower case, as OpenSSH compares them).
HONOURED = frozenset(
    k.lower()
    for k in (
        "HostName", "Port", "User", "IdentityFile", "IdentitiesOnly", "IdentityAgent",
        "CertificateFile", "ProxyJump", "ProxyCommand", "ConnectTimeout",
        "StrictHostKeyChecking", "UserKnownHostsFile", "GlobalKnownHostsFile",
        "ServerAliveInterval", "ServerAliveCountMax", "KexAlgorithms", "HostKeyAlgorithms",
        "PubkeyAcceptedAlgorithms", "PubkeyAcceptedKeyTypes", "CASignatureAlgorithms",
        "Ciphers", "MACs", "PasswordAuthentication", "PubkeyAuthentication",
        "PreferredAuthentications", "KbdInteractiveAuthentication", "BatchMode",
    )
)  # fmt: skip
# Options that do not change which host is reached or how it authenticates.
HARMLESS = frozenset(
    k.lower()
    for k in (
        "ControlMaster", "ControlPersist", "ControlPath", "Compression", "LogLevel",
        "ForwardAgent", "ForwardX11", "ForwardX11Trusted", "RequestTTY", "SendEnv", "SetEnv",
        "TCPKeepAlive", "UpdateHostKeys", "VisualHostKey", "HashKnownHosts", "CheckHostIP",
        "GSSAPIAuthentication", "GSSAPIDelegateCredentials", "ChallengeResponseAuthentication",
        "AddKeysToAgent", "UseKeychain", "EscapeChar", "ExitOnForwardFailure",
        "ClearAllForwardings", "NumberOfPasswordPrompts", "ConnectionAttempts", "LocalCommand",
        "PermitLocalCommand", "IPQoS", "StreamLocalBindUnlink", "VerifyHostKeyDNS",
        "NoHostAuthenticationForLocalhost", "FingerprintHash", "SyslogFacility",
    )
)  # fmt: skip
# OpenSSH flags: those with an argument, and how each maps to a keyword (None: harmless).
_FLAGS_WITH_ARG = {
    "i": "identityfile", "p": "port", "l": "user", "J": "proxyjump", "F": "-F",
    "c": "ciphers", "m": "macs", "o": "-o", "E": None, "S": "controlpath",
    "b": "bindaddress", "B": "bindinterface", "D": "dynamicforward", "L": "localforward",
    "R": "remoteforward", "W": "-W", "w": "tunnel", "O": "-O", "Q": "-Q", "e": None,
    "I": "pkcs11provider",
}  # fmt: skip
# Flags without an argument that change nothing about reaching the host.
_HARMLESS_FLAGS = frozenset("qvCtTnNAaxXYyKkgsfGV")
_KEYWORD_VALUE = re.compile(r"\s*([A-Za-z0-9]+)\s*(?:=|\s)\s*(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SshArgs:
    """The arguments before the host name, and which inventory variable gave each piece."""

    argv: tuple[str, ...]
    pieces: tuple[tuple[str, tuple[str, ...]], ...]  # (variable name, its arguments)


def build(
    *,
    ssh_args: str | None,
    host_key_checking: bool | None,
    port: int | None,
    key_file: str | None,
    user: str | None,
    inline_key: bool = False,
    timeout: int | None,
    common_args: str | None,
    extra_args: str | None,
    names: Mapping[str, str] | None = None,
) -> SshArgs:
    """Ansible's argument list (see the module docstring); ``ValueError`` on unsplittable text.

    ``names`` maps a piece's usual variable name to the alias the inventory really
    used (``ansible_ssh_user`` for ``ansible_user``), so each piece names its source.
    """
    pieces: list[tuple[str, tuple[str, ...]]] = []

    def add(var: str, args: list[str]) -> None:
        if args:
            pieces.append(((names or {}).get(var, var), tuple(args)))

    add("ansible_ssh_args", split(ANSIBLE_SSH_ARGS_DEFAULT if ssh_args is None else ssh_args))
    if host_key_checking is False:
        add("ansible_host_key_checking", ["-o", "StrictHostKeyChecking=no"])
    if port is not None:
        add("ansible_port", ["-o", f"Port={port}"])
    if inline_key:  # Ansible adds it to the agent and names only it; the auditor offers it directly
        add("ansible_private_key", ["-o", "IdentitiesOnly=yes"])
    elif key_file:
        add("ansible_private_key_file", ["-o", f"IdentityFile={key_file}"])
    if user:
        add("ansible_user", ["-o", f"User={user}"])
    if timeout is not None:
        add("ansible_timeout", ["-o", f"ConnectTimeout={timeout}"])
    add("ansible_ssh_common_args", split(common_args or ""))
    add("ansible_ssh_extra_args", split(extra_args or ""))
    return SshArgs(tuple(a for _, args in pieces for a in args), tuple(pieces))


def split(text: str) -> list[str]:
    """Split like Ansible's ``_split_ssh_args`` (shlex); ``ValueError`` names the problem."""
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split {text!r}: {exc}") from None


def unsupported(argv: tuple[str, ...]) -> list[str]:
    """The options in ``argv`` that would change how the host is reached, as the user wrote them."""
    found = []
    for keyword, shown in options(argv):
        if keyword not in HONOURED and keyword not in HARMLESS and keyword != "-F":
            found.append(shown)
    return found


def options(argv: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(lower-case keyword or flag, the text as written) for every option in ``argv``."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or len(token) < 2:
            yield "-positional", token  # a host name or command among the options
            i += 1
            continue
        letter = token[1]
        if letter in _FLAGS_WITH_ARG:
            value = token[2:]
            if not value:
                if i + 1 >= len(argv):
                    raise ValueError(f"ssh option {token} has no value")
                value, i = argv[i + 1], i + 1
            keyword = _FLAGS_WITH_ARG[letter]
            if keyword == "-o":
                match = _KEYWORD_VALUE.match(value)
                if match is None:
                    raise ValueError(f"ssh option -o {value!r} is not 'Keyword=value'")
                yield match[1].lower(), f"-o {value}"
            elif keyword is not None:
                yield keyword, f"{token} {value}" if len(token) == 2 else token
        else:
            for flag in token[1:]:
                if flag not in _HARMLESS_FLAGS:
                    yield f"-{flag}", f"-{flag}"
        i += 1


def route(argv: tuple[str, ...]) -> str | None:
    """The first ProxyJump/-J or ProxyCommand in ``argv`` (OpenSSH keeps the first), for display.

    Only what the inventory says; ssh_config may add one (``auditor inventory --host``).
    """
    for i, token in enumerate(argv):
        if token == "-J" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith("-J") and len(token) > 2:
            return token[2:]
        value = argv[i + 1] if token == "-o" and i + 1 < len(argv) else token[2:]
        if token.startswith("-o"):
            match = _KEYWORD_VALUE.match(value)
            if match and match[1].lower() == "proxyjump":
                return match[2].strip()
            if match and match[1].lower() == "proxycommand":
                return f"ProxyCommand {match[2].strip()}"
    return None
