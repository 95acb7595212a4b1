"""What a lab is made of, declared as data: the customer hosts and their faults.

A :class:`LabSpec` says *what* each host is like (resolvers, egress faults,
broken sshd, ...); ``build.py`` turns it into namespaces and processes. The
internet side is fixed and its addresses are the constants below, so tests and
profiles can name them instead of repeating literals.

Network safety: every address here is in 198.51.100.0/24 (customer LAN) or
203.0.113.0/24 (the lab's "internet"); both exist only inside the lab's
namespaces, never as routes in the root namespace.

One /24 holds 200 hosts. A bigger fleet lives in *sites*: site 0 is the LAN
the MSP namespace sits on; site k >= 1 is a customer site behind its own NAT
gateway on the internet (``site_gateway(k)``), its hosts reusing the LAN's
addresses and reached through a port forward each, as an MSP reaches a
customer's servers over the internet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from auditor.errors import AuditorError
from auditor.lab.hostile import MODES
from auditor.model import Role, Secret

# --- the customer LAN (a bridge in the router namespace) ---------------------
LAN_PREFIX = 24
ROUTER_LAN = "198.51.100.1"
MSP_ADDR = "198.51.100.2"
FIRST_HOST_OCTET = 10
MAX_HOSTS = 200  # per site: one /24

# --- remote sites (NAT gateways on the internet, port forwards to SSH) --------
MAX_SITES = 20
SITE_PORT_BASE = 22000  # host 198.51.100.37 of a site is forwarded from gateway port 22037


def site_gateway(site: int) -> str:
    """The internet address of site ``site``'s NAT gateway (203.0.113.201, .202, ...)."""
    return f"203.0.113.{200 + site}"


def site_port(lan_address: str) -> int:
    """The gateway port forwarded to a site host's SSH (``SITE_PORT_BASE`` + last octet)."""
    return SITE_PORT_BASE + int(lan_address.rsplit(".", 1)[1])


# --- the internet namespace -------------------------------------------------
INET_PREFIX = 24
ROUTER_INET = "203.0.113.1"
RESOLVER_GOOD = "203.0.113.53"
RESOLVER_HIJACK = "203.0.113.54"  # answers 0.0.0.0 for every name
RESOLVER_NXDOMAIN = "203.0.113.55"  # answers NXDOMAIN for every name
RESOLVER_SERVFAIL = "203.0.113.56"  # answers SERVFAIL (internet.py), UDP and TCP
RESOLVERS = (RESOLVER_GOOD, RESOLVER_HIJACK, RESOLVER_NXDOMAIN, RESOLVER_SERVFAIL)

TV_ROUTER1 = "203.0.113.10"
TV_MASTER1 = "203.0.113.11"
TV_GET = "203.0.113.12"
TV_ROUTER2 = "203.0.113.13"
TV_PORTS = (5938, 80, 443, 8443)  # TCP; 443 speaks TLS with a lab-CA certificate;
# 8443 (plain HTTP) is for the tests that add a requirement through a profile file

REFLECTOR = "203.0.113.20"
REFLECTOR_NAME = "reflector.lab.test"
REFLECTOR_PORTS = (5938, 443, 80)  # the product's reflector, UDP and TCP

ROGUE_TLS = "203.0.113.66"  # TLS on 443 with a certificate from a CA no host trusts

# The emulated TeamViewer Web API (lab/tvapi.py): the MSP company's managed devices, plain HTTP
TV_API = "203.0.113.140"
TV_API_PORT = 8080

# The rest of what TeamViewer's own connectivity test tries (the profile's
# teamviewer_endpoints): more routers and the service endpoints, on the same targets.
TV_MORE_ROUTERS = {
    f"router{n}.teamviewer.com": (TV_ROUTER1, TV_ROUTER2)[n % 2] for n in range(3, 17)
}
TV_SERVICES = {
    f"{name}.teamviewer.com": TV_GET
    for name in ("webapi", "login", "meeting", "sso", "download", "configdl", "go", "client",
                 "feedbackservice")
}  # fmt: skip

# Names the good resolver knows; the same names are the SANs of both certificates.
LAB_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "router1.teamviewer.com": TV_ROUTER1,
        "router2.teamviewer.com": TV_ROUTER2,
        "master1.teamviewer.com": TV_MASTER1,
        "get.teamviewer.com": TV_GET,
        **TV_MORE_ROUTERS,
        **TV_SERVICES,
        REFLECTOR_NAME: REFLECTOR,
    }
)
TV_ADDRS = (TV_ROUTER1, TV_MASTER1, TV_GET, TV_ROUTER2)
INET_ADDRS = (*TV_ADDRS, REFLECTOR, *RESOLVERS, ROGUE_TLS, TV_API)

AUDIT_USER = "audit"  # the one machine-wide password user the lab may create

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
Action = Literal["drop", "reset", "icmp"]
# sudo rule for the audit user on one host (hostfs.py): none, NOPASSWD: ALL, or ALL with password
SudoPolicy = Literal["none", "nopasswd", "password"]
# TeamViewer on one host (hostfs.py): "client" is the full client package, running
TeamViewerState = Literal["absent", "running", "stopped", "client"]
HOSTILE_MODES = MODES  # lab/hostile.py, a host-side program of its own
SUDO_POLICIES: tuple[SudoPolicy, ...] = ("none", "nopasswd", "password")
TEAMVIEWER_STATES: tuple[TeamViewerState, ...] = ("absent", "running", "stopped", "client")
# Device management of an installed TeamViewer: assigned to the MSP's company, to another
# company, marked unmanaged, or never assigned (no entries).
TeamViewerManaged = Literal["msp", "other", "unmanaged", "none"]
TEAMVIEWER_MANAGED: tuple[TeamViewerManaged, ...] = ("msp", "other", "unmanaged", "none")
SshServer = Literal["openssh", "dropbear"]
SSH_SERVERS: tuple[SshServer, ...] = ("openssh", "dropbear")
# The passphrase of the lab's encrypted client key (auditor/lab/keys.py): a lab secret.
ENCRYPTED_KEY_PASSPHRASE = "Lab-Key-Passphrase-0815"
# The password of the Windows stand-ins' audit account (auditor/lab/wsman.py): a lab secret.
WINDOWS_PASSWORD = "Lab-Windows-Passw0rd!"
# What the token of the WinRM login holds (recorded_windows/admin.<state>.json)
WindowsAdmin = Literal["admin", "domain_admin", "uac_filtered", "rid500_filtered", "not_admin"]
WINDOWS_ADMIN: tuple[WindowsAdmin, ...] = (
    "admin", "domain_admin", "uac_filtered", "rid500_filtered", "not_admin",
)  # fmt: skip
# How the WinRM listener behaves: answers, answers slowly, drops the connection, denies the
# account (logged in, but not allowed to use WinRM)
WinrmBehaviour = Literal["normal", "slow", "drop", "deny"]
WINRM_BEHAVIOURS: tuple[WinrmBehaviour, ...] = ("normal", "slow", "drop", "deny")
WINRM_AUTH = ("ntlm", "basic")


# The password of the emulated network devices' audit account (auditor/lab/netdev.py): a lab secret.
DEVICE_USER = "netaudit"
DEVICE_PASSWORD = "Lab-Device-Passw0rd!"
DEVICE_ENABLE_SECRET = "Lab-Enable-S3cret!"
DEVICE_PLATFORMS = ("ios", "nxos", "eos", "junos", "fortios", "routeros", "panos")
# The ansible_network_os an MSP's inventory names each emulated platform by.
DEVICE_NETWORK_OS: Mapping[str, str] = MappingProxyType(
    {
        "ios": "cisco.ios.ios",
        "nxos": "cisco.nxos.nxos",
        "eos": "arista.eos.eos",
        "junos": "junipernetworks.junos.junos",
        "fortios": "fortinet.fortios.fortios",
        "routeros": "community.routeros.routeros",
        "panos": "paloaltonetworks.panos.panos",
    }
)


class LabError(AuditorError):
    """The lab cannot be built or torn down; the message is one line."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One egress fault in the host's own nftables ``output`` chain.

    ``drop``: the peer never answers (connect timeout; a UDP ``sendto`` fails
    with EPERM because the host itself refuses it). ``reset``: TCP RST, i.e.
    ECONNREFUSED at once (TCP only). ``icmp``: ICMP port unreachable.
    ``upstream=True`` puts the rule on the lab router instead (the customer's
    edge firewall): a dropped UDP datagram then leaves the host and meets
    silence, which is what "open or filtered" looks like from the host.
    """

    proto: Literal["tcp", "udp"]
    port: int
    action: Action = "drop"
    upstream: bool = False

    def __post_init__(self) -> None:
        if self.proto not in ("tcp", "udp"):
            raise LabError(f"fault: proto must be tcp or udp, not {self.proto!r}")
        if not 1 <= self.port <= 65535:
            raise LabError(f"fault: port {self.port} out of range 1..65535")
        if self.action not in ("drop", "reset", "icmp"):
            raise LabError(f"fault: action must be drop, reset or icmp, not {self.action!r}")
        if self.action == "reset" and self.proto != "tcp":
            raise LabError(f"fault: {self.proto} {self.port}: reset exists only for tcp")


@dataclass(frozen=True, slots=True)
class WindowsSpec:
    """A Windows server stand-in: a WS-Management listener in the host's namespace.

    No Windows runs here. The listener (``wsman.py``) speaks real WS-Management
    to the real pywinrm client, checks that what it is sent is the auditor's
    PowerShell payload, measures the network part of the plan from the host's
    namespace (its resolvers and egress faults are real), and answers the
    Windows facts (token, UAC, TeamViewer service and registry) from the
    recorded documents of ``recorded_windows/``. ``admin`` picks the token;
    the host's ``teamviewer`` picks the TeamViewer record.

    ``scheme`` http listens on 5985, https on 5986 with a certificate from the
    lab CA or, ``certificate="self-signed"``, its own. ``auth``: what the
    listener accepts (NTLM with message encryption, Basic). ``wrong_password``
    makes the inventory's password wrong for this host (HTTP 401).
    """

    admin: WindowsAdmin = "admin"
    scheme: Literal["http", "https"] = "http"
    auth: tuple[str, ...] = ("ntlm",)
    certificate: Literal["lab", "self-signed"] = "lab"
    behaviour: WinrmBehaviour = "normal"
    wrong_password: bool = False

    def __post_init__(self) -> None:
        if self.admin not in WINDOWS_ADMIN:
            raise LabError(f"windows: admin must be one of {', '.join(WINDOWS_ADMIN)}")
        if self.behaviour not in WINRM_BEHAVIOURS:
            raise LabError(f"windows: behaviour must be one of {', '.join(WINRM_BEHAVIOURS)}")
        if not self.auth or set(self.auth) - set(WINRM_AUTH):
            raise LabError(f"windows: auth must name some of {', '.join(WINRM_AUTH)}")
        if self.scheme not in ("http", "https"):
            raise LabError("windows: scheme must be http or https")

    @property
    def port(self) -> int:
        return 5985 if self.scheme == "http" else 5986


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A network device stand-in: an SSH server in the host's namespace that speaks its CLI.

    No switch or firewall runs here. The emulator (``netdev.py``) speaks SSH
    to the real asyncssh client and answers as the platform's CLI does, as
    the vendors document it: login banner, prompts, echo, ``--More--``
    paging, ``enable`` with a secret, and the privilege commands.
    ``privilege`` is the account's level (IOS, EOS: an int) or its role,
    class, profile or group (a name). ``enable_secret``: the device has one
    (IOS, EOS); ``become``: the inventory asks for enable with
    ``ansible_become_password``, ``wrong_secret`` makes that secret wrong.
    ``wrong_password`` makes the inventory's login password wrong.
    ``delay_s`` slows every answer; ``hang_on`` / ``close_on`` name a
    command after which the device stops answering / closes the session.
    """

    platform: str
    privilege: int | str
    enable_secret: bool = True
    become: bool = False
    wrong_secret: bool = False
    wrong_password: bool = False
    delay_s: float = 0.0
    hang_on: str | None = None
    close_on: str | None = None

    def __post_init__(self) -> None:
        if self.platform not in DEVICE_PLATFORMS:
            raise LabError(f"device: platform must be one of {', '.join(DEVICE_PLATFORMS)}")
        levels = self.platform in ("ios", "eos")
        if levels != isinstance(self.privilege, int):
            kind = "a level (int)" if levels else "a role name"
            raise LabError(f"device {self.platform}: privilege must be {kind}")
        if not 0 <= self.delay_s <= 30:
            raise LabError("device: delay_s must be between 0 and 30 seconds")

    @property
    def network_os(self) -> str:
        return DEVICE_NETWORK_OS[self.platform]


@dataclass(frozen=True, slots=True)
class HostSpec:
    """One customer host: a namespace with its own sshd, resolv.conf and firewall.

    ``sshd=False`` leaves port 22 closed (connect refused); ``hang_after_auth``
    authenticates and then never returns (``ForceCommand sleep 3600``); ``hostile``
    answers the payload as a broken or malicious host would (``lab/hostile.py``);
    ``password`` enables password login for the machine-wide ``audit`` user.
    ``python=False`` makes a host without Python: root's SSH sessions run in
    a ChrootDirectory holding only a static BusyBox (``chroot.py``). ``sudo`` is the audit user's sudo rule on this host
    (``/etc/netns/<ns>/sudoers``); ``teamviewer`` installs (a stand-in of)
    TeamViewer in the host's own mount and PID namespace (see ``hostfs.py``).
    ``ssh_server="dropbear"`` runs Dropbear instead of OpenSSH; ``ssh_legacy``
    restricts OpenSSH to what old appliances offer (SHA-1 key exchange, an
    ``ssh-rsa`` host key, CBC, hmac-sha1); ``ssh_port`` moves the SSH port.
    Every OpenSSH host trusts the lab's user CA (certificate logins).
    ``windows`` makes the host a Windows server stand-in (:class:`WindowsSpec`):
    a WinRM listener instead of sshd, its TeamViewer state from ``teamviewer``.
    ``device`` makes it a network device stand-in (:class:`DeviceSpec`): its
    CLI over SSH on port 22 instead of sshd. ``web_ui`` makes it an appliance managed
    through a web page: HTTPS on 443 with a self-signed certificate, nothing else.
    ``site`` >= 1 puts an SSH host at a remote site behind NAT (see the module).
    """

    name: str
    customer: str
    role: Role = Role.SERVER
    resolvers: tuple[str, ...] = (RESOLVER_GOOD,)
    faults: tuple[Fault, ...] = ()
    intercept_tls: bool = False
    sshd: bool = True
    hang_after_auth: bool = False
    hostile: str | None = None  # a mode of lab/hostile.py: answers the payload with it
    password: Secret | None = None
    python: bool = True
    ssh_only_from: str | None = None  # another host's name: SSH reachable only via that jump host
    sudo: SudoPolicy = "none"  # what sudo allows the audit user on this host
    teamviewer: TeamViewerState = "absent"
    teamviewer_managed: TeamViewerManaged = "msp"  # its DeviceManagementV2 entries (hostfs.py)
    ssh_server: SshServer = "openssh"  # dropbear: as on OpenWrt and embedded boxes
    ssh_legacy: bool = False  # offers only SHA-1 kex, ssh-rsa host key, CBC, hmac-sha1
    ssh_port: int = 22
    windows: WindowsSpec | None = None  # a Windows server: WinRM instead of sshd
    device: DeviceSpec | None = None  # a network device: its emulated CLI instead of sshd
    web_ui: bool = False  # HTTPS on 443 (a web-managed appliance); give it sshd=False
    site: int = 0  # 0: the MSP's LAN; k: remote site k, behind NAT (SSH hosts only)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise LabError(f"host {self.name!r}: name must match {_NAME_RE.pattern}")
        if not self.resolvers:
            raise LabError(f"host {self.name}: needs at least one resolver")
        if not self.python and (self.hang_after_auth or not self.sshd or self.password):
            raise LabError(f"host {self.name}: python=False (busybox chroot) needs plain sshd")
        if self.ssh_only_from == self.name:
            raise LabError(f"host {self.name}: ssh_only_from cannot name the host itself")
        if self.sudo not in SUDO_POLICIES:
            raise LabError(f"host {self.name}: sudo must be one of {', '.join(SUDO_POLICIES)}")
        if self.teamviewer_managed not in TEAMVIEWER_MANAGED:
            managed = ", ".join(TEAMVIEWER_MANAGED)
            raise LabError(f"host {self.name}: teamviewer_managed must be one of {managed}")
        if self.teamviewer not in TEAMVIEWER_STATES:
            states = ", ".join(TEAMVIEWER_STATES)
            raise LabError(f"host {self.name}: teamviewer must be one of {states}")
        if self.hang_after_auth and not self.sshd:
            raise LabError(f"host {self.name}: hang_after_auth needs sshd")
        if self.hostile is not None and self.hostile not in HOSTILE_MODES:
            raise LabError(f"host {self.name}: hostile must be one of {', '.join(HOSTILE_MODES)}")
        if self.ssh_server not in SSH_SERVERS:
            raise LabError(f"host {self.name}: ssh_server must be one of {', '.join(SSH_SERVERS)}")
        special = (self.hang_after_auth or not self.python or self.password or self.ssh_legacy
                   or self.hostile is not None)  # fmt: skip
        if self.ssh_server == "dropbear" and special:
            raise LabError(f"host {self.name}: dropbear hosts are plain (key login, Python)")
        if self.windows is not None and (special or self.ssh_only_from or self.sudo != "none"):
            raise LabError(f"host {self.name}: a Windows host has no sshd, sudo or SSH options")
        if self.device is not None and (
            special or self.ssh_only_from or self.sudo != "none" or self.windows is not None
        ):
            raise LabError(f"host {self.name}: a network device has no sshd, sudo or SSH options")
        if self.web_ui and (self.sshd or self.windows or self.device):
            raise LabError(f"host {self.name}: a web-managed appliance has only HTTPS (sshd=False)")
        if self.device is not None and self.role is not Role.NETWORK:
            raise LabError(f"host {self.name}: a network device has role network")
        if not 0 <= self.site <= MAX_SITES:
            raise LabError(f"host {self.name}: site must be 0..{MAX_SITES}")
        if self.site and (
            not self.sshd or self.windows or self.device or self.web_ui or self.ssh_only_from
        ):
            raise LabError(f"host {self.name}: a remote site holds plain SSH hosts only")


@dataclass(frozen=True, slots=True)
class LabSpec:
    """The customer fleet of one lab; hosts get 198.51.100.10, .11, ... in order, per site.

    ``reach`` is where the MSP connects to each host: its own address and SSH
    port on site 0, its site's gateway and forwarded port elsewhere.
    """

    hosts: tuple[HostSpec, ...]
    name: str = "lab"
    addresses: Mapping[str, str] = field(init=False, repr=False, compare=False)
    reach: Mapping[str, tuple[str, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [h.name for h in self.hosts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise LabError(f"lab {self.name}: duplicate host names {', '.join(dupes)}")
        per_site: dict[int, int] = {}
        for h in self.hosts:
            per_site[h.site] = per_site.get(h.site, 0) + 1
        if max(per_site.values(), default=0) > MAX_HOSTS:
            raise LabError(f"lab {self.name}: at most {MAX_HOSTS} hosts per site")
        passwords = {h.password.reveal() for h in self.hosts if h.password}
        if len(passwords) > 1:
            raise LabError(f"lab {self.name}: the {AUDIT_USER} user is machine-wide: one password")
        addrs: dict[str, str] = {}
        reach: dict[str, tuple[str, int]] = {}
        placed: dict[int, int] = {}
        for h in self.hosts:
            index = placed[h.site] = placed.get(h.site, -1) + 1
            addr = addrs[h.name] = f"198.51.100.{FIRST_HOST_OCTET + index}"
            reach[h.name] = (
                (site_gateway(h.site), site_port(addr)) if h.site else (addr, h.ssh_port)
            )
        object.__setattr__(self, "addresses", MappingProxyType(addrs))
        object.__setattr__(self, "reach", MappingProxyType(reach))

    @property
    def sites(self) -> tuple[int, ...]:
        """The remote sites (>= 1) some host lives at, in order."""
        return tuple(sorted({h.site for h in self.hosts if h.site}))

    def host(self, name: str) -> HostSpec:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LabError(f"lab {self.name}: no host {name!r}")

    @property
    def audit_password(self) -> Secret | None:
        """The ``audit`` user's password, if any host asks for one."""
        return next((h.password for h in self.hosts if h.password), None)
