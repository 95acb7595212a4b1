"""Egress faults as real nftables rules in a host's own namespace.

Rules sit in the host's ``output`` hook, so they model a host firewall: what
the probe on that host sees is what a real blocked host shows (drop: connect
timeout, UDP ``sendto`` EPERM; reset: ECONNREFUSED; icmp: port unreachable).
TLS interception is a ``nat output`` dnat of TCP 443 to the rogue TLS box.
Faults never touch the LAN (198.51.100.0/24), so the management SSH session
to the host keeps working whatever the fault.
"""

from __future__ import annotations

from auditor.lab import netns
from auditor.lab.spec import LAN_PREFIX, ROGUE_TLS, ROUTER_LAN, Fault, HostSpec

TABLE = "auditor_lab"
_LAN = f"{ROUTER_LAN.rsplit('.', 1)[0]}.0/{LAN_PREFIX}"
_VERDICT = {
    "drop": "drop",
    "reset": "reject with tcp reset",
    "icmp": "reject with icmp type port-unreachable",
}


def fault_rule(fault: Fault) -> str:
    """One nft rule for ``fault`` (IPv4, leaves the lab LAN alone)."""
    return f"ip daddr != {_LAN} {fault.proto} dport {fault.port} {_VERDICT[fault.action]}"


def ruleset(host: HostSpec) -> str:
    """The whole nft script for ``host``; empty when it has no fault at all."""
    if not host.faults and not host.intercept_tls:
        return ""
    lines: list[str] = []
    if host.faults:
        lines += [f"table inet {TABLE} {{", "  chain output {"]
        lines += ["    type filter hook output priority 0;"]
        lines += [f"    {fault_rule(f)}" for f in host.faults]
        lines += ["  }", "}"]
    if host.intercept_tls:
        lines += [
            f"table ip {TABLE}_nat {{",
            "  chain output {",
            "    type nat hook output priority -100;",
            f"    ip daddr != {{ {_LAN}, {ROGUE_TLS} }} tcp dport 443 dnat to {ROGUE_TLS}",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def apply(ns: str, host: HostSpec) -> None:
    """Load ``host``'s rules into namespace ``ns`` (nothing to do without faults)."""
    script = ruleset(host)
    if script:
        netns.run(netns.exec_argv(ns, ["nft", "-f", "-"]), stdin=script)
