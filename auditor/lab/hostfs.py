"""What one lab host looks like from the inside: its sudo rule, TeamViewer, process table.

All lab hosts share the machine's filesystem and users, so per-host state
comes from namespaces, never from changes to the machine:

* **sudo**: ``/etc/netns/<ns>/sudoers`` (mode 0440), which ``ip netns exec``
  bind-mounts over ``/etc/sudoers`` for the host's sshd and its sessions.
  It holds root's rule plus the audit user's: none, ``NOPASSWD: ALL`` or
  ``ALL`` (password asked). No ``@includedir``, no ``mail_badpass``.
* **process table**: the host's sshd runs as PID 1 of its own PID namespace
  (``unshare --pid --fork --mount-proc``), so sessions see only that host's
  processes, and "teamviewerd runs" differs per host. A mount namespace comes
  with it (propagation private: nothing leaks to the machine), and a UTS
  namespace whose hostname is the host's name (in its /etc/hosts, so sudo
  does not stall resolving the machine's name).
* **TeamViewer** (installed states only), in that mount namespace: a per-host
  directory bound over ``/opt`` holding ``/opt/teamviewer/tv_bin/teamviewerd``
  (a copy of ``sleep``: a real long-running process whose name is
  teamviewerd), ``tv_bin/script/teamviewer`` (a stand-in that answers only
  ``info``) and ``config/global.conf`` (root-only 0600, with ClientID,
  Version and a fake PermanentPassword that must never be reported), and a
  copy of the machine's dpkg status with a ``teamviewer-host`` (or, for
  ``client``, ``teamviewer``) stanza bound over ``/var/lib/dpkg/status``.

What the lab cannot model: systemd (PID 1 is sshd, so the payload takes its
process-table path), ``/etc/teamviewer/`` (``/etc`` exists machine-wide and
the lab adds nothing there; the payload's reading of that path is covered by
the payload tests), rpm, and the real TeamViewer binaries.
"""

from __future__ import annotations

import shlex
import shutil
import uuid
import zlib
from pathlib import Path

from auditor.lab import netns
from auditor.lab.spec import AUDIT_USER, HostSpec

TV_VERSION = "15.61.3"
DPKG_STATUS = Path("/var/lib/dpkg/status")
_SUDO_RULES = {
    "none": "",
    "nopasswd": f"{AUDIT_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n",
    "password": f"{AUDIT_USER} ALL=(ALL:ALL) ALL\n",
}
_CLI = """#!/bin/sh
# Lab stand-in for TeamViewer's command line: answers `teamviewer info` only.
case "$1" in
info) printf ' TeamViewer %s     (c) lab stand-in\\n\\n TeamViewer ID:  %s\\n' '{version}' '{id}' ;;
*) echo "lab stand-in: only 'teamviewer info'" >&2; exit 2 ;;
esac
"""


def client_id(host: HostSpec) -> str:
    """The host's stand-in TeamViewer ID: ten digits, stable per host name."""
    return str(1_000_000_000 + zlib.crc32(host.name.encode()) % 1_000_000_000)


# The MSP's TeamViewer company and another one: management ids are GUIDs derived from these.
MSP_COMPANY = uuid.UUID("6f1c0d6e-9a52-4c3b-8a52-000000000001")
OTHER_COMPANY = uuid.UUID("6f1c0d6e-9a52-4c3b-8a52-000000000002")


def management_id(host: HostSpec) -> str | None:
    """The host's stand-in management id (``{GUID}``), stable per host name and company."""
    if host.teamviewer_managed == "none":
        return None
    company = OTHER_COMPANY if host.teamviewer_managed == "other" else MSP_COMPANY
    return "{" + str(uuid.uuid5(company, host.name)) + "}"


def _management_lines(host: HostSpec) -> str:
    """global.conf's DeviceManagementV2 entries, as TeamViewer writes them."""
    ident = management_id(host)
    if ident is None:
        return ""
    unmanaged = 1 if host.teamviewer_managed == "unmanaged" else 0
    return (f'[strng] DeviceManagementV2\\ManagementId = "{ident}"\n'
            f"[int32] DeviceManagementV2\\Unmanaged = {unmanaged}\n")  # fmt: skip


def write_sudoers(ns: str, host: HostSpec) -> None:
    """``/etc/netns/<ns>/sudoers`` for ``host``: root plus the audit user's rule (0440)."""
    text = (
        "# auditor lab: per-host sudo policy (bound over /etc/sudoers by ip netns exec)\n"
        "Defaults env_reset\n"
        'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
        "root ALL=(ALL:ALL) ALL\n" + _SUDO_RULES[host.sudo]
    )
    path = netns.write_etc(ns, {"sudoers": text}) / "sudoers"
    path.chmod(0o440)


def write_teamviewer(host: HostSpec, host_dir: Path) -> None:
    """The per-host ``/opt`` tree and dpkg status for an installed TeamViewer (see module doc)."""
    if host.teamviewer == "absent":
        return
    opt = host_dir / "opt"
    shutil.rmtree(opt, ignore_errors=True)
    tv = opt / "teamviewer"
    for sub in ("tv_bin/script", "config"):
        (tv / sub).mkdir(parents=True, mode=0o755)
    opt.chmod(0o755)
    sleep = shutil.which("sleep") or "/bin/sleep"
    shutil.copy2(sleep, tv / "tv_bin" / "teamviewerd")
    cli = tv / "tv_bin" / "script" / "teamviewer"
    cli.write_text(_CLI.format(version=TV_VERSION, id=client_id(host)), encoding="ascii")
    cli.chmod(0o755)
    conf = tv / "config" / "global.conf"
    conf.write_text(
        "TeamViewer Global Settings\n\n"
        "[int32] ClientIC = 301094961\n"
        f"[int32] ClientID = {client_id(host)}\n"
        f'[strng] Version = "{TV_VERSION}"\n'
        "[bin  ] PermanentPassword = 4c 61 62 2d 54 56 2d 53 65 63 72 65 74\n"
        + _management_lines(host),
        encoding="ascii",
    )
    conf.chmod(0o600)
    if DPKG_STATUS.is_file():
        package = "teamviewer" if host.teamviewer == "client" else "teamviewer-host"
        stanza = (
            f"Package: {package}\nStatus: install ok installed\nPriority: optional\n"
            "Section: net\nMaintainer: TeamViewer Germany GmbH <support@teamviewer.com>\n"
            f"Architecture: amd64\nVersion: {TV_VERSION}\n"
            "Description: TeamViewer (auditor lab stand-in)\n"
        )
        status = DPKG_STATUS.read_text(encoding="utf-8", errors="replace").rstrip("\n")
        (host_dir / "dpkg-status").write_text(f"{status}\n\n{stanza}", encoding="utf-8")


# root's home on a lab host: its own, empty (mode 0700 as on any Linux)
ROOT_HOME = "mount -t tmpfs -o mode=0700,size=1m lab-root /root"


def session_argv(
    host: HostSpec, host_dir: Path, daemon: list[str], setup: list[str] | None = None
) -> list[str]:
    """``daemon`` (sshd) as PID 1 of a new PID + mount + UTS namespace with the host's mounts.

    ``setup`` are shell lines run first, inside the new namespaces (Dropbear's own /root).

    The wrapper shell gives the host its own empty ``/root`` (a tmpfs: a
    host does not share the lab machine's home, whose ``.bashrc`` would run
    in every SSH session and cost more CPU than the audit), binds the
    per-host ``/opt`` and dpkg status (when TeamViewer is installed), starts
    teamviewerd when it should run, and execs the daemon, so the recorded
    process group covers all of it.
    """
    steps = ["set -e", f"hostname {shlex.quote(host.name)}", ROOT_HOME]
    if host.teamviewer != "absent":
        steps.append(f"mount --bind {shlex.quote(str(host_dir / 'opt'))} /opt")
        status = host_dir / "dpkg-status"
        if status.is_file():
            steps.append(f"mount --bind {shlex.quote(str(status))} {DPKG_STATUS}")
    steps += setup or []
    if host.teamviewer in ("running", "client"):
        steps.append("/opt/teamviewer/tv_bin/teamviewerd infinity </dev/null &")
    steps.append('exec "$@"')
    script = "\n".join(steps)
    return [
        "unshare", "--pid", "--uts", "--fork", "--mount-proc", "--propagation", "private",
        "/bin/sh", "-c", script, "lab-host", *daemon,
    ]  # fmt: skip
