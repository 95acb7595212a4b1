"""The lab's daemons: per-host sshd, the resolvers, the internet listeners, the reflector.

Each ``start_*`` writes the daemon's config into the state dir, starts it in
its namespace (``procs.start``) and returns at once; ``build.py`` then waits
for all of them to listen in one pass, so start-up costs the slowest daemon,
not the sum.

The internet's servers (resolvers, targets, reflector) run ahead of the
hosts on the CPUs (``procs.start(ahead=True)``): on the real internet they
do not share two cores with a fleet's payloads. Starved, the good resolver
dropped a hundred hosts' queries from its full socket buffer, and glibc
waited out its 5 s retry: a lab fault the audit reported as the hosts' DNS.
"""

from __future__ import annotations

import importlib.util
import json
import pwd
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

from auditor.lab import chroot, hostfs, procs, tvapi
from auditor.lab.pki import Pki
from auditor.lab.procs import Proc
from auditor.lab.spec import (
    AUDIT_USER,
    DEVICE_ENABLE_SECRET,
    DEVICE_PASSWORD,
    DEVICE_USER,
    LAB_NAMES,
    REFLECTOR,
    REFLECTOR_PORTS,
    RESOLVER_GOOD,
    RESOLVER_HIJACK,
    RESOLVER_NXDOMAIN,
    RESOLVER_SERVFAIL,
    ROGUE_TLS,
    TV_ADDRS,
    TV_API,
    TV_API_PORT,
    TV_PORTS,
    WINDOWS_PASSWORD,
    HostSpec,
    LabError,
    LabSpec,
)
from auditor.model import Secret

SSHD = "/usr/sbin/sshd"  # absolute: sshd re-execs itself per connection
DROPBEAR = "/usr/sbin/dropbear"
DROPBEARKEY = "/usr/bin/dropbearkey"
DNSMASQ = "/usr/sbin/dnsmasq"
Socket = tuple[str, str, int]  # (proto, address, port) as procs.wait_listening wants it

# dnsmasq resolvers: address -> config lines that make its behaviour. The good one answers
# as an authoritative server would: its names' A records, NOERROR without data for their
# AAAA (``local``), NXDOMAIN for the rest. Without ``local`` dnsmasq REFUSES the AAAA half of
# getaddrinfo's A+AAAA pair, and glibc then waits out its 5 s timeout now and then.
_RESOLVER_LINES = {
    RESOLVER_GOOD: [
        "local=/#/",
        *(f"host-record={name},{addr}" for name, addr in LAB_NAMES.items()),
    ],
    RESOLVER_HIJACK: ["address=/#/0.0.0.0"],
    RESOLVER_NXDOMAIN: ["address=/#/"],
}


LEGACY_ALGORITHMS = (
    "KexAlgorithms diffie-hellman-group14-sha1",
    "HostKeyAlgorithms ssh-rsa",
    "Ciphers aes128-cbc",
    "MACs hmac-sha1",
    "PubkeyAcceptedAlgorithms +ssh-rsa",
)  # what old appliances, NAS boxes and Linux servers still offer


def sshd_config(
    host: HostSpec,
    addr: str,
    host_key: Path,
    keys_dir: Path,
    chroot_dir: Path | None = None,
    user_ca: Path | None = None,
) -> str:
    """A trimmed sshd: no PAM/motd/lastlog (cheap logins), many concurrent starts.

    ``AuthorizedKeysFile`` is per user in the state dir: root gets the lab's
    client keys, ``audit`` none (it logs in by password where enabled).
    """
    lines = [
        f"ListenAddress {addr}:{host.ssh_port}",
        f"HostKey {host_key}",
        "PidFile none",
        "UsePAM no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "MaxStartups 200",
        "StrictModes no",  # the state dir may live under world-writable /tmp
        "PermitRootLogin prohibit-password",
        f"AuthorizedKeysFile {keys_dir}/%u",
        "PubkeyAuthentication yes",
        f"PasswordAuthentication {'yes' if host.password else 'no'}",
        "KbdInteractiveAuthentication no",
        "Subsystem sftp internal-sftp",
        "LogLevel VERBOSE",
    ]
    if user_ca is not None:
        lines.append(f"TrustedUserCAKeys {user_ca}.pub")
    if host.ssh_legacy:
        lines += LEGACY_ALGORITHMS
    if host.hang_after_auth:
        lines.append("ForceCommand sleep 3600")
    if host.hostile is not None:
        lines.append(f"ForceCommand /usr/bin/python3 {HOSTILE_SCRIPT} {host.hostile}")
    if chroot_dir is not None:  # a host without Python: sessions see only BusyBox
        lines.append(f"ChrootDirectory {chroot_dir}")
    return "\n".join(lines) + "\n"


HOSTILE_SCRIPT = Path(__file__).with_name("hostile.py")


def start_ssh_server(
    ns: str, host: HostSpec, addr: str, host_dir: Path, keys_dir: Path, user_ca: Path
) -> tuple[str, Proc]:
    """Make the host key and start ``host``'s SSH server; returns (public key line, process).

    It runs as PID 1 of the host's own PID and mount namespace, with the
    host's sudo rule and TeamViewer state (``hostfs.py``).
    """
    hostfs.write_sudoers(ns, host)
    hostfs.write_teamviewer(host, host_dir)
    if host.ssh_server == "dropbear":
        return start_dropbear(ns, host, addr, host_dir, keys_dir)
    kind = "rsa" if host.ssh_legacy else "ed25519"
    key = host_dir / f"ssh_host_{kind}_key"
    pub = host_keygen(key, f"root@{host.name}", kind)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    cfg = host_dir / "sshd_config"
    root = None if host.python else chroot.build(ns, host)
    cfg.write_text(sshd_config(host, addr, key, keys_dir, root, user_ca))
    log = host_dir / "sshd.log"
    # PID 1 of the host's own PID namespace: sessions see only this host's processes
    argv = hostfs.session_argv(host, host_dir, [SSHD, "-D", "-f", str(cfg), "-E", str(log)])
    return pub, procs.start(f"sshd {host.name}", ns, argv, log)


def start_dropbear(
    ns: str, host: HostSpec, addr: str, host_dir: Path, keys_dir: Path
) -> tuple[str, Proc]:
    """Dropbear, as on OpenWrt and embedded boxes: key logins for root, no passwords.

    Dropbear reads ``~/.ssh/authorized_keys``: the host's own ``/root`` (a
    tmpfs, ``hostfs.session_argv``) gets the lab's keys.
    """
    key = host_dir / "dropbear_ed25519_host_key"
    key.unlink(missing_ok=True)
    subprocess.run([DROPBEARKEY, "-t", "ed25519", "-f", str(key)], check=True, timeout=10,
                   capture_output=True)  # fmt: skip
    shown = subprocess.run([DROPBEARKEY, "-y", "-f", str(key)], check=True, timeout=10,
                           capture_output=True, text=True).stdout  # fmt: skip
    pub = next(line for line in shown.splitlines() if line.startswith("ssh-"))
    log = host_dir / "dropbear.log"
    daemon = [DROPBEAR, "-F", "-E", "-s", "-p", f"{addr}:{host.ssh_port}", "-r", str(key),
              "-P", str(host_dir / "dropbear.pid")]  # fmt: skip
    setup = [
        "mkdir -m 0700 /root/.ssh",
        f"cp {shlex.quote(str(keys_dir / 'root'))} /root/.ssh/authorized_keys",
        "chmod 0600 /root/.ssh/authorized_keys",
    ]
    argv = hostfs.session_argv(host, host_dir, daemon, setup=setup)
    return pub, procs.start(f"dropbear {host.name}", ns, argv, log)


def start_wsman(
    ns: str, host: HostSpec, addr: str, host_dir: Path, listener: tuple[Path, Path] | None
) -> tuple[Proc, list[Socket]]:
    """The WinRM listener of a Windows host (``wsman.py``), from a private JSON config."""
    windows = host.windows
    if windows is None:
        raise LabError(f"host {host.name} is not a Windows host")
    config = {
        "host": host.name, "address": addr, "port": windows.port, "scheme": windows.scheme,
        "auth": list(windows.auth), "user": AUDIT_USER, "password": WINDOWS_PASSWORD,
        "behaviour": windows.behaviour, "admin": windows.admin, "teamviewer": host.teamviewer,
        "management_id": hostfs.management_id(host),
        "unmanaged": (host.teamviewer_managed == "unmanaged") if hostfs.management_id(host) else None,
        "state_dir": str(host_dir),
        "cert": str(listener[0]) if listener else None,
        "key": str(listener[1]) if listener else None,
    }  # fmt: skip
    path = host_dir / "wsman.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    (host_dir / "wsman.jsonl").unlink(missing_ok=True)
    argv = [sys.executable, "-m", "auditor.lab.wsman", str(path)]
    proc = procs.start(f"wsman {host.name}", ns, argv, host_dir / "wsman.log")
    return proc, [("tcp", addr, windows.port)]


def start_webui(
    ns: str, name: str, addr: str, cert: Path, key: Path, host_dir: Path
) -> tuple[Proc, list[Socket]]:
    """A web-managed appliance (``webui.py``): HTTPS on 443, nothing else."""
    argv = [sys.executable, "-m", "auditor.lab.webui", addr, str(cert), str(key)]
    proc = procs.start(f"webui {name}", ns, argv, host_dir / "webui.log")
    return proc, [("tcp", addr, 443)]


def start_netdev(ns: str, host: HostSpec, addr: str, host_dir: Path) -> tuple[str, Proc]:
    """A network device's emulated CLI (``netdev.py``) on port 22; (public host key, process)."""
    device = host.device
    if device is None:
        raise LabError(f"host {host.name} is not a network device")
    key = host_dir / "netdev_host_ed25519_key"
    pub = host_keygen(key, f"netdev-{host.name}")
    config = {
        "platform": device.platform, "hostname": host.name, "address": addr, "port": 22,
        "host_key": str(key), "user": DEVICE_USER, "password": DEVICE_PASSWORD,
        "privilege": device.privilege,
        "enable_secret": DEVICE_ENABLE_SECRET if device.enable_secret else None,
        "enable_level": 15, "model": None, "version": None, "delay_s": device.delay_s,
        "hang_on": device.hang_on, "close_on": device.close_on, "state_dir": str(host_dir),
    }  # fmt: skip
    path = host_dir / "netdev.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    (host_dir / "netdev.jsonl").unlink(missing_ok=True)
    argv = [sys.executable, "-m", "auditor.lab.netdev", str(path)]
    return pub, procs.start(f"netdev {host.name}", ns, argv, host_dir / "netdev.log")


def host_keygen(path: Path, comment: str, kind: str = "ed25519") -> str:
    """A host key pair of ``kind`` (ed25519, or rsa for the legacy host); the public line."""
    path.unlink(missing_ok=True)
    Path(f"{path}.pub").unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", comment, "-f", str(path)],
        check=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Path(f"{path}.pub").read_text().strip()


def start_resolvers(ns: str, state_dir: Path) -> list[tuple[Proc, list[Socket]]]:
    """One dnsmasq per resolver address (good, hijack, nxdomain), UDP+TCP 53."""
    started = []
    for addr, behaviour in _RESOLVER_LINES.items():
        base = state_dir / f"dnsmasq-{addr}"
        cfg = [
            f"listen-address={addr}",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "port=53",
            f"pid-file={base}.pid",
            "log-facility=-",  # start-up and errors only, not every query of a fleet
            *behaviour,
        ]
        Path(f"{base}.conf").write_text("\n".join(cfg) + "\n")
        argv = [DNSMASQ, "--keep-in-foreground", f"--conf-file={base}.conf"]
        proc = procs.start(f"dnsmasq {addr}", ns, argv, Path(f"{base}.log"), ahead=True)
        started.append((proc, [("udp", addr, 53), ("tcp", addr, 53)]))
    return started


def start_internet(ns: str, pki: Pki, state_dir: Path) -> tuple[Proc, list[Socket]]:
    """``internet.py``: TV-like TCP/TLS targets, the rogue TLS box, the SERVFAIL resolver."""
    argv = [
        sys.executable, "-m", "auditor.lab.internet",
        "--cert", str(pki.server_cert), "--key", str(pki.server_key),
        "--rogue-cert", str(pki.rogue_cert), "--rogue-key", str(pki.rogue_key),
    ]  # fmt: skip
    proc = procs.start("internet", ns, argv, state_dir / "internet.log", ahead=True)
    sockets = [("tcp", a, p) for a in TV_ADDRS for p in TV_PORTS]
    sockets += [("tcp", ROGUE_TLS, 443), ("udp", RESOLVER_SERVFAIL, 53)]
    sockets += [("tcp", RESOLVER_SERVFAIL, 53)]
    return proc, sockets


def start_tvapi(ns: str, spec: LabSpec, state_dir: Path) -> tuple[Proc, list[Socket]]:
    """The emulated TeamViewer Web API on ``TV_API``: the MSP company's devices in this lab,
    three to a page, behind a token of this lab (``tvapi.token``, 0600)."""
    token = state_dir / "tvapi.token"
    token.touch(mode=0o600)
    token.write_text(secrets.token_urlsafe(24) + "\n", encoding="ascii")
    devices = state_dir / "tvapi-devices.json"
    devices.write_text(json.dumps(tvapi.lab_devices(spec), indent=1), encoding="utf-8")
    argv = [sys.executable, "-m", "auditor.lab.tvapi", "--listen", f"{TV_API}:{TV_API_PORT}",
            "--token-file", str(token), "--devices", str(devices), "--page-size", "3"]  # fmt: skip
    proc = procs.start("tvapi", ns, argv, state_dir / "tvapi.log", ahead=True)
    return proc, [("tcp", TV_API, TV_API_PORT)]


def reflector_argv() -> list[str] | None:
    """The product's reflector command line; None while no reflector exists.

    The one place that knows how to start it: the ``auditor reflector`` CLI
    subcommand, or (while only the module exists) its ``serve()`` directly.
    """
    ports = ",".join(str(p) for p in REFLECTOR_PORTS)
    if importlib.util.find_spec("auditor.__main__") is not None:
        return [
            sys.executable,
            "-m",
            "auditor",
            "reflector",
            "--listen",
            REFLECTOR,
            "--ports",
            ports,
        ]
    if importlib.util.find_spec("auditor.reflector") is None:
        return None
    code = (
        "import asyncio, auditor.reflector as r; "
        f"asyncio.run(r.serve({REFLECTOR!r}, {list(REFLECTOR_PORTS)!r}))"
    )
    return [sys.executable, "-c", code]


def start_reflector(ns: str, state_dir: Path) -> tuple[Proc, list[Socket]] | None:
    """Start the reflector on ``REFLECTOR`` (UDP+TCP ``REFLECTOR_PORTS``), if it exists."""
    argv = reflector_argv()
    if argv is None:
        return None
    proc = procs.start("reflector", ns, argv, state_dir / "reflector.log", ahead=True)
    return proc, [(proto, REFLECTOR, p) for p in REFLECTOR_PORTS for proto in ("udp", "tcp")]


def ensure_audit_user(password: Secret) -> None:
    """Create the machine-wide ``audit`` user if missing and set its password.

    Users are shared by all namespaces (one filesystem); the password never
    appears on a command line (chpasswd reads stdin).
    """
    try:
        pwd.getpwnam(AUDIT_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/sh", AUDIT_USER],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
    done = subprocess.run(
        ["chpasswd"], input=f"{AUDIT_USER}:{password.reveal()}\n", text=True,
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise LabError(f"chpasswd for {AUDIT_USER} failed: {done.stderr.strip()}")
