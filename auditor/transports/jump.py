"""Jump host specs as Ansible inventories write them (``ProxyJump``'s ``[user@]host[:port]``)."""

from __future__ import annotations

from dataclasses import dataclass


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
