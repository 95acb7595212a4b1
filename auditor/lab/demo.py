"""The demo fleet: two customers, eleven hosts (two Windows servers, a switch and a firewall
driven over their CLI), a few realistic faults.

Used by ``python -m auditor.lab up --spec demo`` (``make demo``). What the
report should show per host is written next to it.
"""

from __future__ import annotations

from auditor.lab.spec import (
    RESOLVER_GOOD,
    RESOLVER_HIJACK,
    DeviceSpec,
    Fault,
    HostSpec,
    LabSpec,
    WindowsSpec,
)
from auditor.model import Role

BAECKEREI = "Bäckerei Sonnenschein"
KANZLEI = "Kanzlei Weber & Partner"

DEMO_SPEC = LabSpec(
    name="demo",
    hosts=(
        # everything in order: the compliant devices (a Linux and a Windows server, over
        # WinRM with NTLM, audited with a domain admin account)
        HostSpec("sonne-srv1", BAECKEREI, Role.SERVER, teamviewer="running"),
        HostSpec(
            "sonne-dc1",
            BAECKEREI,
            Role.SERVER,
            teamviewer="running",
            windows=WindowsSpec(admin="domain_admin"),
        ),
        # TeamViewer Host installed, but its service is stopped
        HostSpec("sonne-app", BAECKEREI, Role.SERVER, teamviewer="stopped"),
        # the shop firewall blocks TeamViewer's own port: falls back to 443
        HostSpec("sonne-kasse", BAECKEREI, Role.WORKSTATION, faults=(Fault("tcp", 5938),)),
        # the router hands out a resolver that sinkholes everything
        HostSpec("sonne-nas", BAECKEREI, Role.NETWORK, resolvers=(RESOLVER_HIJACK, RESOLVER_GOOD)),
        # the core switch (Cisco IOS XE): the audit account logs in at level 1 and enable,
        # with the secret from the inventory, gives level 15: administrative access proven
        HostSpec("sonne-sw1", BAECKEREI, Role.NETWORK, device=DeviceSpec("ios", 1, become=True)),
        # a proxy breaks TLS open; its TeamViewer Host is assigned to another company (only the
        # TeamViewer Web API can tell: on the host it looks enrolled)
        HostSpec(
            "weber-dc1",
            KANZLEI,
            Role.SERVER,
            intercept_tls=True,
            teamviewer="running",
            teamviewer_managed="other",
        ),
        # DNS only over UDP, and the full TeamViewer client instead of the Host module
        HostSpec(
            "weber-fs1",
            KANZLEI,
            Role.SERVER,
            faults=(Fault("tcp", 53, "icmp"),),
            teamviewer="client",
        ),
        # switched off / SSH disabled: unreachable, not "failed"
        HostSpec("weber-fw", KANZLEI, Role.NETWORK, sshd=False),
        # the firewall (FortiGate): the account's admin profile is prof_admin, not super_admin
        HostSpec("weber-fw2", KANZLEI, Role.NETWORK, device=DeviceSpec("fortios", "prof_admin")),
        # a Windows terminal server over WinRM/HTTPS: the local audit account is an
        # administrator, but UAC filters its token over the network (no admin rights); its
        # TeamViewer Host runs but was marked unmanaged (consent to the assignment skipped)
        HostSpec(
            "weber-ts1",
            KANZLEI,
            Role.SERVER,
            teamviewer="running",
            teamviewer_managed="unmanaged",
            windows=WindowsSpec(admin="uac_filtered", scheme="https"),
        ),
    ),
)
