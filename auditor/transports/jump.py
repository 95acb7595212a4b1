"""Jump host specs as Ansible inventories write them (``ProxyJump``'s ``[user@]host[:port]``),
and how many logins may go through one jump host at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

# OpenSSH's sshd starts refusing unauthenticated connections at random beyond 10
# (MaxStartups 10:30:100): stay below it on every jump host, whatever --forks says.
JUMP_LOGINS_AT_ONCE = 8


@dataclass(frozen=True, slots=True)
class JumpHost:
    host: str
    port: int = 22
    user: str | None = None


def parse_jump(spec: str) -> JumpHost:
    """Parse ``[user@]host[:port]`` or ``[user@][v6addr]:port``; only the first hop of a chain."""
    first = spec.split(",")[0].strip()
    user, _, hostport = first.rpartition("@")
    host, port = hostport, 22
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif hostport.count(":") == 1:
        host, _, port_text = hostport.partition(":")
        port = int(port_text)
    if not host:
        raise ValueError(f"jump host {spec!r} has no host")
    return JumpHost(host=host, port=port, user=user or None)


@dataclass(slots=True)
class JumpGates:
    """One semaphore per jump host (``host:port``) for the logins through it, per run.

    Only the SSH handshake with the jump host waits at the gate; the audit
    behind it does not, so a site behind one bastion is audited at full speed
    once its logins are in.
    """

    at_once: int = JUMP_LOGINS_AT_ONCE
    _gates: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def gate(self, host: str, port: int) -> asyncio.Semaphore:
        key = f"{host}:{port}"
        if key not in self._gates:
            self._gates[key] = asyncio.Semaphore(self.at_once)
        return self._gates[key]
