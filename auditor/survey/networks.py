"""Which addresses a survey may touch: the networks given on the command line, and no more.

A survey sends connection attempts to every address of its networks, so the
size is bounded (``MAX_ADDRESSES``: a /20) unless the technician says
``--force``; a typo such as ``10.0.0.0/8`` must not start a scan of 16 million
addresses at a customer's site.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from auditor.errors import ConfigError

MAX_ADDRESSES = 4096  # a /20
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(texts: Sequence[str], *, force: bool = False) -> tuple[IPNetwork, ...]:
    """The networks of ``texts`` (``198.51.100.0/24``, or one address); one-line errors."""
    networks: list[IPNetwork] = []
    for text in texts:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                f"survey: {text!r} is not a network (CIDR such as 198.51.100.0/24)"
            ) from None
        if network.num_addresses > MAX_ADDRESSES and not force:
            raise ConfigError(
                f"survey: {network} has {network.num_addresses} addresses, more than a /20 "
                f"({MAX_ADDRESSES}); give smaller networks, or --force"
            )
        networks.append(network)
    if not networks:
        raise ConfigError("survey: give at least one network (CIDR)")
    return tuple(networks)


def addresses(networks: Sequence[IPNetwork]) -> Iterator[IPAddress]:
    """Every host address of ``networks``, each once, in order (no network or broadcast)."""
    seen: set[IPAddress] = set()
    for network in networks:
        hosts = network.hosts() if network.num_addresses > 2 else iter(network)
        for found in hosts:
            address = ipaddress.ip_address(str(found))  # typed as the concrete v4 or v6 address
            if address not in seen:
                seen.add(address)
                yield address


def inside(address: str, networks: Sequence[IPNetwork]) -> bool:
    """Whether ``address`` is in one of ``networks`` (the guard every connection passes)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
