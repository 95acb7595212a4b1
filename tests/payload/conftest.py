"""One loopback world per test module: DNS, UDP echo, TLS and TCP servers, a resolv.conf."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from payload_servers import (
    DnsServer,
    TcpServers,
    TlsServer,
    UdpResponder,
    World,
    make_pki,
    random_loopback,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("payload-world")
    pki = make_pki(directory)
    dns = DnsServer()
    dead = random_loopback(54)
    resolv_conf = directory / "resolv.conf"
    resolv_conf.write_text(
        "# test resolver\n"
        f"nameserver {dns.address}\n"
        f"nameserver {dead}\n"
        "options timeout:1 attempts:1\n"
    )
    servers = World(
        dns=dns,
        dead_resolver=dead,
        echo=UdpResponder(echo=True),
        wrong=UdpResponder(echo=False),
        tcp=TcpServers(),
        tls_good=TlsServer(pki["good"]),
        tls_wrong_name=TlsServer(pki["wrong_name"]),
        tls_rogue=TlsServer(pki["rogue"]),
        pki=pki,
        resolv_conf=resolv_conf,
    )
    yield servers
    for server in (dns, servers.echo, servers.wrong, servers.tls_good, servers.tls_wrong_name):
        server.close()
    servers.tls_rogue.close()
    servers.tcp.close()
