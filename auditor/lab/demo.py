"""The demo fleet: two customers, six hosts, a few realistic faults.

Used by ``python -m auditor.lab up --spec demo`` (``make demo``). What the
report should show per host is written next to it.
"""

from __future__ import annotations

from auditor.lab.spec import RESOLVER_GOOD, RESOLVER_HIJACK, Fault, HostSpec, LabSpec
from auditor.model import Role

BAECKEREI = "Bäckerei Sonnenschein"
KANZLEI = "Kanzlei Weber & Partner"

DEMO_SPEC = LabSpec(
    name="demo",
    hosts=(
        # compliant on the network side
        HostSpec("sonne-srv1", BAECKEREI, Role.SERVER),
        # the shop firewall blocks TeamViewer's own port: falls back to 443
        HostSpec("sonne-kasse", BAECKEREI, Role.WORKSTATION, faults=(Fault("tcp", 5938),)),
        # the router hands out a resolver that sinkholes everything
        HostSpec("sonne-nas", BAECKEREI, Role.NETWORK, resolvers=(RESOLVER_HIJACK, RESOLVER_GOOD)),
        # a proxy breaks TLS open
        HostSpec("weber-dc1", KANZLEI, Role.SERVER, intercept_tls=True),
        # DNS only over UDP: large answers and DNSSEC would fail
        HostSpec("weber-fs1", KANZLEI, Role.SERVER, faults=(Fault("tcp", 53, "icmp"),)),
        # switched off / SSH disabled: unreachable, not "failed"
        HostSpec("weber-fw", KANZLEI, Role.NETWORK, sshd=False),
    ),
)
