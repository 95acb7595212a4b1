"""A lab host without Python: sshd's ``ChrootDirectory`` holding only a static BusyBox.

The chroot lives in ``/run/auditor-chroot/<namespace>``, because sshd insists
that every component of the path is root-owned and not writable by others
(the state dir under /tmp is not). It holds ``/bin/busybox`` (the machine's
``busybox-static``) with a link per applet, ``/etc/passwd``, ``group``,
``hosts`` and the host's ``resolv.conf``, ``/dev/null``, ``zero``,
``random``, ``urandom``, a 1777 ``/tmp`` and root's home. ``/proc`` is not
mounted: from inside, the process table cannot be read, as on many
appliances. Root logs in with the lab key as everywhere; sshd starts root's
login shell (from the machine's passwd, e.g. /bin/bash) inside the chroot,
so that path gets a two-line stand-in that execs BusyBox's sh.
:func:`remove` (called by ``netns.delete_namespace``) deletes it all.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from auditor.lab.spec import HostSpec, LabError

BASE = Path("/run/auditor-chroot")  # not the lab registry's /run/auditor-lab
BUSYBOX = Path("/usr/bin/busybox")
_DEVICES = {"null": (1, 3), "zero": (1, 5), "random": (1, 8), "urandom": (1, 9)}


def root_of(ns: str) -> Path:
    """Where the chroot of namespace ``ns`` lives."""
    return BASE / ns


def build(ns: str, host: HostSpec) -> Path:
    """Create (or re-create) the chroot for ``host`` in namespace ``ns``; return its root."""
    busybox = BUSYBOX if BUSYBOX.is_file() else Path(shutil.which("busybox") or BUSYBOX)
    if not busybox.is_file():
        raise LabError(f"host {host.name}: python=False needs busybox-static ({BUSYBOX})")
    remove(ns)
    root = root_of(ns)
    for sub in ("bin", "etc", "dev", "root", "tmp"):
        (root / sub).mkdir(parents=True, mode=0o755)
    BASE.chmod(0o755)
    (root / "tmp").chmod(0o1777)
    (root / "root").chmod(0o700)
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = subprocess.run(
        [str(busybox), "--list"], capture_output=True, text=True, timeout=10, check=True
    ).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")
    _login_shell(root)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n", encoding="ascii")
    (root / "etc" / "group").write_text("root:x:0:\n", encoding="ascii")
    (root / "etc" / "hosts").write_text(
        f"127.0.0.1 localhost\n127.0.1.1 {host.name}\n", encoding="ascii"
    )
    resolv = "".join(f"nameserver {r}\n" for r in host.resolvers)
    (root / "etc" / "resolv.conf").write_text(resolv, encoding="ascii")
    for name, (major, minor) in _DEVICES.items():
        os.mknod(root / "dev" / name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        (root / "dev" / name).chmod(0o666)
    return root


def _login_shell(root: Path) -> None:
    """A stand-in for root's login shell at the path sshd will exec inside the chroot."""
    shell = pwd.getpwnam("root").pw_shell or "/bin/sh"
    path = root / shell.lstrip("/")
    if path.exists() or path.is_symlink():
        return  # /bin/sh and friends: already a BusyBox applet link
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    path.write_text('#!/bin/busybox sh\nexec /bin/busybox sh "$@"\n', encoding="ascii")
    path.chmod(0o755)


def remove(ns: str) -> None:
    """Delete ``ns``'s chroot if any (idempotent); never follows it onto another filesystem."""
    root = root_of(ns)
    if root.is_dir():
        subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=True, timeout=30)
    with contextlib.suppress(OSError):
        BASE.rmdir()  # only when no lab uses it any more
