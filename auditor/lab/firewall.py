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


def ruleset(host: HostSpec, ssh_from: str | None = None) -> str:
    """The whole nft script for ``host``; empty when it has no fault at all.

    ``ssh_from``: the only address allowed to reach port 22 (a host behind a jump host).
    """
    own = [f for f in host.faults if not f.upstream]
    if not own and not host.intercept_tls and not ssh_from:
        return ""
    lines: list[str] = []
    if own:
        lines += [f"table inet {TABLE} {{", "  chain output {"]
        lines += ["    type filter hook output priority 0;"]
        lines += [f"    {fault_rule(f)}" for f in own]
        lines += ["  }", "}"]
    if ssh_from:
        lines += [f"table inet {TABLE}_in {{", "  chain input {"]
        lines += ["    type filter hook input priority 0;"]
        lines += [f"    tcp dport 22 ip saddr != {ssh_from} drop", "  }", "}"]
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


def apply(ns: str, host: HostSpec, ssh_from: str | None = None) -> None:
    """Load ``host``'s rules into namespace ``ns`` (nothing to do without faults)."""
    load(ns, ruleset(host, ssh_from))


def upstream_ruleset(hosts: list[tuple[str, HostSpec]]) -> str:
    """The router's ``forward`` rules for every upstream fault; ``hosts``: (address, spec)."""
    rules = [
        f"    ip saddr {address} {f.proto} dport {f.port} {_VERDICT[f.action]}"
        for address, spec in hosts
        for f in spec.faults
        if f.upstream
    ]
    if not rules:
        return ""
    head = [f"table inet {TABLE}_edge {{", "  chain forward {"]
    return "\n".join([*head, "    type filter hook forward priority 0;", *rules, "  }", "}"]) + "\n"


def apply_upstream(router_ns: str, hosts: list[tuple[str, HostSpec]]) -> None:
    """Load the customer edge firewall's faults into the site's router."""
    load(router_ns, upstream_ruleset(hosts))


def msp_nat_ruleset(gateways: list[str]) -> str:
    """The MSP router's source NAT toward the remote sites' gateways.

    A site's hosts use the same /24 as the MSP's LAN, so they could not
    answer 198.51.100.2 across the internet; like any office behind NAT, the
    MSP reaches them from its router's internet address.
    """
    if not gateways:
        return ""
    return "\n".join([
        f"table ip {TABLE}_msp_nat {{",
        "  chain postrouting {",
        "    type nat hook postrouting priority 100;",
        f"    ip saddr {_LAN} ip daddr {{ {', '.join(gateways)} }} masquerade",
        "  }",
        "}",
    ]) + "\n"  # fmt: skip


def site_nat_ruleset(wan: str, hosts: list[tuple[str, int, int]]) -> str:
    """A remote site's gateway: one port forward per host, masquerade out to the internet.

    ``hosts``: (LAN address, SSH port on the host, port forwarded on the gateway).
    """
    forwards = [
        f"    iifname {wan} tcp dport {outside} dnat to {addr}:{port}"
        for addr, port, outside in hosts
    ]
    return "\n".join([
        f"table ip {TABLE}_site {{",
        "  chain prerouting {",
        "    type nat hook prerouting priority -100;",
        *forwards,
        "  }",
        "  chain postrouting {",
        "    type nat hook postrouting priority 100;",
        f"    oifname {wan} masquerade",
        "  }",
        "}",
    ]) + "\n"  # fmt: skip


def load(ns: str, script: str) -> None:
    """Load an nft script into namespace ``ns`` (nothing to do for an empty one)."""
    if script:
        netns.run(netns.exec_argv(ns, ["nft", "-f", "-"]), stdin=script)
