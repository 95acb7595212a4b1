"""The jump host hidden in an Ansible host's ssh arguments.

Ansible has no jump-host variable: users put ``-o ProxyJump=user@bastion:2222``,
``-J bastion`` or ``-o ProxyCommand="ssh -W %h:%p -q user@bastion"`` into
``ansible_ssh_common_args`` / ``ansible_ssh_extra_args``. The auditor's own
transport needs the jump host as data, in OpenSSH's ``-J`` syntax
``[user@]host[:port]`` (several hops comma-separated, as ``ProxyJump`` allows).

As in OpenSSH, the first ``ProxyJump``/``-J``/``ProxyCommand`` seen wins. A
``ProxyCommand`` that is not an ``ssh`` hop (``nc -X connect``, ``aws ssm``,
...) cannot be reproduced; auditing such a host directly would test the wrong
path, so :func:`jump_host_from_ssh_args` raises ``ValueError`` for it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

# OpenSSH client options that take an argument (ssh(1) SYNOPSIS); the rest are flags.
_SSH_OPTS_WITH_ARG = frozenset("BbcDEeFIiJLlmOoPpQRSWw")
# ssh_config(5): "Keyword value" or "Keyword=value".
_KEYWORD_VALUE = re.compile(r"\s*(\w+)\s*(?:=|\s)\s*(.*)", re.DOTALL)


def jump_host_from_ssh_args(*args: str) -> str | None:
    """The jump host of the first jump option in ``args`` (joined in order), or None.

    ``ProxyJump=none`` (OpenSSH's way to switch a configured jump off) gives None.
    Raises ``ValueError`` (one line) for arguments that do not split like a
    shell would, or for a ``ProxyCommand`` that is not an ssh hop.
    """
    tokens = shlex.split(" ".join(a for a in args if a))
    for keyword, value in _jump_options(tokens):
        if keyword == "proxyjump":
            return None if value.lower() == "none" else value
        return _hop_from_proxy_command(value)
    return None


def _jump_options(tokens: list[str]) -> Iterator[tuple[str, str]]:
    """Yield (``proxyjump``|``proxycommand``, value) in command-line order."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("-J"):
            value, i = _option_value(tokens, i, token[2:])
            yield "proxyjump", value
        elif token.startswith("-o"):
            value, i = _option_value(tokens, i, token[2:])
            match = _KEYWORD_VALUE.match(value)
            if match and match[1].lower() in ("proxyjump", "proxycommand"):
                yield match[1].lower(), match[2].strip()
        i += 1


def _option_value(tokens: list[str], i: int, attached: str) -> tuple[str, int]:
    """The option's value, attached (``-Jhost``) or in the next token (``-J host``)."""
    if attached:
        return attached, i
    if i + 1 >= len(tokens):
        raise ValueError(f"ssh option {tokens[i]} has no value")
    return tokens[i + 1], i + 1


def _hop_from_proxy_command(command: str) -> str:
    """``ssh [opts] [user@]host ...`` (with ``-W %h:%p`` or ``nc %h %p``) -> ``user@host:port``."""
    argv = shlex.split(command)
    if not argv or argv[0].rsplit("/", 1)[-1] != "ssh":
        raise ValueError(f"ProxyCommand {command!r} is not an ssh hop (ssh -W %h:%p HOST)")
    user = port = destination = None
    i = 1
    while i < len(argv) and destination is None:
        token = argv[i]
        if token.startswith("-") and len(token) > 1:
            letter = token[1]
            if letter in _SSH_OPTS_WITH_ARG:
                value, i = _option_value(argv, i, token[2:])
                user = value if letter == "l" else user
                port = value if letter == "p" else port
        else:
            destination = token
        i += 1
    if destination is None:
        raise ValueError(f"ProxyCommand {command!r} names no jump host")
    return _join_hop(destination, user, port)


def _join_hop(destination: str, user: str | None, port: str | None) -> str:
    """Combine ``ssh://user@host:port`` or ``user@host`` with ``-l``/``-p`` values."""
    if destination.startswith("ssh://"):
        return destination.removeprefix("ssh://").rstrip("/")
    if user and "@" not in destination:
        destination = f"{user}@{destination}"
    return f"{destination}:{port}" if port else destination
