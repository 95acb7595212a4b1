"""Namespaces, veths, the LAN bridge and routes, built with ``ip``.

Topology (``p`` is the lab prefix, e.g. ``alt-``)::

    <p>msp  eth0 198.51.100.2 ─┐
    <p>h-x  eth0 198.51.100.10 ├─ br0 198.51.100.1  [<p>rt]  vinet 203.0.113.1 ─┐
    ...                        ┘                                                │
                                         [<p>inet] br0 203.0.113.10, .53, ... ──┤
    <p>h-y  eth0 198.51.100.10 ── br0 198.51.100.1  [<p>s1]  wan 203.0.113.201 ─┘
                                                    (a remote site: NAT, port forwards)

Everything is created *inside* lab namespaces (``ip -n NS``); the root
namespace never gets an interface, address or route. The router has only its
two connected networks, so nothing can leave the lab.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from auditor.lab import chroot
from auditor.lab.spec import (
    INET_ADDRS,
    INET_PREFIX,
    LAN_PREFIX,
    MSP_ADDR,
    ROUTER_INET,
    ROUTER_LAN,
    LabError,
    site_gateway,
)

NETNS_RUN = Path("/run/netns")
NETNS_ETC = Path("/etc/netns")
# Every lab namespace is "al<tag>-<role>": the only names down --all-stale may touch.
PREFIX_RE = re.compile(r"^al[a-z0-9]{1,6}-$")
LAB_NS_RE = re.compile(r"^(al[a-z0-9]{1,6}-)(rt|msp|inet|s[0-9]{1,2}|h-[a-z0-9-]+)$")
IP_TIMEOUT_S = 10.0
SITE_WAN = "wan"  # a site gateway's interface on the lab's internet


def run(argv: Sequence[str], *, stdin: str | None = None, timeout: float = IP_TIMEOUT_S) -> str:
    """Run a command that must succeed; raise a one-line :class:`LabError` if not."""
    try:
        proc = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{' '.join(argv)}: no result within {timeout:.0f} s") from exc
    if proc.returncode != 0:
        err = " ".join(proc.stderr.split()) or f"exit {proc.returncode}"
        raise LabError(f"{' '.join(argv)}: {err}")
    return proc.stdout


def batch(ns: str | None, commands: Sequence[str]) -> None:
    """Run ``ip`` commands in one process, inside ``ns`` (one fork instead of many)."""
    head = ["ip", "-n", ns] if ns else ["ip"]
    run([*head, "-batch", "-"], stdin="\n".join(commands) + "\n")


def exec_argv(ns: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run inside ``ns`` with its /etc/netns/NS files bind-mounted over /etc."""
    return ["ip", "netns", "exec", ns, *argv]


def list_lab_namespaces() -> list[str]:
    """Every namespace on this machine whose name follows the lab scheme."""
    if not NETNS_RUN.is_dir():
        return []
    return sorted(n for n in os.listdir(NETNS_RUN) if LAB_NS_RE.match(n))


def pids_in(namespaces: Sequence[str]) -> list[int]:
    """Processes living in any of ``namespaces`` (any mount/pid namespace, any session).

    Same test as ``ip netns pids`` (the inode of /proc/PID/ns/net), done for
    all namespaces in one /proc scan instead of one fork each.
    """
    inodes: set[tuple[int, int]] = set()
    for ns in namespaces:
        try:
            st = os.stat(NETNS_RUN / ns)
            inodes.add((st.st_dev, st.st_ino))
        except OSError:
            continue
    if not inodes:
        return []
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                st = os.stat(f"/proc/{entry}/ns/net")
                if (st.st_dev, st.st_ino) in inodes:
                    found.append(int(entry))
            except OSError:
                continue  # exited meanwhile, or a kernel thread
    return found


def delete_namespace(ns: str) -> None:
    """Remove ``ns``, its /etc/netns dir and its chroot; missing pieces are fine (idempotent)."""
    if (NETNS_RUN / ns).exists():
        run(["ip", "netns", "del", ns])
    etc = NETNS_ETC / ns
    if etc.is_dir():
        subprocess.run(["rm", "-rf", "--one-file-system", str(etc)], check=True)
    chroot.remove(ns)


def site_router(prefix: str, site: int) -> str:
    """The namespace of remote site ``site``'s NAT gateway."""
    return f"{prefix}s{site}"


def site_worker(prefix: str, site: int) -> str:
    """The namespace on remote site ``site``'s LAN where that site's auditor worker runs."""
    return f"{prefix}w{site}"


def build(prefix: str, hosts: Sequence[tuple[str, str, int]]) -> list[str]:
    """Create router, internet, msp, site gateways, site workers and host namespaces.

    Each remote site gets a worker namespace on its LAN at ``MSP_ADDR`` (its
    own copy: sites reuse one address plan), routed through the site's
    gateway: from there only that site's hosts are reachable directly.

    ``hosts``: (namespace, LAN address, site). Returns the namespaces
    created, router first. On error the caller tears down by prefix, so a
    half-built lab never stays behind.
    """
    rt, inet, msp = f"{prefix}rt", f"{prefix}inet", f"{prefix}msp"
    sites = sorted({site for _, _, site in hosts if site})
    gateways = [site_router(prefix, k) for k in sites]
    workers = [site_worker(prefix, k) for k in sites]
    names = [rt, inet, msp, *gateways, *workers, *(ns for ns, _, _ in hosts)]
    make_room_for_neighbours(len(hosts))
    batch(None, [f"netns add {n}" for n in names])
    inet_cmds = [f"addr add {a}/{INET_PREFIX} dev br0" for a in INET_ADDRS]
    batch(
        inet,
        [
            "link set lo up",
            "link add br0 type bridge",
            *inet_cmds,
            "link set br0 up",
            f"route add default via {ROUTER_INET}",
        ],
    )
    routers = [(rt, ROUTER_INET, "vinet"), *((g, site_gateway(k), SITE_WAN) for g, k in
                                             zip(gateways, sites, strict=True))]  # fmt: skip
    for i, (router, wan_addr, wan) in enumerate(routers):
        batch(
            router,
            [
                "link set lo up",
                "link add br0 type bridge",
                f"addr add {ROUTER_LAN}/{LAN_PREFIX} dev br0",
                "link set br0 up",
                f"link add {wan} type veth peer name up{i} netns {inet}",
                f"addr add {wan_addr}/{INET_PREFIX} dev {wan}",
                f"link set {wan} up",
            ],
        )
        batch(inet, [f"link set up{i} master br0", f"link set up{i} up"])
        run(exec_argv(router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]))
    router_of = {0: rt, **dict(zip(sites, gateways, strict=True))}
    leaves = [(msp, MSP_ADDR, 0), *((w, MSP_ADDR, k) for w, k in zip(workers, sites, strict=True)),
              *hosts]  # fmt: skip
    ports: dict[str, list[str]] = {}
    for i, (ns, addr, site) in enumerate(leaves):
        router = router_of[site]
        batch(
            ns,
            [
                "link set lo up",
                f"link add eth0 type veth peer name vh{i} netns {router}",
                f"addr add {addr}/{LAN_PREFIX} dev eth0",
                "link set eth0 up",
                f"route add default via {ROUTER_LAN}",
            ],
        )
        ports.setdefault(router, []).extend([f"link set vh{i} master br0", f"link set vh{i} up"])
    for router, commands in ports.items():
        batch(router, commands)
    return names


NEIGH_SYSCTL = Path("/proc/sys/net/ipv4/neigh/default")


def make_room_for_neighbours(hosts: int) -> None:
    """Raise the kernel's ARP table limits so a lab of ``hosts`` fits; never lower them.

    The ARP table is one for the whole machine, shared by every namespace,
    and its default hard limit (``gc_thresh3``, 1024 entries) holds a lab
    of about 450 hosts: beyond it the kernel drops new entries ("neighbor
    table overflow") and hosts look unreachable. Each host needs about two
    entries (its router, the router's entry for it); the limits leave four
    times that, plus the machine's own.
    """
    wanted = {"gc_thresh3": 8 * hosts + 1024, "gc_thresh2": 4 * hosts + 512,
              "gc_thresh1": 2 * hosts + 128}  # fmt: skip
    for name, floor in wanted.items():
        path = NEIGH_SYSCTL / name
        if int(path.read_text()) < floor:
            path.write_text(f"{floor}\n")


def write_etc(ns: str, files: dict[str, str]) -> Path:
    """Write /etc/netns/NS/<file> (resolv.conf, hosts, ...): ``ip netns exec`` mounts them."""
    base = NETNS_ETC / ns
    base.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return base


def root_lab_routes() -> list[str]:
    """Routes in the *root* namespace that point into a lab range: must always be empty."""
    out = run(["ip", "-4", "route", "show", "table", "all"])
    return [line for line in out.splitlines() if "198.51.100." in line or "203.0.113." in line]
