"""Start lab daemons inside namespaces, know when they listen, stop them for sure.

Every daemon runs in the foreground under ``ip netns exec`` (which execs, so
the recorded pid *is* the daemon) in a session of its own, so its process
group can be signalled as a whole. Stopping waits until the processes are
really gone: a namespace can only be deleted cleanly after that.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.lab import netns
from auditor.lab.spec import LabError

POLL_S = 0.02
TERM_GRACE_S = 3.0
KILL_GRACE_S = 3.0


@dataclass(frozen=True, slots=True)
class Proc:
    """A daemon the lab started; ``start_ticks`` tells a recycled pid from ours."""

    name: str
    ns: str
    pid: int
    pgid: int
    start_ticks: int
    argv: tuple[str, ...]
    log: str


def start_ticks(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (start time); None if gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def start(name: str, ns: str, argv: Sequence[str], log: Path, *, ahead: bool = False) -> Proc:
    """Start ``argv`` in ``ns``, stdout+stderr appended to ``log``; do not wait.

    ``ahead`` runs it before every ordinary process on the machine's CPUs
    (``chrt --rr 1``: the lowest real-time priority; the kernel still keeps
    5 % of each second for everyone else). For servers that wait on the
    network, never for anything that computes in a loop.
    """
    full = netns.exec_argv(ns, ["chrt", "--rr", "1", *argv] if ahead else argv)
    with log.open("ab") as out:
        popen = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ticks = start_ticks(popen.pid) or 0
    return Proc(name, ns, popen.pid, popen.pid, ticks, tuple(full), str(log))


def alive(proc: Proc) -> bool:
    """True while ``proc`` (the very process we started) still runs."""
    _reap(proc.pid)
    ticks = start_ticks(proc.pid)
    return ticks is not None and (proc.start_ticks == 0 or ticks == proc.start_ticks)


def _reap(pid: int) -> None:
    """Collect an exited child of ours so it stops being a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_all(procs: Iterable[Proc], pids: Iterable[int], sig: signal.Signals) -> None:
    for p in procs:
        if alive(p):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pgid, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(procs: Sequence[Proc], namespaces: Sequence[str], deadline: float) -> list[int]:
    """Poll until no recorded proc and no process in ``namespaces`` is left."""
    while True:
        left = [p.pid for p in procs if alive(p)]
        for pid in netns.pids_in(namespaces):
            _reap(pid)
            if start_ticks(pid) is not None:
                left.append(pid)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(POLL_S * 5)


def stop_all(procs: Sequence[Proc], namespaces: Sequence[str]) -> None:
    """SIGTERM the recorded process groups and everything in ``namespaces``, then SIGKILL.

    Returns only when all are gone; raises :class:`LabError` if some survive
    SIGKILL for ``KILL_GRACE_S`` (e.g. stuck in the kernel).
    """
    nspids = netns.pids_in(namespaces)
    _signal_all(procs, nspids, signal.SIGTERM)
    left = _wait_gone(procs, namespaces, time.monotonic() + TERM_GRACE_S)
    if left:
        _signal_all(procs, left, signal.SIGKILL)
        left = _wait_gone(procs, namespaces, time.monotonic() + KILL_GRACE_S)
    if left:
        raise LabError(f"processes {sorted(set(left))} survived SIGKILL")


def _proc_net_hex(addr: str, port: int) -> str:
    """How /proc/net/{tcp,udp} prints ``addr:port`` (address in host byte order)."""
    packed = socket.inet_aton(addr)
    return f"{int.from_bytes(packed, sys.byteorder):08X}:{port:04X}"


def _listening(pid: int, proto: str, addr: str, port: int) -> bool:
    try:
        table = Path(f"/proc/{pid}/net/{proto}").read_text()
    except OSError:
        return False
    want = _proc_net_hex(addr, port)
    state = "0A" if proto == "tcp" else "07"  # LISTEN / unconnected UDP
    return any(
        cols[1] == want and cols[3] == state
        for cols in (line.split() for line in table.splitlines()[1:])
    )


def wait_listening(proc: Proc, sockets: Iterable[tuple[str, str, int]], timeout: float) -> None:
    """Wait until ``proc``'s namespace has every (proto, addr, port) bound.

    Reads /proc/PID/net (which shows the socket table of PID's namespace), so
    no probe connection is needed. Raises with the log tail if the process
    died or ``timeout`` (seconds) passed.
    """
    pending = list(sockets)
    deadline = time.monotonic() + timeout
    while pending:
        pending = [s for s in pending if not _listening(proc.pid, *s)]
        if not pending:
            return
        if not alive(proc) or time.monotonic() >= deadline:
            tail = " | ".join(Path(proc.log).read_text(errors="replace").splitlines()[-3:])
            state = "exited" if not alive(proc) else f"not listening after {timeout:.0f} s"
            raise LabError(f"{proc.name} in {proc.ns} {state} ({pending[0]}): {tail}")
        time.sleep(POLL_S)
