"""Session-wide fixtures: the network-namespace lab.

``lab`` builds :data:`TEST_SPEC` once per pytest session (about a second) and
always tears it down, also when tests fail. Each session gets its own
namespace prefix (from its pid), so concurrent sessions on one machine do not
collide; a lab left by a killed session is removed by the next ``up``.

Hosts (198.51.100.10 upwards, in this order; ``lab.host(name).address``):

=========== ============================================================
good        everything works; ``audit`` user with :data:`AUDIT_PASSWORD`, no sudo
            rule for it; TeamViewer Host installed and running
tcp5938     egress TCP 5938 dropped (connect times out)
rst443      egress TCP 443 answered with RST (ECONNREFUSED)
udp53       egress UDP 53 dropped (sendto EPERM, DNS over UDP fails)
tcp53       egress TCP 53 rejected with ICMP port unreachable
hijack      resolver 203.0.113.54: every name -> 0.0.0.0
nxdomain    resolver 203.0.113.55: NXDOMAIN for everything
servfail    resolver 203.0.113.56: SERVFAIL for everything
intercept   TCP 443 dnat-ed to the rogue-CA TLS box
nossh       no sshd: port 22 refused
hang        authenticates, then hangs (ForceCommand sleep 3600)
udp5938     UDP 5938 dropped upstream, at the customer's edge (silence)
behind      SSH reachable only from ``good`` (audited through it as jump host)
sudonp      ``audit`` may sudo without a password; TeamViewer Host running, assigned to
            another company (not on the MSP's device list of the emulated TeamViewer API)
sudopw      ``audit`` may sudo with its password; TeamViewer Host installed, stopped
tvclient    the full TeamViewer client (package ``teamviewer``) running
ws          a workstation with TeamViewer Host running
busybox     no Python: root's sessions run in a chroot with only a static BusyBox
legacy      sshd offers only SHA-1 kex, an ssh-rsa host key, CBC and hmac-sha1; the
            inventory allows them (``ansible_ssh_common_args``), as for an old appliance
dropbear    Dropbear instead of OpenSSH (a network device, as on OpenWrt)
port2222    sshd on port 2222 (``ansible_port``)
winok       Windows (WinRM stand-in, lab/wsman.py): HTTP with NTLM and message encryption,
            a local admin account whose token holds Administrators; TeamViewer Host running
winuac      Windows over HTTPS (lab CA, ``ansible_winrm_ca_trust_path``): UAC filters the
            local account's token (Administrators deny-only); TeamViewer stopped, start type
            Disabled; egress TCP 5938 dropped
windomain   Windows, HTTP Basic (unencrypted), a Domain Admin; the hijacking resolver;
            the full TeamViewer client
winnoadm    Windows: the account is not in Administrators; TeamViewer not installed
winrid500   Windows: the built-in Administrator with FilterAdministratorToken = 1; its
            TeamViewer Host runs but is marked unmanaged
winself     Windows over HTTPS with a self-signed certificate nobody trusts
win401      Windows: the inventory's password is wrong (HTTP 401)
windeny     Windows: the login works, WinRM denies the account ("Access is denied")
windrop     Windows: the listener closes every connection without an answer
winslow     Windows: the listener answers later than any client waits
ios15 ...   network devices (lab/netdev.py emulates their CLI over SSH; ``DEVICES`` below):
            IOS at level 1 with enable to 15, level 1 and 7 without enable, a wrong
            enable secret, no enable secret on the device, a wrong login password; EOS
            at 15; NX-OS network-operator; Junos read-only and super-user; FortiOS
            prof_admin and super_admin; RouterOS full; PAN-OS superuser; a slow device,
            one that hangs at ``show privilege``, one that closes during ``show version``
webui       a web-managed appliance: HTTPS on 443 only (not in the lab's inventory; the
            survey finds it)
=========== ============================================================
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.lab import Fault, HostSpec, Lab, LabSpec, unique_prefix
from auditor.lab.inventory import write_inventory
from auditor.lab.spec import (
    RESOLVER_HIJACK,
    RESOLVER_NXDOMAIN,
    RESOLVER_SERVFAIL,
    DeviceSpec,
    WindowsSpec,
)
from auditor.model import Role, Secret
from tests.browser import browser, open_report  # noqa: F401 (fixtures: one Chromium per module that uses it)
from tests.engine.conftest import Audit, add_admin_hosts, add_extra_hosts, audit_lab
from tests.pg import postgres  # noqa: F401 (fixture: one PostgreSQL server per session)

# No test writes to the real user's history store: a run without --db uses this one
# (the lab audits set HOME to their work folder and unset it: history lives there).
os.environ["AUDITOR_DB"] = f"sqlite:///{tempfile.mkdtemp(prefix='auditor-tests-')}/history.sqlite"

AUDIT_PASSWORD = Secret("Lab-Audit-4711")
CUSTOMER = "Testkunde GmbH"


def _device(name: str, platform: str, privilege: int | str, **options: Any) -> HostSpec:
    return HostSpec(name, CUSTOMER, Role.NETWORK, device=DeviceSpec(platform, privilege, **options))


DEVICES = (
    _device("ios15", "ios", 1, become=True),
    _device("ios1", "ios", 1),
    _device("ios7", "ios", 7),
    _device("iosbadsec", "ios", 1, become=True, wrong_secret=True),
    _device("iosnosec", "ios", 1, become=True, enable_secret=False),
    _device("iosbadpw", "ios", 15, wrong_password=True),
    _device("eosadm", "eos", 15),
    _device("nxosop", "nxos", "network-operator"),
    _device("junosro", "junos", "read-only"),
    _device("junossu", "junos", "super-user"),
    _device("fortiprof", "fortios", "prof_admin"),
    _device("fortisuper", "fortios", "super_admin"),
    _device("rosfull", "routeros", "full"),
    _device("panossu", "panos", "superuser"),
    _device("devslow", "ios", 15, delay_s=1.0),
    _device("devhang", "ios", 15, hang_on="show privilege"),
    _device("devclose", "junos", "super-user", close_on="show version"),
)

TEST_SPEC = LabSpec(
    name="test",
    hosts=(
        HostSpec("good", CUSTOMER, Role.SERVER, password=AUDIT_PASSWORD, teamviewer="running"),
        HostSpec("tcp5938", CUSTOMER, Role.SERVER, faults=(Fault("tcp", 5938, "drop"),)),
        HostSpec("rst443", CUSTOMER, Role.SERVER, faults=(Fault("tcp", 443, "reset"),)),
        HostSpec("udp53", CUSTOMER, Role.SERVER, faults=(Fault("udp", 53, "drop"),)),
        HostSpec("tcp53", CUSTOMER, Role.SERVER, faults=(Fault("tcp", 53, "icmp"),)),
        HostSpec("hijack", CUSTOMER, Role.WORKSTATION, resolvers=(RESOLVER_HIJACK,)),
        HostSpec("nxdomain", CUSTOMER, Role.WORKSTATION, resolvers=(RESOLVER_NXDOMAIN,)),
        HostSpec("servfail", CUSTOMER, Role.NETWORK, resolvers=(RESOLVER_SERVFAIL,)),
        HostSpec("intercept", CUSTOMER, Role.SERVER, intercept_tls=True),
        HostSpec("nossh", CUSTOMER, Role.SERVER, sshd=False),
        HostSpec("hang", CUSTOMER, Role.SERVER, hang_after_auth=True),
        HostSpec("udp5938", CUSTOMER, Role.SERVER, faults=(Fault("udp", 5938, upstream=True),)),
        HostSpec("behind", CUSTOMER, Role.SERVER, ssh_only_from="good"),
        HostSpec("sudonp", CUSTOMER, password=AUDIT_PASSWORD, sudo="nopasswd",
                 teamviewer="running", teamviewer_managed="other"),
        HostSpec("sudopw", CUSTOMER, password=AUDIT_PASSWORD, sudo="password",
                 teamviewer="stopped", teamviewer_managed="unmanaged"),
        HostSpec("tvclient", CUSTOMER, teamviewer="client"),
        HostSpec("ws", CUSTOMER, Role.WORKSTATION, teamviewer="running", teamviewer_managed="none"),
        HostSpec("busybox", CUSTOMER, Role.SERVER, python=False),
        HostSpec("legacy", CUSTOMER, Role.SERVER, ssh_legacy=True),
        HostSpec("dropbear", CUSTOMER, Role.NETWORK, ssh_server="dropbear"),
        HostSpec("port2222", CUSTOMER, Role.SERVER, ssh_port=2222),
        HostSpec("winok", CUSTOMER, teamviewer="running", windows=WindowsSpec()),
        HostSpec("winuac", CUSTOMER, teamviewer="stopped", faults=(Fault("tcp", 5938),),
                 windows=WindowsSpec(admin="uac_filtered", scheme="https")),
        HostSpec("windomain", CUSTOMER, resolvers=(RESOLVER_HIJACK,), teamviewer="client",
                 windows=WindowsSpec(admin="domain_admin", auth=("basic",))),
        HostSpec("winnoadm", CUSTOMER, windows=WindowsSpec(admin="not_admin")),
        HostSpec("winrid500", CUSTOMER, teamviewer="running", teamviewer_managed="unmanaged",
                 windows=WindowsSpec(admin="rid500_filtered")),
        HostSpec("winself", CUSTOMER, windows=WindowsSpec(scheme="https",
                                                          certificate="self-signed")),
        HostSpec("win401", CUSTOMER, windows=WindowsSpec(wrong_password=True)),
        HostSpec("windeny", CUSTOMER, windows=WindowsSpec(behaviour="deny")),
        HostSpec("windrop", CUSTOMER, windows=WindowsSpec(behaviour="drop")),
        HostSpec("winslow", CUSTOMER, windows=WindowsSpec(behaviour="slow")),
        *DEVICES,
        HostSpec("webui", CUSTOMER, Role.NETWORK, sshd=False, web_ui=True),
    ),
)  # fmt: skip


@pytest.fixture(scope="session")
def lab_audit(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Audit:
    """One ``auditor run`` over the whole lab (plus the extra inventory entries of
    tests/engine/conftest.py), shared by the engine, report and invariant tests."""
    work = tmp_path_factory.mktemp("audit")
    inventory = write_inventory(lab, work / "inventory.yml")
    add_extra_hosts(inventory, lab, lab.audit_password.reveal())
    add_admin_hosts(inventory, lab, lab.audit_password.reveal())
    return audit_lab(lab, work, inventory=inventory)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The running test lab; use ``lab.run_in_msp(argv)`` to act as the auditor."""
    state_dir: Path = tmp_path_factory.mktemp("lab")
    running = Lab(TEST_SPEC, state_dir, prefix=unique_prefix("t")).up()
    try:
        yield running
    finally:
        running.down()
